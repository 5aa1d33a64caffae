"""Mode 5 — the deferred review backlog, reviewed one item at a time.

Quarterdeck opens here first when deferred items are waiting (the session-start review). The
queue is what was deferred when the screen loaded, grouped by kind; each decision is recorded
by the service (durably, before the item leaves the backlog) and marked in the queue, and the
cursor moves on to the next undecided item. Leaving early writes nothing: every item not
decided stays deferred.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.rule import Rule
from rich.segment import Segment
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static

from core.models.backlog import BacklogItem, Decision, DecisionRecord
from core.models.errors import BackendUnavailable, NotFound, QuarterdeckError
from core.service import Service
from core.timeutil import parse_rfc3339
from styles import STYLES
from tui.commands import Entry, backlog_entries
from tui.formatting import ago
from tui.palette import Palette
from tui.screens.base import ModeScreen
from tui.screens.dialogs import prompt
from tui.widgets.fast_table import Column, FastTable


class State(StrEnum):
    UNDECIDED = "undecided"
    SAVING = "saving"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    KEPT = "kept"


STATE_OF = {
    Decision.ACCEPT: State.ACCEPTED,
    Decision.REJECT: State.REJECTED,
    Decision.DEFER: State.KEPT,
}
MARKS = {
    State.UNDECIDED: " ",
    State.SAVING: "…",
    State.ACCEPTED: "✓",
    State.REJECTED: "✗",
    State.KEPT: "⏸",
}
DONE = frozenset({State.ACCEPTED, State.REJECTED, State.KEPT})
# Decided items that have left the backlog: deciding them again is impossible.
GONE = frozenset({State.ACCEPTED, State.REJECTED})

# Data fields aristo writes, in the order a reviewer reads them; any other field follows.
KNOWN_FIELDS = (
    "category",
    "severity",
    "verdict_type",
    "kind",
    "annotation_kind",
    "proof_id",
    "index",
    "rationale",
    "suggested_text",
    "suggestion_text_hash",
)
HEADLINE_FIELDS = ("severity", "verdict_type", "annotation_kind", "category")
QUOTED_FIELDS = frozenset({"suggested_text"})
FIELD_LABELS = {
    "annotation_kind": "Annotation",
    "proof_id": "Proof ID",
    "suggested_text": "Suggested",
    "suggestion_text_hash": "Text hash",
}

# Queue width (cells) from which it also shows what each item is about and its note.
WIDE_QUEUE = 64

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def row_key(item: BacklogItem) -> str:
    """One deferral (kind, ref, deferred_at) as a table key; a kind never holds '/'."""
    return f"{item.kind}/{item.item_ref}@{item.deferred_at}"


def queue_order(item: BacklogItem) -> tuple[str, str, str]:
    # The service's order, so the queue reads like `quarterdeck backlog list`.
    return (item.kind, item.deferred_at, item.item_ref)


def clean(text: str) -> str:
    """External text with control characters blanked (an escape would garble the screen)."""
    return _CONTROL.sub(" ", text)


# --------------------------------------------------------------------------- the queue


@dataclass(eq=False)
class QueueItem:
    """A deferral in this session's queue and what the person did with it here."""

    item: BacklogItem
    state: State = State.UNDECIDED
    # Typed with `n`, sent with the next decision on this item.
    draft_note: str | None = None
    # The note recorded with this session's decision.
    decided_note: str | None = None
    decided_at: str | None = None

    @property
    def key(self) -> str:
        return row_key(self.item)


@dataclass(frozen=True)
class KindHeading:
    kind: str
    total: int
    done: int


QueueRow = KindHeading | QueueItem


