"""Service.compare_with_backend: what the revision-conflict dialog shows, file by file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.backends.local import LocalBackend, LocalPaths
from core.ito.workspace import ItoWorkspace
from core.models.errors import NotSupported
from core.models.sync import FileDifference, FileState
from core.service import Service
from core.timeutil import fixed_clock

NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
CHANGE = "001-01_alpha"


def write_change(root: Path, files: dict[str, str]) -> Path:
    folder = root / ".ito" / "changes" / CHANGE
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".ito.yaml").write_text("schema: spec-driven\ncreated: 2026-11-01\n")
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


@pytest.fixture
def store(tmp_path: Path) -> Path:
    root = tmp_path / "store"
    write_change(
        root,
        {
            "proposal.md": "# Change: Alpha\n\nWhy.\n",
            "tasks.md": "- [ ] 1.1 Build it\n",
            "specs/leases/spec.md": "## ADDED Requirements\n",
        },
    )
    return root


@pytest.fixture
def service(store: Path, tmp_path: Path) -> Iterator[Service]:
    clock = fixed_clock(NOW)
    working = tmp_path / "working"
    (working / ".ito" / "changes").mkdir(parents=True)
    backend = LocalBackend(LocalPaths.for_root(store), clock)
    yield Service(
        backend,
        ItoWorkspace(working / ".ito", clock),
        holder="me@laptop",
        sync_backup_root=working / ".quarterdeck" / "sync-backups",
        clock=clock,
    )
    backend.close()


def test_a_freshly_pulled_change_is_the_same_file_for_file(service: Service) -> None:
    service.sync_pull(CHANGE)

    assert [(d.path, d.state) for d in service.compare_with_backend(CHANGE)] == [
        ("proposal.md", FileState.SAME),
        ("tasks.md", FileState.SAME),
        ("specs/leases/spec.md", FileState.SAME),
    ]


def test_an_edited_file_counts_the_lines_a_push_would_add_and_remove(
    service: Service, tmp_path: Path
) -> None:
    service.sync_pull(CHANGE)
    local = tmp_path / "working" / ".ito" / "changes" / CHANGE / "proposal.md"
    local.write_text("# Change: Alpha\n\nBecause.\nAnd more.\n")

    proposal = service.compare_with_backend(CHANGE)[0]

    assert proposal == FileDifference(
        path="proposal.md", state=FileState.DIFFERENT, added=2, removed=1
    )


def test_files_on_one_side_only_are_named_with_their_line_counts(
    service: Service, store: Path, tmp_path: Path
) -> None:
    service.sync_pull(CHANGE)
    working = tmp_path / "working" / ".ito" / "changes" / CHANGE
    (working / "design.md").write_text("# Design\n\nOne.\n")
    (store / ".ito" / "changes" / CHANGE / "specs" / "audit").mkdir()
    (store / ".ito" / "changes" / CHANGE / "specs" / "audit" / "spec.md").write_text("a\nb\n")

    differences = {d.path: d for d in service.compare_with_backend(CHANGE)}

    assert differences["design.md"] == FileDifference(
        path="design.md", state=FileState.ONLY_LOCAL, added=3
    )
    assert differences["specs/audit/spec.md"] == FileDifference(
        path="specs/audit/spec.md", state=FileState.ONLY_SERVER, removed=2
    )


def test_documents_come_first_in_itos_order_then_specs_by_capability(
    service: Service, store: Path, tmp_path: Path
) -> None:
    write_change(store, {"design.md": "d\n", "specs/audit/spec.md": "a\n"})
    service.sync_pull(CHANGE)

    paths = [d.path for d in service.compare_with_backend(CHANGE)]

    assert paths == [
        "proposal.md",
        "design.md",
        "tasks.md",
        "specs/audit/spec.md",
        "specs/leases/spec.md",
    ]


def test_comparing_changes_no_file(service: Service, store: Path, tmp_path: Path) -> None:
    service.sync_pull(CHANGE)
    roots = [store / ".ito" / "changes", tmp_path / "working" / ".ito" / "changes"]
    before = {p: p.read_bytes() for root in roots for p in root.rglob("*") if p.is_file()}

    service.compare_with_backend(CHANGE)

    after = {p: p.read_bytes() for root in roots for p in root.rglob("*") if p.is_file()}
    assert after == before


def test_a_workspace_that_is_its_own_store_has_nothing_to_compare(store: Path) -> None:
    clock = fixed_clock(NOW)
    backend = LocalBackend(LocalPaths.for_root(store), clock)
    same = Service(
        backend,
        ItoWorkspace(store / ".ito", clock),
        holder="me@laptop",
        sync_backup_root=store / ".quarterdeck" / "sync-backups",
        clock=clock,
    )
    try:
        with pytest.raises(NotSupported, match="its own store"):
            same.compare_with_backend(CHANGE)
    finally:
        backend.close()
