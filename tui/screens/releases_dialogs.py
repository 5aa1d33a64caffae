"""The Releases screen's dialogs: build a plan, browse the run ledger, a repo in full."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from core.models.errors import QuarterdeckError
from core.models.releases import ItemState, ReleaseRequest, Run, RunEvent, RunProgress
from core.timeutil import parse_rfc3339
from tui.palette import Palette
from tui.widgets.fast_table import Column, FastTable

# A version label goes into the release command as one argument: a space is always a typo.
MAX_VERSION_LENGTH = 100


@dataclass
class PlanDraft:
    """The repos and versions picked so far. The screen keeps it, so closing the builder (or a
    refused build) loses nothing: the next `b` opens it as it was left."""

    selected: set[str] = field(default_factory=set)
    versions: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BuilderRepo:
    name: str
    label: str
    last_version: str  # in the newest plan that released it; "" if none did


def version_problem(repo: str, version: str) -> str | None:
    """Why `version` cannot be released, or None."""
    if not version:
        return f"{repo} has no version"
    if any(ch.isspace() for ch in version):
        return f"version of {repo} must be one word, not {version!r}"
    if len(version) > MAX_VERSION_LENGTH:
        return f"version of {repo} is longer than {MAX_VERSION_LENGTH} characters"
    return None


class PlanBuilder(ModalScreen[list[ReleaseRequest] | None]):
    """Every repo in release order: space picks one, typing (or enter) edits its version.

    Returns the release requests in release order, or None when closed.
    """

    BINDINGS = [
        Binding("space", "pick", "Pick/unpick", id="releases.builder.toggle"),
        Binding("ctrl+s", "build", "Build plan", id="releases.builder.build"),
        Binding("slash", "filter", "Filter", id="releases.builder.filter"),
        Binding("escape", "back", "Close", id="releases.builder.close"),
    ]

    def __init__(
        self,
        repos: list[BuilderRepo],
        draft: PlanDraft,
        *,
        focus_repo: str | None = None,
        error: str = "",
    ) -> None:
        super().__init__()
        self.repos = repos
        self.draft = draft
        self.focus_repo = focus_repo
        self.initial_error = error
        self.palette = Palette()
        known = {repo.name for repo in repos}
        # The graph may have lost repos since the draft was started.
        self.dropped = sorted(draft.selected - known)
        draft.selected &= known
        for name in [name for name in draft.versions if name not in known]:
            del draft.versions[name]
        if focus_repo in known:
            draft.selected.add(focus_repo)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide plan-builder"):
            yield Label("Build a release plan", classes="dialog-title")
            yield Static(
                "[b]space[/b] pick · [b]type[/b] a version · [b]/[/b] filter · "
                "[b]ctrl+s[/b] build · [b]esc[/b] close",
                classes="dialog-hint-top",
            )
            yield Input(placeholder="filter repos", id="builder-filter", classes="filter")
            yield FastTable(
                self._columns(),
                row_key=lambda repo: repo.name,
                haystack=lambda repo: repo.name,
                empty_message="No repo matches the filter.",
                id="builder-table",
            )
            with Horizontal(id="builder-edit"):
                yield Label("", id="builder-edit-label")
                yield Input(placeholder="e.g. 1.4.2", id="builder-version")
            yield Static("", id="builder-summary")
            yield Static(self._dropped_note(), id="builder-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Build \\[ctrl+s]", variant="primary", id="builder-build")
                yield Button("Close \\[esc]", id="builder-close")

    @property
    def table(self) -> FastTable[BuilderRepo]:
        return self.query_one("#builder-table", FastTable)

    @property
    def version_input(self) -> Input:
        return self.query_one("#builder-version", Input)

    def on_mount(self) -> None:
        self.palette = Palette.of(self.app)
        self.table.set_rows(self.repos)
        if self.initial_error:
            self._error("\n".join(filter(None, [self.initial_error, self._dropped_note()])))
        start = self.focus_repo or next(
            (repo.name for repo in self.repos if repo.name in self.draft.selected), None
        )
        if start is not None:
            self.table.move_cursor_to_key(start)
        self._summarise()
        if start is not None and start == self.focus_repo and not self.draft.versions.get(start):
            self._edit()
        else:
            self.table.focus()

    def _columns(self) -> list[Column[BuilderRepo]]:
        return [
            Column("pick", "", self._pick_cell, width=3),
            Column("repo", "REPO", lambda repo: repo.name, ratio=3, min_width=12),
            Column("version", "VERSION", self._version_cell, width=16),
            Column("last", "LAST PLANNED", self._last_cell, width=14),
        ]

    def _pick_cell(self, repo: BuilderRepo) -> Text:
        if repo.name in self.draft.selected:
            return Text("[x]", style=f"bold {self.palette.success}")
        return Text("[ ]", style="dim")

    def _version_cell(self, repo: BuilderRepo) -> Text:
        version = self.draft.versions.get(repo.name, "")
        if repo.name not in self.draft.selected:
            return Text(version, style="dim")
        if version_problem(repo.name, version):
            return Text(version or "needs a version", style=f"italic {self.palette.warning}")
        return Text(version, style="bold")

    def _last_cell(self, repo: BuilderRepo) -> Text:
        return Text(repo.last_version or "-", style="dim")

    def _dropped_note(self) -> str:
        if not self.dropped:
            return ""
        return "Dropped from your picks (no longer in the graph): " + ", ".join(self.dropped)

    # Picking and editing.

    def action_pick(self) -> None:
        if self.focused is not self.table:
            return
        repo = self.table.cursor_row
        if repo is None:
            return
        if repo.name in self.draft.selected:
            self.draft.selected.discard(repo.name)
        else:
            self.draft.selected.add(repo.name)
            if not self.draft.versions.get(repo.name):
                self._edit()
        self._changed()

    def on_fast_table_row_activated(self, event: FastTable.RowActivated) -> None:
        event.stop()
        self._edit()

    def on_fast_table_cursor_moved(self, event: FastTable.CursorMoved) -> None:
        event.stop()
        self._show_cursor_version()

    def on_key(self, event: events.Key) -> None:
        # Typing a version on a row starts editing it, so picking is "type, enter".
        if self.focused is self.table and event.character and event.character.isdigit():
            event.stop()
            event.prevent_default()
            self._edit(event.character)

    def _edit(self, start: str | None = None) -> None:
        repo = self.table.cursor_row
        if repo is None:
            return
        box = self.version_input
        box.value = self.draft.versions.get(repo.name, "") if start is None else start
        box.cursor_position = len(box.value)
        box.focus()

    def _show_cursor_version(self) -> None:
        repo = self.table.cursor_row
        label = self.query_one("#builder-edit-label", Label)
        label.update(f"version of {repo.name}" if repo else "version")
        if repo is not None and self.focused is not self.version_input:
            self.version_input.value = self.draft.versions.get(repo.name, "")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "builder-filter":
            self.table.focus()
        else:
            self._commit_edit()

    def _commit_edit(self) -> bool:
        """Keep the typed version for the repo under the cursor (and pick it). Clearing the
        version leaves the pick as it is: space is what unpicks."""
        repo = self.table.cursor_row
        if repo is None:
            return True
        version = self.version_input.value.strip()
        problem = version_problem(repo.name, version) if version else None
        if problem:
            self._error(problem)
            return False
        if version:
            self.draft.versions[repo.name] = version
            self.draft.selected.add(repo.name)
        else:
            self.draft.versions.pop(repo.name, None)
        self._error("")
        self.table.focus()
        self._changed()
        return True

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "builder-filter":
            event.stop()
            self.table.set_filter(event.value)

    def action_filter(self) -> None:
        box = self.query_one("#builder-filter", Input)
        box.add_class("-open")
        box.focus()

    def action_back(self) -> None:
        """Escape steps back: out of the version box, out of the filter, then closes."""
        if self.focused is self.version_input:
            self._error("")
            self.table.focus()
            self._show_cursor_version()
            return
        box = self.query_one("#builder-filter", Input)
        if box.has_class("-open"):
            box.value = ""
            box.remove_class("-open")
            self.table.focus()
            return
        self.dismiss(None)

    def _changed(self) -> None:
        self.table.refresh_cells()
        self._summarise()

    def _summarise(self) -> None:
        picked = [repo for repo in self.repos if repo.name in self.draft.selected]
        if not picked:
            self.query_one("#builder-summary", Static).update(
                Text("Nothing picked yet.", style="dim")
            )
            return
        text = Text.assemble((f"{len(picked)} to release: ", "bold"))
        for index, repo in enumerate(picked):
            if index:
                text.append(", ")
            version = self.draft.versions.get(repo.name, "")
            text.append(repo.label)
            text.append(f" {version}" if version else " ?", style="dim" if version else "")
        self.query_one("#builder-summary", Static).update(text)

    # Building.

    def requests(self) -> list[ReleaseRequest] | str:
        """The requests in release order, or why they cannot be built."""
        picked = [repo.name for repo in self.repos if repo.name in self.draft.selected]
        if not picked:
            return "Pick at least one repo to release (space picks the repo under the cursor)."
        problems = [
            (name, problem)
            for name in picked
            if (problem := version_problem(name, self.draft.versions.get(name, "")))
        ]
        if problems:
            first, _ = problems[0]
            self.table.move_cursor_to_key(first)
            return "Cannot build: " + "; ".join(problem for _, problem in problems) + "."
        return [
            ReleaseRequest(repo_id=name, version_label=self.draft.versions[name]) for name in picked
        ]

    def action_build(self) -> None:
        # A version typed but not yet entered counts: nobody expects to lose it.
        if self.focused is self.version_input and not self._commit_edit():
            return
        result = self.requests()
        if isinstance(result, str):
            self._error(result)
            self.table.focus()
            return
        self.dismiss(result)

    def _error(self, message: str) -> None:
        self.query_one("#builder-error", Static).update(message)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "builder-build":
            self.action_build()
        else:
            self.dismiss(None)


# The run ledger.


def short_id(run_id: str) -> str:
    """The first 8 characters of a run's UUID, like a short git hash."""
    return run_id[:8]


