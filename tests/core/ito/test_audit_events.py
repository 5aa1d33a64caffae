"""The audit log and idempotent event ingest (FORMATS.md §1 "Audit event", §2 "Event ingest")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from core.ito import ItoWorkspace
from core.ito.audit import event_line
from core.models.errors import InvalidInput
from core.models.events import AuditEvent, EventBatch, EventIngestResult

if TYPE_CHECKING:
    from tests.core.ito.conftest import Builder


def example_request(build: Builder) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(build.fixture("example_event_ingest_request.json"))
    return loaded


def event(n: int, **changes: Any) -> AuditEvent:
    data: dict[str, Any] = {
        "v": 1,
        "ts": f"2026-03-07T12:00:{n:02d}.000Z",
        "entity": "task",
        "entity_id": f"1.{n}",
        "scope": "001-01_alpha-feature",
        "op": "create",
        "to": "pending",
        "actor": "cli",
        "by": "@qa",
        "ctx": {"session_id": "s"},
    }
    data.update(changes)
    return AuditEvent.model_validate(data)


def batch(count: int, key: str = "key-1") -> EventBatch:
    return EventBatch(events=[event(n) for n in range(count)], idempotency_key=key)


def log_path(workspace: ItoWorkspace) -> Path:
    return workspace.ito_dir / ".state" / "audit" / "events.jsonl"


def test_an_appended_event_is_one_compact_json_line(build: Builder) -> None:
    workspace = build.workspace()
    raw = example_request(build)["events"][0]
    workspace.append_event(AuditEvent.model_validate(raw))
    assert log_path(workspace).read_text().splitlines() == [json.dumps(raw, separators=(",", ":"))]


def test_optional_fields_are_omitted_and_from_keeps_its_name() -> None:
    line = event_line(event(1, **{"from": "pending", "to": "complete", "count": 1}))
    data = json.loads(line)
    assert (data["from"], "count" in data, "meta" in data) == ("pending", False, False)


def test_events_are_read_back_in_file_order(build: Builder) -> None:
    workspace = build.workspace()
    for n in range(3):
        workspace.append_event(event(n))
    assert [e.entity_id for e in workspace.list_events()] == ["1.0", "1.1", "1.2"]


def test_a_limit_returns_the_most_recent_events(build: Builder) -> None:
    workspace = build.workspace()
    for n in range(5):
        workspace.append_event(event(n))
    assert [e.entity_id for e in workspace.list_events(limit=2)] == ["1.3", "1.4"]


def test_a_workspace_without_a_log_has_no_events(build: Builder) -> None:
    workspace = build.workspace()
    assert (workspace.list_events(), workspace.event_diagnostics()) == ([], [])


def test_a_torn_last_line_is_skipped_and_reported(build: Builder) -> None:
    workspace = build.workspace()
    workspace.append_event(event(1))
    with log_path(workspace).open("a") as handle:
        handle.write('{"v":1,"ts":"2026-')
    assert [e.entity_id for e in workspace.list_events()] == ["1.1"]
    [diagnostic] = workspace.event_diagnostics()
    assert diagnostic.line == 2
    assert diagnostic.path.endswith("events.jsonl")


def test_a_garbled_line_in_the_middle_does_not_hide_the_others(build: Builder) -> None:
    workspace = build.workspace()
    workspace.append_event(event(1))
    with log_path(workspace).open("a") as handle:
        handle.write('{"v": 1, "entity": "task"}\n\x00\x01 not json\n')
    workspace.append_event(event(2))
    assert [e.entity_id for e in workspace.list_events()] == ["1.1", "1.2"]
    assert [d.line for d in workspace.event_diagnostics()] == [2, 3]


def test_an_event_appended_after_a_torn_line_starts_its_own_line(build: Builder) -> None:
    workspace = build.workspace()
    log_path(workspace).parent.mkdir(parents=True)
    log_path(workspace).write_text('{"v":1,"ts')
    workspace.append_event(event(7))
    assert [e.entity_id for e in workspace.list_events()] == ["1.7"]


def test_an_event_with_an_empty_required_field_is_refused(build: Builder) -> None:
    with pytest.raises(InvalidInput, match="actor is empty"):
        build.workspace().append_event(event(1, actor=""))


def test_an_ingested_batch_is_appended_and_counted(build: Builder) -> None:
    workspace = build.workspace()
    assert workspace.ingest_events(batch(3)) == EventIngestResult(accepted=3, duplicates=0)
    assert len(workspace.list_events()) == 3


def test_the_example_request_is_accepted(build: Builder) -> None:
    request = EventBatch.model_validate(example_request(build))
    assert build.workspace().ingest_events(request) == EventIngestResult(accepted=1, duplicates=0)


def test_the_key_file_holds_the_number_of_events_appended(build: Builder) -> None:
    workspace = build.workspace()
    workspace.ingest_events(batch(3, "abc"))
    assert (workspace.ito_dir / ".state" / "ingest-keys" / "abc").read_text() == "3"


def test_a_retry_with_the_same_key_appends_nothing_twice(build: Builder) -> None:
    workspace = build.workspace()
    workspace.ingest_events(batch(3))
    before = log_path(workspace).read_bytes()
    assert workspace.ingest_events(batch(3)) == EventIngestResult(accepted=0, duplicates=3)
    assert log_path(workspace).read_bytes() == before


def test_a_retry_after_partial_progress_appends_only_the_rest(build: Builder) -> None:
    workspace = build.workspace()
    keys = workspace.ito_dir / ".state" / "ingest-keys"
    keys.mkdir(parents=True)
    (keys / "key-1").write_text("2")
    assert workspace.ingest_events(batch(5)) == EventIngestResult(accepted=3, duplicates=2)
    assert [e.entity_id for e in workspace.list_events()] == ["1.2", "1.3", "1.4"]


def test_an_unreadable_key_file_counts_as_nothing_appended(build: Builder) -> None:
    workspace = build.workspace()
    keys = workspace.ito_dir / ".state" / "ingest-keys"
    keys.mkdir(parents=True)
    (keys / "key-1").write_text("garbage")
    assert workspace.ingest_events(batch(2)).accepted == 2


def test_an_empty_batch_is_accepted_as_nothing(build: Builder) -> None:
    empty = EventBatch(events=[], idempotency_key="")
    assert build.workspace().ingest_events(empty) == EventIngestResult(accepted=0, duplicates=0)


@pytest.mark.parametrize("key", ["", "a" * 129, "has space", "semi;colon", "dot.dot", "ünï"])
def test_a_malformed_idempotency_key_is_refused(build: Builder, key: str) -> None:
    with pytest.raises(InvalidInput, match="idempotency_key"):
        build.workspace().ingest_events(batch(1, key))


def test_a_128_character_key_is_fine(build: Builder) -> None:
    assert build.workspace().ingest_events(batch(1, "A_-9" * 32)).accepted == 1


def test_one_invalid_event_rejects_the_whole_batch(build: Builder) -> None:
    workspace = build.workspace()
    bad = EventBatch(events=[event(0), event(1, ts="yesterday")], idempotency_key="k")
    with pytest.raises(InvalidInput, match="event 1: ts 'yesterday'"):
        workspace.ingest_events(bad)
    assert workspace.list_events() == []
    assert not (workspace.ito_dir / ".state" / "ingest-keys" / "k").exists()


def _crash_after_append(workspace: ItoWorkspace, events: EventBatch, landed: bytes) -> None:
    """The state a crash between "append" and "store the count" leaves behind."""
    log = log_path(workspace)
    log.parent.mkdir(parents=True, exist_ok=True)
    offset = log.stat().st_size if log.exists() else 0
    pending = workspace.ito_dir / ".state" / "ingest-pending" / events.idempotency_key
    pending.parent.mkdir(parents=True)
    pending.write_text(f"0 {offset}\n")
    with log.open("ab") as handle:
        handle.write(landed)


def test_a_retry_after_a_crash_before_the_count_was_stored_adds_no_duplicate(
    build: Builder,
) -> None:
    workspace = build.workspace()
    events = batch(3)
    _crash_after_append(workspace, events, b"".join(event_line(e).encode() for e in events.events))
    assert workspace.ingest_events(events) == EventIngestResult(accepted=0, duplicates=3)
    assert len(workspace.list_events()) == 3


def test_a_retry_after_a_torn_append_adds_exactly_the_missing_events(build: Builder) -> None:
    workspace = build.workspace()
    events = batch(3)
    lines = [event_line(e).encode() for e in events.events]
    _crash_after_append(workspace, events, lines[0] + lines[1][:10])
    assert workspace.ingest_events(events) == EventIngestResult(accepted=2, duplicates=1)
    assert [e.entity_id for e in workspace.list_events()] == ["1.0", "1.1", "1.2"]
    assert len(workspace.event_diagnostics()) == 1


def test_a_retry_after_a_crash_before_anything_landed_appends_all(build: Builder) -> None:
    workspace = build.workspace()
    events = batch(2)
    _crash_after_append(workspace, events, b"")
    assert workspace.ingest_events(events) == EventIngestResult(accepted=2, duplicates=0)
