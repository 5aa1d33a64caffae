"""The Changes screen's detail pane: one change's header, proposal, design, tasks and specs.

The header comes from the table's row at once (it is already loaded); the documents arrive
later from a worker, and until then the previous change's documents are shown dimmed with a
"loading…" note, so moving the cursor never blanks the pane or flickers a spinner.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import PurePath
from typing import TYPE_CHECKING, ClassVar, NamedTuple, cast

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import Static, TabbedContent, TabPane

from core.models.changes import (
    ChangeDetail,
    Diagnostic,
    Lifecycle,
    Task,
    TaskList,
    TaskStatus,
    Wave,
)
from core.models.errors import QuarterdeckError
from tui.formatting import bar, countdown
from tui.palette import Palette

if TYPE_CHECKING:
    from textual.widgets import Markdown

SOON_SECONDS = 5 * 60
TABS = ("proposal", "design", "tasks", "specs")
TASK_ICONS = {
    TaskStatus.COMPLETE: "✓",
    TaskStatus.IN_PROGRESS: "▶",
    TaskStatus.PENDING: "○",
    TaskStatus.SHELVED: "⊘",
}
# Below this width the header stacks its facts one per line.
WIDE_HEADER = 70


class ChangeRow(NamedTuple):
    """One change as the table and the detail header show it, joined with its lease.

    Built in a worker for every change, so everything a cell or a sort needs is computed
    once here rather than on every repaint. Immutable and a tuple: at 100,000 rows a frozen
    dataclass spends most of the load in its `__init__`.
    """

    key: str
    id: str
    title: str
    module: str
    lifecycle: Lifecycle
    status: str
    done: int
    total: int
    in_progress: int
    shelved: int
    holder: str | None
    mine: bool
    expires_at: datetime | None
    last_modified: str
    archived_on: str | None

    @property
    def haystack(self) -> str:
        """What the filter searches. Made when the table asks (between frames, once per
        row), not with the row: at 100,000 rows that took 0.1 s off every load."""
        return f"{self.id} {self.title} {self.module} {self.holder or ''} {self.status}"

    @property
    def archived(self) -> bool:
        return self.lifecycle == Lifecycle.ARCHIVED

    @property
    def expires_sort(self) -> float:
        return self.expires_at.timestamp() if self.expires_at is not None else math.inf

    @property
    def progress_sort(self) -> tuple[float, int]:
        return (self.done / self.total if self.total else -1.0, self.total)

    def seconds_left(self, now: datetime) -> float | None:
        return None if self.expires_at is None else (self.expires_at - now).total_seconds()


def progress_summary(done: int, total: int, in_progress: int, shelved: int) -> str:
    """`5/9 tasks, 2 in progress, 1 shelved` (zero counts left out)."""
    if total == 0:
        return "no tasks"
    parts = [f"{done}/{total} tasks"]
    if in_progress:
        parts.append(f"{in_progress} in progress")
    if shelved:
        parts.append(f"{shelved} shelved")
    return ", ".join(parts)


def lease_text(row: ChangeRow, now: datetime, palette: Palette) -> Text:
    """`25m00s left · maria@laptop-mk`, `expired 3m10s ago · …`, `free`: time first, so a
    narrow pane cuts the holder's name rather than the countdown."""
    left = row.seconds_left(now)
    if row.archived:
        return Text("none (archived changes cannot be claimed)", style="dim")
    if row.holder is None or left is None:
        return Text("free", style="dim")
    text = Text()
    if left <= 0:
        text.append(f"expired {countdown(-left)} ago", style=f"bold {palette.error}")
    else:
        colour = palette.warning if left <= SOON_SECONDS else palette.success
        text.append(f"{countdown(left)} left", style=f"bold {colour}")
    text.append(" · ")
    if row.mine:
        text.append("you ", style=f"bold {palette.accent}")
        text.append(f"({row.holder})", style="dim")
    else:
        text.append(row.holder)
    return text