class ReviewQueue:
    """This session's queue: the deferrals as loaded, merged with later loads so that the
    session's decisions survive a refresh and nothing reorders under the cursor."""

    def __init__(self) -> None:
        self._entries: dict[str, QueueItem] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[QueueItem]:
        return iter(self._entries.values())

    def get(self, key: str) -> QueueItem | None:
        return self._entries.get(key)

    def merge(self, items: Iterable[BacklogItem]) -> list[QueueItem]:
        """Take a fresh listing; returns the undecided entries that left the backlog.

        New deferrals slot into their place; undecided ones no longer listed were decided
        elsewhere and are dropped; ones decided here stay, marked, as the session's record.
        """
        fresh: dict[str, BacklogItem] = {}
        for item in items:
            # Identical keys are copies of one deferral; a decision removes them together.
            fresh.setdefault(row_key(item), item)
        merged: dict[str, QueueItem] = {}
        dropped: list[QueueItem] = []
        for key, entry in self._entries.items():
            listed = fresh.pop(key, None)
            if listed is not None:
                entry.item = listed
            elif entry.state is State.UNDECIDED:
                dropped.append(entry)
                continue
            merged[key] = entry
        for key, item in fresh.items():
            merged[key] = QueueItem(item)
        # The order depends only on fields that never change, so entries keep their order.
        self._entries = dict(sorted(merged.items(), key=lambda pair: queue_order(pair[1].item)))
        return dropped

    def drop(self, entry: QueueItem) -> None:
        self._entries.pop(entry.key, None)

    def rows(self) -> list[QueueRow]:
        """Each kind's heading, then its items."""
        rows: list[QueueRow] = []
        group: list[QueueItem] = []

        def close() -> None:
            if group:
                done = sum(1 for entry in group if entry.state in DONE)
                rows.append(KindHeading(group[0].item.kind, len(group), done))
                rows.extend(group)
                group.clear()

        for entry in self._entries.values():
            if group and entry.item.kind != group[0].item.kind:
                close()
            group.append(entry)
        close()
        return rows

    def position(self, entry: QueueItem) -> int:
        """1-based place of `entry` in the queue ("3" of "3 of 8")."""
        return list(self._entries).index(entry.key) + 1

    def next_undecided(self, after: QueueItem | None = None) -> QueueItem | None:
        """The first undecided entry after `after`, wrapping round to the start."""
        entries = list(self._entries.values())
        start = entries.index(after) + 1 if after is not None and after in entries else 0
        for entry in entries[start:] + entries[:start]:
            if entry.state is State.UNDECIDED:
                return entry
        return None

    def count(self, *states: State) -> int:
        return sum(1 for entry in self._entries.values() if entry.state in states)

    @property
    def undecided(self) -> int:
        """Still awaiting a confirmed decision (the mode bar's count)."""
        return self.count(State.UNDECIDED, State.SAVING)

    def find(self, kind: str, item_ref: str) -> QueueItem | None:
        """The first deferral of `item_ref` (the one the service decides on)."""
        for entry in self._entries.values():
            if entry.item.kind == kind and entry.item.item_ref == item_ref:
                return entry
        return None


def summary_text(queue: ReviewQueue) -> str:
    """`Reviewed 8: 3 accepted, 2 rejected, 3 kept deferred`."""
    parts = [
        f"{queue.count(State.ACCEPTED)} accepted",
        f"{queue.count(State.REJECTED)} rejected",
        f"{queue.count(State.KEPT)} kept deferred",
    ]
    reviewed = queue.count(*DONE)
    shown = [part for part in parts if not part.startswith("0 ")]
    return f"Reviewed {reviewed}: {', '.join(shown)}" if shown else "Reviewed 0"


# --------------------------------------------------------------------------- rendering


class Quote:
    """Text behind a bar on its left, wrapped to the width it is given (suggested text)."""

    def __init__(self, text: Text, bar_style: str) -> None:
        self.text = text
        self.bar_style = bar_style

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(1, options.max_width - 2)
        for line in self.text.wrap(console, width, overflow="fold"):
            yield Segment("▎ ", console.get_style(self.bar_style))
            yield from line.render(console)
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        longest = max((Text(line).cell_len for line in self.text.plain.splitlines()), default=0)
        return Measurement(3, min(options.max_width, longest + 2))


