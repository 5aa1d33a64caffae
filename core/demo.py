"""`quarterdeck demo`: a realistic, deterministic workspace to explore every screen.

Content is fixed (a seeded generator); only times are relative to `now`, so leases are
"expiring soon" whenever the demo is built. Anything that has rules (leases, journal steps,
the failed release run) is produced through the real core code, never written by hand, so
the demo can only hold states the rules allow.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import textwrap
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import tomli_w

from core.backends.local import LocalBackend, LocalPaths
from core.backups.folders import BackupFolders
from core.models.backups import ReceiptOutcome
from core.models.errors import InvalidInput
from core.models.releases import ReleaseRequest, RunStatus
from core.releases.releaser import ReleaseFailed
from core.store.leases import LeaseStore
from core.timeutil import Clock, fixed_clock, system_clock, to_rfc3339, to_rfc3339_ms

DEMO_HOLDER = "you@quarterdeck-demo"
MARKER = ".quarterdeck-demo"

MODULES: list[tuple[str, str, str, str]] = [
    ("001", "platform-core", "Platform Core", "The workspace model every other module builds on."),
    ("002", "backend-sync", "Backend Sync", "Share changes and leases across machines."),
    (
        "003",
        "cli-experience",
        "CLI Experience",
        "Make the console fast to drive from the keyboard.",
    ),
    ("004", "release-tooling", "Release Tooling", "Release many repos in dependency order."),
    ("005", "observability", "Observability", "See what the fleet and the agents are doing."),
    ("006", "security-hardening", "Security Hardening", "Close the gaps a shared server opens."),
]

# (change id, archived?, target work status, tasks format)
CHANGES: list[tuple[str, bool, str, str]] = [
    ("001-00_initial-scaffold", True, "complete", "checkbox"),
    ("001-01_bootstrap-workspace-layout", True, "complete", "enhanced"),
    ("001-02_add-config-loader", True, "complete", "checkbox"),
    ("001-03_typed-error-catalogue", False, "complete", "enhanced"),
    ("001-04_streaming-change-index", False, "in-progress", "enhanced"),
    ("001-05_workspace-discovery", False, "ready", "checkbox"),
    ("001-06_plugin-entry-points", False, "draft", "enhanced"),
    ("001-07_unify-path-handling", False, "paused", "enhanced"),
    ("002-01_add-shared-state-api", True, "complete", "checkbox"),
    ("002-02_add-cli-backend-client", True, "complete", "enhanced"),
    ("002-03_lease-heartbeats", False, "in-progress", "enhanced"),
    ("002-04_allocation-idempotency", False, "ready", "enhanced"),
    ("002-05_revision-conflict-dialog", False, "in-progress", "checkbox"),
    ("002-06_offline-queue", False, "draft", "checkbox"),
    ("002-07_event-ingest-batching", False, "ready", "checkbox"),
    ("002-08_backend-archive-sync", False, "complete", "enhanced"),
    ("002.01-01_three-way-merge-preview", False, "ready", "enhanced"),
    ("002.01-02_conflict-history", False, "draft", "enhanced"),
    ("003-01_keyboard-first-navigation", True, "complete", "enhanced"),
    ("003-02_command-palette", False, "in-progress", "enhanced"),
    ("003-03_fuzzy-filter", False, "ready", "checkbox"),
    ("003-04_theme-persistence", False, "complete", "checkbox"),
    ("003-05_narrow-terminal-layout", False, "in-progress", "enhanced"),
    ("003-06_help-overlay", False, "ready", "enhanced"),
    ("003-07_vim-motions", False, "paused", "enhanced"),
    ("004-00_release-notes-template", True, "complete", "checkbox"),
    ("004-01_dependency-graph-import", True, "complete", "enhanced"),
    ("004-02_topological-release-order", False, "complete", "enhanced"),
    ("004-03_release-command-templates", False, "in-progress", "checkbox"),
    ("004-04_skip-downstream-on-failure", False, "ready", "enhanced"),
    ("004-05_run-ledger-browser", False, "ready", "checkbox"),
    ("004-06_manual-release-stepping", False, "draft", "enhanced"),
    ("005-00_logging-baseline", True, "complete", "checkbox"),
    ("005-01_structured-audit-log", True, "complete", "enhanced"),
    ("005-02_metrics-endpoint", False, "ready", "enhanced"),
    ("005-03_trace-release-runs", False, "in-progress", "enhanced"),
    ("005-04_lease-expiry-alerts", False, "ready", "checkbox"),
    ("005-05_dashboard-health-panel", False, "paused", "enhanced"),
    ("006-00_threat-model", True, "complete", "enhanced"),
    ("006-01_token-scoping", True, "complete", "checkbox"),
    ("006-02_constant-time-token-compare", True, "complete", "enhanced"),
    ("006-03_path-escape-guards", False, "in-progress", "enhanced"),
    ("006-04_request-size-limits", False, "ready", "checkbox"),
    ("006-05_audit-secret-redaction", False, "draft", "checkbox"),
    ("006-06_rotate-token-seed", False, "ready", "enhanced"),
    ("006-07_signed-release-manifests", False, "in-progress", "checkbox"),
]

CAPABILITIES = [
    "change-leasing",
    "change-allocation",
    "backend-auth",
    "backend-artifact-store",
    "release-sequencing",
    "backup-journal",
    "review-backlog",
    "cli-navigation",
    "workspace-config",
    "audit-log",
]

TASK_VERBS = [
    "Write failing tests for",
    "Model",
    "Implement",
    "Wire",
    "Handle errors in",
    "Measure",
    "Document",
    "Review edge cases of",
]

REPOS = [
    "acme/proto",
    "acme/core-lib",
    "acme/auth",
    "acme/storage",
    "acme/config",
    "acme/api",
    "acme/worker",
    "acme/web",
    "acme/cli",
    "acme/sdk-py",
    "acme/sdk-js",
    "acme/deploy",
]

REPO_EDGES = [  # (dependent, dependency)
    ("acme/core-lib", "acme/proto"),
    ("acme/auth", "acme/core-lib"),
    ("acme/storage", "acme/core-lib"),
    ("acme/config", "acme/core-lib"),
    ("acme/api", "acme/auth"),
    ("acme/api", "acme/storage"),
    ("acme/api", "acme/config"),
    ("acme/worker", "acme/storage"),
    ("acme/worker", "acme/config"),
    ("acme/web", "acme/api"),
    ("acme/cli", "acme/api"),
    ("acme/sdk-py", "acme/api"),
    ("acme/sdk-js", "acme/api"),
    ("acme/deploy", "acme/web"),
    ("acme/deploy", "acme/worker"),
]

# (item_ref, deferred how many hours ago, note, data)
Deferral = tuple[str, int, str | None, dict[str, Any] | None]

CANISTERS = ["renrk-eyaaa-aaaaa-aaada-cai", "rdmx6-jaaaa-aaaaa-aaadq-cai"]


@dataclass(frozen=True)
class DemoClock:
    """The demo's time, and its plan and run ids: both fixed, so every build is the same."""

    now: datetime
    _counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def at(self, **offset: float) -> Clock:
        return fixed_clock(self.now + timedelta(**offset))

    def ids(self) -> uuid.UUID:
        # 0d3a0001-…, 0d3a0002-…: readable, and still the shape aivcs gives (a UUID).
        return uuid.UUID(int=(0x0D3A0000 + next(self._counter)) << 96)


