"""16 processes claiming and allocating the same changes: no change is ever held twice."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from core.models.errors import LeaseConflict
from core.store.db import StateStore
from core.store.leases import LeaseStore

CHANGES = [f"001-{n:02d}_change-{n}" for n in range(24)]
WORKERS = 16


def _worker(db: str, worker: int, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    leases = LeaseStore(StateStore(Path(db)))
    won: list[str] = []
    holder = f"agent-{worker}"
    for round_ in range(6):
        for change in CHANGES[worker % 4 :: 3]:
            try:
                leases.claim(change, holder, 3600)
                won.append(change)
            except LeaseConflict:
                pass
        claim = leases.allocate(holder, 3600, CHANGES, idempotency_key=f"w{worker}-r{round_}").claim
        if claim is not None:
            won.append(claim.change_id)
    results.put((holder, sorted(set(won))))


@pytest.mark.slow
def test_sixteen_processes_never_hold_the_same_change(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    LeaseStore(StateStore(db)).active()  # create the schema once, before the race
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(str(db), n, results)) for n in range(WORKERS)]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    owners: dict[str, list[str]] = {}
    for holder, won in outcomes:
        for change in won:
            owners.setdefault(change, []).append(holder)
    doubly_held = {change: holders for change, holders in owners.items() if len(holders) > 1}
    assert doubly_held == {}
    held_now = {lease.change_id: lease.holder for lease in LeaseStore(StateStore(db)).active()}
    assert held_now == {change: holders[0] for change, holders in owners.items()}
    assert set(held_now) == set(CHANGES)
