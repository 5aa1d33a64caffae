"""Large, realistic, deterministic inputs for the benchmarks.

- `make_workspace(root, changes)`: an ito workspace with `changes` active changes across 50
  modules; each has a proposal, a delta spec and a tasks.md (half enhanced with 2-3 waves and
  6-12 tasks, half checkbox), like real ito changes; 1 in 10 has a design.
- `make_journal(folder, operations)`: a canic backup plan of `operations` phases, journal
  written and preflight accepted, ready to step.
- `make_backlog(root, items)`: an aristo workspace with `items` deferred items in 3 kinds.
- `make_graph(repos)` / `make_release_graph(path, repos)`: a release graph of `repos` repos
  shaped like a dependency graph, in memory or written as aivcs graph JSON (FORMATS.md §5).

Workspaces are cached under bench/out/ (they take a while at 100,000 changes) and reused
when their marker says they are complete.

Usage (from the repository root; files go to bench/out/):
    python bench/generate.py [workspace] N     an ito workspace of N changes (default 10000)
    python bench/generate.py graph N [N ...]   release-graph-N.json (default 50 500 2000)
    python bench/generate.py journal N         journal-N/, a backup folder of N operations
    python bench/generate.py backlog N         backlog-N/, an aristo root of N deferred items
"""

from __future__ import annotations

import json
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
    # Decisions left by an earlier run would be re-applied to the fresh items.
    (backlog / "review-decisions.jsonl").unlink(missing_ok=True)
    return root


GRAPH_SEED = 20240611
Graph = tuple[list[str], list[tuple[str, str]]]


def make_graph(repos: int, seed: int = GRAPH_SEED) -> Graph:
    """`repos` repos, about 3 dependencies each, in about sqrt(repos)/2 layers.

    A few root repos; every other repo sits in a random later layer and depends on 1-5 repos
    of earlier layers. Edges are (dependency, dependent): the dependency is released first.
    """
    rng = random.Random(seed + repos)
    layers = max(3, round(repos**0.5 / 2.2))
    names = [f"org-{i % 37:02d}/repo-{i:05d}" for i in range(repos)]
    rng.shuffle(names)
    roots = max(1, repos // (2 * layers))
    by_layer: list[list[str]] = [names[:roots]] + [[] for _ in range(layers - 1)]
    for name in names[roots:]:
        by_layer[rng.randrange(1, layers)].append(name)
    edges: list[tuple[str, str]] = []
    earlier: list[str] = list(by_layer[0])
    for layer in by_layer[1:]:
        for name in layer:
            for dependency in rng.sample(earlier, min(len(earlier), rng.randint(1, 5))):
                edges.append((dependency, name))
        earlier.extend(layer)
    return names, edges


def make_release_graph(path: Path, repos: int, seed: int = GRAPH_SEED) -> Path:
    """Write `make_graph(repos)` as the graph JSON aivcs reads (and `ReleaseGraph.from_file`)."""
    names, edges = make_graph(repos, seed)
    document = {
        "repos": [{"name": name} for name in names],
        "dependencies": [
            {"dependent": {"name": dependent}, "dependency": {"name": dependency}}
            for dependency, dependent in edges
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1))
    return path


def main(argv: list[str]) -> None:
    kind = argv[0] if argv and not argv[0].isdigit() else "workspace"
    counts = [int(arg) for arg in argv if arg.isdigit()]
    if kind == "workspace":
        count = counts[0] if counts else 10_000
        print(make_workspace(OUT / f"workspace-{count}", count))
    elif kind == "graph":
        for repos in counts or [50, 500, 2000]:
            print(make_release_graph(OUT / f"release-graph-{repos}.json", repos))
    elif kind == "journal":
        count = counts[0] if counts else 10_000
        print(make_journal(OUT / f"journal-{count}" / "run", count))
    elif kind == "backlog":
        count = counts[0] if counts else 10_000
        print(make_backlog(OUT / f"backlog-{count}", count))
    else:
        raise SystemExit(f"unknown kind {kind!r}: workspace, graph, journal or backlog")


if __name__ == "__main__":
    main(sys.argv[1:])
