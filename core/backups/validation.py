"""canic's validity rules for backup plans, execution journals and receipts (FORMATS.md §3).

Every check is one pass over the operations (plus one over the receipts): the journal is
re-validated after every step, and journals reach 10,000 operations.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.models.backups import (
    PREFLIGHT_KINDS,
    REQUIRED_COMPLETION_FIELD,
    BackupPlan,
    ExecutionJournal,
    JournalOperation,
    OperationKind,
    OperationReceipt,
    OperationState,
    ReceiptOutcome,
)
from core.models.errors import InvalidJournal

JOURNAL_VERSION = 1

# The states in which an operation must say why it is not moving (and the only ones that may).
_STATES_WITH_REASONS = frozenset({OperationState.BLOCKED, OperationState.FAILED})


def _is_blank(value: str | None) -> bool:
    return value is None or not value.strip()


def validate_plan(plan: BackupPlan) -> None:
    """Refuse a plan a journal cannot be built from."""
    if _is_blank(plan.plan_id):
        raise InvalidJournal("backup plan: plan_id must not be empty")
    if _is_blank(plan.run_id):
        raise InvalidJournal("backup plan: run_id must not be empty")
    count = len(plan.phases)
    seen_orders: dict[int, str] = {}
    seen_ids: dict[str, int] = {}
    for phase in plan.phases:
        if _is_blank(phase.operation_id):
            raise InvalidJournal(f"backup plan: phase {phase.order} has an empty operation_id")
        if not 0 <= phase.order < count:
            raise InvalidJournal(
                f"backup plan: phase '{phase.operation_id}' has order {phase.order}; "
                f"orders must be 0..{count - 1}"
            )
        if phase.order in seen_orders:
            raise InvalidJournal(
                f"backup plan: order {phase.order} is used by both "
                f"'{seen_orders[phase.order]}' and '{phase.operation_id}'"
            )
        if phase.operation_id in seen_ids:
            raise InvalidJournal(
                f"backup plan: operation id '{phase.operation_id}' is used by phases "
                f"{seen_ids[phase.operation_id]} and {phase.order}"
            )
        seen_orders[phase.order] = phase.operation_id
        seen_ids[phase.operation_id] = phase.order


def sequence_positions(operations: Sequence[JournalOperation]) -> list[int]:
    """Where each sequence sits in `operations`; refuses anything but exactly 0..n-1."""
    count = len(operations)
    positions = [-1] * count
    for position, operation in enumerate(operations):
        sequence = operation.sequence
        if not 0 <= sequence < count:
            raise InvalidJournal(
                f"operation '{operation.operation_id}' has sequence {sequence}; "
                f"sequences must be 0..{count - 1}"
            )
        if positions[sequence] != -1:
            raise InvalidJournal(f"operation sequence {sequence} appears more than once")
        positions[sequence] = position
    # n distinct sequences, all in 0..n-1: none can be missing.
    return positions


def required_fields(kind: OperationKind, outcome: ReceiptOutcome) -> list[str]:
    """The receipt fields that must be non-empty for this kind of operation and outcome."""
    if outcome == ReceiptOutcome.FAILED:
        return ["failure_reason"]
    if outcome == ReceiptOutcome.COMPLETED and kind in REQUIRED_COMPLETION_FIELD:
        return [REQUIRED_COMPLETION_FIELD[kind]]
    return []


def receipt_problem(
    journal: ExecutionJournal, receipt: OperationReceipt, operation: JournalOperation | None
) -> str | None:
    """Why `receipt` does not fit `journal` and its sequence's `operation`, if it doesn't."""
    sequence = receipt.sequence
    if receipt.plan_id != journal.plan_id:
        return (
            f"receipt for operation {sequence} has plan_id '{receipt.plan_id}', "
            f"but the journal's is '{journal.plan_id}'"
        )
    if receipt.run_id != journal.run_id:
        return (
            f"receipt for operation {sequence} has run_id '{receipt.run_id}', "
            f"but the journal's is '{journal.run_id}'"
        )
    if operation is None:
        return f"receipt for operation {sequence}: the journal has no operation {sequence}"
    for field, mine, theirs in (
        ("operation_id", receipt.operation_id, operation.operation_id),
        ("kind", receipt.kind, operation.kind),
        ("target_canister_id", receipt.target_canister_id, operation.target_canister_id),
    ):
        if mine != theirs:
            return (
                f"receipt for operation {sequence} has {field} {_show(mine)}, "
                f"but the operation's is {_show(theirs)}"
            )
    if receipt.kind not in PREFLIGHT_KINDS:
        if not journal.preflight_accepted:
            return (
                f"receipt for operation {sequence} ({receipt.kind}) is for a mutating "
                "operation, but no preflight has been accepted"
            )
        if receipt.preflight_id != journal.preflight_id:
            return (
                f"receipt for operation {sequence} has preflight_id "
                f"{_show(receipt.preflight_id)}, but the accepted preflight is "
                f"{_show(journal.preflight_id)}"
            )
    for field in required_fields(receipt.kind, receipt.outcome):
        value = getattr(receipt, field)
        if _is_blank(value):
            return (
                f"receipt for operation {sequence} ({receipt.kind}, {receipt.outcome}) "
                f"needs a non-empty {field}"
            )
    return None


def _show(value: str | None) -> str:
    return "none" if value is None else f"'{value}'"


def validate_journal(journal: ExecutionJournal) -> None:
    """Every validity rule of FORMATS.md §3, in one pass; raises InvalidJournal."""
    if journal.journal_version != JOURNAL_VERSION:
        raise InvalidJournal(
            f"unsupported journal_version {journal.journal_version} (expected {JOURNAL_VERSION})"
        )
    if _is_blank(journal.plan_id):
        raise InvalidJournal("plan_id must not be empty")
    if _is_blank(journal.run_id):
        raise InvalidJournal("run_id must not be empty")
    if journal.preflight_id is not None:
        if _is_blank(journal.preflight_id):
            raise InvalidJournal("preflight_id must not be empty when present")
    elif journal.preflight_accepted:
        raise InvalidJournal("preflight_accepted is true but there is no preflight_id")

    operations = journal.operations
    positions = sequence_positions(operations)
    accepted = journal.preflight_accepted
    blocked = OperationState.BLOCKED
    for operation in operations:
        state = operation.state
        if not operation.operation_id.strip():
            raise InvalidJournal(f"operation {operation.sequence} has an empty operation_id")
        if not accepted and state != blocked and operation.kind not in PREFLIGHT_KINDS:
            raise InvalidJournal(
                f"operation {operation.sequence} ({operation.kind}) is {state} before a "
                "preflight was accepted; mutating operations stay blocked until then"
            )
        if state in _STATES_WITH_REASONS:
            if not operation.blocking_reasons:
                raise InvalidJournal(
                    f"operation {operation.sequence} is {state} but has no blocking reason"
                )
        elif operation.blocking_reasons:
            raise InvalidJournal(
                f"operation {operation.sequence} is {state} but has blocking reasons "
                f"({', '.join(operation.blocking_reasons)})"
            )

    count = len(operations)
    for number, receipt in enumerate(journal.operation_receipts):
        sequence = receipt.sequence
        found = operations[positions[sequence]] if 0 <= sequence < count else None
        problem = receipt_problem(journal, receipt, found)
        if problem is not None:
            raise InvalidJournal(f"operation_receipts[{number}]: {problem}")


def check_plan_matches(plan: BackupPlan, journal: ExecutionJournal) -> None:
    """Refuse a journal that was not built from this plan."""
    if plan.plan_id != journal.plan_id:
        raise InvalidJournal(
            f"the journal is for plan '{journal.plan_id}', but the backup plan is '{plan.plan_id}'"
        )
    if plan.run_id != journal.run_id:
        raise InvalidJournal(
            f"the journal is for run '{journal.run_id}', but the backup plan is for run "
            f"'{plan.run_id}'"
        )
    if len(plan.phases) != len(journal.operations):
        raise InvalidJournal(
            f"the backup plan has {len(plan.phases)} phases but the journal has "
            f"{len(journal.operations)} operations"
        )
    operations = journal.operations
    positions = sequence_positions(operations)
    count = len(operations)
    for phase in plan.phases:
        if not 0 <= phase.order < count:
            raise InvalidJournal(
                f"plan phase '{phase.operation_id}' has order {phase.order}, which the "
                "journal has no operation for"
            )
        operation = operations[positions[phase.order]]
        for field, planned, journaled in (
            ("operation_id", phase.operation_id, operation.operation_id),
            ("kind", phase.kind, operation.kind),
            ("target_canister_id", phase.target_canister_id, operation.target_canister_id),
        ):
            if planned != journaled:
                raise InvalidJournal(
                    f"operation {phase.order}: the backup plan has {field} {_show(planned)} "
                    f"but the journal has {_show(journaled)}"
                )
