"""SIGKILL the deciding process at random moments: no deferred item is ever lost."""

from __future__ import annotations

import multiprocessing
import os
import random
import time
from pathlib import Path

import pytest

from core.backlog.review import BacklogReview
from core.backlog.store import BacklogStore
from core.models.backlog import BacklogItem, Decision

KIND = "critique-review"
ITEMS = 240
KILLS = 30
DECISIONS = (Decision.ACCEPT, Decision.REJECT, Decision.DEFER, Decision.DEFER)


def decision_for(item_ref: str) -> tuple[Decision, str | None]:
    """Each item always gets the same kind of decision, so the checks know what to expect."""
    number = int(item_ref.split("-")[1].split("#")[0])
    decision = DECISIONS[number % len(DECISIONS)]
    note = f"kept by run {os.getpid()}" if number % len(DECISIONS) == 2 else None
    return decision, note


def decide_everything(root: Path, seed: int) -> None:
    """The child: a person working through the backlog, one decision at a time."""
    review = BacklogReview(root)
    items = review.store.read(KIND)
    random.Random(seed).shuffle(items)
    for item in items:
        decision, note = decision_for(item.item_ref)
        review.decide(KIND, item.item_ref, decision, note, "crash-test")


@pytest.mark.slow
def test_killing_the_deciding_process_at_random_moments_loses_no_item(aristo_root: Path) -> None:
    store = BacklogStore(aristo_root)
    review = BacklogReview(aristo_root)
    originals = [
        BacklogItem(
            kind=KIND,
            item_ref=f"item-{n}#0",
            deferred_at=f"2026-05-18T{10 + n // 60:02d}:{n % 60:02d}:00Z",
            deferred_from_session="20260518T100000Z-CRASH1",
            data={"n": n},
        )
        for n in range(ITEMS)
    ]
    store.write(KIND, originals)
    rng = random.Random(20260518)
    fork = multiprocessing.get_context("fork")
    kills = 0
    # Generous: on a loaded CI machine the child may finish before a kill lands; the loop
    # still stops at KILLS, which takes a few seconds on an idle one.
    deadline = time.monotonic() + 60.0

    while kills < KILLS and time.monotonic() < deadline:
        child = fork.Process(target=decide_everything, args=(aristo_root, rng.randrange(1 << 30)))
        child.start()
        time.sleep(rng.uniform(0.01, 0.15))
        if child.is_alive():
            child.kill()
            kills += 1
        child.join()

        remaining = {item.key for item in store.read(KIND)}
        decided = {record.key for record in review.decisions()}
        lost = [item.item_ref for item in originals if item.key not in remaining | decided]
        assert lost == [], f"after kill {kills}: items neither in the backlog nor decided"

        review.reconcile()
        removed = {r.key for r in review.decisions() if r.decision is not Decision.DEFER}
        still_there = [item.item_ref for item in store.read(KIND) if item.key in removed]
        assert still_there == [], f"after kill {kills}: accepted/rejected items not removed"

    assert kills >= KILLS
