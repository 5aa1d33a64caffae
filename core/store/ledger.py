"""Release plans, runs and run events in the state store (aivcs's `RunLedger`, FORMATS.md §5).

Every write is one `BEGIN IMMEDIATE` transaction, so event numbers stay unique and
increasing with several processes appending, and nothing is appended to a finished run.
Writers may pass `expected_seq`, the last event they have seen: if the run moved on
meanwhile (another driver stepped it), the write is refused instead of acting on stale state.

A run's per-repo statuses (`items_json`) are final once it finishes. While it runs, they
are rewritten only when a writer passes them (a failure that skips dependents); what the
events record since (entered, exited, failed) is applied when the run is read. Rewriting
every repo's status on every event would make a 2,000-repo run quadratic.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

from pydantic import TypeAdapter

from core.models.errors import InvalidInput, InvalidTransition, NotFound
from core.models.releases import (
    ItemState,
    ReleaseStatus,
    Run,
    RunEvent,
    RunEventKind,
    RunMetadata,
    RunProgress,
    RunStatus,
    RunSummary,
    SequenceItem,
    SequencePlan,
)
from core.store.db import StateStore

RunMode = Literal["command", "manual"]
SEQUENCER_AGENT = "release-sequencer"

_ITEMS = TypeAdapter(list[SequenceItem])
_PAYLOAD = TypeAdapter(dict[str, Any])
_RUN_COLUMNS = (
    "run_id, spec_digest, metadata_json, status, mode, summary_json, started_at, finished_at"
)


class ReleaseLedger:
    def __init__(self, store: StateStore, ids: Callable[[], uuid.UUID] | None = None) -> None:
        self._store = store
        self._ids = ids or (lambda: uuid.uuid4())

    def save_plan(self, plan: SequencePlan, created_at: str) -> None:
        with self._store.write() as conn:
            if _plan_exists(conn, plan.plan_id):
                raise InvalidInput(f"release plan already exists: {plan.plan_id}")
            conn.execute(
                "INSERT INTO release_plans (plan_id, originating_run_id, items_json, created_at)"
                " VALUES (?, ?, ?, ?)",
                (plan.plan_id, plan.originating_run_id, _dump_items(plan.items), created_at),
            )

    def get_plan(self, plan_id: str) -> SequencePlan:
        row = (
            self._store.read()
            .execute(
                "SELECT plan_id, originating_run_id, items_json FROM release_plans"
                " WHERE plan_id = ?",
                (plan_id,),
            )
            .fetchone()
        )
        if row is None:
            raise NotFound("release plan", plan_id)
        return _plan_from_row(row)

    def list_plans(self) -> list[tuple[SequencePlan, str]]:
        """Every plan with its creation time, newest first."""
        rows = (
            self._store.read()
            .execute(
                "SELECT plan_id, originating_run_id, items_json, created_at FROM release_plans"
                " ORDER BY created_at DESC, rowid DESC"
            )
            .fetchall()
        )
        return [(_plan_from_row(row), row[3]) for row in rows]

    def create_run(
        self, plan: SequencePlan, mode: RunMode, spec_digest: str, started_at: str
    ) -> Run:
        """A RUNNING run whose items start as the plan's."""
        if mode not in ("command", "manual"):
            raise InvalidInput(f"invalid run mode {mode!r}: expected 'command' or 'manual'")
        run = Run(
            run_id=str(self._ids()),
            spec_digest=spec_digest,
            metadata=RunMetadata(agent_name=SEQUENCER_AGENT, tags={"plan_id": plan.plan_id}),
            status=RunStatus.RUNNING,
            started_at=started_at,
            mode=mode,
        )
        with self._store.write() as conn:
            if not _plan_exists(conn, plan.plan_id):
                raise NotFound("release plan", plan.plan_id)
            conn.execute(
                "INSERT INTO release_runs (run_id, plan_id, spec_digest, metadata_json, status,"
                " mode, items_json, summary_json, started_at, finished_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, NULL)",
                (
                    run.run_id,
                    plan.plan_id,
                    spec_digest,
                    run.metadata.model_dump_json(),
                    run.status.value,
                    mode,
                    _dump_items(plan.items),
                    started_at,
                ),
            )
        return run

    def get_run(self, run_id: str) -> RunProgress:
        """The run, its items as it has left them and its events, from one snapshot."""
        with self._snapshot() as conn:
            row = conn.execute(
                f"SELECT {_RUN_COLUMNS}, items_json FROM release_runs WHERE run_id = ?",
                (run_id,),
            ).fetchone()
            if row is None:
                raise NotFound("release run", run_id)
            events = conn.execute(
                "SELECT seq, kind, payload_json, timestamp FROM release_run_events"
                " WHERE run_id = ? ORDER BY seq",
                (run_id,),
            ).fetchall()
        run = _run_from_row(row)
        items = _ITEMS.validate_json(row[8])
        run_events = [
            RunEvent(
                seq=seq,
                kind=RunEventKind(kind),
                payload=_PAYLOAD.validate_json(payload),
                timestamp=timestamp,
            )
            for seq, kind, payload, timestamp in events
        ]
        if run.status is RunStatus.RUNNING:
            items = apply_events(items, run_events)
        return RunProgress(run=run, items=items, events=run_events)

    def list_runs(self, plan_id: str | None = None) -> list[Run]:
        """Runs, newest first; of one plan when `plan_id` is given."""
        query = f"SELECT {_RUN_COLUMNS} FROM release_runs"
        params: tuple[str, ...] = ()
        if plan_id is not None:
            query += " WHERE plan_id = ?"
            params = (plan_id,)
        rows = self._store.read().execute(f"{query} ORDER BY started_at DESC, rowid DESC", params)
        return [_run_from_row(row) for row in rows.fetchall()]

    def append_event(
        self,
        run_id: str,
        kind: RunEventKind,
        payload: dict[str, Any],
        timestamp: str,
        *,
        items: list[SequenceItem] | None = None,
        expected_seq: int | None = None,
    ) -> RunEvent:
        """Number and store the next event; `items`, when given, are saved with it."""
        with self._store.write() as conn:
            last = _check_running(conn, run_id, expected_seq)
            event = RunEvent(seq=last + 1, kind=kind, payload=payload, timestamp=timestamp)
            conn.execute(
                "INSERT INTO release_run_events (run_id, seq, kind, payload_json, timestamp)"
                " VALUES (?, ?, ?, ?, ?)",
                (run_id, event.seq, kind.value, _PAYLOAD.dump_json(payload).decode(), timestamp),
            )
            if items is not None:
                _save_items(conn, run_id, items)
        return event

    def update_items(
        self, run_id: str, items: list[SequenceItem], *, expected_seq: int | None = None
    ) -> None:
        with self._store.write() as conn:
            _check_running(conn, run_id, expected_seq)
            _save_items(conn, run_id, items)

    def finish_run(
        self,
        run_id: str,
        status: RunStatus,
        summary: RunSummary,
        finished_at: str,
        *,
        items: list[SequenceItem] | None = None,
        expected_seq: int | None = None,
    ) -> None:
        if status is RunStatus.RUNNING:
            raise InvalidInput(f"run {run_id} cannot finish as RUNNING")
        with self._store.write() as conn:
            _check_running(conn, run_id, expected_seq)
            conn.execute(
                "UPDATE release_runs SET status = ?, summary_json = ?, finished_at = ?"
                " WHERE run_id = ?",
                (status.value, summary.model_dump_json(), finished_at, run_id),
            )
            if items is not None:
                _save_items(conn, run_id, items)

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction, so several SELECTs see the same committed state."""
        conn = self._store.read()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")


def apply_events(items: list[SequenceItem], events: list[RunEvent]) -> list[SequenceItem]:
    """The statuses the events give their repos, over `items` (re-applying is harmless)."""
    position = {item.repo_id: index for index, item in enumerate(items)}
    result = list(items)
    for event in events:
        index = position.get(str(event.payload.get("node_id")))
        if index is None:
            continue
        if event.kind is RunEventKind.NODE_ENTERED:
            status = ReleaseStatus(state=ItemState.IN_PROGRESS)
        elif event.kind is RunEventKind.NODE_EXITED:
            status = ReleaseStatus(state=ItemState.SUCCEEDED, run_id=event.payload.get("run_id"))
        else:
            status = ReleaseStatus(state=ItemState.FAILED, reason=event.payload.get("error"))
        result[index] = result[index].model_copy(update={"status": status})
    return result


def _check_running(conn: sqlite3.Connection, run_id: str, expected_seq: int | None) -> int:
    """Refuse a write to a missing, finished or moved-on run; returns its last event's seq."""
    row = conn.execute("SELECT status FROM release_runs WHERE run_id = ?", (run_id,)).fetchone()
    if row is None:
        raise NotFound("release run", run_id)
    if row[0] != RunStatus.RUNNING.value:
        raise InvalidTransition(f"run {run_id} is finished")
    (last,) = conn.execute(
        "SELECT COALESCE(MAX(seq), 0) FROM release_run_events WHERE run_id = ?", (run_id,)
    ).fetchone()
    if expected_seq is not None and last != expected_seq:
        raise InvalidTransition(
            f"run {run_id} has moved on (last event {last}, expected {expected_seq}); reload it"
        )
    return int(last)


