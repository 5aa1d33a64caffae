"""FastTable: a virtualised, filterable, sortable table on Textual's Line API.

The stock `DataTable` materialises every cell of every row up front, which costs seconds at
100,000 rows. FastTable keeps the caller's row objects and a list of row indices (the *view*:
filter then sort); only the rows on screen are ever rendered, and the rendered lines are kept
in a small LRU cache so that moving the cursor repaints two lines and scrolling by one line
renders one new row.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Literal, TypeVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

R = TypeVar("R")
Align = Literal["left", "right", "center"]
CellValue = str | Text

HEADER_HEIGHT = 1
# Blank cells drawn on each side of every cell, as DataTable does, so columns never touch.
CELL_PADDING = 1
ELLIPSIS = "…"
SORT_ARROWS = {False: " ▲", True: " ▼"}
# Enough for a few screens of rows in both cursor states; older lines are cheap to re-render.
STRIP_CACHE_SIZE = 512
# Haystacks are built between frames in chunks this size (a few ms each), so the first filter
# keystroke does not pay for all of them and the event loop is never stalled for long.
HAYSTACK_CHUNK = 5_000
# Recent filter results kept so that deleting a character restores an earlier view at once
# and a new filter only searches its narrowest known superset.
FILTER_CACHE_SIZE = 16

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Column(Generic[R]):
    """One column of a FastTable.

    `width=None` makes the column flexible: flexible columns share the space left after the
    fixed ones in proportion to `ratio`, never narrower than `min_width` while space allows.
    A column without `sort_key` cannot be sorted (its header ignores clicks).
    """

    key: str
    label: str
    render: Callable[[R], CellValue]
    width: int | None = None
    min_width: int = 4
    ratio: int = 1
    align: Align = "left"
    sort_key: Callable[[R], Any] | None = None

    def __post_init__(self) -> None:
        if self.width is not None and self.width < 1:
            raise ValueError(f"column {self.key!r}: width must be at least 1, got {self.width}")
        if self.min_width < 1:
            raise ValueError(f"column {self.key!r}: min_width must be at least 1")
        if self.ratio < 1:
            raise ValueError(f"column {self.key!r}: ratio must be at least 1, got {self.ratio}")


def layout_columns(columns: Sequence[Column[Any]], total_width: int) -> list[int]:
    """Content width of each column (padding excluded) for a table `total_width` cells wide.

    Fixed columns keep their width and flexible ones share the rest by ratio. When that does
    not fit, flexible columns drop to `min_width` first, then fixed columns give up their slack
    down to `min_width`; anything still too wide is cropped at the right edge.
    """
    available = max(0, total_width - 2 * CELL_PADDING * len(columns))
    flexible = [index for index, column in enumerate(columns) if column.width is None]
    fixed = [index for index, column in enumerate(columns) if column.width is not None]
    widths = [column.width or column.min_width for column in columns]
    fixed_total = sum(widths[index] for index in fixed)
    flexible_minimum = sum(columns[index].min_width for index in flexible)
    if available >= fixed_total + flexible_minimum:
        shares = _share(
            available - fixed_total,
            [columns[index].ratio for index in flexible],
            [columns[index].min_width for index in flexible],
        )
        for index, share in zip(flexible, shares, strict=True):
            widths[index] = share
        return widths
    floors = [min(columns[index].min_width, widths[index]) for index in fixed]
    shrunk = _shrink(
        [widths[index] for index in fixed], floors, max(0, available - flexible_minimum)
    )
    for index, width in zip(fixed, shrunk, strict=True):
        widths[index] = width
    return widths


def _share(total: int, ratios: list[int], minimums: list[int]) -> list[int]:
    """Split `total` (>= sum(minimums)) by ratio, clamping any share below its minimum."""
    result = list(minimums)
    active = list(range(len(ratios)))
    remaining = total
    while active:
        ratio_sum = sum(ratios[index] for index in active)
        clamped = [i for i in active if remaining * ratios[i] < minimums[i] * ratio_sum]
        if not clamped:
            break
        for index in clamped:
            remaining -= minimums[index]
            active.remove(index)
    if not active:
        return result
    ratio_sum = sum(ratios[index] for index in active)
    floors = {index: remaining * ratios[index] // ratio_sum for index in active}
    leftover = remaining - sum(floors.values())
    # The leftover cells go to the largest remainders, so the shares sum exactly to `total`.
    by_remainder = sorted(active, key=lambda i: (-(remaining * ratios[i] % ratio_sum), i))
    for index in by_remainder[:leftover]:
        floors[index] += 1
    for index, share in floors.items():
        result[index] = share
    return result


def _shrink(widths: list[int], floors: list[int], budget: int) -> list[int]:
    """Reduce `widths` to sum to `budget` in proportion to their slack, never below `floors`."""
    deficit = sum(widths) - budget
    slacks = [width - floor for width, floor in zip(widths, floors, strict=True)]
    total_slack = sum(slacks)
    if deficit <= 0:
        return list(widths)
    if deficit >= total_slack:
        return list(floors)
    cuts = [deficit * slack // total_slack for slack in slacks]
    missing = deficit - sum(cuts)
    for index in sorted(range(len(widths)), key=lambda i: -slacks[i]):
        if missing == 0:
            break
        if cuts[index] < slacks[index]:
            cuts[index] += 1
            missing -= 1
    return [width - cut for width, cut in zip(widths, cuts, strict=True)]


def fit_plain(text: str, width: int, align: Align) -> str:
    """`text` made exactly `width` cells wide: control characters blanked, truncated with an
    ellipsis when too long, padded according to `align` when too short."""
    if not text.isprintable():
        text = _CONTROL_CHARACTERS.sub(" ", text)
    length = len(text) if text.isascii() else cell_len(text)
    if length > width:
        if width <= 0:
            return ""
        return set_cell_size(text, width - 1) + ELLIPSIS
    gap = width - length
    if not gap:
        return text
    if align == "left":
        return text + " " * gap
    if align == "right":
        return " " * gap + text
    half = gap // 2
    return " " * half + text + " " * (gap - half)


def fit_rich(text: Text, width: int, align: Align) -> Text:
    """A copy of `text` made exactly `width` cells wide, as `fit_plain` does for a str."""
    fitted = text.copy()
    if not fitted.plain.isprintable():
        # One character for one, so the style spans keep their positions.
        fitted.plain = _CONTROL_CHARACTERS.sub(" ", fitted.plain)
    if width <= 0:
        return Text()
    fitted.truncate(width, overflow="ellipsis")
    fitted.align(align, width)
    return fitted


def _plain(value: CellValue) -> str:
    return value if isinstance(value, str) else value.plain


class FastTable(ScrollView, Generic[R], can_focus=True):
    """A table that shows up to hundreds of thousands of arbitrary row objects.

    Rows are described by `columns` (how to render each cell), `row_key` (a stable identity
    used to keep the cursor on the same row across updates) and `haystack` (the text the
    filter searches; by default the plain text of every cell).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False, id="table.up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="table.down"),
        Binding("pageup", "page_up", "Page up", show=False, id="table.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="table.page_down"),
        Binding("ctrl+u", "half_page_up", "Half page up", show=False, id="table.half_page_up"),
        Binding(
            "ctrl+d", "half_page_down", "Half page down", show=False, id="table.half_page_down"
        ),
        Binding("home,g", "cursor_first", "First row", show=False, id="table.first"),
        Binding("end,G", "cursor_last", "Last row", show=False, id="table.last"),
        Binding("enter", "activate", "Open", show=False, id="table.activate"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "fast-table--header",
        "fast-table--cursor",
        "fast-table--cursor-blurred",
        "fast-table--odd",
        "fast-table--empty",
    }

    DEFAULT_CSS = """
    FastTable {
        height: 1fr;
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        &:focus {
            background-tint: $foreground 5%;
        }
        & > .fast-table--header {
            background: $panel;
            color: $foreground;
            text-style: bold;
        }
        &:ansi > .fast-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .fast-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .fast-table--cursor-blurred {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .fast-table--odd {
            background: $surface-lighten-1 50%;
        }
        & > .fast-table--empty {
            color: $text-muted;
            text-style: italic;
        }
    }
    """

    empty_message: reactive[str] = reactive("Nothing to show")
    """Shown centred in the body when no row is visible."""

    zebra: reactive[bool] = reactive(False)
    """Stripe odd rows with the `fast-table--odd` style."""

    class CursorMoved(Message):
        """The cursor is on a different row (`key` and `row` are None when nothing shows)."""

        def __init__(self, table: FastTable[Any], key: str | None, row: Any) -> None:
            super().__init__()
            self.table = table
            self.key = key
            self.row = row

        @property
        def control(self) -> FastTable[Any]:
            return self.table

    class RowActivated(Message):
        """The row under the cursor was opened (enter or double click)."""

        def __init__(self, table: FastTable[Any], key: str, row: Any) -> None:
            super().__init__()
            self.table = table
            self.key = key
            self.row = row

        @property
        def control(self) -> FastTable[Any]:
            return self.table

    def __init__(
        self,
        columns: Sequence[Column[R]],
        *,
        row_key: Callable[[R], str],
        haystack: Callable[[R], str] | None = None,
        empty_message: str = "Nothing to show",
        zebra: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        keys = [column.key for column in columns]
        if len(set(keys)) != len(keys):
            raise ValueError(f"FastTable column keys must be unique, got {keys}")
        self._columns: list[Column[R]] = list(columns)
        self._row_key = row_key
        self._haystack = haystack or self._cells_haystack
        self.set_reactive(FastTable.empty_message, empty_message)
        self.set_reactive(FastTable.zebra, zebra)

        self._rows: list[R] = []
        self._generation = 0
        # Built lazily per set_rows: only needed to find a key or to filter.
        self._keys: list[str] | None = None
        # Lowercased haystacks of rows[: len(self._haystacks)], extended as needed.
        self._haystacks: list[str] = []
        # Every row index in sort order (the unfiltered view), built when first needed.
        self._sorted_order: list[int] | None = None
        self._view: list[int] = []
        # Filter terms -> view, oldest first; every view is in the current sort order.
        self._filtered: dict[tuple[str, ...], list[int]] = {}
        self._cursor = 0
        self._terms: tuple[str, ...] = ()
        self._sort_column: str | None = None
        self._sort_key: Callable[[R], Any] | None = None
        self._sort_reverse = False

        self._posted_key: str | None = None
        self._posted_any = False
        self._strips: LRUCache[tuple[int, bool], Strip] = LRUCache(STRIP_CACHE_SIZE)
        self._header_strip: Strip | None = None
        # (widget width, width left of the scrollbar) the column widths were computed for.
        self._layout_for: tuple[int, int] = (-1, -1)
        self._widths: list[int] = []
        self._painting = False
        self._base_style: Style | None = None

    # ----------------------------------------------------------------- public state

    @property
    def row_count(self) -> int:
        """Number of rows given to `set_rows`."""
        return len(self._rows)

    @property
    def visible_count(self) -> int:
        """Number of rows that pass the filter."""
        return len(self._view)

    @property
    def filter_text(self) -> str:
        """The filter terms currently applied, joined by single spaces."""
        return " ".join(self._terms)

    @property
    def sort_column(self) -> str | None:
        """Key of the column the rows are sorted by, or None for the given order."""
        return self._sort_column

    @property
    def sort_reverse(self) -> bool:
        return self._sort_reverse

    @property
    def cursor_index(self) -> int:
        """Position of the cursor in the filtered, sorted view."""
        return self._cursor

    @cursor_index.setter
    def cursor_index(self, index: int) -> None:
        self._move_cursor(index)

    @property
    def cursor_row(self) -> R | None:
        if not self._view:
            return None
        return self._rows[self._view[self._cursor]]

    @property
    def cursor_key(self) -> str | None:
        row = self.cursor_row
        return None if row is None else self._row_key(row)

    def row_at(self, index: int) -> R:
        """The row at `index` in the filtered, sorted view (IndexError outside it)."""
        return self._rows[self._view[index]]

    # ----------------------------------------------------------------- data

    def set_rows(self, rows: Sequence[R]) -> None:
        """Replace the data, re-applying the current filter and sort.

        The cursor stays on the row with the same key when it is still visible; otherwise it
        keeps its position, clamped to the new view.
        """
        previous_key = self.cursor_key
        self._rows = list(rows)
        self._generation += 1
        self._keys = None
        self._haystacks = []
        self._sorted_order = None
        # Filtered rows are still in given order, so sorting them is stable like the full order.
        view = self._sort_indices(self._filter(list(range(len(self._rows))), self._terms))
        if not self._terms:
            self._sorted_order = view
        self._filtered = {}
        self._remember(self._terms, view)
        cursor = self._cursor
        if previous_key is not None and not self._has_key_at(view, cursor, previous_key):
            position = self._position_of_key(previous_key, view)
            if position is not None:
                cursor = position
        self._show_view(view, cursor)
        self.call_after_refresh(self._build_haystacks_between_frames, self._generation)

    def set_filter(self, text: str) -> None:
        """Show only rows whose haystack contains every whitespace-separated term of `text`
        (case-insensitive). The cursor stays on its row when that row still matches,
        otherwise it goes to the first match."""
        terms = tuple(text.lower().split())
        if terms == self._terms:
            return
        row = self._view[self._cursor] if self._view else None
        view = self._filtered.get(terms)
        if view is None:
            view = self._filter_from_nearest(terms)
        self._remember(terms, view)
        self._terms = terms
        cursor = 0
        if row is not None:
            with contextlib.suppress(ValueError):
                cursor = view.index(row)
        self._show_view(view, cursor)

    def sort_by(self, column_key: str | None, reverse: bool = False) -> None:
        """Sort by a column's `sort_key` (stable), or restore the given order with None.
        The cursor stays on the same row."""
        sort_key = None
        if column_key is not None:
            sort_key = self._column(column_key).sort_key
            if sort_key is None:
                raise ValueError(f"column {column_key!r} has no sort_key, so it cannot sort")
        self._sort_column = column_key
        self._sort_key = sort_key
        self._sort_reverse = reverse if sort_key is not None else False
        self._sorted_order = None
        self._header_strip = None
        row = self._view[self._cursor] if self._view else None
        if self._terms:
            visible = set(self._view)
            view = [index for index in self._base_order() if index in visible]
        else:
            view = list(self._base_order())
        cursor = view.index(row) if row is not None else 0
        self._filtered = {}
        self._remember(self._terms, view)
        self._show_view(view, cursor)

    def toggle_sort(self, column_key: str) -> None:
        """Cycle a column through ascending, descending and unsorted."""
        if self._sort_column != column_key:
            self.sort_by(column_key)
        elif not self._sort_reverse:
            self.sort_by(column_key, reverse=True)
        else:
            self.sort_by(None)

    def move_cursor_to_key(self, key: str) -> bool:
        """Put the cursor on the row with `key`; False when no visible row has it."""
        position = self._position_of_key(key, self._view)
        if position is None:
            return False
        self._move_cursor(position)
        return True

    @property
    def columns(self) -> list[Column[R]]:
        return list(self._columns)

    def set_columns(self, columns: list[Column[R]]) -> None:
        """Show other columns (e.g. fewer when narrow); rows, filter and cursor stay."""
        if columns == self._columns:
            return
        self._columns = list(columns)
        self._layout_for = (-1, -1)
        self._header_strip = None
        self._strips.clear()
        self.refresh()

    def refresh_cells(self) -> None:
        """Re-render the visible rows, for cells whose text changes with time."""
        self._strips.clear()
        self.refresh()

    # ----------------------------------------------------------------- view building

    def _cells_haystack(self, row: R) -> str:
        return " ".join(_plain(column.render(row)) for column in self._columns)

    def _column(self, key: str) -> Column[R]:
        for column in self._columns:
            if column.key == key:
                return column
        raise KeyError(f"FastTable has no column {key!r}")

    def _row_keys(self) -> list[str]:
        if self._keys is None:
            self._keys = list(map(self._row_key, self._rows))
        return self._keys

    def _has_key_at(self, view: list[int], position: int, key: str) -> bool:
        # A refresh of the same data usually leaves the cursor's row where it was.
        return position < len(view) and self._row_key(self._rows[view[position]]) == key

    def _position_of_key(self, key: str, view: list[int]) -> int | None:
        try:
            return view.index(self._row_keys().index(key))
        except ValueError:
            return None

    def _extend_haystacks(self, count: int) -> None:
        rows = self._rows
        start = len(self._haystacks)
        haystack = self._haystack
        self._haystacks.extend(
            [haystack(row).lower() for row in rows[start : min(len(rows), start + count)]]
        )

    def _build_haystacks_between_frames(self, generation: int) -> None:
        if generation != self._generation or len(self._haystacks) == len(self._rows):
            return
        self._extend_haystacks(HAYSTACK_CHUNK)
        self.call_after_refresh(self._build_haystacks_between_frames, generation)

    def _remember(self, terms: tuple[str, ...], view: list[int]) -> None:
        self._filtered.pop(terms, None)
        self._filtered[terms] = view
        if len(self._filtered) > FILTER_CACHE_SIZE:
            del self._filtered[next(iter(self._filtered))]

    def _filter_from_nearest(self, terms: tuple[str, ...]) -> list[int]:
        """Filter starting from the smallest remembered view that contains every match: one
        whose terms each lie inside a new term (typing more narrows the previous view)."""
        base_terms: tuple[str, ...] = ()
        base: list[int] | None = None
        for known, view in self._filtered.items():
            if _narrows(known, terms) and (base is None or len(view) < len(base)):
                base_terms, base = known, view
        if base is None:
            base = self._base_order()
        return self._filter(base, tuple(term for term in terms if term not in base_terms))

    def _filter(self, indices: list[int], terms: tuple[str, ...]) -> list[int]:
        if not terms:
            return list(indices)
        self._extend_haystacks(len(self._rows))
        haystacks = self._haystacks
        result = indices
        # Longest terms first: they usually match fewest rows, shrinking later passes.
        for term in sorted(terms, key=len, reverse=True):
            result = [index for index in result if term in haystacks[index]]
        return result

    def _sort_indices(self, indices: list[int]) -> list[int]:
        sort_key = self._sort_key
        if sort_key is None:
            return indices
        rows = self._rows
        return sorted(indices, key=lambda index: sort_key(rows[index]), reverse=self._sort_reverse)

    def _base_order(self) -> list[int]:
        """Every row index, in sort order."""
        if self._sorted_order is None:
            self._sorted_order = self._sort_indices(list(range(len(self._rows))))
        return self._sorted_order

    def _show_view(self, view: list[int], cursor: int) -> None:
        self._view = view
        self._cursor = max(0, min(cursor, len(view) - 1))
        self._strips.clear()
        self.virtual_size = Size(0, len(view) + HEADER_HEIGHT)
        self._scroll_to_cursor()
        self.refresh()
        self._post_cursor_moved()

    # ----------------------------------------------------------------- cursor

    @property
    def _body_height(self) -> int:
        return self.scrollable_content_region.height - HEADER_HEIGHT

    def is_selectable(self, row: R) -> bool:
        """Whether the cursor may rest on `row`; override for heading rows."""
        return True

    def settle_cursor(self) -> None:
        """Move the cursor off a row it may not rest on (e.g. after new rows arrived)."""
        row = self.cursor_row
        if row is not None and not self.is_selectable(row):
            self._move_cursor(self._cursor)

    def _nearest_selectable(self, index: int, forward: bool) -> int | None:
        step = 1 if forward else -1
        while 0 <= index < len(self._view):
            if self.is_selectable(self.row_at(index)):
                return index
            index += step
        return None

    def _move_cursor(self, index: int, scroll_by: int = 0) -> None:
        # Every way of moving (keys, paging, clicks, keys found) comes through here.
        if not self._view:
            return
        target = max(0, min(index, len(self._view) - 1))
        forward = target >= self._cursor
        found = self._nearest_selectable(target, forward)
        if found is None:
            found = self._nearest_selectable(target, not forward)
        if found is None:
            return
        previous = self._cursor
        self._cursor = found
        if not self._scroll_to_cursor(scroll_by):
            self._refresh_row(previous)
            self._refresh_row(self._cursor)
        self._post_cursor_moved()

    def _refresh_row(self, position: int) -> None:
        if 0 <= position - self.scroll_offset.y < self._body_height:
            self.refresh_line(position + HEADER_HEIGHT)

    def _scroll_to_cursor(self, scroll_by: int = 0) -> bool:
        """Scroll (by `scroll_by` lines first) so the cursor is on screen; True if it moved."""
        body = self._body_height
        if body <= 0:
            return False
        top = self.scroll_offset.y
        target = top + scroll_by
        if self._cursor < target:
            target = self._cursor
            if target > 0 and not self.is_selectable(self.row_at(target - 1)):
                target -= 1  # a heading row scrolls into view with the first row under it
        elif self._cursor >= target + body:
            target = self._cursor - body + 1
        target = max(0, min(target, len(self._view) - body))
        if target == top:
            return False
        self.scroll_to(y=target, animate=False)
        return True

    def _post_cursor_moved(self) -> None:
        row = self.cursor_row
        key = None if row is None else self._row_key(row)
        if self._posted_any and key == self._posted_key:
            return
        self._posted_any = True
        self._posted_key = key
        self.post_message(self.CursorMoved(self, key, row))

    def action_cursor_up(self) -> None:
        self._move_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self._move_cursor(self._cursor + 1)

    def action_page_up(self) -> None:
        page = max(1, self._body_height)
        self._move_cursor(self._cursor - page, scroll_by=-page)

    def action_page_down(self) -> None:
        page = max(1, self._body_height)
        self._move_cursor(self._cursor + page, scroll_by=page)

    def action_half_page_up(self) -> None:
        half = max(1, self._body_height // 2)
        self._move_cursor(self._cursor - half, scroll_by=-half)

    def action_half_page_down(self) -> None:
        half = max(1, self._body_height // 2)
        self._move_cursor(self._cursor + half, scroll_by=half)

    def action_cursor_first(self) -> None:
        self._move_cursor(0)

    def action_cursor_last(self) -> None:
        self._move_cursor(len(self._view) - 1)

    def action_activate(self) -> None:
        row = self.cursor_row
        if row is not None:
            self.post_message(self.RowActivated(self, self._row_key(row), row))

    # ----------------------------------------------------------------- events

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        event.stop()
        if offset.y < HEADER_HEIGHT:
            column = self._column_at(offset.x)
            if column is not None and column.sort_key is not None:
                self.toggle_sort(column.key)
            return
        position = self.scroll_offset.y + offset.y - HEADER_HEIGHT
        if position < len(self._view):
            self._move_cursor(position)
            if event.chain >= 2:
                self.action_activate()

    def on_focus(self) -> None:
        self._repaint_cursor_line()

    def on_blur(self) -> None:
        self._repaint_cursor_line()

    def on_resize(self) -> None:
        self._scroll_to_cursor()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base_style = None
        self._strips.clear()
        self._header_strip = None

    def watch_zebra(self) -> None:
        self._strips.clear()

    def _repaint_cursor_line(self) -> None:
        # Cursor lines are cached with the focus state they were drawn in.
        self._strips.clear()
        self._refresh_row(self._cursor)

    def _column_at(self, x: int) -> Column[R] | None:
        self._update_layout()
        right = 0
        for column, width in zip(self._columns, self._widths, strict=True):
            right += width + 2 * CELL_PADDING
            if x < right:
                return column
        return None

    # ----------------------------------------------------------------- rendering

    def _update_layout(self) -> None:
        """Recompute column widths when the widget (or its scrollbar) changed size."""
        layout_for = (self.size.width, self.scrollable_content_region.width)
        if layout_for != self._layout_for:
            self._layout_for = layout_for
            self._widths = layout_columns(self._columns, layout_for[1])
            self._strips.clear()
            self._header_strip = None

    @property
    def _plain_style(self) -> Style:
        # DOMNode.rich_style walks every ancestor; cache it like the component styles are.
        if self._base_style is None:
            self._base_style = self.rich_style
        return self._base_style

    def render_lines(self, crop: Region) -> list[Strip]:
        # Sizes are looked up once per paint rather than once per line.
        self._update_layout()
        self._painting = True
        try:
            return super().render_lines(crop)
        finally:
            self._painting = False

    def render_line(self, y: int) -> Strip:
        if not self._painting:
            self._update_layout()
        width = self._layout_for[0]
        if y < HEADER_HEIGHT:
            if self._header_strip is None:
                self._header_strip = self._render_header(width)
            return self._header_strip
        body_y = y - HEADER_HEIGHT
        if not self._view:
            return self._render_empty_line(body_y, width)
        position = self.scroll_offset.y + body_y
        if position >= len(self._view):
            return Strip.blank(width, self._plain_style)
        is_cursor = position == self._cursor
        cache_key = (position, is_cursor)
        strip = self._strips.get(cache_key)
        if strip is None:
            strip = self._render_row(self._rows[self._view[position]], position, is_cursor, width)
            self._strips.set(cache_key, strip)
        return strip

    def _row_style(self, position: int, is_cursor: bool) -> Style:
        if is_cursor:
            name = "fast-table--cursor" if self.has_focus else "fast-table--cursor-blurred"
            return self.get_component_rich_style(name)
        if self.zebra and position % 2:
            return self.get_component_rich_style("fast-table--odd")
        return self._plain_style

    def _render_row(self, row: R, position: int, is_cursor: bool, width: int) -> Strip:
        style = self._row_style(position, is_cursor)
        segments: list[Segment] = []
        # Consecutive plain cells share the row style, so they become a single segment.
        plain: list[str] = []
        pad = " " * CELL_PADDING
        for column, column_width in zip(self._columns, self._widths, strict=True):
            value = column.render(row)
            if isinstance(value, str):
                plain.append(pad + fit_plain(value, column_width, column.align) + pad)
                continue
            plain.append(pad)
            segments.append(Segment("".join(plain), style))
            plain.clear()
            segments.extend(self._rich_cell(fit_rich(value, column_width, column.align), style))
            plain.append(pad)
        segments.append(Segment("".join(plain), style))
        return self._fill(segments, width, style)

    def _rich_cell(self, text: Text, row_style: Style) -> list[Segment]:
        """The cell's segments with its own styles laid over the row style, so a red status
        stays red on the cursor's background — unless the cell is coloured exactly like that
        background (a "ready" status in the primary colour), where it would vanish: there it
        takes the row's own text colour."""
        console = self.app.console
        if not text.spans:
            # Text.render leaves the base style to its caller when there are no spans.
            cell_style = console.get_style(text.style) if text.style else None
            parts = [(text.plain, cell_style)]
        else:
            parts = [(part, cell_style) for part, cell_style, _ in text.render(console)]
        background = row_style.bgcolor.triplet if row_style.bgcolor is not None else None
        readable = Style(color=row_style.color)
        segments: list[Segment] = []
        for part, cell_style in parts:
            style = row_style + cell_style if cell_style else row_style
            if (
                background is not None
                and cell_style is not None
                and cell_style.color is not None
                and cell_style.color.triplet == background
            ):
                style += readable
            segments.append(Segment(part, style))
        return segments

    def _render_header(self, width: int) -> Strip:
        style = self.get_component_rich_style("fast-table--header")
        pad = " " * CELL_PADDING
        cells: list[str] = []
        for column, column_width in zip(self._columns, self._widths, strict=True):
            label = column.label
            if column.key == self._sort_column:
                arrow = SORT_ARROWS[self._sort_reverse]
                label = fit_plain(label, max(0, column_width - len(arrow)), "left").rstrip()
                label += arrow
            cells.append(pad + fit_plain(label, column_width, column.align) + pad)
        return self._fill([Segment("".join(cells), style)], width, style)

    def _render_empty_line(self, body_y: int, width: int) -> Strip:
        middle = max(0, self._body_height - 1) // 2
        if body_y != middle:
            return Strip.blank(width, self._plain_style)
        style = self.get_component_rich_style("fast-table--empty")
        return Strip([Segment(fit_plain(self.empty_message, width, "center"), style)], width)

    @staticmethod
    def _fill(segments: list[Segment], width: int, style: Style) -> Strip:
        """The row as a strip exactly `width` cells wide, the row style filling any gap."""
        strip = Strip(segments)
        length = strip.cell_length
        if length < width:
            return Strip([*segments, Segment(" " * (width - length), style)], width)
        if length > width:
            return strip.crop(0, width)
        return strip


def _narrows(previous: tuple[str, ...], terms: tuple[str, ...]) -> bool:
    """True when every row matching `terms` must also match `previous`: each old term is
    contained in some new term."""
    return all(any(old in new for new in terms) for old in previous)
