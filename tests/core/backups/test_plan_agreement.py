"""A journal must be the one its folder's plan describes (FORMATS.md §3)."""

from __future__ import annotations

import pytest

from core.backups.journal import check_plan_matches
from core.models.backups import BackupPlan, ExecutionJournal, OperationKind
from core.models.errors import InvalidJournal


def test_the_example_journals_match_the_example_plan(
    example_plan: BackupPlan, dry_run_journal: ExecutionJournal, failed_journal: ExecutionJournal
) -> None:
    check_plan_matches(example_plan, dry_run_journal)
    check_plan_matches(example_plan, failed_journal)


def test_a_journal_of_another_plan_is_refused(
    example_plan: BackupPlan, dry_run_journal: ExecutionJournal
) -> None:
    with pytest.raises(
        InvalidJournal,
        match="the journal is for plan 'plan-001', but the backup plan is 'plan-002'",
    ):
        check_plan_matches(example_plan.model_copy(update={"plan_id": "plan-002"}), dry_run_journal)


def test_a_journal_of_another_run_is_refused(
    example_plan: BackupPlan, dry_run_journal: ExecutionJournal
) -> None:
    with pytest.raises(InvalidJournal, match="the journal is for run 'run-001'"):
        check_plan_matches(example_plan.model_copy(update={"run_id": "run-002"}), dry_run_journal)


def test_a_journal_with_another_operation_count_is_refused(
    example_plan: BackupPlan, dry_run_journal: ExecutionJournal
) -> None:
    shorter = example_plan.model_copy(update={"phases": example_plan.phases[:9]})
    with pytest.raises(
        InvalidJournal, match="the backup plan has 9 phases but the journal has 10 operations"
    ):
        check_plan_matches(shorter, dry_run_journal)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("operation_id", "stop-elsewhere"),
        ("kind", OperationKind.START),
        ("target_canister_id", "aaaaa-aa"),
    ],
)
def test_a_journal_operation_that_differs_from_its_phase_is_refused(
    example_plan: BackupPlan, dry_run_journal: ExecutionJournal, field: str, value: str
) -> None:
    phases = list(example_plan.phases)
    phases[4] = phases[4].model_copy(update={field: value})
    with pytest.raises(InvalidJournal, match=f"operation 4: the backup plan has {field} '{value}'"):
        check_plan_matches(example_plan.model_copy(update={"phases": phases}), dry_run_journal)
