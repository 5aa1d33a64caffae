"""ito's audit log `.ito/.state/audit/events.jsonl` and idempotent event ingest (FORMATS.md §1
"Audit event", §2 "Event ingest", "Server data dir").

Ingest progress per idempotency key lives where ito keeps it (`.state/ingest-keys/<key>`: the
number of that request's events appended so far), so either server can resume the other's
half-done request.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import ValidationError

from core.fsutil import append_line_durably, atomic_write
from core.ito.locks import exclusive_lock
from core.models.changes import Diagnostic
from core.models.errors import InvalidInput
from core.models.events import AuditEvent, EventBatch, EventIngestResult
from core.timeutil import parse_rfc3339

_KEY = re.compile(r"[A-Za-z0-9_-]{1,128}")


def event_line(event: AuditEvent) -> str:
    """The JSONL spelling of one event (compact, UTF-8, ito's field set), newline included."""
    try:
        text = json.dumps(
            event.to_json_dict(), ensure_ascii=False, separators=(",", ":"), allow_nan=False
        )
        text.encode("utf-8")
    except (ValueError, UnicodeEncodeError) as err:
        raise InvalidInput(
            f"event {event.entity}/{event.entity_id} cannot be stored: {err}"
        ) from None
    return text + "\n"


def event_problem(event: AuditEvent) -> str | None:
    """Why an event may not be stored, or None. Pydantic already checked the fields' types."""
    if event.v != 1:
        return f"unsupported version v={event.v}"
    for name in ("entity", "entity_id", "op", "actor", "by"):
        if not getattr(event, name):
            return f"{name} is empty"
    if not event.ctx.session_id:
        return "ctx.session_id is empty"
    try:
        parse_rfc3339(event.ts)
    except ValueError:
        return f"ts {event.ts!r} is not an RFC 3339 time"
    return None


def _parse_line(raw: bytes) -> AuditEvent | str:
    """An event, or what is wrong with the line."""
    try:
        return AuditEvent.model_validate_json(raw)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"not an audit event: {where + ': ' if where else ''}{first['msg']}"


def parse_events_bytes(data: bytes, path: str) -> tuple[list[AuditEvent], list[Diagnostic]]:
    """Every readable event in file order; each unreadable (torn, garbled) line a diagnostic."""
    events: list[AuditEvent] = []
    diagnostics: list[Diagnostic] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        parsed = _parse_line(raw)
        if isinstance(parsed, str):
            diagnostics.append(Diagnostic(path=path, line=number, message=parsed))
        else:
            events.append(parsed)
    return events, diagnostics


class AuditLog:
    def __init__(self, ito_dir: Path) -> None:
        state = ito_dir / ".state"
        self.path = state / "audit" / "events.jsonl"
        self.keys_dir = state / "ingest-keys"
        # Ours: where an ingest records the offset it is about to append at (see `ingest`).
        self.pending_dir = state / "ingest-pending"
        self.lock_path = state / "locks" / "events.lock"

    def _read(self) -> bytes:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return b""

    def events(self, limit: int | None = None) -> list[AuditEvent]:
        """Events in file order; with `limit`, the last `limit` readable ones."""
        if limit is None:
            return parse_events_bytes(self._read(), str(self.path))[0]
        picked: list[AuditEvent] = []
        for raw in reversed(self._read().split(b"\n")):
            if len(picked) >= limit:
                break
            if raw.strip():
                parsed = _parse_line(raw)
                if not isinstance(parsed, str):
                    picked.append(parsed)
        picked.reverse()
        return picked

    def diagnostics(self) -> list[Diagnostic]:
        return parse_events_bytes(self._read(), str(self.path))[1]

    def _end_offset(self) -> int:
        """The size the next append starts at, after closing a torn last line.

        A crash can leave the last line without its newline; appending straight after it
        would glue the next event onto the fragment and lose both.
        """
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return 0
        if size:
            with self.path.open("rb") as handle:
                handle.seek(size - 1)
                if handle.read(1) != b"\n":
                    append_line_durably(self.path, "")
                    size += 1
        return size

    def append(self, event: AuditEvent) -> None:
        problem = event_problem(event)
        if problem is not None:
            raise InvalidInput(f"event {event.entity}/{event.entity_id}: {problem}")
        line = event_line(event)
        with exclusive_lock(self.lock_path):
            self._end_offset()
            append_line_durably(self.path, line)

    def ingest(self, batch: EventBatch) -> EventIngestResult:
        """Append the events of a request not appended before under its idempotency key.

        Exactly once, even across a crash: before appending events[n:], record "n offset" in
        `ingest-pending/<key>`; append them in one write; then store the new count in
        `ingest-keys/<key>` and drop the record. A retry that finds the record compares the
        log's bytes at that offset with the events it would append and counts those already
        there (a torn tail counts as not there; readers skip it). Plain "append then bump"
        would append an event twice after a crash between the two steps; "bump then append"
        would lose one.
        """
        if not batch.events:
            # ito answers an empty batch before looking at the key; so do we.
            return EventIngestResult(accepted=0, duplicates=0)
        key = batch.idempotency_key
        if _KEY.fullmatch(key) is None:
            raise InvalidInput(
                "idempotency_key must be 1-128 characters of A-Z, a-z, 0-9, '_' or '-'"
            )
        lines: list[bytes] = []
        for index, event in enumerate(batch.events):
            problem = event_problem(event)
            if problem is not None:
                raise InvalidInput(f"event {index}: {problem}; no event of the batch was stored")
            lines.append(event_line(event).encode("utf-8"))
        with exclusive_lock(self.lock_path):
            done = self._recover(key, self._stored_count(key), lines)
            done = min(done, len(lines))
            if done < len(lines):
                offset = self._end_offset()
                pending = self.pending_dir / key
                atomic_write(pending, f"{done} {offset}\n")
                append_line_durably(self.path, b"".join(lines[done:]).decode("utf-8"))
                atomic_write(self.keys_dir / key, str(len(lines)))
                pending.unlink()
        return EventIngestResult(accepted=len(lines) - done, duplicates=done)

    def _stored_count(self, key: str) -> int:
        """The key file's count; like ito, an unreadable file counts as nothing appended."""
        try:
            text = (self.keys_dir / key).read_text("utf-8", errors="replace").strip()
        except FileNotFoundError:
            return 0
        return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else 0

    def _recover(self, key: str, count: int, lines: list[bytes]) -> int:
        pending = self.pending_dir / key
        try:
            start_text, offset_text = pending.read_text("ascii").split()
            start, offset = int(start_text), int(offset_text)
        except FileNotFoundError:
            return count
        except (ValueError, UnicodeDecodeError):
            pending.unlink()
            return count
        if start == count:
            landed = self._count_landed(offset, lines[start:])
            if landed:
                count = start + landed
                atomic_write(self.keys_dir / key, str(count))
        pending.unlink()
        return count

    def _count_landed(self, offset: int, lines: list[bytes]) -> int:
        """How many of `lines` sit, whole and in order, at `offset` of the log."""
        try:
            with self.path.open("rb") as handle:
                handle.seek(offset)
                data = handle.read(sum(len(line) for line in lines))
        except OSError:
            return 0
        landed = position = 0
        for line in lines:
            if data[position : position + len(line)] != line:
                break
            position += len(line)
            landed += 1
        return landed