def build_demo(root: Path, *, force: bool = False, now: datetime | None = None) -> Path:
    """Write the demo workspace into `root` and return its absolute path.

    Refuses a non-empty folder that is not an earlier demo, so it never overwrites work.
    """
    root = root.resolve()
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).exists():
            raise InvalidInput(
                f"{root} is not empty and is not a Quarterdeck demo; pick another folder"
            )
        if not force:
            return root
        shutil.rmtree(root)
    clock = DemoClock((now or system_clock()).replace(microsecond=0))
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("built by `quarterdeck demo`; safe to delete\n", encoding="utf-8")
    _write_config(root)
    rng = random.Random(20261122)
    _write_ito(root / ".ito", rng, clock)
    _pin_file_times(root / ".ito", clock)
    _write_graph(root / ".quarterdeck" / "release-graph.json")
    _write_release_script(root / "scripts" / "release.py")
    _write_backlog(root, clock)
    _write_backups(root / "backups", clock)
    backend = LocalBackend(
        LocalPaths.for_root(root, release_command=None), clock.at(), ids=clock.ids
    )
    try:
        _take_leases(backend, clock)
        _record_release_history(backend, clock)
    finally:
        backend.close()
    return root


def _pin_file_times(ito: Path, clock: DemoClock) -> None:
    """Date every file by the demo clock, not by when the demo was built, so "last modified"
    reads like a working team's (minutes to weeks ago) and every build looks the same."""
    for index, path in enumerate(sorted(ito.rglob("*"))):
        if path.is_file():
            # A spread of ages (7 minutes to about 17 days) that does not follow file order.
            minutes = 7 + (index * 7919) % 24_000
            moment = (clock.now - timedelta(minutes=minutes)).timestamp()
            os.utime(path, (moment, moment))


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _write_config(root: Path) -> None:
    _write(
        root / "quarterdeck.toml",
        textwrap.dedent(
            f"""\
            # Quarterdeck demo workspace (see README.md at the repository root).
            holder = "{DEMO_HOLDER}"
            lease_ttl_seconds = 1800
            refresh_interval_seconds = 5
            backup_roots = ["backups"]
            release_graph = ".quarterdeck/release-graph.json"
            release_command = "python3 scripts/release.py {{repo}} {{version}}"
            """
        ),
    )
    _write(root / "aristo.toml", "# aristo workspace root (demo)\n")