class TitleLine:
    """`critique-review · 3 of 8      ━━━━━━━━━━━━ 2 of 8 reviewed`: the progress bar on the
    title's line when the width allows, on a line of its own below it otherwise."""

    MAX_BAR = 24
    MIN_BAR = 6

    def __init__(self, title: Text, fraction: float, bar_style: str, label: str) -> None:
        self.title = title
        self.fraction = fraction
        self.bar_style = bar_style
        self.label = label

    def _progress(self, width: int) -> Text:
        filled = round(min(max(self.fraction, 0.0), 1.0) * width)
        line = Text(no_wrap=True)
        line.append("━" * filled, style=self.bar_style)
        line.append("━" * (width - filled), style="dim")
        line.append(" " + self.label, style="bold")
        return line

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        beside = width - self.title.cell_len - len(self.label) - 4
        if beside >= self.MIN_BAR:
            progress = self._progress(min(self.MAX_BAR, beside))
            gap = width - self.title.cell_len - progress.cell_len
            yield Text.assemble(self.title, " " * gap, progress, no_wrap=True)
            return
        title = self.title.copy()
        title.truncate(width, overflow="ellipsis")
        yield title
        progress = self._progress(min(self.MAX_BAR, max(1, width - len(self.label) - 1)))
        progress.truncate(width)
        yield progress


def field_label(name: str) -> str:
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    words = name.replace("_", " ").replace("-", " ").strip()
    return (words[:1].upper() + words[1:]) or name


def field_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    # Tables, arrays, TOML dates: shown whole, never summarised.
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def ordered_fields(data: dict[str, Any]) -> list[tuple[str, Any]]:
    known = [(name, data[name]) for name in KNOWN_FIELDS if name in data]
    rest = [(name, value) for name, value in data.items() if name not in KNOWN_FIELDS]
    return known + rest


def headline_field(data: dict[str, Any]) -> tuple[str, Any]:
    """The one field that best says what an item is about, for the queue's WHAT column."""
    for name in HEADLINE_FIELDS:
        if name in data:
            return name, data[name]
    return next(iter(data.items()))


def short_age(deferred_at: str, now: datetime) -> str:
    """`2d`, `19h`, `5m`; a month and day beyond a month."""
    try:
        when = parse_rfc3339(deferred_at)
    except ValueError:
        return "?"
    label = ago(when, now)
    if label.endswith(" ago"):
        return label.removesuffix(" ago")
    return "now" if label == "just now" else when.strftime("%b%d")


def deferred_label(deferred_at: str, now: datetime) -> str:
    try:
        when = parse_rfc3339(deferred_at)
    except ValueError:
        return clean(deferred_at)
    # UTC, like the session ids beside it; the relative part says how long ago in any zone.
    return f"{when.strftime('%Y-%m-%d %H:%M')} UTC · {ago(when, now)}"


def value_style(palette: Palette, name: str, value: str) -> str:
    """Severities and verdicts in the colour of how much they matter."""
    if name == "severity":
        colour = {
            "must-fix": palette.error,
            "strong-suggest": palette.warning,
            "suggest": palette.primary,
        }.get(value)
    elif name == "verdict_type":
        colour = {
            "proved": palette.success,
            "verified": palette.success,
            "refuted": palette.error,
            "counterexample": palette.error,
            "inconclusive": palette.warning,
            "timeout": palette.warning,
        }.get(value)
    else:
        colour = None
    return f"bold {colour}" if colour else ""


