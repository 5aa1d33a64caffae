"""16 processes, each with its own LocalBackend on one workspace, racing for 30 changes."""

from __future__ import annotations

import multiprocessing
import random
import time
from pathlib import Path
from typing import Any

import pytest

from core.backends.local import LocalBackend, LocalPaths
from core.models.errors import LeaseConflict

CHANGES = [f"00{n % 3 + 1}-{n:02d}_change-{n}" for n in range(30)]
WORKERS = 16
ROUNDS = 8
# Long enough that no lease expires during the test: any second holder is a double hold.
TTL = 3600

Won = tuple[str, str, float]  # (change id, holder, when)


def _write_workspace(root: Path) -> None:
    for change_id in CHANGES:
        folder = root / ".ito" / "changes" / change_id
        (folder / "specs" / "leasing").mkdir(parents=True)
        (folder / "proposal.md").write_text(f"# Change: {change_id}\n")
        (folder / "specs" / "leasing" / "spec.md").write_text("## ADDED Requirements\n")
        (folder / "tasks.md").write_text("- [ ] 1.1 Do it\n- [ ] 1.2 Check it\n")


def _worker(root: str, worker: int, start: Any, results: Any) -> None:
    backend = LocalBackend(LocalPaths.for_root(Path(root)))
    rng = random.Random(worker)
    holder = f"agent-{worker}"
    won: list[Won] = []
    repeats: list[tuple[Any, Any]] = []
    start.wait()
    try:
        for round_ in range(ROUNDS):
            for change_id in rng.sample(CHANGES, 4):
                try:
                    backend.claim(change_id, holder, TTL)
                    won.append((change_id, holder, time.time()))
                except LeaseConflict:
                    pass
            key = f"w{worker}-r{round_}" if round_ % 2 else None
            claim = backend.allocate(holder, TTL, key).claim
            if claim is not None:
                won.append((claim.change_id, holder, time.time()))
            if key is not None:
                again = backend.allocate(holder, TTL, key).claim
                repeats.append((claim, again))
    finally:
        backend.close()
    results.put((won, repeats))


@pytest.mark.slow
def test_sixteen_backends_never_let_two_holders_hold_one_change(tmp_path: Path) -> None:
    _write_workspace(tmp_path)
    setup = LocalBackend(LocalPaths.for_root(tmp_path))
    setup.list_leases()  # the schema exists before the race starts
    setup.close()
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(WORKERS)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(str(tmp_path), n, start, results)) for n in range(WORKERS)
    ]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0

    wins: dict[str, list[Won]] = {}
    for won, _ in outcomes:
        for entry in won:
            wins.setdefault(entry[0], []).append(entry)
    doubly_held = {
        change_id: sorted(entries, key=lambda entry: entry[2])
        for change_id, entries in wins.items()
        if len({holder for _, holder, _ in entries}) > 1
    }
    assert doubly_held == {}

    final = LocalBackend(LocalPaths.for_root(tmp_path))
    held_now = {lease.change_id: lease.holder for lease in final.list_leases()}
    final.close()
    assert held_now == {change_id: entries[0][1] for change_id, entries in wins.items()}
    assert sorted(held_now) == sorted(CHANGES)

    repeats = [pair for _, worker_repeats in outcomes for pair in worker_repeats]
    assert len(repeats) == WORKERS * ROUNDS // 2
    assert [first for first, _ in repeats] == [again for _, again in repeats]
