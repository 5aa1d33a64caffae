"""canic's backup execution journal as a pure state machine (no IO), after seed 003.

Every step takes a journal and returns a new one, or raises and leaves the caller's journal
as it was. Journals are values: a step never changes its input. To keep a step on a
10,000-operation journal cheap, the new journal shares the operations and receipts that did
not change with the old one (a deep copy costs ~80 ms there); nothing here mutates a model
in place, and callers must not either.
"""

from __future__ import annotations

from core.backups.validation import (
    JOURNAL_VERSION,
    check_plan_matches,
    receipt_problem,
    required_fields,
    validate_journal,
    validate_plan,
)
from core.models.backups import (
    PREFLIGHT_KINDS,
    BackupPlan,
    ExecutionJournal,
    JournalOperation,
    LayoutStatus,
    OperationKind,
    OperationReceipt,
    OperationState,
    ReceiptOutcome,
    ResumeSummary,
)
from core.models.errors import InvalidInput, InvalidTransition, NotFound

__all__ = [
    "PREFLIGHT_NOT_ACCEPTED",
    "accept_preflight",
    "build_receipt",
    "check_plan_matches",
    "journal_from_plan",
    "layout_status",
    "mark_next_pending",
    "mark_pending",
    "next_operation",
    "record_receipt",
    "required_fields",
    "restart_required",
    "resume_summary",
    "retry_failed",
    "validate_journal",
    "validate_plan",
]

PREFLIGHT_NOT_ACCEPTED = "preflight-not-accepted"

# The states from which an operation can still make progress (canic's "next ready").
_ACTIVE_STATES = frozenset({OperationState.READY, OperationState.PENDING, OperationState.FAILED})
_DONE_STATES = frozenset({OperationState.COMPLETED, OperationState.SKIPPED})
_OUTCOME_STATE = {
    ReceiptOutcome.COMPLETED: OperationState.COMPLETED,
    ReceiptOutcome.FAILED: OperationState.FAILED,
    ReceiptOutcome.SKIPPED: OperationState.SKIPPED,
}


def journal_from_plan(plan: BackupPlan) -> ExecutionJournal:
    """The journal canic starts a run with: preflight ops ready, mutating ops blocked."""
    validate_plan(plan)
    operations = [
        JournalOperation(
            sequence=phase.order,
            operation_id=phase.operation_id,
            kind=phase.kind,
            target_canister_id=phase.target_canister_id,
            state=OperationState.READY if phase.kind in PREFLIGHT_KINDS else OperationState.BLOCKED,
            blocking_reasons=[] if phase.kind in PREFLIGHT_KINDS else [PREFLIGHT_NOT_ACCEPTED],
        )
        for phase in plan.phases
    ]
    journal = ExecutionJournal(
        journal_version=JOURNAL_VERSION,
        plan_id=plan.plan_id,
        run_id=plan.run_id,
        preflight_id=None,
        preflight_accepted=False,
        restart_required=False,
        operations=operations,
        operation_receipts=[],
    )
    validate_journal(journal)
    return journal


def next_operation(journal: ExecutionJournal) -> JournalOperation | None:
    """The operation that controls progress: the lowest sequence still ready, pending or failed."""
    best: JournalOperation | None = None
    for operation in journal.operations:
        if operation.state in _ACTIVE_STATES and (
            best is None or operation.sequence < best.sequence
        ):
            best = operation
    return best


def restart_required(journal: ExecutionJournal) -> bool:
    """Some canister was stopped and not yet started again: the operator must not walk away."""
    return _restart_required(journal.operations)


def _restart_required(operations: list[JournalOperation]) -> bool:
    # Enum members bound to locals: a class attribute lookup per operation costs more
    # than the comparison on a 10,000-operation journal.
    stop, start, completed = OperationKind.STOP, OperationKind.START, OperationState.COMPLETED
    stopped = False
    unstarted = False
    for operation in operations:
        kind = operation.kind
        if kind == stop:
            stopped = stopped or operation.state == completed
        elif kind == start:
            unstarted = unstarted or operation.state not in _DONE_STATES
    return stopped and unstarted


