"""Each validity rule of a journal (FORMATS.md §3), one test each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from core.backups.journal import accept_preflight, journal_from_plan, validate_journal
from core.models.backups import (
    BackupPlan,
    ExecutionJournal,
    OperationKind,
    OperationReceipt,
    OperationState,
)
from core.models.errors import InvalidJournal


def with_operation(journal: ExecutionJournal, position: int, /, **changes: Any) -> ExecutionJournal:
    operations = list(journal.operations)
    operations[position] = operations[position].model_copy(update=changes)
    return journal.model_copy(update={"operations": operations})


def with_receipt(journal: ExecutionJournal, receipt: OperationReceipt) -> ExecutionJournal:
    return journal.model_copy(update={"operation_receipts": [*journal.operation_receipts, receipt]})


def test_canics_example_journals_are_valid(
    dry_run_journal: ExecutionJournal, failed_journal: ExecutionJournal
) -> None:
    validate_journal(dry_run_journal)
    validate_journal(failed_journal)


def test_a_journal_version_other_than_1_is_refused(dry_run_journal: ExecutionJournal) -> None:
    with pytest.raises(InvalidJournal, match=r"unsupported journal_version 2 \(expected 1\)"):
        validate_journal(dry_run_journal.model_copy(update={"journal_version": 2}))


@pytest.mark.parametrize("field", ["plan_id", "run_id"])
def test_an_empty_plan_or_run_id_is_refused(dry_run_journal: ExecutionJournal, field: str) -> None:
    with pytest.raises(InvalidJournal, match=f"{field} must not be empty"):
        validate_journal(dry_run_journal.model_copy(update={field: ""}))


def test_a_sequence_outside_0_to_n_minus_1_is_refused(dry_run_journal: ExecutionJournal) -> None:
    broken = with_operation(dry_run_journal, 9, sequence=10)
    with pytest.raises(
        InvalidJournal, match=r"'finalize-manifest' has sequence 10; sequences must be 0\.\.9"
    ):
        validate_journal(broken)


def test_a_sequence_used_twice_is_refused(dry_run_journal: ExecutionJournal) -> None:
    with pytest.raises(InvalidJournal, match="operation sequence 2 appears more than once"):
        validate_journal(with_operation(dry_run_journal, 3, sequence=2))


def test_operations_listed_out_of_order_are_valid_when_sequences_are_complete(
    dry_run_journal: ExecutionJournal,
) -> None:
    reversed_ops = list(reversed(dry_run_journal.operations))
    validate_journal(dry_run_journal.model_copy(update={"operations": reversed_ops}))


def test_an_accepted_preflight_needs_a_preflight_id(accepted_journal: ExecutionJournal) -> None:
    with pytest.raises(
        InvalidJournal, match="preflight_accepted is true but there is no preflight_id"
    ):
        validate_journal(accepted_journal.model_copy(update={"preflight_id": None}))


def test_a_present_preflight_id_must_not_be_empty(dry_run_journal: ExecutionJournal) -> None:
    with pytest.raises(InvalidJournal, match="preflight_id must not be empty"):
        validate_journal(dry_run_journal.model_copy(update={"preflight_id": "  "}))


def test_a_mutating_operation_not_blocked_before_acceptance_is_refused(
    dry_run_journal: ExecutionJournal,
) -> None:
    broken = with_operation(dry_run_journal, 4, state=OperationState.READY, blocking_reasons=[])
    with pytest.raises(
        InvalidJournal, match=r"operation 4 \(stop\) is ready before a preflight was accepted"
    ):
        validate_journal(broken)


@pytest.mark.parametrize("state", [OperationState.BLOCKED, OperationState.FAILED])
def test_a_blocked_or_failed_operation_needs_a_reason(
    accepted_journal: ExecutionJournal, state: OperationState
) -> None:
    broken = with_operation(accepted_journal, 5, state=state, blocking_reasons=[])
    with pytest.raises(InvalidJournal, match=f"operation 5 is {state} but has no blocking reason"):
        validate_journal(broken)


@pytest.mark.parametrize(
    "state",
    [
        OperationState.READY,
        OperationState.PENDING,
        OperationState.COMPLETED,
        OperationState.SKIPPED,
    ],
)
def test_other_states_must_have_no_reason(
    accepted_journal: ExecutionJournal, state: OperationState
) -> None:
    broken = with_operation(accepted_journal, 6, state=state, blocking_reasons=["why"])
    with pytest.raises(
        InvalidJournal, match=rf"operation 6 is {state} but has blocking reasons \(why\)"
    ):
        validate_journal(broken)


def test_an_empty_operation_id_is_refused(dry_run_journal: ExecutionJournal) -> None:
    with pytest.raises(InvalidJournal, match="operation 1 has an empty operation_id"):
        validate_journal(with_operation(dry_run_journal, 1, operation_id=""))


@pytest.mark.parametrize(("field", "value"), [("plan_id", "plan-002"), ("run_id", "run-002")])
def test_a_receipt_from_another_plan_or_run_is_refused(
    failed_journal: ExecutionJournal,
    receipt_for: Callable[..., OperationReceipt],
    field: str,
    value: str,
) -> None:
    broken = with_receipt(failed_journal, receipt_for(failed_journal, 6, **{field: value}))
    with pytest.raises(
        InvalidJournal,
        match=rf"operation_receipts\[2\]: receipt for operation 6 has {field} '{value}'",
    ):
        validate_journal(broken)


def test_a_receipt_for_a_missing_sequence_is_refused(
    failed_journal: ExecutionJournal, receipt_for: Callable[..., OperationReceipt]
) -> None:
    broken = with_receipt(failed_journal, receipt_for(failed_journal, 6, sequence=42))
    with pytest.raises(InvalidJournal, match="the journal has no operation 42"):
        validate_journal(broken)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("operation_id", "start-someone-else"),
        ("kind", OperationKind.STOP),
        ("target_canister_id", "aaaaa-aa"),
    ],
)
def test_a_receipt_that_does_not_match_its_operation_is_refused(
    failed_journal: ExecutionJournal,
    receipt_for: Callable[..., OperationReceipt],
    field: str,
    value: str,
) -> None:
    broken = with_receipt(failed_journal, receipt_for(failed_journal, 6, **{field: value}))
    with pytest.raises(
        InvalidJournal,
        match=f"receipt for operation 6 has {field} '{value}', but the operation's is",
    ):
        validate_journal(broken)


def test_a_mutating_receipt_must_carry_the_accepted_preflight_id(
    failed_journal: ExecutionJournal, receipt_for: Callable[..., OperationReceipt]
) -> None:
    broken = with_receipt(
        failed_journal, receipt_for(failed_journal, 6, preflight_id="preflight-000")
    )
    with pytest.raises(
        InvalidJournal,
        match="preflight_id 'preflight-000', but the accepted preflight is 'preflight-001'",
    ):
        validate_journal(broken)


def test_a_mutating_receipt_before_any_accepted_preflight_is_refused(
    dry_run_journal: ExecutionJournal, receipt_for: Callable[..., OperationReceipt]
) -> None:
    broken = with_receipt(dry_run_journal, receipt_for(dry_run_journal, 4))
    with pytest.raises(
        InvalidJournal, match=r"operation 4 \(stop\) is for a mutating operation, but no preflight"
    ):
        validate_journal(broken)


def test_a_preflight_receipt_needs_no_preflight_id(
    dry_run_journal: ExecutionJournal, receipt_for: Callable[..., OperationReceipt]
) -> None:
    validate_journal(
        with_receipt(dry_run_journal, receipt_for(dry_run_journal, 0, preflight_id=None))
    )


def test_a_failed_receipt_needs_a_failure_reason(
    failed_journal: ExecutionJournal, receipt_for: Callable[..., OperationReceipt]
) -> None:
    broken = with_receipt(failed_journal, receipt_for(failed_journal, 6, outcome="failed"))
    with pytest.raises(
        InvalidJournal, match=r"operation 6 \(start, failed\) needs a non-empty failure_reason"
    ):
        validate_journal(broken)


@pytest.mark.parametrize(
    ("sequence", "field"), [(5, "snapshot_id"), (7, "artifact_path"), (8, "checksum")]
)
def test_a_completed_receipt_needs_its_kinds_field(
    failed_journal: ExecutionJournal,
    receipt_for: Callable[..., OperationReceipt],
    sequence: int,
    field: str,
) -> None:
    broken = with_receipt(failed_journal, receipt_for(failed_journal, sequence, **{field: None}))
    with pytest.raises(
        InvalidJournal, match=f"operation {sequence} .*completed.* needs a non-empty {field}"
    ):
        validate_journal(broken)


def test_a_10000_operation_journal_validates(make_plan: Callable[..., BackupPlan]) -> None:
    journal = accept_preflight(journal_from_plan(make_plan(2000)), "preflight-001", "unix:10")
    assert len(journal.operations) == 10005
    validate_journal(journal)
