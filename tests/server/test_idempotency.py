"""Retries that must not repeat an effect: event ingest under an idempotency key (ito's rule,
progress kept where ito keeps it) and lease allocation under an idempotency key."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from tests.server.conftest import Project


def event(entity_id: str, **changes: object) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "v": 1,
        "ts": "2026-11-22T10:00:00.000Z",
        "entity": "task",
        "entity_id": entity_id,
        "scope": "001-04_streaming-change-index",
        "op": "status_change",
        "from": "pending",
        "to": "complete",
        "actor": "cli",
        "by": "@tester",
        "ctx": {"session_id": "session-1"},
    }
    fields.update(changes)
    return fields


def log_lines(project: Project) -> list[str]:
    return (project.root / ".ito" / ".state" / "audit" / "events.jsonl").read_text().splitlines()


def key_file(project: Project, key: str) -> Path:
    return project.root / ".ito" / ".state" / "ingest-keys" / key


def ingest(project: Project, events: list[dict[str, Any]], key: str) -> Any:
    return project.http.post("/events", json={"events": events, "idempotency_key": key})


# --- event ingest ------------------------------------------------------------------------


def test_the_same_key_twice_appends_the_events_once(project: Project) -> None:
    before = len(log_lines(project))
    batch = [event("1.1"), event("1.2")]
    first = ingest(project, batch, "retry-me").json()
    again = ingest(project, batch, "retry-me").json()
    assert (first, again) == ({"accepted": 2, "duplicates": 0}, {"accepted": 0, "duplicates": 2})
    assert len(log_lines(project)) == before + 2


def test_the_key_file_holds_the_number_of_events_appended(project: Project) -> None:
    ingest(project, [event("1.1"), event("1.2"), event("1.3")], "counted")
    assert key_file(project, "counted").read_text().strip() == "3"


def test_a_retry_with_more_events_appends_only_the_ones_not_appended_yet(
    project: Project,
) -> None:
    before = len(log_lines(project))
    ingest(project, [event("1.1")], "growing")
    answer = ingest(project, [event("1.1"), event("1.2")], "growing").json()
    assert answer == {"accepted": 1, "duplicates": 1}
    assert len(log_lines(project)) == before + 2
    assert key_file(project, "growing").read_text().strip() == "2"


def test_another_key_appends_the_same_events_again(project: Project) -> None:
    before = len(log_lines(project))
    ingest(project, [event("1.1")], "first")
    assert ingest(project, [event("1.1")], "second").json() == {"accepted": 1, "duplicates": 0}
    assert len(log_lines(project)) == before + 2


def test_a_batch_with_one_invalid_event_is_refused_whole(project: Project) -> None:
    before = log_lines(project)
    response = ingest(project, [event("1.1"), event("1.2", ts="not a time")], "half-bad")
    assert (response.status_code, response.json()["code"]) == (400, "bad_request")
    assert "no event of the batch was stored" in response.json()["error"]
    assert log_lines(project) == before
    assert not key_file(project, "half-bad").exists()


def test_an_event_missing_a_field_refuses_the_batch(project: Project) -> None:
    before = log_lines(project)
    broken = event("1.2")
    del broken["actor"]
    response = ingest(project, [event("1.1"), broken], "missing-field")
    assert response.status_code == 400
    assert log_lines(project) == before


def test_a_stored_event_is_one_jsonl_line_in_itos_spelling(project: Project) -> None:
    ingest(project, [event("9.9")], "spelling")
    assert log_lines(project)[-1] == (
        '{"v":1,"ts":"2026-11-22T10:00:00.000Z","entity":"task","entity_id":"9.9",'
        '"scope":"001-04_streaming-change-index","op":"status_change","from":"pending",'
        '"to":"complete","actor":"cli","by":"@tester","ctx":{"session_id":"session-1"}}'
    )


# --- allocation --------------------------------------------------------------------------


def allocate(project: Project, holder: str, key: str | None) -> Any:
    body = {"holder": holder, "ttl_seconds": 600, "idempotency_key": key}
    return project.http.post("/leases/allocate", json=body).json()


def test_allocating_twice_with_the_same_key_returns_the_same_claim(project: Project) -> None:
    first = allocate(project, "me", "alloc-1")
    assert first["claim"] is not None
    assert allocate(project, "me", "alloc-1") == first


def test_allocating_twice_with_the_same_key_creates_one_lease(project: Project) -> None:
    allocate(project, "me", "alloc-1")
    allocate(project, "me", "alloc-1")
    assert [lease["holder"] for lease in project.http.get("/leases").json()] == ["me"]


def test_allocating_twice_without_a_key_creates_two_leases(project: Project) -> None:
    allocate(project, "me", None)
    allocate(project, "me", None)
    assert len(project.http.get("/leases").json()) == 2


def test_an_allocation_key_is_stored_once_in_the_state_database(project: Project) -> None:
    claim = allocate(project, "me", "alloc-1")["claim"]
    allocate(project, "me", "alloc-1")
    with closing(sqlite3.connect(project.root / ".quarterdeck" / "state.db")) as db:
        rows = db.execute("SELECT idempotency_key, holder, change_id FROM allocations").fetchall()
    assert rows == [("alloc-1", "me", claim["change_id"])]


def test_an_invalid_allocation_key_is_400_and_leases_nothing(project: Project) -> None:
    response = project.http.post(
        "/leases/allocate", json={"holder": "me", "idempotency_key": "not/a/key"}
    )
    assert (response.status_code, response.json()["code"]) == (400, "bad_request")
    assert project.http.get("/leases").json() == []
