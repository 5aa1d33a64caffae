"""The session-start backlog review, with a durable decision log (FORMATS.md §4).

aristo's own `drain` deletes the backlog file before its caller has acted on the items, so
a crash loses them. Here an item leaves the backlog only after the person's decision on it is
fsynced to `review-decisions.jsonl` (beside the backlog files; not a `.toml`, so aristo
ignores it). A crash between the two steps leaves a recorded decision whose item is still in
the backlog; `reconcile()` finishes it.

A deferral is identified by (kind, item_ref, deferred_at). The same item_ref deferred twice
is two deferrals, and `decide` acts on the first one in the file (aristo appends, so the
oldest). Two identical keys are copies of one deferral: accepting or rejecting it removes
every copy.

Quarterdeck processes serialise each kind's read-modify-write with `flock` on
`.<kind>.toml.lock`. aristo does not take that lock, so right before each rewrite the file
is checked again and re-read if it was replaced: an item aristo appended meanwhile is kept.
"""

from __future__ import annotations

import fcntl
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import ValidationError

from core.backlog.store import BacklogStore, FileStamp, validate_kind
from core.fsutil import append_line_durably
from core.models.backlog import BacklogItem, Decision, DecisionRecord
from core.models.errors import InvalidInput, NotFound, ParseError
from core.timeutil import Clock, system_clock, to_rfc3339

DECISION_LOG = "review-decisions.jsonl"

Key = tuple[str, str, str]
# A backlog file's items as read, with the stamp of the file they came from.
Snapshot = tuple[list[BacklogItem], FileStamp]


class BacklogReview:
    def __init__(self, root: Path, clock: Clock = system_clock) -> None:
        self.store = BacklogStore(root)
        self.log_path = self.store.backlog_dir / DECISION_LOG
        self._clock = clock

    def decide(
        self,
        kind: str,
        item_ref: str,
        decision: Decision,
        note: str | None,
        decided_by: str,
    ) -> DecisionRecord:
        """Record the decision durably, then apply it to the backlog file."""
        validate_kind(kind)
        if not decided_by:
            raise InvalidInput("a decision needs decided_by")
        with self._locked(f".{kind}.toml.lock"):
            items, stamp = self.store.read_stamped(kind)
            item = next((i for i in items if i.item_ref == item_ref), None)
            if item is None:
                raise NotFound("backlog item", f"{kind}/{item_ref}")
            record = DecisionRecord(
                decision_id=uuid.uuid4().hex,
                decision=decision,
                note=note,
                decided_at=to_rfc3339(self._clock()),
                decided_by=decided_by,
                item={**item.api_dict(), **({"extra": item.extra} if item.extra else {})},
            )
            self._append(record)
            if decision is not Decision.DEFER or note is not None:
                action = _Action()
                action.follow(record)
                self._apply(kind, {item.key: action}, (items, stamp))
        return record

    def reconcile(self) -> int:
        """Apply every recorded decision the backlog does not reflect yet; returns the fixes.

        Per deferral the last decision wins: accept/reject removes it, keep-deferred with a
        note sets that note. Applying an already applied decision changes nothing.
        """
        pending: dict[str, dict[Key, _Action]] = {}
        for record in self.decisions():
            action = pending.setdefault(record.key[0], {}).setdefault(record.key, _Action())
            action.follow(record)
        fixes = 0
        for kind, actions in pending.items():
            with self._locked(f".{kind}.toml.lock"):
                fixes += self._apply(kind, actions)
        return fixes

    def decisions(self) -> list[DecisionRecord]:
        """Every acknowledged decision, oldest first.

        Only newline-terminated lines count: a torn last line is an append that a crash
        interrupted before it was acknowledged.
        """
        try:
            raw = self.log_path.read_bytes()
        except FileNotFoundError:
            return []
        lines = raw.split(b"\n")[:-1]
        records: list[DecisionRecord] = []
        for number, line in enumerate(lines, start=1):
            if line.strip():
                records.append(self._parse_record(line, number))
        return records

    # Defined after the methods whose annotations say `list[...]`, which it would shadow.
    def list(self, kind: str | None = None) -> list[BacklogItem]:
        """The items awaiting a decision, after finishing any interrupted decision."""
        self.reconcile()
        kinds = [validate_kind(kind)] if kind is not None else self.store.kinds()
        items = [item for each in kinds for item in self.store.read(each)]
        return sorted(items, key=lambda item: (item.kind, item.deferred_at, item.item_ref))

    def _parse_record(self, line: bytes, number: int) -> DecisionRecord:
        try:
            record = DecisionRecord.model_validate_json(line)
            validate_kind(str(record.item.get("kind", "")))
            for field in ("item_ref", "deferred_at"):
                if not isinstance(record.item.get(field), str):
                    raise InvalidInput(f"item.{field} must be a string")
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            reason = f"garbled decision record: {where + ': ' if where else ''}{first['msg']}"
            raise ParseError(str(self.log_path), number, reason) from None
        except InvalidInput as exc:
            raise ParseError(
                str(self.log_path), number, f"garbled decision record: {exc}"
            ) from None
        return record

    def _append(self, record: DecisionRecord) -> None:
        with self._locked(f".{DECISION_LOG}.lock"):
            _drop_torn_tail(self.log_path)
            append_line_durably(self.log_path, record.model_dump_json())

    def _apply(
        self,
        kind: str,
        actions: dict[Key, _Action],
        known: Snapshot | None = None,
    ) -> int:
        """Apply `actions` to the file as it is now; the caller holds the kind's lock.

        `known` is an earlier read, reused only if the file has not been replaced since
        (aristo may have rewritten it; parsing a large backlog again is the slow part).
        """
        if known is not None and known[1] == self.store.stamp(kind):
            current = known[0]
        else:
            current = self.store.read(kind)
        kept: list[BacklogItem] = []
        changes = 0
        for item in current:
            action = actions.get(item.key)
            if action is None:
                kept.append(item)
            elif action.remove:
                changes += 1
            elif action.note is not None and item.note != action.note:
                kept.append(item.model_copy(update={"note": action.note}))
                changes += 1
            else:
                kept.append(item)
        if changes:
            self.store.write(kind, kept)
        return changes

    @contextmanager
    def _locked(self, lock_name: str) -> Iterator[None]:
        self.store.backlog_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.store.backlog_dir / lock_name, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


class _Action:
    """What the decisions on one deferral add up to: the last one decides whether it goes,
    and the last note given while keeping it is the note it should carry."""

    __slots__ = ("note", "remove")

    def __init__(self) -> None:
        self.remove = False
        self.note: str | None = None

    def follow(self, record: DecisionRecord) -> None:
        if record.decision is Decision.DEFER:
            self.remove = False
            if record.note is not None:
                self.note = record.note
        else:
            self.remove = True


def _drop_torn_tail(path: Path) -> None:
    """Cut an unterminated last line, so the next record starts on a line of its own."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return
    try:
        size = os.fstat(fd).st_size
        if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
            return
        keep = 0
        end = size - 1
        while end > 0:
            start = max(0, end - 4096)
            newline = os.pread(fd, end - start, start).rfind(b"\n")
            if newline >= 0:
                keep = start + newline + 1
                break
            end = start
        os.ftruncate(fd, keep)
        os.fsync(fd)
    finally:
        os.close(fd)
