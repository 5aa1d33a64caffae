"""The next operation, and marking it pending (FORMATS.md §3)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.backups.journal import (
    build_receipt,
    mark_next_pending,
    mark_pending,
    next_operation,
    record_receipt,
)
from core.models.backups import ExecutionJournal, OperationState, ReceiptOutcome
from core.models.errors import InvalidTransition, NotFound


def test_the_next_operation_is_the_lowest_ready_sequence(dry_run_journal: ExecutionJournal) -> None:
    following = next_operation(dry_run_journal)
    assert following is not None
    assert following.sequence == 0


def test_a_failed_operation_is_the_next_operation(failed_journal: ExecutionJournal) -> None:
    following = next_operation(failed_journal)
    assert following is not None
    assert (following.sequence, following.state) == (5, OperationState.FAILED)


def test_a_pending_operation_is_the_next_operation(accepted_journal: ExecutionJournal) -> None:
    pending = mark_pending(accepted_journal, 4, "unix:20")
    following = next_operation(pending)
    assert following is not None
    assert (following.sequence, following.state) == (4, OperationState.PENDING)


def test_the_lowest_sequence_wins_even_when_listed_later(dry_run_journal: ExecutionJournal) -> None:
    reversed_ops = list(reversed(dry_run_journal.operations))
    following = next_operation(dry_run_journal.model_copy(update={"operations": reversed_ops}))
    assert following is not None
    assert following.sequence == 0


def test_there_is_no_next_operation_when_everything_is_done(
    accepted_journal: ExecutionJournal, complete_next: Callable[..., ExecutionJournal]
) -> None:
    journal = accepted_journal
    for _ in range(6):
        journal = complete_next(journal)
    assert next_operation(journal) is None


def test_marking_the_next_operation_pending_stamps_it(dry_run_journal: ExecutionJournal) -> None:
    journal = mark_pending(dry_run_journal, 0, "unix:20")
    operation = journal.operations[0]
    assert (operation.state, operation.state_updated_at, operation.blocking_reasons) == (
        OperationState.PENDING,
        "unix:20",
        [],
    )


def test_mark_next_pending_marks_the_next_operation(accepted_journal: ExecutionJournal) -> None:
    journal = mark_next_pending(accepted_journal, "unix:20")
    assert [op.sequence for op in journal.operations if op.state == OperationState.PENDING] == [4]


def test_an_operation_cannot_advance_before_the_next_one(dry_run_journal: ExecutionJournal) -> None:
    with pytest.raises(InvalidTransition) as refused:
        mark_pending(dry_run_journal, 2, "unix:20")
    assert str(refused.value) == "operation 2 cannot advance before operation 0"


def test_a_mutating_operation_cannot_start_before_a_preflight_is_accepted(
    dry_run_journal: ExecutionJournal,
) -> None:
    with pytest.raises(InvalidTransition) as refused:
        mark_pending(dry_run_journal, 4, "unix:20")
    assert str(refused.value) == "operation 4 (stop) cannot start before a preflight is accepted"


def test_nothing_advances_once_the_checks_are_done_without_an_accepted_preflight(
    dry_run_journal: ExecutionJournal,
) -> None:
    journal = dry_run_journal
    for sequence in range(4):
        journal = mark_pending(journal, sequence, "unix:20")
        receipt = build_receipt(journal, sequence, ReceiptOutcome.COMPLETED, "unix:21")
        journal = record_receipt(journal, receipt)
    with pytest.raises(InvalidTransition, match="no operation can advance"):
        mark_next_pending(journal, "unix:22")


def test_a_pending_operation_cannot_be_marked_pending_again(
    accepted_journal: ExecutionJournal,
) -> None:
    pending = mark_pending(accepted_journal, 4, "unix:20")
    with pytest.raises(InvalidTransition, match="operation 4 is pending; only a ready or failed"):
        mark_pending(pending, 4, "unix:21")


def test_a_failed_operation_can_be_marked_pending_directly(
    failed_journal: ExecutionJournal,
) -> None:
    journal = mark_pending(failed_journal, 5, "unix:40")
    operation = journal.operations[5]
    assert (operation.state, operation.blocking_reasons) == (OperationState.PENDING, [])


def test_marking_an_unknown_sequence_is_not_found(dry_run_journal: ExecutionJournal) -> None:
    with pytest.raises(NotFound, match="journal operation not found: 99"):
        mark_pending(dry_run_journal, 99, "unix:20")


def test_marking_leaves_the_given_journal_unchanged(dry_run_journal: ExecutionJournal) -> None:
    before = dry_run_journal.model_dump()
    mark_pending(dry_run_journal, 0, "unix:20")
    assert dry_run_journal.model_dump() == before


def test_a_refused_mark_leaves_the_journal_unchanged(dry_run_journal: ExecutionJournal) -> None:
    before = dry_run_journal.model_dump()
    with pytest.raises(InvalidTransition):
        mark_pending(dry_run_journal, 3, "unix:20")
    assert dry_run_journal.model_dump() == before