def task_cells(task: Task, palette: Palette) -> tuple[Text, Text, Text]:
    """Icon, id and name (with its checkpoint and in-progress marks) of one task."""
    colour = {
        TaskStatus.COMPLETE: palette.success,
        TaskStatus.IN_PROGRESS: palette.accent,
        TaskStatus.PENDING: "",
        TaskStatus.SHELVED: "dim",
    }[task.status]
    icon = Text(TASK_ICONS[task.status], style=f"bold {colour}" if colour else "bold")
    checkpoint = task.kind == "checkpoint"
    # A `### Checkpoint:` heading has no id of its own; the marker stands in for it.
    shown_id = "◆" if checkpoint and task.id.startswith("checkpoint-") else task.id
    ident = Text(shown_id, style=f"bold {palette.secondary}" if checkpoint else "bold")
    # The icon says the status; the name repeats the colour of the ones that need a look.
    name_style = {TaskStatus.IN_PROGRESS: palette.accent, TaskStatus.SHELVED: "dim strike"}
    name = Text(task.name, style=name_style.get(task.status, ""))
    if checkpoint:
        marker = "  checkpoint" if shown_id == "◆" else "  ◆ checkpoint"
        name.append(marker, style=f"italic {palette.secondary}")
    return icon, ident, name


def _group_heading(label: str, tasks: list[Task], palette: Palette) -> Text:
    done = sum(1 for task in tasks if task.status == TaskStatus.COMPLETE)
    return Text.assemble((label, f"bold {palette.primary}"), (f"  {done}/{len(tasks)} done", "dim"))


def _groups(tasks: TaskList) -> Iterable[tuple[str | None, list[Task]]]:
    """Consecutive tasks sharing a wave (enhanced) or a section (checkbox), with a heading."""
    waves = {wave.number: wave for wave in tasks.waves}
    current: object = object()
    group: list[Task] = []
    heading: str | None = None
    for task in tasks.tasks:
        key: object = task.wave if tasks.format == "enhanced" else task.section
        if key != current:
            if group:
                yield heading, group
            current, group = key, []
            heading = _heading_for(task, tasks.format, waves)
        group.append(task)
    if group:
        yield heading, group


def _heading_for(task: Task, format: str, waves: dict[int, Wave]) -> str | None:
    if format != "enhanced":
        return task.section
    if task.wave is None:
        return "Checkpoints" if task.kind == "checkpoint" else "Outside any wave"
    label = f"Wave {task.wave}"
    wave = waves.get(task.wave)
    if wave is not None and wave.title:
        label += f" — {wave.title}"
    if wave is not None and wave.depends_on:
        label += f" (depends on {', '.join(f'wave {n}' for n in wave.depends_on)})"
    return label


def diagnostic_line(diagnostic: Diagnostic) -> str:
    """`tasks.md:42 task 1.3: unknown status …`: the file's name, not the machine's path."""
    where = PurePath(diagnostic.path).name
    if diagnostic.line:
        where += f":{diagnostic.line}"
    return f"{where} {diagnostic.message}"


def _indented_grid() -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")
    return grid


def render_tasks(tasks: TaskList, palette: Palette) -> Group:
    """Every task with its status icon, grouped under wave or section headings; then any
    diagnostics naming file and line. Long names wrap under themselves, not under the icon."""
    parts: list[RenderableType] = []
    if not tasks.tasks:
        parts.append(Text("No tasks.", style="italic dim"))
    for index, (heading, group) in enumerate(_groups(tasks)):
        if index:
            parts.append(Text())
        if heading:
            parts.append(_group_heading(heading, group, palette))
        grid = _indented_grid()
        for task in group:
            grid.add_row(*task_cells(task, palette))
        parts.append(Padding(grid, (0, 0, 0, 1)))
    if tasks.diagnostics:
        count = len(tasks.diagnostics)
        parts.append(Text())
        parts.append(
            Text(
                f"⚠ {count} problem{'s' if count != 1 else ''} in this task list",
                style=f"bold {palette.warning}",
            )
        )
        for diagnostic in tasks.diagnostics:
            parts.append(
                Padding(Text(diagnostic_line(diagnostic), style=palette.warning), (0, 0, 0, 2))
            )
    return Group(*parts)


def specs_markdown(detail: ChangeDetail) -> str:
    return "\n\n".join(f"# {spec.name}\n\n{spec.content.strip()}" for spec in detail.specs)