def _title(change_id: str) -> str:
    name = change_id.split("_", 1)[1]
    return " ".join(word.capitalize() for word in name.split("-"))


def _task_statuses(target: str, count: int, rng: random.Random) -> list[str]:
    if target == "complete":
        return ["complete"] * count
    done = rng.randint(1, max(1, count - 3))
    if target == "paused":
        return ["complete"] * done + ["shelved"] * (count - done)
    if target == "in-progress":
        active = min(2, count - done)
        return (
            ["complete"] * done + ["in-progress"] * active + ["pending"] * (count - done - active)
        )
    if target == "ready":
        done = rng.randint(0, count // 2)
        return ["complete"] * done + ["pending"] * (count - done)
    return ["complete"] * rng.randint(0, 2) + ["pending"] * (count - 2)


def _topic(change_id: str) -> str:
    return change_id.split("_", 1)[1].replace("-", " ")


def _enhanced_tasks(change_id: str, statuses: list[str], rng: random.Random, day: str) -> str:
    markers = {"pending": "[ ]", "in-progress": "[>]", "complete": "[x]", "shelved": "[-]"}
    topic = _topic(change_id)
    lines = [
        f"# Tasks for: {change_id}",
        "",
        "## Execution Notes",
        "",
        "- **Tracking**: Use `ito tasks` CLI for status updates",
        "- **Status legend**: `[ ] pending` · `[>] in-progress` · `[x] complete` · `[-] shelved`",
        "",
    ]
    waves = 1 + (len(statuses) - 1) // 3
    index = 0
    for wave in range(1, waves + 1):
        lines += ["______________________________________________________________________", ""]
        lines += [
            f"## Wave {wave}",
            "",
            f"- **Depends On**: {'None' if wave == 1 else f'Wave {wave - 1}'}",
            "",
        ]
        for number in range(1, 4):
            if index >= len(statuses):
                break
            status = statuses[index]
            verb = TASK_VERBS[(index + rng.randint(0, 3)) % len(TASK_VERBS)]
            lines += [
                f"### Task {wave}.{number}: {verb} {topic}",
                "",
                f"- **Files**: `core/{change_id.split('_', 1)[1].replace('-', '_')}.py`",
                "- **Dependencies**: None"
                if number == 1
                else f"- **Dependencies**: Task {wave}.{number - 1}",
                f"- **Action**: {verb} {topic} so the behaviour in the spec delta holds.",
                "- **Verify**: `pytest -q`",
                f"- **Done When**: {topic.capitalize()} behaves as the scenarios say.",
                f"- **Updated At**: {day}",
                f"- **Status**: {markers[status]} {status}",
                "",
            ]
            index += 1
    return "\n".join(lines)


def _checkbox_tasks(change_id: str, statuses: list[str], rng: random.Random) -> str:
    markers = {"pending": " ", "in-progress": "~", "complete": "x", "shelved": " "}
    topic = _topic(change_id)
    lines: list[str] = []
    per_section = 3
    for index, status in enumerate(statuses):
        section, number = divmod(index, per_section)
        if number == 0:
            lines += ["", f"## {section + 1}. {TASK_VERBS[section % len(TASK_VERBS)]} {topic}", ""]
        verb = TASK_VERBS[(index + rng.randint(0, 5)) % len(TASK_VERBS)]
        area = rng.choice(["core", "cli", "tui", "server"])
        lines.append(f"- [{markers[status]}] {section + 1}.{number + 1} {verb} {topic} ({area})")
    return "\n".join(lines).lstrip("\n") + "\n"


PROPOSAL = textwrap.dedent(
    """\
    # Change: {title}

    ## Why

    Operators asked for {topic}: today it takes manual steps and agents collide on the same
    work.

    ## What Changes

    - Add {topic} to the core service
    - Expose it in the CLI and the dashboard
    - Cover it with tests that read as specifications

    ## Impact

    - **Code**: `core/`, `tui/`
    - **Breaking**: none
    """
)

DESIGN = textwrap.dedent(
    """\
    # Design: {title}

    ## Context

    {Topic} touches the service façade only.

    ## Decisions

    1. Keep the rule in one place (core), typed errors out.
    2. The UI shows the rule's message verbatim.

    ## Risks

    - Large workspaces: measure first.
    """
)

SPEC_DELTA = textwrap.dedent(
    """\
    ## ADDED Requirements

    ### Requirement: {title} for {capability}

    The system SHALL support {topic} for {capability}.

    #### Scenario: {Topic} succeeds

    - **WHEN** an operator triggers it
    - **THEN** the result is recorded
    """
)

MAIN_SPEC = textwrap.dedent(
    """\
    # {title}

    ## Requirements

    ### Requirement: {capability} is recorded

    The system SHALL record every {words} decision.

    #### Scenario: Recorded

    - **WHEN** a decision is made
    - **THEN** it is in the audit log
    """
)


def _write_change(
    folder: Path, change_id: str, target: str, fmt: str, rng: random.Random, clock: DemoClock
) -> None:
    created = (clock.now - timedelta(days=rng.randint(3, 90))).date().isoformat()
    _write(folder / ".ito.yaml", f"schema: spec-driven\ncreated: {created}\n")
    words = {"title": _title(change_id), "topic": _topic(change_id)}
    words["Topic"] = words["topic"].capitalize()
    missing = rng.choice(["proposal", "specs", "tasks"]) if target == "draft" else None
    if missing != "proposal":
        _write(folder / "proposal.md", PROPOSAL.format(**words))
    if rng.random() < 0.5:
        _write(folder / "design.md", DESIGN.format(**words))
    if missing != "specs":
        for capability in rng.sample(CAPABILITIES, rng.randint(1, 2)):
            _write(
                folder / "specs" / capability / "spec.md",
                SPEC_DELTA.format(capability=capability, **words),
            )
    if missing != "tasks":
        statuses = _task_statuses(target, rng.randint(4, 9), rng)
        if fmt == "enhanced":
            _write(folder / "tasks.md", _enhanced_tasks(change_id, statuses, rng, created))
        else:
            _write(folder / "tasks.md", _checkbox_tasks(change_id, statuses, rng))


def _write_ito(ito: Path, rng: random.Random, clock: DemoClock) -> None:
    _write(
        ito / "config.json",
        json.dumps(
            {
                "backend": {
                    "enabled": False,
                    "url": "http://127.0.0.1:9010",
                    "project": {"org": "acme", "repo": "platform"},
                }
            },
            indent=2,
        )
        + "\n",
    )
    by_module: dict[str, list[str]] = {}
    for change_id, archived, target, fmt in CHANGES:
        by_module.setdefault(change_id[:3], []).append(change_id)
        if archived:
            day = (clock.now - timedelta(days=rng.randint(10, 120))).date().isoformat()
            folder = ito / "changes" / "archive" / f"{day}-{change_id}"
        else:
            folder = ito / "changes" / change_id
        _write_change(folder, change_id, target, fmt, rng, clock)
    # One tasks file a person edited by hand, with a mistake the detail pane must point at.
    broken = ito / "changes" / "003-06_help-overlay" / "tasks.md"
    broken.write_text(
        broken.read_text(encoding="utf-8").replace(
            "- **Status**: [ ] pending", "- **Status**: [ ] waiting", 1
        ),
        encoding="utf-8",
    )
    for module_id, name, title, purpose in MODULES:
        ids = by_module.get(module_id, [])
        body = "\n".join(
            f"- [{'x' if any(c == i and a for c, a, _, _ in CHANGES) else ' '}] {i}" for i in ids
        )
        _write(
            ito / "modules" / f"{module_id}_{name}" / "module.md",
            f"# {title}\n\n## Purpose\n{purpose}\n\n## Scope\n- {name}\n\n## Changes\n{body}\n",
        )
    _write(
        ito / "modules" / "002_backend-sync" / "sub" / "01_conflict-ux" / "module.md",
        "# Conflict UX\n\n## Purpose\nShow revision conflicts so nobody loses an edit.\n\n"
        "## Scope\n- sync\n\n## Changes\n"
        "- [ ] 002.01-01_three-way-merge-preview\n- [ ] 002.01-02_conflict-history\n",
    )
    for capability in CAPABILITIES:
        _write(
            ito / "specs" / capability / "spec.md",
            MAIN_SPEC.format(
                title=capability.replace("-", " ").title(),
                capability=capability,
                words=capability.replace("-", " "),
            ),
        )
    events = []
    for index, (change_id, _archived, _target, _fmt) in enumerate(CHANGES[:12]):
        moment = clock.now - timedelta(hours=48 - index * 3)
        events.append(
            {
                "v": 1,
                "ts": to_rfc3339_ms(moment),
                "entity": "task",
                "entity_id": "1.1",
                "scope": change_id,
                "op": "status_change",
                "from": "pending",
                "to": "in-progress",
                "actor": "cli",
                "by": f"@agent-{index % 4}",
                "ctx": {"session_id": f"demo-session-{index % 3}"},
            }
        )
    _write(ito / ".state" / "audit" / "events.jsonl", "".join(json.dumps(e) + "\n" for e in events))


def _write_graph(path: Path) -> None:
    graph = {
        "repos": [{"name": repo} for repo in REPOS],
        "dependencies": [
            {"dependent": {"name": dependent}, "dependency": {"name": dependency}}
            for dependent, dependency in REPO_EDGES
        ],
    }
    _write(path, json.dumps(graph, indent=2) + "\n")


def _write_release_script(path: Path) -> None:
    _write(
        path,
        textwrap.dedent(
            '''\
            """Demo release command: pretends to release REPO at VERSION.

            Fails for acme/storage so the dashboard can show a failure and its blast radius.
            """
            import sys
            import time

            repo, version = sys.argv[1], sys.argv[2]
            time.sleep(0.4)
            if repo == "acme/storage":
                print("integration tests failed: 3 of 412", file=sys.stderr)
                sys.exit(1)
            print(f"released {repo} {version}")
            print(f"rel-{repo.split('/')[1]}-{version}")
            '''
        ),
    )


def _write_backlog(root: Path, clock: DemoClock) -> None:
    session_a = (clock.now - timedelta(hours=51)).strftime("%Y%m%dT%H%M%SZ") + "-K7QXM3"
    session_b = (clock.now - timedelta(hours=21)).strftime("%Y%m%dT%H%M%SZ") + "-PQ4RST"

    def at(hours: int) -> str:
        return to_rfc3339(clock.now - timedelta(hours=hours))

    critique: list[Deferral] = [
        (
            "lease-heartbeats#1",
            50,
            "later: needs the TTL decision first",
            {
                "category": "rephrasing",
                "severity": "strong-suggest",
                "rationale": "double negation in the expiry rule",
                "suggested_text": "A lease is active until its expiry time.",
            },
        ),
        (
            "lease-heartbeats#4",
            49,
            None,
            {
                "category": "ambiguity",
                "severity": "must-fix",
                "rationale": "'renew' and 'heartbeat' are used for the same thing",
                "suggested_text": "Use 'heartbeat' everywhere; define it once.",
            },
        ),
        (
            "release-sequencing#2",
            30,
            "ask the release team",
            {
                "category": "missing-scenario",
                "severity": "suggest",
                "rationale": "no scenario for a cancelled run",
                "suggested_text": "Add: a cancelled run skips every pending repo.",
            },
        ),
        (
            "backup-journal#0",
            29,
            None,
            {
                "category": "terminology",
                "severity": "suggest",
                "rationale": "'operation' vs 'step'",
                "suggested_text": "Say 'operation' in the journal and 'step' only in the UI.",
            },
        ),
        ("open#0", 26, None, None),
    ]
    proof: list[Deferral] = [
        (
            "balance_no_dup_cells#0",
            20,
            None,
            {
                "annotation_kind": "assume",
                "index": 0,
                "kind": "suggestion",
                "proof_id": "balance_no_dup_cells",
                "suggested_text": "Cell array slot count never exceeds page capacity.",
                "suggestion_text_hash": "sha256:" + "3f" * 32,
            },
        ),
        (
            "balance_no_dup_cells#verdict",
            19,
            "re-run after the split fix",
            {"kind": "verdict", "proof_id": "balance_no_dup_cells", "verdict_type": "inconclusive"},
        ),
        (
            "lease_single_holder#1",
            18,
            None,
            {
                "annotation_kind": "invariant",
                "index": 1,
                "kind": "suggestion",
                "proof_id": "lease_single_holder",
                "suggested_text": "At most one unexpired lease per change id.",
            },
        ),
    ]

    def dump(items: list[Deferral], session: str) -> str:
        entries = []
        for ref, hours, note, data in items:
            entry: dict[str, object] = {
                "item_ref": ref,
                "deferred_at": at(hours),
                "deferred_from_session": session,
            }
            if note:
                entry["note"] = note
            if data:
                entry["data"] = data
            entries.append(entry)
        return tomli_w.dumps({"schema_version": 1, "items": entries})

    backlog = root / ".aristo" / "sessions" / "backlog"
    _write(backlog / "critique-review.toml", dump(critique, session_a))
    _write(backlog / "proof-review.toml", dump(proof, session_b))


def _backup_plan(plan_id: str, run_id: str) -> dict[str, object]:
    phases: list[dict[str, object]] = [
        {"operation_id": kind, "order": order, "kind": kind, "target_canister_id": None}
        for order, kind in enumerate(
            [
                "validate-topology",
                "validate-control-authority",
                "validate-snapshot-read-authority",
                "validate-quiescence-policy",
            ]
        )
    ]
    for kind, prefix in (
        ("stop", "stop"),
        ("create-snapshot", "snapshot"),
        ("start", "start"),
        ("download-snapshot", "download"),
        ("verify-artifact", "verify"),
    ):
        for canister in CANISTERS:
            phases.append(
                {
                    "operation_id": f"{prefix}-{canister}",
                    "order": len(phases),
                    "kind": kind,
                    "target_canister_id": canister,
                }
            )
    phases.append(
        {
            "operation_id": "finalize-manifest",
            "order": len(phases),
            "kind": "finalize-manifest",
            "target_canister_id": None,
        }
    )
    authority = {"source": "root-configured-read", "evidence": "proven"}
    return {
        "plan_id": plan_id,
        "run_id": run_id,
        "fleet": "demo",
        "network": "local",
        "root_canister_id": "aaaaa-aa",
        "selected_subtree_root": CANISTERS[0],
        "selected_scope_kind": "subtree",
        "include_descendants": True,
        "root_included": False,
        "requires_root_controller": True,
        "snapshot_read_authority": authority,
        "quiescence_policy": "root-coordinated",
        "topology_hash_before_quiesce": "0123456789abcdef" * 4,
        "targets": [
            {
                "canister_id": canister,
                "role": role,
                "parent_canister_id": "aaaaa-aa",
                "depth": 1,
                "control_authority": {"source": {"kind": "root-controller"}, "evidence": "proven"},
                "snapshot_read_authority": authority,
                "identity_mode": "relocatable",
                "expected_module_hash": None,
            }
            for canister, role in zip(CANISTERS, ["app", "index"], strict=True)
        ],
        "phases": phases,
    }


def _write_backups(backups: Path, clock: DemoClock) -> None:
    fresh_name = f"nightly-{clock.now.date().isoformat()}"
    stopped_name = f"weekly-{(clock.now - timedelta(days=5)).date().isoformat()}"
    _write(
        backups / fresh_name / "backup-plan.json",
        json.dumps(_backup_plan("plan-nightly-017", "run-nightly-017"), indent=2) + "\n",
    )
    _write(
        backups / stopped_name / "backup-plan.json",
        json.dumps(_backup_plan("plan-weekly-004", "run-weekly-004"), indent=2) + "\n",
    )
    # Fresh: the journal as canic writes it from the plan (a dry run, nothing accepted).
    fresh = BackupFolders([backups], clock.at(hours=-1))
    fresh.initialize(fresh_name)
    # Stopped mid-run: preflight accepted, canisters stopped, one snapshot failed.
    steps = BackupFolders([backups], clock.at(days=-5))
    steps.accept_preflight(stopped_name, "preflight-weekly-004")
    steps.start_next(stopped_name)  # stop #1
    steps.record(stopped_name, 4, ReceiptOutcome.COMPLETED)
    steps.start_next(stopped_name)  # stop #2
    steps.record(stopped_name, 5, ReceiptOutcome.COMPLETED)
    steps.start_next(stopped_name)  # snapshot #1
    steps.record(
        stopped_name,
        6,
        ReceiptOutcome.COMPLETED,
        snapshot_id="snap-7f3a91",
        snapshot_total_size_bytes=48_213_004,
    )
    steps.start_next(stopped_name)  # snapshot #2
    steps.record(
        stopped_name,
        7,
        ReceiptOutcome.FAILED,
        failure_reason="snapshot create failed: canister rdmx6 out of cycles",
    )


def _take_leases(backend: LocalBackend, clock: DemoClock) -> None:
    leases = [
        ("001-04_streaming-change-index", DEMO_HOLDER, -10, 1800),
        ("003-05_narrow-terminal-layout", DEMO_HOLDER, -2, 3600),
        ("002-03_lease-heartbeats", "agent-claude-7@ci-runner-3", -5, 1800),
        ("002-05_revision-conflict-dialog", "agent-codex-2@ci-runner-1", -27, 1800),
        ("003-02_command-palette", "maria@laptop-mk", -58, 3600),
        ("005-03_trace-release-runs", "agent-gemini-1@ci-runner-2", -16, 1200),
        ("006-03_path-escape-guards", "agent-claude-4@ci-runner-3", -40, 1800),
        ("004-03_release-command-templates", "agent-codex-5@ci-runner-1", -45, 1800),
        ("006-07_signed-release-manifests", "sam@desk-07", -70, 3600),
    ]
    for change_id, holder, minutes_ago, ttl in leases:
        LeaseStore(backend.store, clock.at(minutes=minutes_ago)).claim(change_id, holder, ttl)


class _DemoHistoryReleaser:
    """Replays last week's release: acme/storage failed its integration tests."""

    def release(self, repo_id: str, version_label: str, spec_digest: str, promoted_by: str) -> str:
        if repo_id == "acme/storage":
            raise ReleaseFailed(
                "`./release.sh acme/storage 2.8.0` exited 1: integration tests failed: 3 of 412"
            )
        return f"rel-{repo_id.split('/')[1]}-{version_label}"


def _ticking(start: datetime, step_seconds: float) -> Clock:
    """A clock that moves on at every reading, so a replayed run has real durations."""
    ticks = itertools.count()
    return lambda: start + timedelta(seconds=next(ticks) * step_seconds)


def _record_release_history(backend: LocalBackend, clock: DemoClock) -> None:
    past_backend = LocalBackend(
        backend.paths,
        _ticking(clock.now - timedelta(days=6), 37),
        _DemoHistoryReleaser(),
        ids=clock.ids,
    )
    try:
        failed_plan = past_backend.build_release_plan(
            [
                ReleaseRequest(repo_id=repo, version_label=version, promoted_by="maria@laptop-mk")
                for repo, version in [
                    ("acme/proto", "4.2.0"),
                    ("acme/core-lib", "3.1.0"),
                    ("acme/auth", "2.0.3"),
                    ("acme/storage", "2.8.0"),
                    ("acme/config", "1.9.1"),
                    ("acme/api", "5.0.0"),
                    ("acme/worker", "1.4.0"),
                    ("acme/web", "5.0.0"),
                    ("acme/deploy", "2026.11.16"),
                ]
            ],
            originating_run_id="demo-weekly-train-46",
        )
        progress = past_backend.start_release_run(failed_plan.plan_id, "command")
        while progress.run.status == RunStatus.RUNNING:
            progress = past_backend.advance_release_run(progress.run.run_id)
    finally:
        past_backend.close()
    backend.build_release_plan(
        [
            ReleaseRequest(repo_id=repo, version_label=version, promoted_by=DEMO_HOLDER)
            for repo, version in [
                ("acme/core-lib", "3.1.1"),
                ("acme/auth", "2.0.4"),
                ("acme/api", "5.0.1"),
                ("acme/cli", "1.12.0"),
                ("acme/sdk-py", "0.9.0"),
                ("acme/sdk-js", "0.9.0"),
            ]
        ],
        originating_run_id="demo-weekly-train-47",
    )
