"""Change leases and allocation over the SQLite store (FORMATS.md §2 "Leases").

Every decision ("is this change free?") and the write that follows it happen inside one
BEGIN IMMEDIATE transaction, so processes on one machine can never both hold a change.
Whether a change exists or is archived is the caller's knowledge (the ito workspace);
this module only knows who holds what until when.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from datetime import timedelta

from core.models.errors import InvalidInput, LeaseConflict, LeaseNotHeld, NoActiveLease
from core.models.leases import AllocateResult, Lease, ReleaseResult
from core.store.db import StateStore
from core.timeutil import Clock, from_epoch, system_clock, to_rfc3339

MAX_TTL_SECONDS = 7 * 24 * 3600
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


def _check_ttl(ttl_seconds: int) -> None:
    if not 1 <= ttl_seconds <= MAX_TTL_SECONDS:
        raise InvalidInput(f"lease ttl must be between 1 and {MAX_TTL_SECONDS} seconds")


def _check_holder(holder: str) -> None:
    if not holder.strip():
        raise InvalidInput("lease holder must not be empty")


class LeaseStore:
    def __init__(self, store: StateStore, clock: Clock = system_clock) -> None:
        self._store = store
        self._clock = clock

    def active(self, *, include_expired: bool = False) -> list[Lease]:
        """Every unexpired lease, soonest expiry first.

        `include_expired` adds leases that lapsed without being released or taken over:
        the Leases screen shows them so a dead agent's work gets noticed.
        """
        now = self._clock().timestamp()
        rows = self._store.read().execute(
            "SELECT change_id, holder, expires_at FROM leases WHERE expires_at > ? "
            "ORDER BY expires_at, change_id",
            (float("-inf") if include_expired else now,),
        )
        return [self._lease(*row) for row in rows]

    def get(self, change_id: str) -> Lease | None:
        row = (
            self._store.read()
            .execute(
                "SELECT change_id, holder, expires_at FROM leases WHERE change_id = ? "
                "AND expires_at > ?",
                (change_id, self._clock().timestamp()),
            )
            .fetchone()
        )
        return self._lease(*row) if row else None

    def claim(self, change_id: str, holder: str, ttl_seconds: int) -> Lease:
        """Lease a free change; claiming your own lease again renews it."""
        _check_ttl(ttl_seconds)
        _check_holder(holder)
        now = self._clock()
        with self._store.write() as conn:
            current = self._current(conn, change_id, now.timestamp())
            if current is not None and current.holder != holder:
                raise LeaseConflict(change_id, current.holder, to_rfc3339(current.expires_at))
            return self._put(conn, change_id, holder, now.timestamp(), ttl_seconds)

    def heartbeat(self, change_id: str, holder: str, ttl_seconds: int) -> Lease:
        """Extend the holder's unexpired lease; an expired one is gone (claim again)."""
        _check_ttl(ttl_seconds)
        now = self._clock()
        with self._store.write() as conn:
            current = self._current(conn, change_id, now.timestamp())
            if current is None:
                raise NoActiveLease(change_id)
            if current.holder != holder:
                raise LeaseNotHeld(change_id, current.holder, holder)
            return self._put(conn, change_id, holder, now.timestamp(), ttl_seconds)

    def release(self, change_id: str, holder: str, *, force: bool = False) -> ReleaseResult:
        """Drop a lease. Someone else's is refused unless `force` (the caller confirmed)."""
        now = self._clock().timestamp()
        with self._store.write() as conn:
            current = self._current(conn, change_id, now)
            if current is not None and current.holder != holder and not force:
                raise LeaseNotHeld(change_id, current.holder, holder)
            conn.execute("DELETE FROM leases WHERE change_id = ?", (change_id,))
        return ReleaseResult(change_id=change_id)

    def allocate(
        self,
        holder: str,
        ttl_seconds: int,
        candidates: Iterable[str],
        idempotency_key: str | None = None,
    ) -> AllocateResult:
        """Lease the first candidate nobody holds, atomically, or answer "no work".

        `candidates` are the eligible change ids in preference order (active, not
        complete). A retry with the same idempotency key returns the first answer.
        """
        _check_ttl(ttl_seconds)
        _check_holder(holder)
        if idempotency_key is not None and not _IDEMPOTENCY_KEY.match(idempotency_key):
            raise InvalidInput("idempotency key must be 1-128 characters of [A-Za-z0-9_-]")
        now = self._clock().timestamp()
        with self._store.write() as conn:
            if idempotency_key is not None:
                earlier = conn.execute(
                    "SELECT holder, change_id, expires_at FROM allocations "
                    "WHERE idempotency_key = ?",
                    (idempotency_key,),
                ).fetchone()
                if earlier is not None:
                    first_holder, first_change, first_expiry = earlier
                    if first_change is None:
                        return AllocateResult(claim=None)
                    return AllocateResult(
                        claim=self._lease(first_change, first_holder, first_expiry)
                    )
            held = {
                row[0]
                for row in conn.execute("SELECT change_id FROM leases WHERE expires_at > ?", (now,))
            }
            claim = None
            for change_id in candidates:
                if change_id not in held:
                    claim = self._put(conn, change_id, holder, now, ttl_seconds)
                    break
            if idempotency_key is not None:
                conn.execute(
                    "INSERT INTO allocations (idempotency_key, holder, change_id, expires_at, "
                    "created_at) VALUES (?, ?, ?, ?, ?)",
                    (
                        idempotency_key,
                        holder,
                        claim.change_id if claim else None,
                        claim.expires_at.timestamp() if claim else None,
                        now,
                    ),
                )
            return AllocateResult(claim=claim)

    def forget(self, change_id: str) -> None:
        """Drop any lease on a change that left the active set (archived)."""
        with self._store.write() as conn:
            conn.execute("DELETE FROM leases WHERE change_id = ?", (change_id,))

    @staticmethod
    def _lease(change_id: str, holder: str, expires_at: float) -> Lease:
        return Lease(change_id=change_id, holder=holder, expires_at=from_epoch(expires_at))

    def _current(self, conn: sqlite3.Connection, change_id: str, now: float) -> Lease | None:
        row = conn.execute(
            "SELECT change_id, holder, expires_at FROM leases WHERE change_id = ?",
            (change_id,),
        ).fetchone()
        if row is None or row[2] <= now:
            return None  # an expired lease counts as free
        return self._lease(*row)

    def _put(
        self, conn: sqlite3.Connection, change_id: str, holder: str, now: float, ttl: int
    ) -> Lease:
        expires = from_epoch(now) + timedelta(seconds=ttl)
        conn.execute(
            "INSERT INTO leases (change_id, holder, expires_at, acquired_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(change_id) DO UPDATE SET expires_at = excluded.expires_at, "
            "acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at "
            "ELSE excluded.acquired_at END, holder = excluded.holder",
            (change_id, holder, expires.timestamp(), now),
        )
        return Lease(change_id=change_id, holder=holder, expires_at=expires)