def accept_preflight(
    journal: ExecutionJournal, preflight_id: str, at: str | None
) -> ExecutionJournal:
    """Mark the four preflight operations completed and unblock the mutating ones.

    Accepting the same preflight id again is allowed (canic does the same); another id is not.
    """
    if not preflight_id.strip():
        raise InvalidInput("preflight id must not be empty")
    _check_stamp(at)
    existing = journal.preflight_id
    if existing is not None and existing != preflight_id:
        raise InvalidTransition(f"preflight {existing} already accepted; refusing {preflight_id}")
    completed: dict[str, object] = {
        "state": OperationState.COMPLETED,
        "state_updated_at": at,
        "blocking_reasons": [],
    }
    unblocked: dict[str, object] = {"state": OperationState.READY, "blocking_reasons": []}
    operations: list[JournalOperation] = []
    for operation in journal.operations:
        if operation.kind in PREFLIGHT_KINDS:
            operations.append(operation.model_copy(update=completed))
        elif operation.state == OperationState.BLOCKED:
            operations.append(operation.model_copy(update=unblocked))
        else:
            operations.append(operation)
    return _finish(
        journal,
        operations,
        journal.operation_receipts,
        preflight_id=preflight_id,
        preflight_accepted=True,
    )


def mark_pending(journal: ExecutionJournal, sequence: int, at: str | None) -> ExecutionJournal:
    """Mark operation `sequence` pending: it must be the next operation, ready or failed."""
    _check_stamp(at)
    position = _position(journal, sequence)
    # Checked before the order so an operator who jumps ahead to a mutating step is told
    # what actually stops it (canic checks the order first).
    _refuse_mutation_before_preflight(journal, journal.operations[position])
    following = next_operation(journal)
    if following is None:
        raise InvalidTransition(
            f"operation {sequence} cannot advance: no operation is ready, pending or failed"
        )
    if following.sequence != sequence:
        raise InvalidTransition(
            f"operation {sequence} cannot advance before operation {following.sequence}"
        )
    return _pend(journal, position, at)


def mark_next_pending(journal: ExecutionJournal, at: str | None) -> ExecutionJournal:
    """Mark the next operation pending."""
    _check_stamp(at)
    following = next_operation(journal)
    if following is None:
        raise InvalidTransition(
            "no operation can advance: every operation is completed, skipped or blocked"
        )
    _refuse_mutation_before_preflight(journal, following)
    return _pend(journal, _position(journal, following.sequence), at)


def _refuse_mutation_before_preflight(
    journal: ExecutionJournal, operation: JournalOperation
) -> None:
    if operation.kind not in PREFLIGHT_KINDS and not journal.preflight_accepted:
        raise InvalidTransition(
            f"operation {operation.sequence} ({operation.kind}) cannot start before a "
            "preflight is accepted"
        )


def _pend(journal: ExecutionJournal, position: int, at: str | None) -> ExecutionJournal:
    operation = journal.operations[position]
    if operation.state not in (OperationState.READY, OperationState.FAILED):
        raise InvalidTransition(
            f"operation {operation.sequence} is {operation.state}; only a ready or failed "
            "operation can be marked pending"
        )
    changed = operation.model_copy(
        update={"state": OperationState.PENDING, "state_updated_at": at, "blocking_reasons": []}
    )
    return _finish(journal, _replace(journal, position, changed), journal.operation_receipts)


def record_receipt(journal: ExecutionJournal, receipt: OperationReceipt) -> ExecutionJournal:
    """Record the outcome of the pending operation; the outcome becomes its state."""
    sequence = receipt.sequence
    position = _position(journal, sequence)
    operation = journal.operations[position]
    problem = receipt_problem(journal, receipt, operation)
    if problem is not None:
        raise InvalidInput(problem)
    _check_stamp(receipt.updated_at)
    if operation.state != OperationState.PENDING:
        raise InvalidTransition(
            f"operation {sequence} is not pending (it is {operation.state}); "
            "mark it pending before recording its receipt"
        )
    failed = receipt.outcome == ReceiptOutcome.FAILED
    if not failed and receipt.failure_reason is not None:
        # canic would turn it into a blocking reason of a non-failed operation and refuse.
        raise InvalidInput(
            f"receipt for operation {sequence}: failure_reason is only allowed when the "
            f"outcome is failed (not {receipt.outcome})"
        )
    changed = operation.model_copy(
        update={
            "state": _OUTCOME_STATE[receipt.outcome],
            "state_updated_at": receipt.updated_at,
            "blocking_reasons": [receipt.failure_reason] if failed else [],
        }
    )
    return _finish(
        journal,
        _replace(journal, position, changed),
        [*journal.operation_receipts, receipt.model_copy()],
    )


