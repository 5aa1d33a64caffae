"""A process stepping a journal can be killed at any moment without corrupting it."""

from __future__ import annotations

import multiprocessing
import random
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from core.backups.files import JOURNAL_FILE, PLAN_FILE, break_stale_lock, load_journal, lock_path
from core.backups.folders import BackupFolders
from core.models.backups import BackupPlan, OperationState

KILLS = 40

# Steps the run forever: accept, then mark pending and record each operation; every
# seventh one fails first and is retried, so every kind of step is interrupted. It says
# it is ready once it has taken a step, so even a busy machine makes progress.
STEPPER = """
from pathlib import Path
from core.backups.folders import BackupFolders
from core.models.backups import OperationState, ReceiptOutcome

FIELDS = {
    "create-snapshot": {"snapshot_id": "snap"},
    "download-snapshot": {"artifact_path": "artifact.bin"},
    "verify-artifact": {"checksum": "sha256:00"},
}
folders = BackupFolders([Path(root)])
records = 0
while True:
    journal = folders.journal("run")
    pending = next((op for op in journal.operations if op.state == OperationState.PENDING), None)
    if not journal.preflight_accepted:
        folders.accept_preflight("run", "preflight-001")
    elif pending is None:
        folders.start_next("run")
    else:
        records += 1
        if records % 7 == 0:
            folders.record("run", pending.sequence, ReceiptOutcome.FAILED, failure_reason="flaky")
            folders.retry("run", pending.sequence)
        else:
            fields = FIELDS.get(pending.kind.value, {})
            folders.record("run", pending.sequence, ReceiptOutcome.COMPLETED, **fields)
    ready.set()
"""


def run_stepper_until_killed(root: Path, delay: float) -> None:
    # A fork server that has already imported the core starts each stepper in a few
    # milliseconds (a fresh interpreter takes ~200 ms), and, unlike a plain fork, never
    # copies the test runner's threads.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["core.backups.folders"])
    ready = context.Event()
    stepper = context.Process(target=exec, args=(STEPPER, {"root": str(root), "ready": ready}))
    stepper.start()
    assert ready.wait(timeout=10), "the stepper did not start"
    time.sleep(delay)
    stepper.kill()
    stepper.join()
    assert stepper.exitcode == -signal.SIGKILL, "the stepper failed before it was killed"


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL and a fork server")
def test_a_journal_survives_its_stepper_being_killed_at_random_moments(
    backup_root: Path, make_plan: Callable[..., BackupPlan]
) -> None:
    folder = backup_root / "run"
    folder.mkdir()
    (folder / PLAN_FILE).write_text(make_plan(200).model_dump_json(indent=2))
    journal_path = folder / JOURNAL_FILE
    rng = random.Random(20261122)
    done_before = 0
    for _ in range(KILLS):
        run_stepper_until_killed(backup_root, rng.uniform(0.0, 0.03))

        if journal_path.exists():
            journal = load_journal(journal_path)  # parses and passes every validity rule
            done = sum(op.state == OperationState.COMPLETED for op in journal.operations)
            assert done >= done_before, "a completed operation was lost"
            done_before = done
        if lock_path(journal_path).exists():
            break_stale_lock(journal_path)  # the killed stepper's pid is dead
        assert not lock_path(journal_path).exists()

        listed = BackupFolders([backup_root]).list()
        assert [(entry.name, entry.error) for entry in listed] == [("run", None)]

    assert done_before > 4, "the stepper never got past the preflight"
