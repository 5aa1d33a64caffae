"""Accepting a preflight unblocks the mutating operations (FORMATS.md §3)."""

from __future__ import annotations

import pytest

from core.backups.journal import accept_preflight
from core.models.backups import ExecutionJournal, OperationState
from core.models.errors import InvalidInput, InvalidTransition


def test_accepting_records_the_preflight_id(dry_run_journal: ExecutionJournal) -> None:
    journal = accept_preflight(dry_run_journal, "preflight-001", "unix:10")
    assert (journal.preflight_id, journal.preflight_accepted) == ("preflight-001", True)


def test_accepting_completes_the_four_preflight_operations_at_the_given_time(
    dry_run_journal: ExecutionJournal,
) -> None:
    journal = accept_preflight(dry_run_journal, "preflight-001", "unix:10")
    assert [(op.sequence, op.state, op.state_updated_at) for op in journal.operations[:4]] == [
        (sequence, OperationState.COMPLETED, "unix:10") for sequence in range(4)
    ]


def test_accepting_moves_blocked_operations_to_ready_without_reasons(
    dry_run_journal: ExecutionJournal,
) -> None:
    journal = accept_preflight(dry_run_journal, "preflight-001", "unix:10")
    assert [
        (op.state, op.blocking_reasons, op.state_updated_at) for op in journal.operations[4:]
    ] == [(OperationState.READY, [], None)] * 6


def test_accepting_the_same_preflight_id_twice_is_allowed(
    dry_run_journal: ExecutionJournal,
) -> None:
    once = accept_preflight(dry_run_journal, "preflight-001", "unix:10")
    twice = accept_preflight(once, "preflight-001", "unix:11")
    assert twice.preflight_id == "preflight-001"
    assert twice.operations[0].state_updated_at == "unix:11"


def test_accepting_a_second_preflight_id_is_refused(accepted_journal: ExecutionJournal) -> None:
    with pytest.raises(InvalidTransition) as refused:
        accept_preflight(accepted_journal, "preflight-002", "unix:11")
    assert str(refused.value) == "preflight preflight-001 already accepted; refusing preflight-002"


def test_an_empty_preflight_id_is_refused(dry_run_journal: ExecutionJournal) -> None:
    with pytest.raises(InvalidInput, match="preflight id must not be empty"):
        accept_preflight(dry_run_journal, " ", "unix:10")


def test_an_empty_timestamp_is_refused(dry_run_journal: ExecutionJournal) -> None:
    with pytest.raises(InvalidInput, match="timestamp must not be empty"):
        accept_preflight(dry_run_journal, "preflight-001", "")


def test_accepting_leaves_the_given_journal_unchanged(dry_run_journal: ExecutionJournal) -> None:
    before = dry_run_journal.model_dump()
    accept_preflight(dry_run_journal, "preflight-001", "unix:10")
    assert dry_run_journal.model_dump() == before


def test_a_refused_acceptance_leaves_the_journal_unchanged(
    accepted_journal: ExecutionJournal,
) -> None:
    before = accepted_journal.model_dump()
    with pytest.raises(InvalidTransition):
        accept_preflight(accepted_journal, "preflight-002", "unix:11")
    assert accepted_journal.model_dump() == before
