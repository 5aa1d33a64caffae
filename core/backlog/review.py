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

A 10,000-item backlog stays quick because nothing is parsed twice: the store keeps each
file's items while the file is unchanged, the log reader parses only appended records, and
the decisions read so far stay folded into what each deferral still needs.
"""

from __future__ import annotations

import fcntl
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from operator import attrgetter
from pathlib import Path

from core.backlog.decision_log import DecisionLogReader
from core.backlog.store import BacklogStore, Snapshot, validate_kind
from core.fsutil import append_line_durably
from core.models.backlog import BacklogItem, Decision, DecisionRecord
from core.models.errors import InvalidInput, NotFound
from core.timeutil import Clock, system_clock, to_rfc3339

DECISION_LOG = "review-decisions.jsonl"

Key = tuple[str, str, str]
# Within a kind; `list` sorts by (kind, deferred_at, item_ref).
_LISTING_ORDER = attrgetter("deferred_at", "item_ref")


class BacklogReview:
    def __init__(self, root: Path, clock: Clock = system_clock) -> None:
        self.store = BacklogStore(root)
        self.log_path = self.store.backlog_dir / DECISION_LOG
        self._clock = clock
        self._log = DecisionLogReader(self.log_path)
        # The log's records folded into one action per deferral, per kind; `_folded` records
        # of log generation `_generation` are in.
        self._actions: dict[str, dict[Key, _Action]] = {}
        self._folded = 0
        self._generation = 0
        # Per kind, the snapshot last found to reflect every action and how many records
        # of that kind had been folded then: until either changes, there is nothing to do.
        self._records_per_kind: dict[str, int] = {}
        self._reflected: dict[str, tuple[Snapshot, int]] = {}
        # Each kind's items in listing order, for the snapshot they were sorted from.
        self._ordered: dict[str, tuple[Snapshot, list[BacklogItem]]] = {}
        self._state_lock = threading.Lock()

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
            items = self.store.snapshot(kind).items
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
                self._apply(kind, {item.key: action})
        return record

    def reconcile(self) -> int:
        """Apply every recorded decision the backlog does not reflect yet; returns the fixes.

        Per deferral the last decision wins: accept/reject removes it, keep-deferred with a
        note sets that note. Applying an already applied decision changes nothing.
        """
        fixes = 0
        with self._state_lock:
            for kind, actions in self._fold().items():
                current = self.store.snapshot(kind)
                version = (current, self._records_per_kind[kind])
                if self._reflected.get(kind) == version:
                    continue
                # Checked without the lock first: almost always there is nothing to do.
                if _edited(current.items, actions)[1] > 0:
                    with self._locked(f".{kind}.toml.lock"):
                        fixes += self._apply(kind, actions)
                    continue
                self._reflected[kind] = version
        return fixes

    def decisions(self) -> list[DecisionRecord]:
        """Every acknowledged decision, oldest first.

        Only newline-terminated lines count: a torn last line is an append that a crash
        interrupted before it was acknowledged.
        """
        return self._log.read()[1]

    def _fold(self) -> dict[str, dict[Key, _Action]]:
        """The actions of every record in the log, folding in only records not seen yet."""
        generation, records = self._log.read()
        if generation != self._generation:
            self._actions, self._folded, self._generation = {}, 0, generation
            self._records_per_kind, self._reflected = {}, {}
        for record in records[self._folded :]:
            kind = record.key[0]
            self._actions.setdefault(kind, {}).setdefault(record.key, _Action()).follow(record)
            self._records_per_kind[kind] = self._records_per_kind.get(kind, 0) + 1
        self._folded = len(records)
        return self._actions

    def _in_order(self, kind: str) -> list[BacklogItem]:
        current = self.store.snapshot(kind)
        with self._state_lock:
            known = self._ordered.get(kind)
            if known is None or known[0] is not current:
                ordered = sorted(current.items, key=_LISTING_ORDER)
                known = self._ordered[kind] = (current, ordered)
        return known[1]

    # Defined after the methods whose annotations say `list[...]`, which it would shadow.
    def list(self, kind: str | None = None) -> list[BacklogItem]:
        """The items awaiting a decision, after finishing any interrupted decision."""
        self.reconcile()
        kinds = [validate_kind(kind)] if kind is not None else self.store.kinds()
        # Sorted by (kind, deferred_at, item_ref): kinds come sorted, so by kind in turn.
        return [item for each in kinds for item in self._in_order(each)]

    def _append(self, record: DecisionRecord) -> None:
        with self._locked(f".{DECISION_LOG}.lock"):
            _drop_torn_tail(self.log_path)
            append_line_durably(self.log_path, record.model_dump_json())

    def _apply(self, kind: str, actions: dict[Key, _Action]) -> int:
        """Apply `actions` to the file as it is now; the caller holds the kind's lock."""
        kept, changes = _edited(self.store.snapshot(kind).items, actions)
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


def _edited(items: list[BacklogItem], actions: dict[Key, _Action]) -> tuple[list[BacklogItem], int]:
    """The items once `actions` are applied, and how many that changed."""
    kept: list[BacklogItem] = []
    changes = 0
    # Comparing refs first spares building a key for each of thousands of items.
    refs = {key[1] for key in actions}
    for item in items:
        action = actions.get(item.key) if item.item_ref in refs else None
        if action is None:
            kept.append(item)
        elif action.remove:
            changes += 1
        elif action.note is not None and item.note != action.note:
            kept.append(item.model_copy(update={"note": action.note}))
            changes += 1
        else:
            kept.append(item)
    return kept, changes


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
