"""A plan becomes canic's starting journal (FORMATS.md §3, first rule)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.backups.journal import PREFLIGHT_NOT_ACCEPTED, journal_from_plan, validate_plan
from core.models.backups import BackupPlan, ExecutionJournal, OperationState
from core.models.errors import InvalidJournal


def test_the_example_plan_becomes_canics_dry_run_journal(
    example_plan: BackupPlan, dry_run_journal: ExecutionJournal
) -> None:
    assert journal_from_plan(example_plan).model_dump() == dry_run_journal.model_dump()


def test_each_phase_becomes_one_operation_whose_sequence_is_its_order(
    make_plan: Callable[..., BackupPlan],
) -> None:
    plan = make_plan(3)
    journal = journal_from_plan(plan)
    assert [
        (op.sequence, op.operation_id, op.kind, op.target_canister_id) for op in journal.operations
    ] == [
        (phase.order, phase.operation_id, phase.kind, phase.target_canister_id)
        for phase in plan.phases
    ]


def test_a_new_journal_is_version_1_with_no_preflight_and_no_receipts(
    example_plan: BackupPlan,
) -> None:
    journal = journal_from_plan(example_plan)
    assert (journal.journal_version, journal.plan_id, journal.run_id) == (1, "plan-001", "run-001")
    assert journal.preflight_id is None
    assert journal.preflight_accepted is False
    assert journal.restart_required is False
    assert journal.operation_receipts == []


def test_preflight_operations_start_ready_without_reasons(example_plan: BackupPlan) -> None:
    journal = journal_from_plan(example_plan)
    preflight = [op for op in journal.operations if op.kind.is_preflight]
    assert [(op.state, op.blocking_reasons) for op in preflight] == [(OperationState.READY, [])] * 4


def test_mutating_operations_start_blocked_until_a_preflight_is_accepted(
    example_plan: BackupPlan,
) -> None:
    journal = journal_from_plan(example_plan)
    mutating = [op for op in journal.operations if op.kind.is_mutating]
    assert len(mutating) == 6
    assert all(op.state == OperationState.BLOCKED for op in mutating)
    assert all(op.blocking_reasons == [PREFLIGHT_NOT_ACCEPTED] for op in mutating)
    assert PREFLIGHT_NOT_ACCEPTED == "preflight-not-accepted"


@pytest.mark.parametrize("field", ["plan_id", "run_id"])
def test_a_plan_with_an_empty_id_is_refused(example_plan: BackupPlan, field: str) -> None:
    with pytest.raises(InvalidJournal, match=f"{field} must not be empty"):
        validate_plan(example_plan.model_copy(update={field: " "}))


def test_a_plan_whose_orders_leave_a_gap_is_refused(example_plan: BackupPlan) -> None:
    phases = list(example_plan.phases)
    phases[9] = phases[9].model_copy(update={"order": 12})
    with pytest.raises(
        InvalidJournal, match=r"'finalize-manifest' has order 12; orders must be 0\.\.9"
    ):
        validate_plan(example_plan.model_copy(update={"phases": phases}))


def test_a_plan_that_uses_an_order_twice_is_refused(example_plan: BackupPlan) -> None:
    phases = list(example_plan.phases)
    phases[5] = phases[5].model_copy(update={"order": 4})
    with pytest.raises(InvalidJournal, match="order 4 is used by both"):
        validate_plan(example_plan.model_copy(update={"phases": phases}))


def test_a_plan_that_uses_an_operation_id_twice_is_refused(example_plan: BackupPlan) -> None:
    phases = list(example_plan.phases)
    phases[5] = phases[5].model_copy(update={"operation_id": "stop-renrk-eyaaa-aaaaa-aaada-cai"})
    with pytest.raises(
        InvalidJournal, match="'stop-renrk-eyaaa-aaaaa-aaada-cai' is used by phases 4 and 5"
    ):
        validate_plan(example_plan.model_copy(update={"phases": phases}))


def test_no_journal_is_built_from_an_invalid_plan(example_plan: BackupPlan) -> None:
    with pytest.raises(InvalidJournal, match="run_id"):
        journal_from_plan(example_plan.model_copy(update={"run_id": ""}))
