"""Large, realistic, deterministic inputs for the benchmarks.

- `make_workspace(root, changes)`: an ito workspace with `changes` active changes across 50
  modules; each has a proposal, a delta spec and a tasks.md (half enhanced with 2-3 waves and
  6-12 tasks, half checkbox), like real ito changes; 1 in 10 has a design.
- `make_journal(folder, operations)`: a canic backup plan of `operations` phases, journal
  written and preflight accepted, ready to step.
- `make_backlog(root, items)`: an aristo workspace with `items` deferred items in 3 kinds.

Workspaces are cached under bench/out/ (they take a while at 100,000 changes) and reused
when their marker says they are complete.
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tomli_w

OUT = Path(__file__).resolve().parent / "out"
MODULES = 50
WORDS = [
    "lease",
    "heartbeat",
    "archive",
    "sync",
    "release",
    "graph",
    "journal",
    "backlog",
    "review",
    "index",
    "cache",
    "filter",
    "palette",
    "theme",
    "layout",
    "token",
    "seed",
    "audit",
    "event",
    "ingest",
    "module",
    "spec",
    "delta",
    "wave",
    "task",
    "plan",
    "run",
    "ledger",
    "snapshot",
    "canister",
    "preflight",
    "stepper",
    "conflict",
    "revision",
    "bundle",
    "retry",
    "backoff",
]
STATUSES = ("pending", "in-progress", "complete", "shelved")
MARKERS = {"pending": "[ ]", "in-progress": "[>]", "complete": "[x]", "shelved": "[-]"}


def _name(rng: random.Random) -> str:
    return "-".join(rng.sample(WORDS, 3))


def _enhanced(change_id: str, rng: random.Random) -> str:
    lines = [f"# Tasks for: {change_id}", "", "## Execution Notes", ""]
    lines += ["- **Tracking**: ito tasks", ""]
    task_count = rng.randint(6, 12)
    waves = rng.randint(2, 3)
    per_wave = -(-task_count // waves)
    done = 0
    for wave in range(1, waves + 1):
        depends = "None" if wave == 1 else f"Wave {wave - 1}"
        lines += [f"## Wave {wave}", "", f"- **Depends On**: {depends}", ""]
        for number in range(1, per_wave + 1):
            if done == task_count:
                break
            status = rng.choices(STATUSES, weights=(5, 2, 6, 1))[0]
            topic = _name(rng).replace("-", " ")
            lines += [
                f"### Task {wave}.{number}: Implement {topic}",
                "",
                f"- **Files**: `core/{topic.replace(' ', '_')}.py`",
                "- **Dependencies**: None",
                f"- **Action**: Implement {topic} and cover it with tests.",
                "- **Verify**: `pytest -q`",
                f"- **Done When**: {topic} works as specified.",
                "- **Updated At**: 2026-11-01",
                f"- **Status**: {MARKERS[status]} {status}",
                "",
            ]
            done += 1
    return "\n".join(lines)


def _checkbox(rng: random.Random) -> str:
    lines: list[str] = []
    for section in range(1, rng.randint(2, 4) + 1):
        lines += [f"## {section}. {_name(rng).replace('-', ' ').title()}", ""]
        for number in range(1, rng.randint(3, 5) + 1):
            mark = rng.choices(" x~", weights=(5, 6, 2))[0]
            lines.append(f"- [{mark}] {section}.{number} {_name(rng).replace('-', ' ')}")
        lines.append("")
    return "\n".join(lines)


def make_workspace(root: Path, changes: int, seed: int = 7) -> Path:
    """Write (once) and return a workspace root holding `changes` active changes."""
    marker = root / ".generated"
    if marker.is_file() and marker.read_text() == str(changes):
        return root
    rng = random.Random(seed)
    ito = root / ".ito"
    (ito / "changes").mkdir(parents=True, exist_ok=True)
    for module in range(1, MODULES + 1):
        folder = ito / "modules" / f"{module:03d}_module-{module}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "module.md").write_text(f"# Module {module}\n\n## Purpose\nGenerated.\n")
    per_module = -(-changes // MODULES)
    for index in range(changes):
        module, number = divmod(index, per_module)
        change_id = f"{module + 1:03d}-{number + 1:02d}_{_name(rng)}"
        folder = ito / "changes" / change_id
        spec = folder / "specs" / rng.choice(WORDS) / "spec.md"
        spec.parent.mkdir(parents=True, exist_ok=True)
        (folder / ".ito.yaml").write_text("schema: spec-driven\ncreated: 2026-11-01\n")
        title = change_id.split("_", 1)[1].replace("-", " ").title()
        (folder / "proposal.md").write_text(
            f"# Change: {title}\n\n## Why\n\nBecause {title.lower()} matters.\n\n"
            "## What Changes\n\n- Implement it\n- Test it\n"
        )
        if index % 10 == 0:
            design = f"# Design: {title}\n\n## Decisions\n\n1. Keep it simple.\n"
            (folder / "design.md").write_text(design)
        spec.write_text(
            f"## ADDED Requirements\n\n### Requirement: {title}\n\nThe system SHALL do it.\n"
        )
        tasks = _enhanced(change_id, rng) if index % 2 == 0 else _checkbox(rng)
        (folder / "tasks.md").write_text(tasks)
    marker.write_text(str(changes))
    return root


def make_journal(folder: Path, operations: int) -> Path:
    """A backup folder whose plan has `operations` phases (4 preflight + mutating ones)."""
    from core.backups.folders import BackupFolders

    targets = (operations - 5) // 5
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
    for kind in ("stop", "create-snapshot", "start", "download-snapshot", "verify-artifact"):
        for target in range(targets):
            canister = f"c{target:05d}-aaaaa-aaaaa-aaada-cai"
            phases.append(
                {
                    "operation_id": f"{kind}-{canister}",
                    "order": len(phases),
                    "kind": kind,
                    "target_canister_id": canister,
                }
            )
    while len(phases) < operations:
        phases.append(
            {
                "operation_id": f"finalize-manifest-{len(phases)}",
                "order": len(phases),
                "kind": "finalize-manifest",
                "target_canister_id": None,
            }
        )
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("backup-execution-journal.json*"):
        stale.unlink()
    plan = {
        "plan_id": "plan-bench",
        "run_id": "run-bench",
        "fleet": "bench",
        "network": "local",
        "targets": [],
        "phases": phases,
    }
    (folder / "backup-plan.json").write_text(json.dumps(plan))
    BackupFolders([folder.parent]).accept_preflight(folder.name, "preflight-bench")
    return folder


def make_backlog(root: Path, items: int) -> Path:
    """An aristo root with `items` deferred items spread over three kinds."""
    backlog = root / ".aristo" / "sessions" / "backlog"
    backlog.mkdir(parents=True, exist_ok=True)
    (root / "aristo.toml").write_text("")
    kinds = ("critique-review", "proof-review", "intent-review")
    for number, kind in enumerate(kinds):
        entries = [
            {
                "item_ref": f"item-{index:05d}#{index % 4}",
                "deferred_at": f"2026-11-{1 + index % 20:02d}T10:00:00Z",
                "deferred_from_session": "20261101T100000Z-BENCH1",
                "data": {
                    "category": "rephrasing",
                    "severity": "suggest",
                    "rationale": "generated for the benchmark",
                    "suggested_text": "x" * 40,
                },
            }
            for index in range(number, items, len(kinds))
        ]
        document = tomli_w.dumps({"schema_version": 1, "items": entries})
        (backlog / f"{kind}.toml").write_text(document)
    return root


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    target = OUT / f"workspace-{count}"
    print(make_workspace(target, count), os.path.getsize(target) if target.exists() else 0)
