"""Mode 1 — every change with its tasks and lease; claim, sync and archive from here.

The table shows one precomputed `ChangeRow` per change (built in the load worker, joined with
the leases), so the UI thread only ever renders the rows on screen: the screen stays instant
at 100,000 changes. The detail pane loads the change under the cursor once the cursor has
settled, so holding `j` does not read every change it passes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from core.models.changes import (
    ChangeDetail,
    ChangeSummary,
    Lifecycle,
    LifecycleFilter,
    TaskList,
    WorkStatus,
)
from core.models.errors import QuarterdeckError, RevisionConflict
from core.models.leases import AllocateResult, Lease
from core.models.sync import SyncOutcome
from styles import STYLES
from tui.commands import Entry, Source
from tui.formatting import ago, countdown, progress_cell
from tui.palette import Palette
from tui.screens.base import LoadCancelled, ModeScreen
from tui.screens.changes_dialogs import ArchiveProgressDialog, RevisionConflictDialog
from tui.screens.dialogs import Choice, ChoiceDialog, ConfirmDialog
from tui.widgets.change_detail import SOON_SECONDS, ChangeDetailPane, ChangeRow
from tui.widgets.fast_table import Column, FastTable

# At this terminal width and wider, the table and the detail pane sit side by side.
WIDE_SCREEN = 120
# The cursor must rest this long before the detail pane reads the change.
DETAIL_DEBOUNCE_SECONDS = 0.15
# How often a listing still coming in is redrawn: often enough to watch, rarely enough
# that rebuilding 100,000 rows each time does not slow the reading down.
PARTIAL_EVERY_S = 0.5
# A growing listing's rows are shown again no sooner than this many times as long as
# showing them last took. At 100,000 changes a show takes 0.1-0.4 s of the dashboard's
# process, time the worker processes reading the folders want on 2 cores: shown every
# 5,000 folders, the shows of a first start added up to 4.5 s. Its count still goes up
# every PARTIAL_EVERY_S.
PARTIAL_COST_RATIO = 8
LIFECYCLE_CYCLE = {
    LifecycleFilter.ACTIVE: LifecycleFilter.ALL,
    LifecycleFilter.ALL: LifecycleFilter.ARCHIVED,
    LifecycleFilter.ARCHIVED: LifecycleFilter.ACTIVE,
}
LIFECYCLE_LABELS = {
    LifecycleFilter.ACTIVE: "Active",
    LifecycleFilter.ALL: "All",
    LifecycleFilter.ARCHIVED: "Archived",
}
EMPTY_MESSAGES = {
    LifecycleFilter.ACTIVE: "No active changes. Press a to show archived ones.",
    LifecycleFilter.ALL: "No changes in this workspace yet.",
    LifecycleFilter.ARCHIVED: "No archived changes. Press a to show the active ones.",
}
# Sorting by status groups the work that needs attention first.
STATUS_RANK = {
    WorkStatus.IN_PROGRESS.value: 0,
    WorkStatus.PAUSED.value: 1,
    WorkStatus.READY.value: 2,
    WorkStatus.DRAFT.value: 3,
    WorkStatus.COMPLETE.value: 4,
    "archived": 5,
}
ARCHIVED_SUFFIX = "@archived"
HINTS = Text.assemble(
    ("a", "bold"),
    " lifecycle  ",
    ("s", "bold"),
    " sort  ",
    ("[ ]", "bold"),
    " tabs  ",
    ("z", "bold"),
    " zoom",
    style="dim",
)


@dataclass(frozen=True, slots=True)
class _Listed:
    """The last complete listing shown, and the leases its rows were joined with."""

    lifecycle: LifecycleFilter
    changes: list[ChangeSummary]
    leases: dict[str, Lease]


@dataclass(frozen=True, slots=True)
class ChangesData:
    """What one load produced: the rows and the counts the summary line shows."""

    lifecycle: LifecycleFilter
    rows: list[ChangeRow]
    leased: int
    mine: int
    expired: int
    # (folders read, folders in all) while a listing is still coming in, (0, 0) while a
    # cached one is checked; None once complete.
    progress: tuple[int, int] | None = None
    # The rows are the first screenful of a cached listing this many rows long (0: not).
    expected: int = 0
    # The rows came from the index and the folders are being checked, not read afresh.
    checking: bool = False


def build_rows(
    changes: list[ChangeSummary], leases: dict[str, Lease], modules: dict[str, str], me: str
) -> list[ChangeRow]:
    """One row per change, joined with its lease and module name.

    Runs for every change on every refresh (100,000 of them, in a worker), so it sticks to
    local names, plain values and positional tuples: a StrEnum member is already the str the
    cells show, and a NamedTuple built from keywords costs twice as much.
    """
    archived_lifecycle = Lifecycle.ARCHIVED
    make = ChangeRow._make
    rows: list[ChangeRow] = []
    append = rows.append
    for change in changes:
        change_id = change.id
        module_id = change.module_id or ""
        lifecycle = change.lifecycle
        archived = lifecycle == archived_lifecycle
        # An archived change has no lease, whatever an old one says.
        lease = None if archived else leases.get(change_id)
        holder = lease.holder if lease is not None else None
        append(
            make(
                (
                    change_id + ARCHIVED_SUFFIX if archived else change_id,  # key
                    change_id,
                    change.title,
                    modules.get(module_id, module_id or "-"),
                    lifecycle,
                    "archived" if archived else change.work_status,  # status
                    change.completed_tasks,
                    change.total_tasks,
                    change.in_progress_tasks,
                    change.shelved_tasks,
                    holder,
                    holder == me,  # mine
                    lease.expires_at if lease is not None else None,
                    change.last_modified,
                    change.archived_on,
                )
            )
        )
    return rows


class ChangesTable(FastTable[ChangeRow]):
    """A FastTable that drops its least useful columns when it is too narrow to show them.

    `layouts` pairs a minimum width with the columns to show from that width up, widest
    first; the last one applies below every minimum.
    """

    def __init__(self, layouts: list[tuple[int, list[Column[ChangeRow]]]], **options: Any) -> None:
        super().__init__(layouts[-1][1], **options)
        self._layouts = layouts

    @property
    def column_keys(self) -> list[str]:
        return [column.key for column in self.columns]

    def on_resize(self) -> None:
        # FastTable's own on_resize runs after this one (Textual calls every class's handler).
        width = self.size.width
        columns = next((cols for minimum, cols in self._layouts if width >= minimum), None)
        self.set_columns(columns or self._layouts[-1][1])


def _palette_text(row: ChangeRow) -> str:
    return f"{row.id} {row.title}"


def _palette_entry(row: ChangeRow) -> Entry:
    return Entry("change", row.id, _palette_text(row), f"{row.status} · {row.module}")


class ChangesScreen(ModeScreen[ChangesData]):
    MODE = "changes"
    TITLE = "Changes"
    # Loaded with the screen, when the mode first opens, not at start-up.
    CSS_PATH = STYLES / "changes.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "claim", "Claim", id="changes.claim"),
        Binding("e", "renew", "Renew", id="changes.renew"),
        Binding("x", "release", "Release", id="changes.release"),
        Binding("n", "allocate", "Allocate", id="changes.allocate"),
        Binding("p", "sync_pull", "Pull", id="changes.sync_pull"),
        Binding("P", "sync_push", "Push", id="changes.sync_push"),
        Binding("A", "archive", "Archive", id="changes.archive"),
        Binding("slash", "filter", "Filter", id="changes.filter"),
        Binding("s", "sort", "Sort", show=False, id="changes.sort"),
        Binding("S", "reverse_sort", "Reverse sort", show=False, id="changes.reverse_sort"),
        Binding("a", "lifecycle", "Lifecycle", show=False, id="changes.lifecycle"),
        Binding(
            "left_square_bracket", "tab(-1)", "Previous tab", show=False, id="changes.tab_previous"
        ),
        Binding("right_square_bracket", "tab(1)", "Next tab", show=False, id="changes.tab_next"),
        Binding("z", "zoom", "Zoom detail", show=False, id="changes.zoom"),
        Binding("v", "toggle_detail", "Hide/show detail", show=False, id="changes.toggle_detail"),
        Binding("escape", "back", "Clear filter / back", show=False, id="changes.back"),
    ]
    MUTATING_ACTIONS = frozenset(
        {"claim", "renew", "release", "allocate", "sync_pull", "sync_push", "archive"}
    )
    AUTO_FOCUS = "#changes-table"

    def __init__(self) -> None:
        super().__init__()
        self.lifecycle = LifecycleFilter.ACTIVE
        # Only the load worker touches this (one load runs at a time).
        self._module_names: dict[str, str] = {}
        self._listed: _Listed | None = None
        # A change to put the cursor on once it shows up (allocate, palette jump).
        self._pending_key: str | None = None
        self._detail_timer: Timer | None = None
        # (row key, detail) of the last detail loaded, for the archive dialog's spec list.
        self._detail: tuple[str, ChangeDetail] | None = None
        # Change ids whose detail was requested, in order: lets tests see the debounce work.
        self.detail_requests: list[str] = []

    # Layout.

    def compose(self) -> ComposeResult:
        yield from self.compose_chrome()
        with Horizontal(id="changes-body"):
            with Vertical(id="changes-list"):
                yield Static("", id="changes-summary")
                yield Input(
                    placeholder="filter by id, title, module, holder or status",
                    id="changes-filter",
                    classes="filter",
                )
                yield ChangesTable(
                    self._column_layouts(),
                    row_key=lambda row: row.key,
                    haystack=lambda row: row.haystack,
                    empty_message="Loading changes…",
                    id="changes-table",
                )
            yield ChangeDetailPane(id="changes-detail", classes="panel")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        # ModeScreen.on_mount also runs (Textual calls every class's handler).
        self.set_interval(1.0, self._tick)
        self._fit_layout(self.app.size.width)
        self._summarise()

    def on_resize(self, event: events.Resize) -> None:
        self._fit_layout(event.size.width)

    def _fit_layout(self, width: int) -> None:
        self.set_class(width < WIDE_SCREEN, "-narrow")

    @property
    def table(self) -> ChangesTable:
        return self.query_one("#changes-table", ChangesTable)

    @property
    def pane(self) -> ChangeDetailPane:
        return self.query_one("#changes-detail", ChangeDetailPane)

    @property
    def filter_box(self) -> Input:
        return self.query_one("#changes-filter", Input)

    # Columns (cells render only for visible rows; the countdown re-renders every second).

    def _column_layouts(self) -> list[tuple[int, list[Column[ChangeRow]]]]:
        c = {
            "id": Column("id", "ID", self._id_cell, ratio=4, min_width=14, sort_key=lambda r: r.id),
            "module": Column(
                "module",
                "MODULE",
                lambda r: r.module,
                ratio=2,
                min_width=10,
                sort_key=lambda r: r.module,
            ),
            "title": Column(
                "title",
                "TITLE",
                lambda r: r.title,
                ratio=3,
                min_width=10,
                sort_key=lambda r: r.title.lower(),
            ),
            "tasks": Column(
                "tasks",
                "TASKS",
                self._tasks_cell,
                width=11,
                min_width=11,
                sort_key=lambda r: r.progress_sort,
            ),
            "status": Column(
                "status",
                "STATUS",
                self._status_cell,
                width=11,
                min_width=11,
                sort_key=lambda r: STATUS_RANK.get(r.status, 9),
            ),
            "holder": Column(
                "holder",
                "HOLDER",
                self._holder_cell,
                ratio=2,
                min_width=8,
                sort_key=lambda r: (r.holder is None, r.holder or ""),
            ),
            "expires": Column(
                "expires",
                "EXPIRES",
                self._expires_cell,
                width=7,
                min_width=7,
                align="right",
                sort_key=lambda r: r.expires_sort,
            ),
            "modified": Column(
                "modified",
                "MODIFIED",
                self._modified_cell,
                width=10,
                min_width=10,
                sort_key=lambda r: r.last_modified,
            ),
        }

        def pick(*keys: str) -> list[Column[ChangeRow]]:
            return [c[key] for key in keys]

        return [
            (
                150,
                pick("id", "module", "title", "tasks", "status", "holder", "expires", "modified"),
            ),
            (110, pick("id", "title", "tasks", "status", "holder", "expires", "modified")),
            (88, pick("id", "tasks", "status", "holder", "expires", "modified")),
            (0, pick("id", "tasks", "status", "holder", "expires")),
        ]

    def _id_cell(self, row: ChangeRow) -> str | Text:
        return Text(row.id, style="dim") if row.archived else row.id

    def _tasks_cell(self, row: ChangeRow) -> Text:
        return progress_cell(
            row.done, row.total, self.palette.primary, self.palette.success, width=5
        )

    def _status_cell(self, row: ChangeRow) -> Text:
        colour = "dim" if row.archived else self.palette.for_work_status(row.status)
        return Text(row.status, style=colour)

    def _holder_cell(self, row: ChangeRow) -> str | Text:
        if row.holder is None:
            return ""
        if row.mine:
            return Text("you", style=f"bold {self.palette.accent}")
        return row.holder

    def _expires_cell(self, row: ChangeRow) -> str | Text:
        left = row.seconds_left(self.now())
        if left is None:
            return ""
        if left <= 0:
            return Text("expired", style=f"bold {self.palette.error}")
        colour = self.palette.warning if left <= SOON_SECONDS else self.palette.success
        return Text(countdown(left), style=colour)

    def _modified_cell(self, row: ChangeRow) -> Text:
        try:
            return Text(ago(row.last_modified, self.now()), style="dim")
        except ValueError:  # not RFC 3339: show it as the backend gave it
            return Text(row.last_modified, style="dim")

    # Data (load runs in a worker thread; show on the UI thread).

    def load(self) -> ChangesData:
        lifecycle = self.lifecycle
        leases = self._leases()
        worker = get_current_worker()
        shown_at = 0.0
        rows_due = 0.0  # when a growing listing's rows may be shown again
        shown: list[ChangeSummary] | None = None  # the rows of the listing shown last
        screenful = False  # what was shown last is only the first rows of the cached ones
        checking = False  # the rows shown came from the index
        listings = self.service.stream_changes(lifecycle)
        try:
            for listing in listings:
                if worker.is_cancelled:
                    raise LoadCancelled
                if listing.complete:
                    data = self._data(lifecycle, listing.changes, leases, progress=None)
                    self._listed = _Listed(lifecycle, listing.changes, leases)
                    return data
                checking = checking or listing.total == 0
                progress = (listing.scanned, listing.total)
                # A start of a big workspace: show the cached or scanned part at once, then
                # more as it comes (as often as PARTIAL_COST_RATIO lets), so the table is
                # usable while the rest is read; and all the cached rows as soon as they
                # follow their first screenful.
                now = time.monotonic()
                if not screenful and now - shown_at < PARTIAL_EVERY_S:
                    continue
                shown_at = now
                if listing.changes is shown or (not screenful and now < rows_due):
                    # Only checked further, or its rows shown too recently: a new count in
                    # the summary, not 100,000 rows.
                    self.app.call_from_thread(self._show_progress, progress)
                    continue
                shown, screenful = listing.changes, listing.expected > 0
                self.show_partial(
                    self._data(lifecycle, shown, leases, progress, listing.expected, checking)
                )
                finished = time.monotonic()
                rows_due = finished + (PARTIAL_COST_RATIO - 1) * (finished - now)
        finally:
            # Stops a local listing's worker processes when this load is dropped.
            listings.close()
        raise QuarterdeckError("the backend ended the changes listing before it was complete")

    def _leases(self) -> dict[str, Lease]:
        """Every lease by change id, expired ones too (the table counts them)."""
        return {lease.change_id: lease for lease in self.service.list_leases(include_expired=True)}

    def refresh_between_loads(self) -> None:
        # Between two checks of every folder (about 40 s apart at 100,000 changes, see
        # AUTO_REFRESH_RATIO) the leases still refresh every interval: who holds what is
        # one cheap query, and the holder column must not wait for the folders.
        if self._listed is not None and self._listed.lifecycle == self.lifecycle:
            self._refresh_leases(self._listed, self.loads_started)

    @work(thread=True, exclusive=True, group="leases", exit_on_error=False)
    def _refresh_leases(self, listed: _Listed, loads_started: int) -> None:
        try:
            leases = self._leases()
        except QuarterdeckError:
            return  # the next full load reports what is wrong, and keeps retrying
        if leases == listed.leases:
            return
        data = self._joined(listed.lifecycle, listed.changes, leases)
        self.app.call_from_thread(
            self._show_leases, replace(listed, leases=leases), data, loads_started
        )

    def _show_leases(self, listed: _Listed, data: ChangesData, loads_started: int) -> None:
        # A load begun since shows newer rows (or is about to): these would undo them.
        if self.loads_started != loads_started or self.loading_data:
            return
        self._listed = listed
        self._show_data(data)

    def _show_progress(self, progress: tuple[int, int]) -> None:
        if self.data is not None and self.data.progress is not None:
            self.data = replace(self.data, progress=progress)
            self._summarise()

    def _data(
        self,
        lifecycle: LifecycleFilter,
        changes: list[ChangeSummary],
        leases: dict[str, Lease],
        progress: tuple[int, int] | None,
        expected: int = 0,
        checking: bool = False,
    ) -> ChangesData:
        # Names come from the module folders alone (a millisecond), so the first paint has
        # them. A complete listing naming a module not known yet (one made since) fetches
        # them again; asking of every growing listing would cost 17 ms a pass at 100,000.
        if not self._module_names or (
            progress is None
            and any(c.module_id and c.module_id not in self._module_names for c in changes)
        ):
            names = self.service.module_names()
            self._module_names = {key: f"{key} {name}" for key, name in names.items()}
        return self._joined(lifecycle, changes, leases, progress, expected, checking)

    def _joined(
        self,
        lifecycle: LifecycleFilter,
        changes: list[ChangeSummary],
        leases: dict[str, Lease],
        progress: tuple[int, int] | None = None,
        expected: int = 0,
        checking: bool = False,
    ) -> ChangesData:
        """The rows: the changes joined with their leases and module names."""
        rows = build_rows(changes, leases, self._module_names, self.service.holder)
        now = self.now()
        held = [row for row in rows if row.expires_at is not None]
        live = [row for row in held if row.expires_at is not None and row.expires_at > now]
        return ChangesData(
            lifecycle=lifecycle,
            rows=rows,
            leased=len(live),
            mine=sum(1 for row in live if row.mine),
            expired=len(held) - len(live),
            progress=progress,
            expected=expected,
            checking=checking,
        )

    def show(self, data: ChangesData) -> None:
        self.qapp.catalog.publish_rows("change", Source(data.rows, _palette_text, _palette_entry))
        table = self.table
        table.set_rows(data.rows)
        self._update_empty_message()
        self._summarise()
        if self._pending_key is not None:
            self._go_to_pending()
        self._cursor_settled(reload_if_changed=True)

    def _tick(self) -> None:
        if self.data is not None and self.is_current:
            self.table.refresh_cells()
            self.pane.tick(self.now())
            self._summarise()

    def _summarise(self) -> None:
        data = self.data
        table = self.table
        summary = Text()
        if data is None:
            summary.append("Loading changes…", style="italic")
            self.query_one("#changes-summary", Static).update(summary)
            return
        summary.append(LIFECYCLE_LABELS[data.lifecycle], style=f"bold {self.palette.primary}")
        total = table.row_count
        shown = table.visible_count
        count = f"{shown:,} of {total:,}" if table.filter_text else f"{total:,}"
        summary.append(f" · {count} change{'s' if total != 1 else ''}")
        if table.filter_text:
            summary.append(
                f" · filter: '{table.filter_text}'", style=f"bold {self.palette.warning}"
            )
        if data.leased:
            summary.append(f" · {data.leased:,} leased")
            if data.mine:
                summary.append(f" ({data.mine:,} yours)", style=self.palette.accent)
        if data.expired:
            summary.append(f" · {data.expired:,} expired", style=self.palette.error)
        if table.sort_column is not None:
            arrow = "▼" if table.sort_reverse else "▲"
            summary.append(f" · sort: {table.sort_column} {arrow}", style="dim")
        if data.progress is not None:
            scanned, total = data.progress
            # total is 0 while cached rows are being checked (against the folders or the
            # server).
            if data.expected:
                reading = f"loading {data.expected:,} cached rows"
            elif total:
                verb = "checking" if data.checking else "reading"
                reading = f"{verb} folders {scanned:,} of {total:,}"
            elif self.service.info.kind == "remote":
                # Rows from the last answer, kept on disk, until the server answers again.
                reading = "last known rows, asking the server"
            else:
                reading = "checking folders"
            summary.append(f" · {reading}…", style=f"italic {self.palette.warning}")
        if data.lifecycle != self.lifecycle:
            label = LIFECYCLE_LABELS[self.lifecycle].lower()
            # Chosen while a listing is still coming in: it loads once that one is complete
            # (seconds at 100,000 changes), so say that the key was heard.
            waiting = f" · {label} next" if data.progress is not None else f" · loading {label}…"
            summary.append(waiting, style="italic")
        widget = self.query_one("#changes-summary", Static)
        # The keys the footer has no room for, when the line has room for them.
        room = widget.size.width - 2 - summary.cell_len
        if room > HINTS.cell_len + 2:
            summary.append(" " * (room - HINTS.cell_len))
            summary.append_text(HINTS)
        # One line whatever it says (styles/changes.tcss): no layout of the whole screen
        # each time, which is every second (the countdowns) and on every progress count.
        widget.update(summary, layout=False)

    def _update_empty_message(self) -> None:
        text = self.table.filter_text
        if text:
            self.table.empty_message = f"No change matches '{text}'. Press esc to clear the filter."
        elif self.data is not None:
            self.table.empty_message = EMPTY_MESSAGES[self.data.lifecycle]

    # The palette and other screens jump here.

    def select_entity(self, key: str) -> None:
        self._pending_key = key
        if self.data is not None:
            self._go_to_pending()
        # A screen opened by this very jump is not composed yet: its first load (show)
        # applies the pending key and AUTO_FOCUS focuses the table.
        if self.is_mounted:
            self.table.focus()

    def _go_to_pending(self) -> None:
        """Put the cursor on the pending change, widening the view until it shows."""
        key = self._pending_key
        if key is None or self.data is None:
            return
        table = self.table
        if table.move_cursor_to_key(key) or table.move_cursor_to_key(key + ARCHIVED_SUFFIX):
            self._pending_key = None
            return
        if self.data.progress is not None:
            return  # the listing is still coming in: the change may yet show up
        if table.filter_text:
            self._clear_filter()
            if table.move_cursor_to_key(key) or table.move_cursor_to_key(key + ARCHIVED_SUFFIX):
                self._pending_key = None
                return
        if self.data.lifecycle != LifecycleFilter.ALL:
            self.lifecycle = LifecycleFilter.ALL
            self._summarise()
            self.refresh_data()
            return
        self._pending_key = None
        self.notify(f"Change {key} is not in this workspace.", severity="warning")

    # The detail pane: debounced, loaded in a worker, stale answers dropped.

    def on_fast_table_cursor_moved(self, event: FastTable.CursorMoved) -> None:
        self._cursor_settled(reload_if_changed=False)

    def _cursor_settled(self, *, reload_if_changed: bool) -> None:
        row = self.table.cursor_row
        pane = self.pane
        pane.show_row(row, self.now())
        if row is None:
            self._cancel_detail_timer()
            return
        same = pane.shown_key == row.key
        if same and not (reload_if_changed and pane.shown_modified != row.last_modified):
            return
        pane.show_loading()
        self._cancel_detail_timer()
        self._detail_timer = self.set_timer(DETAIL_DEBOUNCE_SECONDS, self._load_detail)

    @property
    def detail_pending(self) -> bool:
        """True while the detail pane waits for the cursor to settle."""
        return self._detail_timer is not None

    def _cancel_detail_timer(self) -> None:
        if self._detail_timer is not None:
            self._detail_timer.stop()
            self._detail_timer = None

    def _load_detail(self) -> None:
        self._detail_timer = None
        row = self.table.cursor_row
        if row is None:
            return
        self.detail_requests.append(row.id)
        self._detail_worker(row)

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def _detail_worker(self, row: ChangeRow) -> None:
        worker = get_current_worker()
        try:
            detail = self.service.get_change(row.id)
        except Exception as error:  # gone or unreadable: the pane says so, the screen stays
            if not worker.is_cancelled:
                self.app.call_from_thread(self._detail_failed, row, error)
            return
        if worker.is_cancelled:
            return
        tasks: TaskList | QuarterdeckError
        try:
            tasks = self.service.get_tasks(row.id)
        except QuarterdeckError as error:  # e.g. a tasks.md that is not UTF-8
            tasks = error
        if not worker.is_cancelled:
            self.app.call_from_thread(self._detail_loaded, row, detail, tasks)

    def _detail_loaded(
        self, row: ChangeRow, detail: ChangeDetail, tasks: TaskList | QuarterdeckError
    ) -> None:
        current = self.table.cursor_row
        if current is None or current.key != row.key:
            return  # the cursor moved on; its own load is on the way
        self._detail = (row.key, detail)
        self.pane.show_detail(current, detail, tasks)

    def _detail_failed(self, row: ChangeRow, error: Exception) -> None:
        current = self.table.cursor_row
        if current is not None and current.key == row.key:
            self.pane.show_error(current, error)

    def on_fast_table_row_activated(self, event: FastTable.RowActivated) -> None:
        self.pane.focus_body()

    def _theme_changed(self) -> None:
        self.pane.palette = Palette.of(self.app)
        self.pane.shown_key = None  # the redraw below reloads the detail in the new colours
        super()._theme_changed()

    # Filter, sort, lifecycle, layout.

    def action_filter(self) -> None:
        box = self.filter_box
        box.add_class("-open")
        box.focus()

    def _clear_filter(self) -> None:
        box = self.filter_box
        box.value = ""
        box.remove_class("-open")
        self.table.set_filter("")
        self._update_empty_message()
        self._summarise()

    def action_back(self) -> None:
        """Escape: leave the zoomed or focused detail first, else clear the filter."""
        if self.has_class("-zoom"):
            self.remove_class("-zoom")
        elif not self.pane.has_focus_within:
            self._clear_filter()
        self.table.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "changes-filter":
            self.table.set_filter(event.value)
            self._update_empty_message()
            self._summarise()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "changes-filter":
            if not event.value:
                event.input.remove_class("-open")
            self.table.focus()

    def action_sort(self) -> None:
        """Cycle the sort through the visible columns, then back to the given order."""
        table = self.table
        keys = table.column_keys
        current = table.sort_column
        if current not in keys:
            table.sort_by(keys[0])
        elif keys.index(current) + 1 < len(keys):
            table.sort_by(keys[keys.index(current) + 1])
        else:
            table.sort_by(None)
        self._summarise()

    def action_reverse_sort(self) -> None:
        table = self.table
        if table.sort_column is None:
            table.sort_by(table.column_keys[0], reverse=True)
        else:
            table.sort_by(table.sort_column, reverse=not table.sort_reverse)
        self._summarise()

    def action_lifecycle(self) -> None:
        self.lifecycle = LIFECYCLE_CYCLE[self.lifecycle]
        self._summarise()
        # Not after the load under way: checking 100,000 folders of the old lifecycle took
        # seconds that the key seemed to be ignored.
        self.restart_load()

    def action_tab(self, step: int) -> None:
        self.pane.cycle_tab(step)

    def action_zoom(self) -> None:
        zoomed = not self.has_class("-zoom")
        self.set_class(zoomed, "-zoom")
        self.remove_class("-no-detail")
        if zoomed:
            self.pane.focus_body()
        else:
            self.table.focus()

    def action_toggle_detail(self) -> None:
        hidden = not self.has_class("-no-detail")
        self.set_class(hidden, "-no-detail")
        self.remove_class("-zoom")
        self.table.focus()

    # Actions on the change under the cursor.

    def _selected(self) -> ChangeRow | None:
        row = self.table.cursor_row
        if row is None:
            self.notify("No change selected.", severity="warning")
        return row

    def action_claim(self) -> None:
        row = self._selected()
        if row is None:
            return
        self.perform(
            lambda: self.service.claim(row.id),
            success=lambda lease: f"Claimed {lease.change_id} for {self._left(lease)}.",
        )

    def action_renew(self) -> None:
        row = self._selected()
        if row is None:
            return
        self.perform(
            lambda: self.service.renew(row.id),
            success=lambda lease: f"Renewed {lease.change_id}: {self._left(lease)} left.",
        )

    def _left(self, lease: Lease) -> str:
        return countdown(lease.seconds_left(self.now()))

    def action_release(self) -> None:
        row = self._selected()
        if row is None:
            return
        left = row.seconds_left(self.now())
        if row.holder is None or left is None:
            self.notify(f"{row.id} is not leased: there is nothing to release.")
            return
        if row.mine or left <= 0:
            self._release(row, force=not row.mine)
            return

        def confirmed(answer: bool | None) -> None:
            if answer:
                self._release(row, force=True)

        self.app.push_screen(
            ConfirmDialog(
                "Release someone else's lease?",
                f"{row.id} is held by {row.holder} for another {countdown(left)}. Releasing it "
                f"lets anyone claim it; {row.holder} will not be told.",
                confirm="Release",
                danger=True,
            ),
            confirmed,
        )

    def _release(self, row: ChangeRow, *, force: bool) -> None:
        self.perform(
            lambda: self.service.release(row.id, force=force),
            success=lambda result: f"Released {result.change_id}.",
        )

    def action_allocate(self) -> None:
        def allocated(result: AllocateResult) -> None:
            if result.claim is None:
                self.notify(
                    "No work available: every ready change is leased or complete.",
                    severity="warning",
                )
                return
            if self.lifecycle == LifecycleFilter.ARCHIVED:
                self.lifecycle = LifecycleFilter.ACTIVE
            self._pending_key = result.claim.change_id

        self.perform(
            self.service.allocate,
            success=lambda result: (
                f"Allocated {result.claim.change_id} to you for {self._left(result.claim)}."
                if result.claim is not None
                else None
            ),
            then=allocated,
        )

    def action_sync_pull(self) -> None:
        row = self._selected()
        if row is not None:
            self._pull(row.id, "Pulled")

    def _pull(self, change_id: str, verb: str) -> None:
        def said(outcome: SyncOutcome) -> str:
            message = f"{verb} {outcome.change_id} at revision {outcome.revision}."
            if outcome.backup_dir:
                message += f" Your previous files are backed up in {outcome.backup_dir}."
            if outcome.files_kept:
                message += f" Kept local-only files: {', '.join(outcome.files_kept)}."
            return message

        self.perform(lambda: self.service.sync_pull(change_id), success=said)

    def action_sync_push(self) -> None:
        row = self._selected()
        if row is not None:
            self._push(row.id, None)

    def _push(self, change_id: str, base_revision: str | None) -> None:
        def conflict(error: QuarterdeckError) -> bool:
            if not isinstance(error, RevisionConflict):
                return False
            self._open_conflict(error)
            return True

        verb = "Pushed" if base_revision is None else "Overwrote the server's copy of"
        self.perform(
            lambda: self.service.sync_push(change_id, base_revision=base_revision),
            success=lambda outcome: (
                f"{verb} {outcome.change_id}: the server is now at revision {outcome.revision}."
            ),
            on_error=conflict,
        )

    def _open_conflict(self, error: RevisionConflict) -> None:
        change_id = error.change_id

        def chosen(choice: str | None) -> None:
            if choice == "local":
                self._push(change_id, error.server_revision)
            elif choice == "server":
                self._pull(change_id, "Took the server's copy of")

        self.app.push_screen(
            RevisionConflictDialog(
                change_id,
                error.local_revision,
                error.server_revision,
                lambda: self.service.compare_with_backend(change_id),
            ),
            chosen,
        )

    def action_archive(self) -> None:
        row = self._selected()
        if row is None:
            return
        if row.archived:
            self.notify(f"{row.id} is already archived.", severity="warning")
            return
        left = row.seconds_left(self.now())
        held_by_other = row.holder is not None and not row.mine and left is not None and left > 0
        specs = "its spec deltas will be copied to .ito/specs/"
        if self._detail is not None and self._detail[0] == row.key:
            names = [spec.name for spec in self._detail[1].specs]
            specs = (
                f"its spec deltas ({', '.join(names)}) will be copied to .ito/specs/"
                if names
                else "it has no spec deltas, so .ito/specs/ stays as it is"
            )
        body = (
            f"{row.id} will be archived in four steps:\n"
            "  1. pull the latest artifacts from the backend;\n"
            f"  2. {specs};\n"
            "  3. its folder moves to .ito/changes/archive/;\n"
            "  4. the backend marks it archived."
        )
        if held_by_other:
            body += (
                f"\n\n{row.holder} holds its lease for another {countdown(left or 0)}: "
                "archiving ends their lease."
            )

        def chosen(choice: str | None) -> None:
            if choice in ("y", "s"):
                self._archive(row.id, skip_specs=choice == "s", force=held_by_other)

        self.app.push_screen(
            ChoiceDialog(
                f"Archive {row.id}?",
                body,
                [
                    Choice(
                        "y", "Archive", "archive, copying the spec deltas to .ito/specs/", "error"
                    ),
                    Choice("s", "Skip specs", "archive without touching .ito/specs/", "warning"),
                ],
            ),
            chosen,
        )

    def _archive(self, change_id: str, *, skip_specs: bool, force: bool) -> None:
        dialog = ArchiveProgressDialog(change_id)
        self.app.push_screen(dialog)
        self._archive_worker(dialog, change_id, skip_specs, force)

    @work(thread=True, group="archive", exit_on_error=False)
    def _archive_worker(
        self, dialog: ArchiveProgressDialog, change_id: str, skip_specs: bool, force: bool
    ) -> None:
        call: Callable[..., Any] = self.app.call_from_thread
        try:
            outcome = self.service.archive(
                change_id,
                skip_specs=skip_specs,
                force=force,
                on_step=lambda report: call(dialog.step, report),
            )
        except Exception as error:  # shown in the dialog, next to the step that failed
            call(dialog.fail, error)
        else:
            call(dialog.finish, outcome)
        call(self.refresh_data)
