"""Retry, restart_required, the resume summary and the layout status (FORMATS.md §3)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from core.backups.journal import (
    build_receipt,
    layout_status,
    mark_pending,
    record_receipt,
    restart_required,
    resume_summary,
    retry_failed,
)
from core.models.backups import ExecutionJournal, OperationState, ReceiptOutcome
from core.models.errors import InvalidTransition

EXAMPLES = Path(__file__).parent / "examples"


def canic_status(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((EXAMPLES / name).read_text())
    return loaded


def test_retrying_a_failed_operation_makes_it_ready_again(failed_journal: ExecutionJournal) -> None:
    operation = retry_failed(failed_journal, 5, "unix:50").operations[5]
    assert (operation.state, operation.state_updated_at, operation.blocking_reasons) == (
        OperationState.READY,
        "unix:50",
        [],
    )


def test_only_a_failed_operation_can_be_retried(failed_journal: ExecutionJournal) -> None:
    with pytest.raises(InvalidTransition) as refused:
        retry_failed(failed_journal, 6, "unix:50")
    assert str(refused.value) == "operation 6 is ready; only a failed operation can be retried"


def test_retrying_keeps_the_failed_receipt(failed_journal: ExecutionJournal) -> None:
    assert (
        retry_failed(failed_journal, 5, "unix:50").operation_receipts
        == failed_journal.operation_receipts
    )


@pytest.mark.parametrize(
    ("stop_state", "start_state", "expected"),
    [
        (OperationState.COMPLETED, OperationState.READY, True),
        (OperationState.COMPLETED, OperationState.PENDING, True),
        (OperationState.COMPLETED, OperationState.FAILED, True),
        (OperationState.COMPLETED, OperationState.COMPLETED, False),
        (OperationState.COMPLETED, OperationState.SKIPPED, False),
        (OperationState.READY, OperationState.READY, False),
        (OperationState.FAILED, OperationState.READY, False),
        (OperationState.SKIPPED, OperationState.READY, False),
        (OperationState.PENDING, OperationState.READY, False),
    ],
)
def test_restart_is_required_while_a_stopped_canister_is_not_started(
    accepted_journal: ExecutionJournal,
    stop_state: OperationState,
    start_state: OperationState,
    expected: bool,
) -> None:
    operations = list(accepted_journal.operations)
    operations[4] = operations[4].model_copy(update={"state": stop_state})
    operations[6] = operations[6].model_copy(update={"state": start_state})
    assert (
        restart_required(accepted_journal.model_copy(update={"operations": operations})) is expected
    )


def test_the_resume_summary_of_the_failed_example_is_canics(
    failed_journal: ExecutionJournal,
) -> None:
    summary = resume_summary(failed_journal).model_dump(mode="json")
    assert summary == canic_status("canic-backup-status.failed.json")["execution"]


def test_the_resume_summary_of_the_dry_run_example_is_canics(
    dry_run_journal: ExecutionJournal,
) -> None:
    summary = resume_summary(dry_run_journal).model_dump(mode="json")
    assert summary == canic_status("canic-backup-status.dry-run.json")["execution"]


def test_the_resume_summary_has_no_next_operation_when_done(
    accepted_journal: ExecutionJournal, complete_next: Callable[..., ExecutionJournal]
) -> None:
    journal = accepted_journal
    for _ in range(6):
        journal = complete_next(journal)
    summary = resume_summary(journal)
    assert (summary.completed_operations, summary.next_operation) == (10, None)


def test_a_journal_with_nothing_done_is_a_dry_run(dry_run_journal: ExecutionJournal) -> None:
    assert layout_status(dry_run_journal) == "dry-run"


def test_a_pending_check_without_a_receipt_is_still_a_dry_run(
    dry_run_journal: ExecutionJournal,
) -> None:
    assert layout_status(mark_pending(dry_run_journal, 0, "unix:5")) == "dry-run"


def test_a_recorded_check_makes_the_run_running(dry_run_journal: ExecutionJournal) -> None:
    journal = mark_pending(dry_run_journal, 0, "unix:5")
    journal = record_receipt(journal, build_receipt(journal, 0, ReceiptOutcome.COMPLETED, "unix:6"))
    assert layout_status(journal) == "running"


def test_an_accepted_preflight_makes_the_run_running(accepted_journal: ExecutionJournal) -> None:
    assert layout_status(accepted_journal) == "running"


def test_a_failed_operation_makes_the_run_failed(failed_journal: ExecutionJournal) -> None:
    assert layout_status(failed_journal) == "failed"


def test_a_retried_operation_makes_the_run_running_again(failed_journal: ExecutionJournal) -> None:
    assert layout_status(retry_failed(failed_journal, 5, "unix:50")) == "running"


def test_a_run_with_every_operation_completed_or_skipped_is_complete(
    accepted_journal: ExecutionJournal, complete_next: Callable[..., ExecutionJournal]
) -> None:
    journal = accepted_journal
    for _ in range(5):
        journal = complete_next(journal)
    journal = mark_pending(journal, 9, "unix:60")
    journal = record_receipt(journal, build_receipt(journal, 9, ReceiptOutcome.SKIPPED, "unix:61"))
    assert layout_status(journal) == "complete"