class CardRenderer:
    """The big card for one queue entry, as Rich renderables in theme colours."""

    def __init__(self, palette: Palette, now: datetime) -> None:
        self.palette = palette
        self.now = now

    def title(self, heading: Text, reviewed: int, total: int) -> TitleLine:
        fraction = reviewed / total if total else 1.0
        colour = self.palette.success if reviewed == total else self.palette.primary
        return TitleLine(heading, fraction, colour, f"{reviewed:,} of {total:,} reviewed")

    def item_title(self, kind: str, position: int, total: int, reviewed: int) -> TitleLine:
        heading = Text.assemble(
            (clean(kind), f"bold {self.palette.accent}"), (f" · {position:,} of {total:,}", "bold")
        )
        return self.title(heading, reviewed, total)

    def body(self, entry: QueueItem) -> Group:
        item = entry.item
        facts = self._grid()
        facts.add_row("Source", Text(clean(item.source_id), style="bold"))
        index = Text(clean(item.index)) if item.index else Text("none", style="dim")
        facts.add_row("Index", index)
        facts.add_row("Deferred", deferred_label(item.deferred_at, self.now))
        facts.add_row("Session", Text(clean(item.deferred_from_session)))
        if item.note:
            facts.add_row("Note", Text(clean(item.note), style="italic"))
        else:
            facts.add_row("Note", Text("no note", style="dim"))
        if entry.draft_note is not None:
            facts.add_row(
                "Your note",
                Text.assemble(
                    (clean(entry.draft_note), f"bold {self.palette.accent}"),
                    ("\nrecorded with your next decision on this item", "dim"),
                ),
            )
        decision = self._decision(entry)
        if decision is not None:
            facts.add_row("Decision", decision)
        parts: list[RenderableType] = [facts, Text("")]
        parts.append(Rule("Data", align="left", style=self.palette.muted))
        if item.data:
            parts.append(self._data(item.data))
        else:
            parts.append(Text("No data was recorded with this deferral.", style="dim italic"))
        if item.extra:
            parts.append(Text(""))
            parts.append(Rule("Other fields", align="left", style=self.palette.muted))
            parts.append(self._data(item.extra))
        return Group(*parts)

    def _grid(self) -> Table:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style=self.palette.muted, width=12, no_wrap=False)
        grid.add_column(ratio=1, overflow="fold")
        return grid

    def _data(self, data: dict[str, Any]) -> Table:
        grid = self._grid()
        for name, value in ordered_fields(data):
            style = value_style(self.palette, name, str(value))
            text = Text(clean(field_value(value)), style=style)
            shown: RenderableType = text
            if name in QUOTED_FIELDS and isinstance(value, str):
                shown = Quote(text, self.palette.accent)
            grid.add_row(field_label(name), shown)
        return grid

    def _decision(self, entry: QueueItem) -> Text | None:
        if entry.state is State.UNDECIDED:
            return None
        if entry.state is State.SAVING:
            return Text("saving…", style=f"italic {self.palette.muted}")
        look = {
            State.ACCEPTED: ("✓ accepted", self.palette.success),
            State.REJECTED: ("✗ rejected", self.palette.error),
            State.KEPT: ("⏸ kept deferred", self.palette.warning),
        }[entry.state]
        text = Text(look[0], style=f"bold {look[1]}")
        text.append(f" {ago(entry.decided_at, self.now)}" if entry.decided_at else "", "dim")
        if entry.decided_note:
            text.append(" · note: ", style="dim")
            text.append(clean(entry.decided_note), style="italic")
        return text

    def summary(self, queue: ReviewQueue) -> Group:
        lines: list[RenderableType] = [Text(summary_text(queue), style="bold"), Text("")]
        for state, label, colour in (
            (State.ACCEPTED, "accepted", self.palette.success),
            (State.REJECTED, "rejected", self.palette.error),
            (State.KEPT, "kept deferred", self.palette.warning),
        ):
            count = queue.count(state)
            if count:
                lines.append(
                    Text.assemble((f"{MARKS[state]} {count:>3} ", f"bold {colour}"), label)
                )
        saving = queue.count(State.SAVING)
        if saving:
            lines.append(Text(f"… {saving:>3} still saving", style=self.palette.muted))
        lines.append(Text(""))
        if queue.count(State.KEPT):
            lines.append(
                Text(
                    "Kept items stay in the backlog and are offered again at the next "
                    "session start.",
                    style=self.palette.muted,
                )
            )
        lines.append(Text("j/k look back at an item · 1-4 switch screen", style=self.palette.muted))
        return Group(*lines)


class Chips:
    """Short texts laid out in lines, two spaces apart, never split across lines."""

    def __init__(self, chips: list[Text]) -> None:
        self.chips = chips

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        line = Text()
        for chip in self.chips:
            if line and line.cell_len + 2 + chip.cell_len > width:
                yield line
                line = Text()
            if line:
                line.append("  ")
            line.append_text(chip)
        if line:
            yield line


