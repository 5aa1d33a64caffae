"""Progress and the derived work status (FORMATS.md §1 "Progress", "Work status")."""

from __future__ import annotations

import pytest

from core.ito.tasks import compute_progress, work_status
from core.models.changes import Progress, Task, TaskStatus, WorkStatus


def tasks_with(*statuses: TaskStatus) -> list[Task]:
    return [Task(id=str(n), name="t", status=s) for n, s in enumerate(statuses, start=1)]


def progress(
    complete: int = 0, shelved: int = 0, in_progress: int = 0, pending: int = 0
) -> Progress:
    return compute_progress(
        tasks_with(
            *[TaskStatus.COMPLETE] * complete,
            *[TaskStatus.SHELVED] * shelved,
            *[TaskStatus.IN_PROGRESS] * in_progress,
            *[TaskStatus.PENDING] * pending,
        )
    )


def test_progress_counts_each_status() -> None:
    assert progress(complete=2, shelved=1, in_progress=3, pending=4) == Progress(
        total=10, complete=2, shelved=1, in_progress=3, pending=4, remaining=7
    )


def test_remaining_excludes_complete_and_shelved_tasks() -> None:
    assert progress(complete=1, shelved=2, pending=1).remaining == 1


def test_no_tasks_is_all_zero() -> None:
    assert compute_progress([]) == Progress()


@pytest.mark.parametrize(
    "has_proposal, has_specs, total",
    [(False, True, 1), (True, False, 1), (True, True, 0)],
)
def test_a_change_missing_proposal_specs_or_tasks_is_a_draft(
    has_proposal: bool, has_specs: bool, total: int
) -> None:
    assert work_status(has_proposal, has_specs, progress(pending=total)) == WorkStatus.DRAFT


def test_all_tasks_complete_is_complete() -> None:
    assert work_status(True, True, progress(complete=3)) == WorkStatus.COMPLETE


def test_any_task_in_progress_is_in_progress() -> None:
    assert work_status(True, True, progress(complete=1, in_progress=1, pending=5)) == (
        WorkStatus.IN_PROGRESS
    )


def test_nothing_pending_and_something_shelved_is_paused() -> None:
    assert work_status(True, True, progress(complete=2, shelved=1)) == WorkStatus.PAUSED


def test_pending_work_with_nothing_started_is_ready() -> None:
    assert work_status(True, True, progress(complete=1, shelved=1, pending=1)) == WorkStatus.READY
