"""Lease rules over the SQLite store (FORMATS.md §2 "Leases")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.models.errors import InvalidInput, LeaseConflict, LeaseNotHeld, NoActiveLease
from core.store.db import StateStore
from core.store.leases import LeaseStore

T0 = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def leases(tmp_path: Path, clock: Clock) -> LeaseStore:
    return LeaseStore(StateStore(tmp_path / "state.db"), clock)


def test_claim_returns_holder_and_expiry(leases: LeaseStore) -> None:
    lease = leases.claim("024-01_a", "alice", 600)
    assert (lease.change_id, lease.holder) == ("024-01_a", "alice")
    assert lease.expires_at == T0 + timedelta(seconds=600)


def test_claim_of_a_held_change_is_refused_with_holder_and_expiry(leases: LeaseStore) -> None:
    leases.claim("024-01_a", "alice", 600)
    with pytest.raises(LeaseConflict) as caught:
        leases.claim("024-01_a", "bob", 600)
    assert caught.value.holder == "alice"
    assert caught.value.expires_at == "2026-11-22T10:10:00Z"


def test_claiming_your_own_lease_again_renews_it(leases: LeaseStore, clock: Clock) -> None:
    leases.claim("024-01_a", "alice", 600)
    clock.advance(300)
    lease = leases.claim("024-01_a", "alice", 600)
    assert lease.expires_at == T0 + timedelta(seconds=900)


def test_an_expired_lease_counts_as_free(leases: LeaseStore, clock: Clock) -> None:
    leases.claim("024-01_a", "alice", 60)
    clock.advance(61)
    assert leases.claim("024-01_a", "bob", 60).holder == "bob"


def test_heartbeat_extends_the_holders_lease(leases: LeaseStore, clock: Clock) -> None:
    leases.claim("024-01_a", "alice", 60)
    clock.advance(30)
    assert leases.heartbeat("024-01_a", "alice", 60).expires_at == T0 + timedelta(seconds=90)


def test_heartbeat_by_another_holder_is_refused(leases: LeaseStore) -> None:
    leases.claim("024-01_a", "alice", 60)
    with pytest.raises(LeaseNotHeld):
        leases.heartbeat("024-01_a", "bob", 60)


def test_heartbeat_on_an_expired_lease_is_refused(leases: LeaseStore, clock: Clock) -> None:
    leases.claim("024-01_a", "alice", 60)
    clock.advance(60)
    with pytest.raises(NoActiveLease):
        leases.heartbeat("024-01_a", "alice", 60)


def test_release_by_the_holder_frees_the_change(leases: LeaseStore) -> None:
    leases.claim("024-01_a", "alice", 60)
    leases.release("024-01_a", "alice")
    assert leases.get("024-01_a") is None


def test_release_of_someone_elses_lease_is_refused(leases: LeaseStore) -> None:
    leases.claim("024-01_a", "alice", 60)
    with pytest.raises(LeaseNotHeld):
        leases.release("024-01_a", "bob")
    assert leases.get("024-01_a") is not None


def test_forced_release_of_someone_elses_lease_frees_it(leases: LeaseStore) -> None:
    leases.claim("024-01_a", "alice", 60)
    leases.release("024-01_a", "bob", force=True)
    assert leases.get("024-01_a") is None


def test_active_lists_only_unexpired_leases_soonest_first(leases: LeaseStore, clock: Clock) -> None:
    leases.claim("a", "alice", 300)
    leases.claim("b", "bob", 100)
    leases.claim("c", "carol", 10)
    clock.advance(20)
    assert [lease.change_id for lease in leases.active()] == ["b", "a"]


def test_allocate_leases_the_first_free_candidate(leases: LeaseStore) -> None:
    leases.claim("a", "alice", 300)
    result = leases.allocate("bob", 300, ["a", "b", "c"])
    assert result.claim is not None and result.claim.change_id == "b"
    assert leases.get("b") is not None and leases.get("b").holder == "bob"  # type: ignore[union-attr]


def test_allocate_answers_no_work_when_everything_is_held(leases: LeaseStore) -> None:
    leases.claim("a", "alice", 300)
    assert leases.allocate("bob", 300, ["a"]).claim is None


def test_allocate_retry_with_the_same_key_returns_the_same_claim(leases: LeaseStore) -> None:
    first = leases.allocate("bob", 300, ["a", "b"], idempotency_key="k1")
    again = leases.allocate("bob", 300, ["a", "b"], idempotency_key="k1")
    assert first == again
    assert [lease.change_id for lease in leases.active()] == ["a"]


def test_allocate_retry_of_a_no_work_answer_stays_no_work(leases: LeaseStore) -> None:
    assert leases.allocate("bob", 300, [], idempotency_key="k2").claim is None
    assert leases.allocate("bob", 300, ["a"], idempotency_key="k2").claim is None


@pytest.mark.parametrize("key", ["", "has space", "x" * 129, "semi;colon"])
def test_allocate_rejects_malformed_idempotency_keys(leases: LeaseStore, key: str) -> None:
    with pytest.raises(InvalidInput):
        leases.allocate("bob", 300, ["a"], idempotency_key=key)


@pytest.mark.parametrize("ttl", [0, -5, 8 * 24 * 3600])
def test_claim_rejects_a_ttl_out_of_range(leases: LeaseStore, ttl: int) -> None:
    with pytest.raises(InvalidInput):
        leases.claim("a", "alice", ttl)


def test_claim_rejects_an_empty_holder(leases: LeaseStore) -> None:
    with pytest.raises(InvalidInput):
        leases.claim("a", "  ", 60)


def test_leases_survive_reopening_the_store(tmp_path: Path, clock: Clock) -> None:
    LeaseStore(StateStore(tmp_path / "state.db"), clock).claim("a", "alice", 60)
    reopened = LeaseStore(StateStore(tmp_path / "state.db"), clock)
    assert reopened.get("a") is not None


def test_active_can_include_leases_that_expired_unreleased(
    leases: LeaseStore, clock: Clock
) -> None:
    leases.claim("a", "alice", 10)
    leases.claim("b", "bob", 100)
    clock.advance(20)
    assert [lease.change_id for lease in leases.active(include_expired=True)] == ["a", "b"]