class DetailScroll(VerticalScroll):
    """A scrolling tab body that vim users can drive too."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll_down", "Scroll down", show=False),
        Binding("k", "scroll_up", "Scroll up", show=False),
        Binding("g", "scroll_home", "Top", show=False),
        Binding("G", "scroll_end", "Bottom", show=False),
        Binding("ctrl+d", "page_down", "Page down", show=False),
        Binding("ctrl+u", "page_up", "Page up", show=False),
    ]


class ChangeDetailPane(Vertical):
    """Header plus Proposal / Design / Tasks / Specs tabs for the change under the cursor."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.palette = Palette()
        self.row: ChangeRow | None = None
        self.holder_name = ""
        # The change whose documents are on screen, and what they were built from.
        self.shown_key: str | None = None
        self.shown_modified: str | None = None
        self._texts: dict[str, str | None] = {}
        self._now = datetime.min
        # The tabs are mounted after the first frame that follows the first listing (see
        # `show_row`): composed with the pane, they held the first rows of a 10,000-change
        # start back by ~60 ms. Until they are mounted, `_tab` is the tab to open on and
        # `_after_tabs` what is waiting to be shown in them.
        self.tabs_mounted = False
        self._tabs_requested = False
        self._tab = TABS[0]
        self._after_tabs: list[Callable[[], None]] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="detail-header")

    def on_mount(self) -> None:
        self.palette = Palette.of(self.app)
        self.border_title = "Change"
        self.show_nothing()

    def _build_tabs(self) -> TabbedContent:
        tabs = TabbedContent(id="detail-tabs", initial=f"tab-{self._tab}")
        for name in TABS:
            # The Markdown documents are mounted when there is one to show.
            body = [Static("", id=f"{name}-note", classes="detail-note")]
            if name == "tasks":
                body.append(Static("", id="tasks-list"))
            scroll = DetailScroll(*body, id=f"{name}-scroll", classes="detail-scroll")
            # What `with TabbedContent(): ...` does in a compose method.
            tabs.compose_add_child(TabPane(name.capitalize(), scroll, id=f"tab-{name}"))
        return tabs

    async def _mount_tabs(self) -> None:
        # The pane may be gone by then: the dashboard quit in the frame that showed the rows.
        if not self.is_attached or self._closing:
            return
        await self.mount(self._build_tabs())
        # Tabs switch with [ and ] from anywhere; tab goes straight to the scrolling body.
        self.query_one("ContentTabs").can_focus = False
        self.tabs_mounted = True
        waiting, self._after_tabs = self._after_tabs, []
        for show in waiting:
            show()

    def _in_tabs(self, show: Callable[[], None]) -> None:
        """Show something in the tabs now, or as soon as they are mounted."""
        if self.tabs_mounted:
            show()
        else:
            self._after_tabs.append(show)

    # Header.

    def show_row(self, row: ChangeRow | None, now: datetime) -> None:
        """The header for `row` at once; the documents stay (dimmed) until `show_detail`."""
        self.row = row
        self._now = now
        if not self._tabs_requested:
            self._tabs_requested = True
            self.call_after_refresh(self._mount_tabs)
        if row is None:
            self.show_nothing()
            return
        self.border_title = row.id
        self._render_header()
        self.set_class(row.key != self.shown_key, "-stale")

    def tick(self, now: datetime) -> None:
        self._now = now
        if self.row is not None:
            self._render_header()

    def on_resize(self) -> None:
        if self.row is not None:
            self._render_header()

    def _render_header(self) -> None:
        """Title, status and module, lease, tasks: a line each in a narrow pane (cut with an
        ellipsis by the CSS, never wrapped), two lines in a wide one (the stacked layout)."""
        row = self.row
        if row is None:
            return
        palette = self.palette
        wide = self.size.width >= WIDE_HEADER
        status_style = "dim" if row.archived else palette.for_work_status(row.status)
        title = Text(row.title or row.id, style="bold")
        facts = Text.assemble(("● ", status_style), (row.status, f"bold {status_style}"))
        if row.archived and row.archived_on:
            facts.append(f" on {row.archived_on}", style="dim")
        facts.append(f" · {row.module}", style="dim")
        lease = Text.assemble(("Lease ", "bold"), lease_text(row, self._now, palette))
        tasks = Text.assemble(("Tasks ", "bold"))
        if row.total and not wide:
            colour = palette.success if row.done == row.total else palette.primary
            tasks.append(bar(row.done / row.total, 8), style=colour)
            tasks.append(" ")
        tasks.append(progress_summary(row.done, row.total, row.in_progress, row.shelved))
        if wide:
            # Tasks first: when the line is too long, the holder's name is what gets cut.
            lines = [Text.assemble(title, "  ", facts), Text.assemble(tasks, "    ", lease)]
        else:
            lines = [title, facts, lease, tasks]
        self.query_one("#detail-header", Static).update(Text("\n").join(lines))

    # Documents.

    def show_nothing(self) -> None:
        self.row = None
        self.shown_key = None
        self.shown_modified = None
        self.border_title = "Change"
        self.border_subtitle = ""
        self.remove_class("-stale")
        self.query_one("#detail-header", Static).update(
            Text("No change selected.", style="italic dim")
        )
        self._in_tabs(self._clear_tabs)

    def _clear_tabs(self) -> None:
        for name in TABS:
            self._set_note(name, "")
            self._set_document(name, None)

    def show_loading(self) -> None:
        self.border_subtitle = "loading…"
        self.add_class("-stale")

    def show_detail(
        self, row: ChangeRow, detail: ChangeDetail, tasks: TaskList | QuarterdeckError
    ) -> None:
        self.shown_key = row.key
        self.shown_modified = row.last_modified
        self.border_subtitle = ""
        self.remove_class("-stale")
        self._in_tabs(lambda: self._show_documents(detail, tasks))

    def _show_documents(self, detail: ChangeDetail, tasks: TaskList | QuarterdeckError) -> None:
        muted = "italic dim"
        self._show_markdown("proposal", detail.proposal, "No proposal.md.", muted)
        self._show_markdown("design", detail.design, "No design.md.", muted)
        self._show_markdown("specs", specs_markdown(detail) or None, "No spec deltas.", muted)
        if isinstance(tasks, QuarterdeckError):
            self._set_note(
                "tasks",
                Text.assemble(
                    ("Could not read the task list\n", f"bold {self.palette.error}"),
                    (str(tasks), self.palette.error),
                ),
            )
            self.query_one("#tasks-list", Static).update("")
        else:
            self._set_note("tasks", "")
            self.query_one("#tasks-list", Static).update(render_tasks(tasks, self.palette))

    def show_error(self, row: ChangeRow, error: Exception) -> None:
        """The change could not be read (gone, unreadable): say so in every tab."""
        self.shown_key = row.key
        self.shown_modified = row.last_modified
        self.border_subtitle = ""
        self.remove_class("-stale")
        message = Text.assemble(
            (f"Could not load {row.id}\n", f"bold {self.palette.error}"),
            (str(error), self.palette.error),
        )
        self._in_tabs(lambda: self._show_error_in_tabs(message))

    def _show_error_in_tabs(self, message: Text) -> None:
        for name in TABS:
            self._set_document(name, None)
            self._set_note(name, message)
        self.query_one("#tasks-list", Static).update("")

    def _show_markdown(self, name: str, text: str | None, missing: str, style: str) -> None:
        self._set_note(name, Text(missing, style=style) if text is None else "")
        self._set_document(name, text)

    def _set_note(self, name: str, note: str | Text) -> None:
        widget = self.query_one(f"#{name}-note", Static)
        widget.update(note)
        widget.display = bool(note)

    def _set_document(self, name: str, text: str | None) -> None:
        if name == "tasks":
            return
        # Re-rendering the same Markdown on every refresh would reset the reader's scroll.
        if self._texts.get(name, "") == (text or ""):
            return
        self._texts[name] = text or ""
        scroll = self.query_one(f"#{name}-scroll", DetailScroll)
        try:
            document = cast("Markdown", scroll.query_one(f"#{name}-md"))
        except NoMatches:
            if text is None:
                return
            # Imported here, not at the top: Textual's Markdown brings markdown-it, tens of
            # milliseconds of every start-up, and the first frame has no document to show.
            from textual.widgets import Markdown

            scroll.mount(Markdown(text, id=f"{name}-md", open_links=False))
        else:
            document.display = text is not None
            document.update(text or "")
        scroll.scroll_home(animate=False)

    # Tabs.

    @property
    def active_tab(self) -> str:
        if not self.tabs_mounted:
            return self._tab
        return self.query_one(TabbedContent).active.removeprefix("tab-")

    def show_tab(self, name: str) -> None:
        if not self.tabs_mounted:
            self._tab = name
            return
        self.query_one(TabbedContent).active = f"tab-{name}"

    def cycle_tab(self, step: int) -> None:
        index = TABS.index(self.active_tab)
        self.show_tab(TABS[(index + step) % len(TABS)])

    def focus_body(self) -> None:
        self._in_tabs(self._focus_tab_body)

    def _focus_tab_body(self) -> None:
        self.query_one(f"#{self.active_tab}-scroll", DetailScroll).focus()