def _save_items(conn: sqlite3.Connection, run_id: str, items: list[SequenceItem]) -> None:
    conn.execute(
        "UPDATE release_runs SET items_json = ? WHERE run_id = ?", (_dump_items(items), run_id)
    )


def _plan_exists(conn: sqlite3.Connection, plan_id: str) -> bool:
    query = "SELECT 1 FROM release_plans WHERE plan_id = ?"
    return conn.execute(query, (plan_id,)).fetchone() is not None


def _dump_items(items: list[SequenceItem]) -> str:
    return _ITEMS.dump_json(items).decode()


def _plan_from_row(row: tuple[Any, ...]) -> SequencePlan:
    return SequencePlan(
        plan_id=row[0], originating_run_id=row[1], items=_ITEMS.validate_json(row[2])
    )


def _run_from_row(row: tuple[Any, ...]) -> Run:
    run_id, spec_digest, metadata, status, mode, summary, started_at, finished_at = row[:8]
    return Run(
        run_id=run_id,
        spec_digest=spec_digest,
        metadata=RunMetadata.model_validate_json(metadata),
        status=RunStatus(status),
        summary=RunSummary.model_validate_json(summary) if summary is not None else None,
        started_at=started_at,
        finished_at=finished_at,
        mode=mode,
    )