def keys_hint(entry: QueueItem | None, palette: Palette, read_only: bool) -> Chips:
    """What the keys do for the card on show."""
    chips: list[Text] = []

    def key(name: str, meaning: str) -> None:
        chips.append(Text.assemble((name, f"bold {palette.accent}"), f" {meaning}"))

    if read_only:
        chips.append(Text("read-only: decisions are off", style=f"bold {palette.error}"))
    elif entry is not None and entry.state in GONE:
        chips.append(Text("decided: it has left the backlog", style="dim"))
    elif entry is not None and entry.state is not State.SAVING:
        key("a", "accept")
        key("r", "reject")
        key("d", "keep deferred")
        key("n", "note")
    key("j/k", "move")
    key("J/K", "scroll")
    return Chips(chips)


# --------------------------------------------------------------------------- the list


class QueueTable(FastTable[QueueRow]):
    """The queue list: the cursor steps over kind headings and rests only on items; given
    room, it also shows what each item is about and its note."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # The table never scrolls sideways, so the arrows page through items instead.
        Binding("right", "cursor_down", "Next item", show=False, id="backlog.next"),
        Binding("left", "cursor_up", "Previous item", show=False, id="backlog.previous"),
    ]

    def __init__(
        self,
        columns: list[Column[QueueRow]],
        wide_columns: list[Column[QueueRow]],
        **options: Any,
    ) -> None:
        super().__init__(columns, **options)
        self._narrow_columns = columns
        self._wide_columns = wide_columns
        self.wide = False

    def is_selectable(self, row: QueueRow) -> bool:
        return isinstance(row, QueueItem)

    def on_resize(self) -> None:
        wide = self.size.width >= WIDE_QUEUE
        if wide != self.wide:
            self.wide = wide
            self.set_columns(self._wide_columns if wide else self._narrow_columns)


def decide_call(
    service: Service, kind: str, item_ref: str, decision: Decision, note: str | None
) -> DecisionRecord:
    try:
        return service.decide_backlog(kind, item_ref, decision, note)
    except QuarterdeckError:
        raise
    except Exception as error:
        # Typed, so the screen's error path runs and the item does not stay "saving".
        raise QuarterdeckError(f"could not record the decision on {item_ref}: {error!r}") from error


# --------------------------------------------------------------------------- the screen


class BacklogScreen(ModeScreen[list[BacklogItem]]):
    MODE = "backlog"
    TITLE = "Backlog"
    # Loaded with the screen, when the mode first opens, not at start-up.
    CSS_PATH = STYLES / "backlog.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "accept", "Accept", id="backlog.accept"),
        Binding("r", "reject", "Reject", id="backlog.reject"),
        Binding("d", "defer", "Keep deferred", id="backlog.defer"),
        Binding("n", "note", "Note", id="backlog.note"),
        Binding(
            "right_square_bracket", "next_kind", "Next kind", show=False, id="backlog.next_kind"
        ),
        Binding(
            "left_square_bracket",
            "previous_kind",
            "Previous kind",
            show=False,
            id="backlog.previous_kind",
        ),
        Binding("J", "scroll_card(4)", "Scroll card down", show=False, id="backlog.scroll_down"),
        Binding("K", "scroll_card(-4)", "Scroll card up", show=False, id="backlog.scroll_up"),
    ]
    MUTATING_ACTIONS = frozenset({"accept", "reject", "defer", "note"})
    AUTO_FOCUS = "#backlog-queue"

    def __init__(self) -> None:
        super().__init__()
        self.queue = ReviewQueue()
        self._has_loaded = False
        # The summary replaces the card once nothing is left; moving the cursor ends it.
        self._summary_at: str | None = None
        self._showing_summary = False
        self._pending_select: str | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_chrome()
        with Horizontal(id="backlog-body"):
            with Vertical(id="backlog-list", classes="panel") as panel:
                panel.border_title = "Review queue"
                yield QueueTable(
                    self._columns(),
                    self._columns(wide=True),
                    row_key=lambda row: row.kind if isinstance(row, KindHeading) else row.key,
                    # The queue is never filtered; the default would render every cell.
                    haystack=lambda row: "",
                    empty_message="Loading the backlog…",
                    id="backlog-queue",
                )
            with Vertical(id="backlog-card", classes="panel") as card:
                card.border_title = "Item"
                yield Static("", id="backlog-card-title")
                with VerticalScroll(id="backlog-card-scroll", can_focus=False):
                    yield Static("", id="backlog-card-body")
                yield Static("", id="backlog-keys")
        yield Static(
            "Nothing deferred — the review queue is empty.\n\n"
            "Items a reviewer defers in aristo show up here, and Quarterdeck opens this "
            "screen first when any are waiting.",
            id="backlog-empty",
            classes="empty-state",
        )
        yield from self.compose_footer()

    @property
    def table(self) -> QueueTable:
        return self.query_one("#backlog-queue", QueueTable)

    def _columns(self, wide: bool = False) -> list[Column[QueueRow]]:
        item = Column("item", "ITEM", self._item_cell, ratio=2, min_width=10)
        age = Column("age", "AGE", self._age_cell, width=5, align="right")
        if not wide:
            return [item, age]
        return [
            Column("item", "ITEM", self._item_cell, ratio=2, min_width=30),
            Column("what", "WHAT", self._what_cell, width=14),
            Column("note", "NOTE", self._note_cell, ratio=1, min_width=8),
            age,
        ]

    # Cells.

    def _item_cell(self, row: QueueRow) -> Text:
        if isinstance(row, KindHeading):
            return Text.assemble(
                (clean(row.kind), f"bold {self.palette.accent}"),
                (f" {row.total}", self.palette.muted),
            )
        look = {
            State.ACCEPTED: self.palette.success,
            State.REJECTED: self.palette.error,
            State.KEPT: self.palette.warning,
            State.SAVING: self.palette.muted,
        }.get(row.state, "")
        text = Text.assemble((MARKS[row.state], f"bold {look}" if look else ""), " ")
        text.append(clean(row.item.item_ref), style="dim" if row.state in GONE else "")
        if row.draft_note is not None:
            text.append(" ✎", style=self.palette.accent)
        return text

    def _age_cell(self, row: QueueRow) -> Text:
        if isinstance(row, KindHeading):
            label = f"{row.done}✓" if row.done else ""
            return Text(label, style=self.palette.success if row.done == row.total else "dim")
        return Text(short_age(row.item.deferred_at, self.now()), style="dim")

    def _what_cell(self, row: QueueRow) -> Text:
        if isinstance(row, KindHeading) or not row.item.data:
            return Text("")
        name, value = headline_field(row.item.data)
        return Text(clean(field_value(value)), style=value_style(self.palette, name, str(value)))

    def _note_cell(self, row: QueueRow) -> Text:
        if isinstance(row, KindHeading):
            return Text("")
        if row.draft_note is not None:
            return Text(clean(row.draft_note), style=f"italic {self.palette.accent}")
        return Text(clean(row.item.note or ""), style="italic dim")

    # Data.

    def load(self) -> list[BacklogItem]:
        return self.service.list_backlog()

    def show(self, data: list[BacklogItem]) -> None:
        before = self.current_entry()
        position = self.queue.position(before) if before is not None else 0
        dropped = self.queue.merge(data)
        first = not self._has_loaded
        self._has_loaded = True
        self.table.empty_message = "Nothing deferred."
        self.table.set_rows(self.queue.rows())
        entries = list(self.queue)
        if self._pending_select is not None:
            key, self._pending_select = self._pending_select, None
            self.select_entity(key)
        elif first:
            self._go_to(self.queue.next_undecided() or (entries[0] if entries else None))
        elif before is not None and self.queue.get(before.key) is None and entries:
            # The item on show was decided elsewhere: carry on from the one in its place.
            in_place = entries[min(position, len(entries)) - 1]
            if in_place.state is not State.UNDECIDED:
                in_place = self.queue.next_undecided(in_place) or in_place
            self._go_to(in_place)
        elif self._showing_summary and self.queue.next_undecided() is not None:
            self._go_to(self.queue.next_undecided())
        self.table.settle_cursor()
        self._changed()
        if dropped:
            self._report_dropped(dropped)

    def _report_dropped(self, dropped: list[QueueItem]) -> None:
        refs = ", ".join(f"{e.item.kind} {e.item.item_ref}" for e in dropped[:3])
        more = f" and {len(dropped) - 3} more" if len(dropped) > 3 else ""
        lost = [e for e in dropped if e.draft_note]
        message = f"Left the backlog meanwhile (decided elsewhere): {refs}{more}."
        if lost:
            message += f" Your unsent note on {lost[0].item.item_ref} was not recorded."
        self.notify(message, severity="warning", timeout=8, markup=False)

    def _changed(self) -> None:
        """After any change to the queue: the card, the empty state, the count, the palette."""
        empty = self._has_loaded and len(self.queue) == 0
        self.query_one("#backlog-body").display = not empty
        self.query_one("#backlog-empty").display = empty
        self.qapp.backlog_count = self.queue.undecided
        self.qapp.catalog.publish("backlog", self._entries())
        self._show_card()

    def _entries(self) -> list[Entry]:
        return backlog_entries(entry.item for entry in self.queue if entry.state not in GONE)

    def _redraw_rows(self) -> None:
        self.table.set_rows(self.queue.rows())
        self._changed()

    # The card.

    def current_entry(self) -> QueueItem | None:
        """The item on the card (None while the summary or nothing shows)."""
        if self._showing_summary:
            return None
        row = self.table.cursor_row
        return row if isinstance(row, QueueItem) else None

    def _show_card(self) -> None:
        if not self._has_loaded:
            return
        renderer = CardRenderer(self.palette, self.now())
        title = self.query_one("#backlog-card-title", Static)
        body = self.query_one("#backlog-card-body", Static)
        entry = self.current_entry()
        total = len(self.queue)
        reviewed = self.queue.count(*DONE)
        if entry is None:
            heading = Text("Review complete", style=f"bold {self.palette.success}")
            title.update(renderer.title(heading, reviewed, total))
            body.update(renderer.summary(self.queue))
        else:
            position = self.queue.position(entry)
            title.update(renderer.item_title(entry.item.kind, position, total, reviewed))
            body.update(renderer.body(entry))
        hint = keys_hint(entry, self.palette, self.service.read_only)
        self.query_one("#backlog-keys", Static).update(hint)
        self.refresh_bindings()

    def on_fast_table_cursor_moved(self, event: FastTable.CursorMoved) -> None:
        if self._showing_summary and event.key != self._summary_at:
            self._showing_summary = False
        if self._showing_summary:
            return
        self.query_one("#backlog-card-scroll", VerticalScroll).scroll_home(animate=False)
        self._show_card()

    def _go_to(self, entry: QueueItem | None) -> None:
        if entry is None:
            return
        self._showing_summary = False
        self.table.move_cursor_to_key(entry.key)
        self._show_card()

    def _finish(self) -> None:
        self._showing_summary = True
        self._summary_at = self.table.cursor_key
        self._show_card()

    def select_entity(self, key: str) -> None:
        kind, _, item_ref = key.partition("/")
        if not self._has_loaded:
            self._pending_select = key
            return
        entry = self.queue.find(kind, item_ref)
        if entry is None:
            self.notify(f"{kind} {item_ref} is no longer in the backlog.", markup=False)
            return
        self._go_to(entry)
        self.table.focus()

    # Decisions.

    def action_accept(self) -> None:
        self._decide(Decision.ACCEPT)

    def action_reject(self) -> None:
        self._decide(Decision.REJECT)

    def action_defer(self) -> None:
        self._decide(Decision.DEFER)

    def _decidable(self) -> QueueItem | None:
        """The item on the card if it can take a decision (not saving, not gone)."""
        entry = self.current_entry()
        if entry is None or entry.state is State.SAVING or entry.state in GONE:
            return None
        return entry

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        allowed = super().check_action(action, parameters)
        if not allowed or action not in self.MUTATING_ACTIONS:
            return allowed
        if not len(self.queue):
            return False  # nothing deferred: hidden
        if self._decidable() is None:
            return None  # shown dimmed: the card shows nothing to decide
        return True

    def _decide(self, decision: Decision) -> None:
        entry = self._decidable()
        if entry is None:
            return
        item = entry.item
        note = entry.draft_note
        previous = entry.state
        # Move on at once (the item shows "saving…"): reviewing never waits on the disk.
        entry.state = State.SAVING
        self.table.set_rows(self.queue.rows())
        following = self.queue.next_undecided(entry)
        if following is None:
            self._finish()
        else:
            self._go_to(following)
        self._changed()
        self.perform(
            lambda: decide_call(self.service, item.kind, item.item_ref, decision, note),
            then=lambda record: self._decided(entry, previous, record),
            on_error=lambda error: self._decision_failed(entry, previous, error),
            refresh=False,
        )

    def _decided(self, entry: QueueItem, previous: State, record: DecisionRecord) -> None:
        kind, item_ref, deferred_at = record.key
        target = self.queue.get(f"{kind}/{item_ref}@{deferred_at}")
        if target is None or target is entry:
            target = entry
        else:
            # The service decides on the oldest deferral of a ref deferred twice.
            entry.state = previous
            self.notify(
                f"{record.item['item_ref']} was deferred twice: the decision went to the older "
                f"deferral ({record.item['deferred_at']}).",
                severity="warning",
                markup=False,
            )
        target.state = STATE_OF[record.decision]
        target.decided_note = record.note
        target.decided_at = record.decided_at
        target.draft_note = None
        if record.decision is Decision.DEFER and record.note is not None:
            target.item = target.item.model_copy(update={"note": record.note})
        verb = {
            Decision.ACCEPT: "Accepted",
            Decision.REJECT: "Rejected",
            Decision.DEFER: "Kept deferred",
        }[record.decision]
        self.notify(f"{verb}: {target.item.kind} {target.item.item_ref}", markup=False)
        self._redraw_rows()

    def _decision_failed(self, entry: QueueItem, previous: State, error: QuarterdeckError) -> bool:
        if isinstance(error, NotFound):
            self.queue.drop(entry)
            message = f"{error} — it was decided elsewhere; the queue moves on."
        else:
            entry.state = previous
            message = f"Could not record the decision on {entry.item.item_ref}: {error}"
            if self._showing_summary:
                self._go_to(entry)
        self._redraw_rows()
        if isinstance(error, NotFound):
            self.refresh_data()
        if isinstance(error, BackendUnavailable):
            return False  # the base class shows the banner and the message
        self.notify(message, severity="error", timeout=10, markup=False)
        return True

    def action_note(self) -> None:
        entry = self._decidable()
        if entry is None:
            return
        item = entry.item

        def noted(answer: dict[str, str] | None) -> None:
            if answer is None:
                return
            entry.draft_note = answer.get("value")
            self._redraw_rows()

        self.app.push_screen(
            prompt(
                f"Note on {item.kind} {item.item_ref}",
                "Note",
                required=False,
                value=entry.draft_note if entry.draft_note is not None else item.note or "",
                intro="Recorded with your next decision on this item. Keep deferred (d) makes "
                "it the item's note in the backlog. Leave empty to drop it.",
            ),
            noted,
        )

    # Moving without deciding.

    def action_next_kind(self) -> None:
        self._jump_kind(1)

    def action_previous_kind(self) -> None:
        self._jump_kind(-1)

    def _jump_kind(self, step: int) -> None:
        entry = self.current_entry() or self._row_entry()
        if entry is None:
            return
        kinds = sorted({e.item.kind for e in self.queue})
        index = kinds.index(entry.item.kind) + step
        if 0 <= index < len(kinds):
            first = next(e for e in self.queue if e.item.kind == kinds[index])
            self._go_to(first)

    def _row_entry(self) -> QueueItem | None:
        row = self.table.cursor_row
        return row if isinstance(row, QueueItem) else None

    def action_scroll_card(self, lines: int) -> None:
        scroll = self.query_one("#backlog-card-scroll", VerticalScroll)
        scroll.scroll_relative(y=lines, animate=False)