def utc_stamp(moment: str | None, *, with_date: bool = True) -> str:
    """`11-16 10:00` or `10:00:37` (UTC, so every reader of the ledger sees the same)."""
    if not moment:
        return "-"
    when = parse_rfc3339(moment)
    return when.strftime("%m-%d %H:%M" if with_date else "%H:%M:%S")


def duration(seconds: float) -> str:
    """`840ms`, `37s`, `5m33s`, `2h05m`."""
    if 0 < seconds < 1:
        return f"{int(seconds * 1000)}ms"
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def run_seconds(run: Run, now: datetime) -> float:
    """How long a run took, or has been running."""
    if run.summary is not None and run.finished_at is not None:
        return run.summary.duration_ms / 1000
    return max(0.0, (now - parse_rfc3339(run.started_at)).total_seconds())


def outcome_counts(progress: RunProgress, requested: set[str]) -> dict[ItemState, int]:
    counts = dict.fromkeys(ItemState, 0)
    for item in progress.items:
        if item.repo_id in requested:
            counts[item.status.state] += 1
    return counts


def event_detail(event: RunEvent) -> str:
    payload = event.payload
    for key in ("version", "run_id", "error"):
        if key in payload:
            return str(payload[key])
    return ""


class RunLedger(ModalScreen[None]):
    """A plan's runs (newest first) and the events of the run under the cursor.

    Enter on a run colours the graph with it (`choose`) and moves to its events.
    """

    BINDINGS = [
        Binding("escape", "back", "Close", id="releases.ledger.close"),
        Binding("tab", "switch", "Runs/events", id="releases.ledger.switch"),
    ]

    def __init__(
        self,
        title: str,
        runs: list[Run],
        requested: set[str],
        *,
        fetch: Callable[[str], RunProgress],
        choose: Callable[[str], None],
        now: Callable[[], datetime],
        current: str | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.runs = runs
        self.requested = requested
        self.fetch = fetch
        self.choose = choose
        self.now = now
        self.current = current
        self.progress: dict[str, RunProgress] = {}
        self.palette = Palette()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide run-ledger"):
            yield Label(self.title_text, classes="dialog-title")
            yield FastTable(
                self._run_columns(),
                row_key=lambda run: run.run_id,
                empty_message="No runs of this plan yet: R runs it, m steps it by hand.",
                id="ledger-runs",
            )
            yield Label("", id="ledger-events-title", classes="ledger-heading")
            yield FastTable(
                self._event_columns(),
                row_key=lambda event: str(event.seq),
                empty_message="No events.",
                id="ledger-events",
            )
            yield Static("", id="ledger-event-detail")
            yield Static(
                "[b]enter[/b] show the run on the graph · [b]tab[/b] runs/events"
                " · [b]esc[/b] close",
                classes="dialog-hint",
            )

    @property
    def runs_table(self) -> FastTable[Run]:
        return self.query_one("#ledger-runs", FastTable)

    @property
    def events_table(self) -> FastTable[RunEvent]:
        return self.query_one("#ledger-events", FastTable)

    def on_mount(self) -> None:
        self.palette = Palette.of(self.app)
        self.runs_table.set_rows(self.runs)
        if self.current is not None:
            self.runs_table.move_cursor_to_key(self.current)
        self.runs_table.focus()
        first = self.runs_table.cursor_key
        others = [run.run_id for run in self.runs if run.run_id != first]
        self._fetch_all(([first] if first else []) + others)

    def _run_columns(self) -> list[Column[Run]]:
        return [
            Column("run", "RUN", lambda run: short_id(run.run_id), width=8, min_width=8),
            Column("mode", "MODE", lambda run: run.mode, width=7, min_width=6),
            Column("status", "STATUS", self._status_cell, width=9, min_width=9),
            Column(
                "started", "STARTED", lambda run: utc_stamp(run.started_at), width=11, min_width=11
            ),
            Column("finished", "FINISHED", self._finished_cell, width=11, min_width=8),
            Column("took", "TOOK", self._took_cell, width=6, min_width=5, align="right"),
            Column("result", "RESULT", self._result_cell, ratio=1, min_width=8),
        ]

    def _finished_cell(self, run: Run) -> str:
        """The time alone when the run ended the day it started, as most do."""
        if run.finished_at and run.finished_at[:10] == run.started_at[:10]:
            return utc_stamp(run.finished_at, with_date=False)[:5]
        return utc_stamp(run.finished_at)

    def _took_cell(self, run: Run) -> str:
        return duration(run_seconds(run, self.now()))

    def _event_columns(self) -> list[Column[RunEvent]]:
        return [
            Column("seq", "SEQ", lambda event: str(event.seq), width=4, align="right"),
            Column("kind", "KIND", self._kind_cell, width=11),
            Column("node", "REPO", lambda event: str(event.payload.get("node_id", "")), ratio=2),
            Column("detail", "VERSION / RELEASE / ERROR", event_detail, ratio=4),
            Column(
                "at", "AT (UTC)", lambda event: utc_stamp(event.timestamp, with_date=False), width=8
            ),
        ]

    def _status_cell(self, run: Run) -> Text:
        colour = {
            "COMPLETED": self.palette.success,
            "FAILED": self.palette.error,
            "RUNNING": self.palette.accent,
        }.get(run.status.value, self.palette.muted)
        return Text(run.status.value, style=f"bold {colour}")

    def _result_cell(self, run: Run) -> Text:
        progress = self.progress.get(run.run_id)
        if progress is None:
            return Text("…", style="dim")
        counts = outcome_counts(progress, self.requested)
        text = Text()
        for state, glyph in (
            (ItemState.SUCCEEDED, "✓"),
            (ItemState.FAILED, "✗"),
            (ItemState.SKIPPED, "⊘"),
            (ItemState.PENDING, "○"),
        ):
            if counts[state]:
                if text.plain:
                    text.append(" ")
                text.append(f"{glyph}{counts[state]}", style=self.palette.for_release_state(state))
        return text if text.plain else Text("-", style="dim")

    def _kind_cell(self, event: RunEvent) -> Text:
        colour = {
            "NodeEntered": self.palette.accent,
            "NodeExited": self.palette.success,
            "NodeFailed": self.palette.error,
        }.get(event.kind.value, "")
        return Text(event.kind.value, style=colour)

    @work(thread=True, exclusive=True, group="ledger", exit_on_error=False)
    def _fetch_all(self, run_ids: list[str]) -> None:
        """Every run's progress (its counts and events), in the order given."""
        for run_id in run_ids:
            try:
                progress = self.fetch(run_id)
            except QuarterdeckError as error:
                self.app.call_from_thread(
                    self.notify, f"Run {short_id(run_id)}: {error}", severity="error"
                )
                continue
            self.app.call_from_thread(self._fetched, progress)

    def _fetched(self, progress: RunProgress) -> None:
        self.progress[progress.run.run_id] = progress
        self.runs_table.refresh_cells()
        if progress.run.run_id == self.runs_table.cursor_key:
            self._show_events()

    def on_fast_table_cursor_moved(self, event: FastTable.CursorMoved) -> None:
        event.stop()
        if event.control is self.runs_table:
            self._show_events()
        else:
            self._show_event_detail()

    def _show_event_detail(self) -> None:
        """The event under the cursor in full: an error is often longer than its cell."""
        detail = self.query_one("#ledger-event-detail", Static)
        event = self.events_table.cursor_row
        if event is None:
            detail.update("")
            return
        node = event.payload.get("node_id", "")
        detail.update(
            Text.assemble(
                (f"#{event.seq} {event.kind.value} {node}: ", "bold"),
                event_detail(event),
                (f"  {event.timestamp}", "dim"),
            )
        )

    def _show_events(self) -> None:
        run = self.runs_table.cursor_row
        title = self.query_one("#ledger-events-title", Label)
        if run is None:
            title.update("")
            self.events_table.set_rows([])
            return
        progress = self.progress.get(run.run_id)
        title.update(
            f"Events of run {short_id(run.run_id)} · {run.mode} · {run.status.value}"
            + ("" if progress is not None else " · loading…")
        )
        self.events_table.set_rows(progress.events if progress is not None else [])
        self._show_event_detail()

    def on_fast_table_row_activated(self, event: FastTable.RowActivated) -> None:
        event.stop()
        if event.control is self.runs_table:
            self.current = event.key
            self.choose(event.key)
            self.events_table.focus()

    def action_switch(self) -> None:
        target = self.runs_table if self.focused is self.events_table else self.events_table
        target.focus()

    def action_back(self) -> None:
        if self.focused is self.events_table:
            self.runs_table.focus()
            return
        self.dismiss(None)


class RepoDetails(ModalScreen[None]):
    """Everything about one repo, untruncated (the side panel has to cut long lists)."""

    BINDINGS = [Binding("escape,enter,q", "close", "Close", id="releases.details.close")]

    def __init__(self, title: str, body: Text) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide repo-details"):
            yield Label(self.title_text, classes="dialog-title")
            with VerticalScroll(classes="dialog-scroll"):
                yield Static(self.body)
            yield Static("[b]esc[/b] or [b]enter[/b] closes", classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
