"""Recording an operation's receipt (FORMATS.md §3)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.backups.journal import (
    build_receipt,
    mark_pending,
    record_receipt,
    required_fields,
)
from core.models.backups import (
    ExecutionJournal,
    OperationKind,
    OperationReceipt,
    OperationState,
    ReceiptOutcome,
)
from core.models.errors import InvalidInput, InvalidTransition


@pytest.fixture
def stop_pending(accepted_journal: ExecutionJournal) -> ExecutionJournal:
    """Operation 4 (stop) is pending."""
    return mark_pending(accepted_journal, 4, "unix:40")


@pytest.fixture
def snapshot_pending(
    accepted_journal: ExecutionJournal, complete_next: Callable[..., ExecutionJournal]
) -> ExecutionJournal:
    """The stop is done; operation 5 (create-snapshot) is pending."""
    return mark_pending(complete_next(accepted_journal), 5, "unix:41")


def test_a_completed_receipt_completes_the_pending_operation_at_its_time(
    stop_pending: ExecutionJournal,
) -> None:
    receipt = build_receipt(stop_pending, 4, ReceiptOutcome.COMPLETED, "unix:41")
    journal = record_receipt(stop_pending, receipt)
    operation = journal.operations[4]
    assert (operation.state, operation.state_updated_at, operation.blocking_reasons) == (
        OperationState.COMPLETED,
        "unix:41",
        [],
    )


def test_the_receipt_is_appended_to_the_journal(stop_pending: ExecutionJournal) -> None:
    receipt = build_receipt(stop_pending, 4, ReceiptOutcome.COMPLETED, "unix:41")
    journal = record_receipt(stop_pending, receipt)
    assert journal.operation_receipts == [receipt]


def test_a_skipped_receipt_skips_the_operation(stop_pending: ExecutionJournal) -> None:
    receipt = build_receipt(stop_pending, 4, ReceiptOutcome.SKIPPED, "unix:41")
    assert record_receipt(stop_pending, receipt).operations[4].state == OperationState.SKIPPED


def test_a_failed_receipt_fails_the_operation_with_its_reason_as_blocking_reason(
    stop_pending: ExecutionJournal,
) -> None:
    receipt = build_receipt(
        stop_pending, 4, ReceiptOutcome.FAILED, "unix:41", failure_reason="canister busy"
    )
    operation = record_receipt(stop_pending, receipt).operations[4]
    assert (operation.state, operation.blocking_reasons) == (
        OperationState.FAILED,
        ["canister busy"],
    )


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_failed_receipt_without_a_reason_is_refused(
    stop_pending: ExecutionJournal, reason: str | None
) -> None:
    receipt = build_receipt(
        stop_pending, 4, ReceiptOutcome.FAILED, "unix:41", failure_reason=reason
    )
    with pytest.raises(
        InvalidInput, match=r"operation 4 \(stop, failed\) needs a non-empty failure_reason"
    ):
        record_receipt(stop_pending, receipt)


def test_a_failure_reason_on_a_completed_receipt_is_refused(stop_pending: ExecutionJournal) -> None:
    receipt = build_receipt(
        stop_pending, 4, ReceiptOutcome.COMPLETED, "unix:41", failure_reason="oops"
    )
    with pytest.raises(
        InvalidInput, match="failure_reason is only allowed when the outcome is failed"
    ):
        record_receipt(stop_pending, receipt)


def test_a_receipt_for_an_operation_that_is_not_pending_is_refused(
    accepted_journal: ExecutionJournal,
) -> None:
    receipt = build_receipt(accepted_journal, 4, ReceiptOutcome.COMPLETED, "unix:41")
    with pytest.raises(InvalidTransition, match="operation 4 is not pending"):
        record_receipt(accepted_journal, receipt)


def test_a_completed_snapshot_without_a_snapshot_id_is_refused(
    snapshot_pending: ExecutionJournal,
) -> None:
    receipt = build_receipt(snapshot_pending, 5, ReceiptOutcome.COMPLETED, "unix:42")
    with pytest.raises(InvalidInput, match="needs a non-empty snapshot_id"):
        record_receipt(snapshot_pending, receipt)


def test_a_completed_snapshot_with_a_snapshot_id_is_recorded(
    snapshot_pending: ExecutionJournal,
) -> None:
    receipt = build_receipt(
        snapshot_pending,
        5,
        ReceiptOutcome.COMPLETED,
        "unix:42",
        snapshot_id="snap-1",
        snapshot_taken_at_timestamp=42,
        snapshot_total_size_bytes=1024,
    )
    journal = record_receipt(snapshot_pending, receipt)
    assert journal.operations[5].state == OperationState.COMPLETED
    assert journal.operation_receipts[-1].snapshot_total_size_bytes == 1024


@pytest.mark.parametrize(
    ("sequence", "field", "value"),
    [(7, "artifact_path", "artifacts/snap-1.bin"), (8, "checksum", "sha256:00ff")],
)
def test_download_needs_an_artifact_path_and_verify_needs_a_checksum(
    accepted_journal: ExecutionJournal,
    complete_next: Callable[..., ExecutionJournal],
    sequence: int,
    field: str,
    value: str,
) -> None:
    journal = accepted_journal
    while journal.operations[sequence - 1].state != OperationState.COMPLETED:
        journal = complete_next(journal)
    journal = mark_pending(journal, sequence, "unix:50")
    bare = build_receipt(journal, sequence, ReceiptOutcome.COMPLETED, "unix:51")
    with pytest.raises(InvalidInput, match=f"needs a non-empty {field}"):
        record_receipt(journal, bare)
    complete = bare.model_copy(update={field: value})
    assert record_receipt(journal, complete).operations[sequence].state == OperationState.COMPLETED


def test_a_receipt_from_another_run_is_refused(
    stop_pending: ExecutionJournal, receipt_for: Callable[..., OperationReceipt]
) -> None:
    with pytest.raises(InvalidInput, match="run_id 'run-002', but the journal's is 'run-001'"):
        record_receipt(stop_pending, receipt_for(stop_pending, 4, run_id="run-002"))


def test_a_mutating_receipt_with_another_preflight_id_is_refused(
    stop_pending: ExecutionJournal, receipt_for: Callable[..., OperationReceipt]
) -> None:
    with pytest.raises(InvalidInput, match="preflight_id 'preflight-009'"):
        record_receipt(stop_pending, receipt_for(stop_pending, 4, preflight_id="preflight-009"))


def test_a_rejected_receipt_leaves_the_journal_exactly_as_it_was(
    snapshot_pending: ExecutionJournal,
) -> None:
    before = snapshot_pending.model_dump()
    receipt = build_receipt(snapshot_pending, 5, ReceiptOutcome.COMPLETED, "unix:42")
    with pytest.raises(InvalidInput):
        record_receipt(snapshot_pending, receipt)
    assert snapshot_pending.model_dump() == before


def test_recording_leaves_the_given_journal_unchanged(stop_pending: ExecutionJournal) -> None:
    before = stop_pending.model_dump()
    record_receipt(
        stop_pending, build_receipt(stop_pending, 4, ReceiptOutcome.COMPLETED, "unix:41")
    )
    assert stop_pending.model_dump() == before


def test_a_completed_stop_requires_a_restart(stop_pending: ExecutionJournal) -> None:
    receipt = build_receipt(stop_pending, 4, ReceiptOutcome.COMPLETED, "unix:41")
    assert record_receipt(stop_pending, receipt).restart_required is True


def test_a_completed_start_clears_the_restart_requirement(
    accepted_journal: ExecutionJournal, complete_next: Callable[..., ExecutionJournal]
) -> None:
    journal = complete_next(complete_next(accepted_journal))
    assert journal.restart_required is True
    assert complete_next(journal).restart_required is False


def test_build_receipt_copies_the_operations_identity_from_the_journal(
    stop_pending: ExecutionJournal,
) -> None:
    receipt = build_receipt(stop_pending, 4, ReceiptOutcome.COMPLETED, "unix:41")
    assert receipt.model_dump(
        include={
            "plan_id",
            "run_id",
            "preflight_id",
            "sequence",
            "operation_id",
            "kind",
            "target_canister_id",
            "outcome",
            "updated_at",
        }
    ) == {
        "plan_id": "plan-001",
        "run_id": "run-001",
        "preflight_id": "preflight-001",
        "sequence": 4,
        "operation_id": "stop-renrk-eyaaa-aaaaa-aaada-cai",
        "kind": OperationKind.STOP,
        "target_canister_id": "renrk-eyaaa-aaaaa-aaada-cai",
        "outcome": ReceiptOutcome.COMPLETED,
        "updated_at": "unix:41",
    }


@pytest.mark.parametrize(
    ("kind", "outcome", "fields"),
    [
        (OperationKind.CREATE_SNAPSHOT, ReceiptOutcome.COMPLETED, ["snapshot_id"]),
        (OperationKind.DOWNLOAD_SNAPSHOT, ReceiptOutcome.COMPLETED, ["artifact_path"]),
        (OperationKind.VERIFY_ARTIFACT, ReceiptOutcome.COMPLETED, ["checksum"]),
        (OperationKind.STOP, ReceiptOutcome.COMPLETED, []),
        (OperationKind.VALIDATE_TOPOLOGY, ReceiptOutcome.COMPLETED, []),
        (OperationKind.CREATE_SNAPSHOT, ReceiptOutcome.FAILED, ["failure_reason"]),
        (OperationKind.START, ReceiptOutcome.FAILED, ["failure_reason"]),
        (OperationKind.CREATE_SNAPSHOT, ReceiptOutcome.SKIPPED, []),
    ],
)
def test_required_fields_name_what_a_receipt_must_carry(
    kind: OperationKind, outcome: ReceiptOutcome, fields: list[str]
) -> None:
    assert required_fields(kind, outcome) == fields
