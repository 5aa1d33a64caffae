"""Workspaces the server and backend tests serve: the demo (every kind of data) without its
leases and with an instant release command, and small changes written by hand where a test
must know every byte."""

from __future__ import annotations

import shlex
import shutil
import sys
import textwrap
from pathlib import Path

import tomli_w

from core.backends.local import LocalBackend, LocalPaths
from core.demo import build_demo

PENDING_TASKS = "## 1. Work\n\n- [ ] 1.1 Build it\n- [ ] 1.2 Test it\n"
MIXED_TASKS = "## 1. Work\n\n- [x] 1.1 Build it\n- [~] 1.2 Test it\n- [ ] 1.3 Ship it\n"
DONE_TASKS = "## 1. Work\n\n- [x] 1.1 Build it\n- [x] 1.2 Test it\n"
DELTA = "## ADDED Requirements\n\n### Requirement: It works\n\nThe system SHALL work.\n"
FAILING_REPO = "acme/storage"

RELEASE_SCRIPT = textwrap.dedent(
    f"""\
    import sys

    repo, version = sys.argv[1], sys.argv[2]
    if repo == "{FAILING_REPO}":
        print("integration tests failed: 3 of 412", file=sys.stderr)
        sys.exit(1)
    print(f"rel-{{repo.split('/')[1]}}-{{version}}")
    """
)


def build_template(root: Path) -> Path:
    """The demo with no lease held, releasing through a script that answers at once."""
    build_demo(root)
    backend = LocalBackend(LocalPaths.for_root(root))
    try:
        for lease in backend.list_leases(include_expired=True):
            backend.release(lease.change_id, lease.holder, force=True)
    finally:
        backend.close()
    (root / "scripts" / "quick_release.py").write_text(RELEASE_SCRIPT, encoding="utf-8")
    config = root / "quarterdeck.toml"
    lines = [
        line
        for line in config.read_text(encoding="utf-8").splitlines()
        if not line.startswith("release_command")
    ]
    command = f"{shlex.quote(sys.executable)} scripts/quick_release.py {{repo}} {{version}}"
    lines.append(tomli_w.dumps({"release_command": command}))
    config.write_text("\n".join(lines), encoding="utf-8")
    return root


def place(template: Path, root: Path) -> Path:
    """A private copy of the template at `root` (e.g. a project folder in a data dir)."""
    root.parent.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copytree(template, root))


def add_change(
    root: Path,
    change_id: str,
    *,
    tasks: str = PENDING_TASKS,
    proposal: str | None = None,
    folder: str = "",
) -> Path:
    """A change with a proposal, one delta spec (`lease-rules`) and `tasks`; `folder` places
    it elsewhere under `changes/` (e.g. `archive/2026-01-01-<id>`)."""
    path = root / ".ito" / "changes" / (folder or change_id)
    (path / "specs" / "lease-rules").mkdir(parents=True)
    (path / ".ito.yaml").write_text("schema: spec-driven\ncreated: 2026-11-01\n")
    (path / "proposal.md").write_text(proposal or f"# Change: {change_id}\n")
    (path / "specs" / "lease-rules" / "spec.md").write_text(DELTA)
    (path / "tasks.md").write_text(tasks)
    return path