def build_receipt(
    journal: ExecutionJournal,
    sequence: int,
    outcome: ReceiptOutcome,
    at: str | None,
    *,
    snapshot_id: str | None = None,
    snapshot_taken_at_timestamp: int | None = None,
    snapshot_total_size_bytes: int | None = None,
    artifact_path: str | None = None,
    checksum: str | None = None,
    failure_reason: str | None = None,
) -> OperationReceipt:
    """A receipt for operation `sequence`, its identity copied from the journal."""
    operation = journal.operations[_position(journal, sequence)]
    return OperationReceipt(
        plan_id=journal.plan_id,
        run_id=journal.run_id,
        preflight_id=journal.preflight_id,
        sequence=operation.sequence,
        operation_id=operation.operation_id,
        kind=operation.kind,
        target_canister_id=operation.target_canister_id,
        outcome=outcome,
        updated_at=at,
        snapshot_id=snapshot_id,
        snapshot_taken_at_timestamp=snapshot_taken_at_timestamp,
        snapshot_total_size_bytes=snapshot_total_size_bytes,
        artifact_path=artifact_path,
        checksum=checksum,
        failure_reason=failure_reason,
    )


def retry_failed(journal: ExecutionJournal, sequence: int, at: str | None) -> ExecutionJournal:
    """Put a failed operation back to ready."""
    _check_stamp(at)
    position = _position(journal, sequence)
    operation = journal.operations[position]
    if operation.state != OperationState.FAILED:
        raise InvalidTransition(
            f"operation {sequence} is {operation.state}; only a failed operation can be retried"
        )
    changed = operation.model_copy(
        update={"state": OperationState.READY, "state_updated_at": at, "blocking_reasons": []}
    )
    return _finish(journal, _replace(journal, position, changed), journal.operation_receipts)


def resume_summary(journal: ExecutionJournal) -> ResumeSummary:
    """canic's resumability summary: counts per state and the next operation."""
    counts = dict.fromkeys(OperationState, 0)
    for operation in journal.operations:
        counts[operation.state] += 1
    return ResumeSummary(
        plan_id=journal.plan_id,
        run_id=journal.run_id,
        preflight_id=journal.preflight_id,
        preflight_accepted=journal.preflight_accepted,
        restart_required=journal.restart_required,
        total_operations=len(journal.operations),
        ready_operations=counts[OperationState.READY],
        pending_operations=counts[OperationState.PENDING],
        blocked_operations=counts[OperationState.BLOCKED],
        completed_operations=counts[OperationState.COMPLETED],
        failed_operations=counts[OperationState.FAILED],
        skipped_operations=counts[OperationState.SKIPPED],
        next_operation=next_operation(journal),
    )


def layout_status(journal: ExecutionJournal) -> LayoutStatus:
    """The one-word state `canic backup status` reports for a backup folder.

    - dry-run: nothing has happened yet (no preflight accepted, no receipt recorded);
    - complete: every operation is completed or skipped;
    - failed: some operation failed (and waits for a retry);
    - running: anything else.
    """
    if not journal.preflight_accepted and not journal.operation_receipts:
        return "dry-run"
    states = {operation.state for operation in journal.operations}
    if states <= _DONE_STATES:
        return "complete"
    if OperationState.FAILED in states:
        return "failed"
    return "running"


def _check_stamp(at: str | None) -> None:
    if at is not None and not at.strip():
        raise InvalidInput("a step's timestamp must not be empty")


def _position(journal: ExecutionJournal, sequence: int) -> int:
    operations = journal.operations
    # Journals canic and we write list operations in sequence order: look there first.
    if 0 <= sequence < len(operations) and operations[sequence].sequence == sequence:
        return sequence
    for position, operation in enumerate(operations):
        if operation.sequence == sequence:
            return position
    raise NotFound("journal operation", str(sequence))


def _replace(
    journal: ExecutionJournal, position: int, operation: JournalOperation
) -> list[JournalOperation]:
    operations = list(journal.operations)
    operations[position] = operation
    return operations


def _finish(
    journal: ExecutionJournal,
    operations: list[JournalOperation],
    receipts: list[OperationReceipt],
    **changes: object,
) -> ExecutionJournal:
    """The new journal: refreshed restart flag, validated before anyone can see it."""
    updated = journal.model_copy(
        update={
            **changes,
            "restart_required": _restart_required(operations),
            "operations": operations,
            "operation_receipts": receipts,
        }
    )
    validate_journal(updated)
    return updated
