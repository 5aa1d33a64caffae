"""Behaviour of the Changes screen (mode 1) on the demo workspace, driven by keys.

The demo has 33 active and 13 archived changes and nine leases at NOW: two are the demo
holder's (001-04, 003-05), four belong to others and are live, three have expired. Sync is
tested against a working copy whose `local_store` is the demo, so pushes and pulls are real.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from rich.console import Console
from textual import events
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Input, Markdown, Static, TabbedContent

from core.backends.base import BackendInfo
from core.demo import DEMO_HOLDER
from core.ito.workspace import ItoWorkspace
from core.models.changes import (
    ChangeListing,
    ChangeSummary,
    LifecycleFilter,
    Progress,
    Task,
    TaskList,
    TaskStatus,
    Wave,
)
from core.models.errors import BackendUnavailable
from core.service import Service
from core.timeutil import fixed_clock
from tests.tui.conftest import NOW, AppFactory
from tui.app import QuarterdeckApp
from tui.palette import Palette
from tui.screens.changes import ChangesScreen, build_rows
from tui.screens.changes_dialogs import ArchiveProgressDialog, RevisionConflictDialog
from tui.screens.dialogs import ChoiceDialog, ConfirmDialog
from tui.widgets.change_detail import ChangeDetailPane, ChangeRow, render_tasks
from tui.widgets.chrome import KeyBar

pytestmark = pytest.mark.anyio

SIZE = (120, 40)
MINE = "001-04_streaming-change-index"  # the demo holder's lease, 20 minutes left
OTHERS = "002-03_lease-heartbeats"  # agent-claude-7's lease, 25 minutes left
EXPIRED = "004-03_release-command-templates"  # agent-codex-5's lease, expired 15 minutes ago
FREE = "001-05_workspace-discovery"
WITH_DIAGNOSTIC = "003-06_help-overlay"  # tasks.md:42 has the unknown status 'waiting'
ARCHIVED = "003-01_keyboard-first-navigation"
SYNCED = "002-06_offline-queue"  # free, so a working copy may push it


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# Helpers shared with the snapshot tests.


async def settle(pilot: Pilot[None]) -> None:
    """Wait until the debounced detail load and every worker have finished (10 s at most)."""
    app = pilot.app
    quiet = 0
    for _ in range(200):
        await asyncio.sleep(0.05)
        stack = app.screen_stack
        screen = next((s for s in stack if isinstance(s, ChangesScreen)), None)
        busy = any(w.is_running or w.state.name == "PENDING" for w in app.workers) or (
            screen is not None and screen.detail_pending
        )
        quiet = 0 if busy else quiet + 1
        if quiet == 2:
            break
    await pilot.pause()


def screen_of(app: QuarterdeckApp) -> ChangesScreen:
    """The Changes screen, also while a dialog is open over it."""
    return next(s for s in reversed(app.screen_stack) if isinstance(s, ChangesScreen))


async def go_to(pilot: Pilot[None], change_id: str) -> ChangesScreen:
    screen = screen_of(pilot.app)  # type: ignore[arg-type]
    screen.select_entity(change_id)
    await settle(pilot)
    return screen


def lease_of(app: QuarterdeckApp, change_id: str) -> tuple[str, object] | None:
    for lease in app.service.list_leases(include_expired=True):
        if lease.change_id == change_id:
            return (lease.holder, lease.expires_at)
    return None


def notices(app: QuarterdeckApp) -> list[str]:
    return [notification.message for notification in app._notifications]


def plain(widget: Static) -> str:
    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(widget.content)
    return console.export_text()


def pin_modification_times(root: Path) -> None:
    """Give every change a fixed, different age: the demo's files carry the build time."""
    changes = root / ".ito" / "changes"
    active = [path for path in changes.iterdir() if path.is_dir() and path.name != "archive"]
    folders = sorted(active) + sorted(path for path in (changes / "archive").iterdir())
    for index, folder in enumerate(folders):
        stamp = (NOW - timedelta(minutes=7 + 53 * index)).timestamp()
        for path in [folder, *folder.rglob("*")]:
            os.utime(path, (stamp, stamp))


def working_copy(tmp_path: Path, store: Path) -> Path:
    """A workspace that syncs against `store` (the demo) as its backend."""
    root = tmp_path / "working-copy"
    (root / ".ito" / "changes").mkdir(parents=True)
    (root / "quarterdeck.toml").write_text(
        f'holder = "{DEMO_HOLDER}"\nlocal_store = "{store}"\n', encoding="utf-8"
    )
    return root


def conflict_setup(app: QuarterdeckApp, store: Path, working: Path) -> None:
    """Pull SYNCED, let someone else push a new revision, then edit the local proposal."""
    app.service.sync_pull(SYNCED)
    server = ItoWorkspace(store / ".ito", fixed_clock(NOW))
    theirs = server.store_pull(SYNCED)
    server.store_push(
        SYNCED, theirs.model_copy(update={"proposal": "# Change: Offline Queue\n\nTheirs.\n"})
    )
    proposal = working / ".ito" / "changes" / SYNCED / "proposal.md"
    proposal.write_text("# Change: Offline Queue\n\nMine, rewritten.\nWith a second line.\n")


# The table.


async def test_the_table_lists_the_active_changes_with_module_names(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = screen_of(app).table
        rows = {table.row_at(i).id: table.row_at(i) for i in range(table.visible_count)}

        assert len(rows) == 33
        assert rows[OTHERS].module == "002 backend-sync"
        assert rows[OTHERS].title == "Lease Heartbeats"


async def test_each_row_carries_its_lease_holder_and_marks_your_own(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await go_to(pilot, OTHERS)
        others = screen.table.cursor_row
        screen = await go_to(pilot, MINE)
        mine = screen.table.cursor_row

        assert others is not None and others.holder == "agent-claude-7@ci-runner-3"
        assert mine is not None and mine.mine
        assert str(screen._holder_cell(mine)) == "you"


async def test_the_expiry_counts_down_as_the_clock_moves(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await go_to(pilot, OTHERS)
        row = screen.table.cursor_row
        assert row is not None
        before = str(screen._expires_cell(row))
        app.clock = fixed_clock(NOW + timedelta(seconds=61))

        assert (before, str(screen._expires_cell(row))) == ("25m00s", "23m59s")


async def test_an_expired_lease_says_expired_and_a_free_change_shows_nothing(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await go_to(pilot, EXPIRED)
        expired = screen.table.cursor_row
        screen = await go_to(pilot, FREE)
        free = screen.table.cursor_row
        assert expired is not None and free is not None

        assert str(screen._expires_cell(expired)) == "expired"
        assert str(screen._expires_cell(free)) == ""


async def test_the_summary_counts_changes_and_live_leases(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        summary = summary_of(app)

        assert summary.startswith("Active · 33 changes · 6 leased (2 yours) · 3 expired")


async def test_the_summary_groups_the_thousands_of_a_big_listing(make_app: AppFactory) -> None:
    app = make_app()
    one = app.service.list_changes()[0]
    many = [one._replace(id=f"{n:03d}-01_change") for n in range(1, 1201)]

    def stream(lifecycle: LifecycleFilter = LifecycleFilter.ACTIVE) -> Iterator[ChangeListing]:
        yield ChangeListing(many, complete=True, scanned=len(many), total=len(many))

    listing_from(app, stream)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        summary = summary_of(app)

        assert summary.startswith("Active · 1,200 changes")


def summary_of(app: QuarterdeckApp) -> str:
    return str(app.screen.query_one("#changes-summary", Static).content)


def listing_from(app: QuarterdeckApp, stream: Callable[..., Iterator[ChangeListing]]) -> None:
    """The app's service streams its changes listings from `stream`."""
    app.service.stream_changes = stream  # type: ignore[method-assign]


async def wait_for_rows(pilot: Pilot[None], app: QuarterdeckApp) -> None:
    await wait_until(pilot, lambda: screen_of(app).table.row_count > 0)


async def wait_until(pilot: Pilot[None], ready: Callable[[], bool]) -> None:
    """Pause until `ready()` holds (5 s at most; the test's assertions say what came)."""
    for _ in range(100):
        if ready():
            return
        await pilot.pause(0.05)


def five_rows_then_all(
    everything: list[ChangeSummary], finish: threading.Event
) -> Callable[[LifecycleFilter], Iterator[ChangeListing]]:
    """A first start's stream: five folders of 33 read, then (once `finish` is set) all."""
    five = ChangeListing(everything[:5], complete=False, scanned=5, total=len(everything))
    return first_then_all(five, everything, finish)


def first_then_all(
    first: ChangeListing, everything: list[ChangeSummary], finish: threading.Event
) -> Callable[[LifecycleFilter], Iterator[ChangeListing]]:
    """A stream of `first`, then (once `finish` is set) the complete listing."""

    def stream(lifecycle: LifecycleFilter = LifecycleFilter.ACTIVE) -> Iterator[ChangeListing]:
        yield first
        finish.wait(10)
        yield ChangeListing(everything, complete=True, scanned=33, total=33)

    return stream


async def test_a_listing_still_coming_in_is_shown_with_its_progress(
    make_app: AppFactory,
) -> None:
    app = make_app()
    finish = threading.Event()
    listing_from(app, five_rows_then_all(app.service.list_changes(), finish))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_rows(pilot, app)
        partial = summary_of(app)
        assert screen_of(app).table.row_count == 5
        assert "reading folders 5 of 33…" in partial
        assert screen_of(app).loading_data

        finish.set()
        await settle(pilot)
        complete = summary_of(app)
        assert screen_of(app).table.row_count == 33
        assert "reading folders" not in complete


async def test_rows_still_coming_in_wait_on_what_showing_them_costs_but_their_count_goes_up(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No time between counts; the next rows only after a million times the first show.
    monkeypatch.setattr("tui.screens.changes.PARTIAL_EVERY_S", 0.0)
    monkeypatch.setattr("tui.screens.changes.PARTIAL_COST_RATIO", 1_000_000)
    app = make_app()
    everything = app.service.list_changes()
    go_on, finish = threading.Event(), threading.Event()

    def stream(lifecycle: LifecycleFilter = LifecycleFilter.ACTIVE) -> Iterator[ChangeListing]:
        yield ChangeListing(everything[:5], complete=False, scanned=5, total=33)
        go_on.wait(10)
        yield ChangeListing(everything[:10], complete=False, scanned=10, total=33)
        yield ChangeListing(everything[:15], complete=False, scanned=15, total=33)
        finish.wait(10)
        yield ChangeListing(everything, complete=True, scanned=33, total=33)

    listing_from(app, stream)
    async with app.run_test(size=SIZE) as pilot:
        try:
            await wait_for_rows(pilot, app)
            go_on.set()
            await wait_until(pilot, lambda: "15 of 33" in summary_of(app))
            counted = summary_of(app)
            rows_meanwhile = screen_of(app).table.row_count
        finally:
            go_on.set()
            finish.set()
        await settle(pilot)

        assert "Active · 5 changes" in counted and "reading folders 15 of 33…" in counted
        assert rows_meanwhile == 5
        assert screen_of(app).table.row_count == 33


async def test_the_first_rows_of_a_listing_still_coming_in_have_module_names(
    make_app: AppFactory,
) -> None:
    app = make_app()
    finish = threading.Event()
    listing_from(app, five_rows_then_all(app.service.list_changes(), finish))
    async with app.run_test(size=SIZE) as pilot:
        try:
            await wait_for_rows(pilot, app)
            first = screen_of(app).table.row_at(0)
        finally:
            finish.set()
        await settle(pilot)

        assert (first.id[:3], first.module) == ("001", "001 platform-core")


async def test_a_big_index_shows_a_screenful_then_every_cached_row_at_once(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Growing listings are shown no more often than this; the cached rows must not wait.
    monkeypatch.setattr("tui.screens.changes.PARTIAL_EVERY_S", 60.0)
    app = make_app()
    everything = app.service.list_changes()
    go_on, finish = threading.Event(), threading.Event()

    def stream(lifecycle: LifecycleFilter = LifecycleFilter.ACTIVE) -> Iterator[ChangeListing]:
        yield ChangeListing(everything[:5], complete=False, expected=33)
        go_on.wait(10)
        yield ChangeListing(everything, complete=False)
        finish.wait(10)
        yield ChangeListing(everything, complete=True, scanned=33, total=33)

    async def rows_shown(count: int) -> str:
        await wait_until(pilot, lambda: screen_of(app).table.row_count == count)
        return summary_of(app)

    listing_from(app, stream)
    async with app.run_test(size=SIZE) as pilot:
        try:
            screenful = await rows_shown(5)
            go_on.set()
            cached = await rows_shown(33)
        finally:
            go_on.set()
            finish.set()
        await settle(pilot)

        assert "Active · 5 changes" in screenful and "loading 33 cached rows…" in screenful
        assert "Active · 33 changes" in cached and "checking folders…" in cached


async def test_rows_kept_from_a_servers_last_answer_say_the_server_is_being_asked(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = BackendInfo(kind="remote", location="http://qd.example:9010", project="acme/demo")
    monkeypatch.setattr(Service, "info", property(lambda service: remote))
    app = make_app()
    everything = app.service.list_changes()
    finish = threading.Event()
    kept_rows = ChangeListing(everything, complete=False)
    listing_from(app, first_then_all(kept_rows, everything, finish))
    async with app.run_test(size=SIZE) as pilot:
        try:
            await wait_for_rows(pilot, app)
            kept = summary_of(app)
        finally:
            finish.set()
        await settle(pilot)

        assert "Active · 33 changes" in kept
        assert "last known rows, asking the server…" in kept
        assert "asking the server" not in summary_of(app)


def a_check_that_never_ends(
    everything: list[ChangeSummary], stopped: threading.Event
) -> Callable[[LifecycleFilter], Iterator[ChangeListing]]:
    """A stream whose active listing is checked for ever (sets `stopped` once closed); the
    other lifecycles' listings complete at once."""

    def stream(lifecycle: LifecycleFilter = LifecycleFilter.ACTIVE) -> Iterator[ChangeListing]:
        if lifecycle != LifecycleFilter.ACTIVE:
            yield ChangeListing(everything, complete=True, scanned=33, total=33)
            return
        try:
            yield ChangeListing(everything, complete=False)
            for checked in range(1, 2000):
                time.sleep(0.005)
                yield ChangeListing(everything, complete=False, scanned=checked, total=33)
        finally:
            stopped.set()

    return stream


async def test_a_lifecycle_chosen_while_a_listing_is_checked_loads_at_once(
    make_app: AppFactory,
) -> None:
    app = make_app()
    stopped = threading.Event()
    listing_from(app, a_check_that_never_ends(app.service.list_changes(), stopped))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_rows(pilot, app)
        checking = summary_of(app)
        await pilot.press("a")
        await settle(pilot)
        done = summary_of(app)

        assert checking.startswith("Active · 33 changes") and "checking folders" in checking
        assert done.startswith("All · 33 changes") and "folders" not in done
        assert stopped.is_set()


async def test_a_check_shows_how_many_folders_it_has_checked(make_app: AppFactory) -> None:
    app = make_app()
    stopped = threading.Event()
    listing_from(app, a_check_that_never_ends(app.service.list_changes(), stopped))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(1.2)
        summary = summary_of(app)

        assert re.search(r"checking folders \d+ of 33…", summary)


async def test_changes_are_published_to_the_palette(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        found = app.catalog.candidates("help overlay")

        assert [(e.kind, e.key) for e in found] == [("change", WITH_DIAGNOSTIC)]


# The detail pane.


async def test_the_detail_pane_shows_the_change_under_the_cursor(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, OTHERS)
        pane = app.screen.query_one(ChangeDetailPane)
        header = str(pane.query_one("#detail-header", Static).content)

        assert pane.border_title == OTHERS
        assert "25m00s left · agent-claude-7@ci-runner-3" in header
        assert "2/5 tasks, 2 in progress" in header
        assert "Lease Heartbeats" in pane.query_one("#proposal-md", Markdown).source


async def test_the_tasks_tab_groups_tasks_by_wave_and_names_the_diagnostic_line(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, WITH_DIAGNOSTIC)
        text = plain(app.screen.query_one("#tasks-list", Static))

        assert "Wave 2 (depends on wave 1)  0/3 done" in text
        assert "✓ 1.1 Model help overlay" in text
        assert "tasks.md:42 task 1.3: unknown status 'waiting'; counted as pending" in text


async def test_a_change_without_design_says_so_in_the_design_tab(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, "001-03_typed-error-catalogue")
        note = app.screen.query_one("#design-note", Static)

        assert (note.display, str(note.content)) == (True, "No design.md.")


async def test_an_unreadable_task_list_is_reported_in_its_tab_only(
    make_app: AppFactory, demo_root: Path
) -> None:
    tasks_md = demo_root / ".ito" / "changes" / FREE / "tasks.md"
    tasks_md.write_bytes(b"- [ ] 1.1 Fine\n- [ ] 1.2 Bad \xff byte\n")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, FREE)
        note = plain(app.screen.query_one("#tasks-note", Static))

        assert "Could not read the task list" in note
        assert "tasks.md:2" in note
        assert "Workspace Discovery" in app.screen.query_one("#proposal-md", Markdown).source


async def test_holding_j_loads_only_the_row_the_cursor_stops_on(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        screen.detail_requests.clear()

        # A held key: the terminal repeats it faster than the app draws a frame.
        for _ in range(6):
            app.post_message(events.Key("j", "j"))
        await settle(pilot)

        assert screen.detail_requests == ["002-04_allocation-idempotency"]
        assert screen.pane.border_title == "002-04_allocation-idempotency"


@asynccontextmanager
async def listing_held(
    app: QuarterdeckApp,
) -> AsyncIterator[tuple[Pilot[None], Callable[[], Awaitable[None]]]]:
    """Run `app` with its changes listing held back (10 s at most) past the first frames.

    Yields the pilot and `let_go`, which lets the listing through and waits for the screen
    to settle.
    """
    everything = app.service.list_changes()
    release = threading.Event()

    def stream(lifecycle: LifecycleFilter = LifecycleFilter.ACTIVE) -> Iterator[ChangeListing]:
        release.wait(10)
        yield ChangeListing(everything, complete=True, scanned=33, total=33)

    listing_from(app, stream)
    async with app.run_test(size=SIZE) as pilot:

        async def let_go() -> None:
            release.set()
            await settle(pilot)

        await pilot.pause(0.2)
        try:
            yield pilot, let_go
        finally:
            release.set()


async def test_the_detail_tabs_are_mounted_once_the_first_listing_is_shown(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with listing_held(app) as (_pilot, let_go):
        pane = screen_of(app).pane
        while_loading = (pane.tabs_mounted, len(pane.query(TabbedContent)))
        await let_go()

        assert while_loading == (False, 0)
        assert pane.tabs_mounted
        assert pane.query_one(TabbedContent).active == "tab-proposal"


async def test_a_tab_chosen_while_the_list_loads_is_the_one_the_tabs_open_on(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with listing_held(app) as (pilot, let_go):
        await pilot.press("right_square_bracket", "right_square_bracket")
        await let_go()

        assert screen_of(app).pane.query_one(TabbedContent).active == "tab-tasks"


class PaneApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ChangeDetailPane()


@pytest.fixture
def first_row(make_app: AppFactory) -> ChangeRow:
    """The demo's first change as the table would hand it to a pane."""
    service = make_app().service
    return build_rows(service.list_changes()[:1], {}, {}, service.holder)[0]


async def test_what_the_pane_shows_before_its_tabs_are_mounted_appears_in_them(
    first_row: ChangeRow,
) -> None:
    app = PaneApp()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(ChangeDetailPane)
        pane.show_error(first_row, OSError("the folder is gone"))
        pane.focus_body()
        shown_early = pane.tabs_mounted
        pane.show_row(first_row, NOW)
        await pilot.pause()
        await pilot.pause()

        assert not shown_early and pane.tabs_mounted
        note = str(pane.query_one("#proposal-note", Static).content)
        assert note.startswith(f"Could not load {first_row.id}") and "the folder is gone" in note
        assert app.focused is not None and app.focused.id == "proposal-scroll"


async def test_a_pane_removed_before_its_tabs_are_mounted_does_not_mount_them(
    first_row: ChangeRow,
) -> None:
    # As when the dashboard is quit in the frame that first shows the rows.
    app = PaneApp()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(ChangeDetailPane)
        pane.show_row(first_row, NOW)
        await pane.remove()
        await pilot.pause()
        await pilot.pause()

        assert not pane.tabs_mounted


async def test_brackets_switch_tabs_and_tab_focuses_the_pane(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = screen_of(app).pane

        await pilot.press("right_square_bracket", "right_square_bracket")
        after_two = pane.active_tab
        await pilot.press("left_square_bracket")
        await pilot.press("tab")

        assert (after_two, pane.active_tab) == ("tasks", "design")
        assert app.focused is not None and app.focused.id == "design-scroll"


async def test_z_zooms_the_detail_and_escape_returns_to_the_table(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = screen_of(app)

        await pilot.press("z")
        zoomed = (screen.query_one("#changes-list").display, screen.pane.has_focus_within)
        await pilot.press("escape")

        assert zoomed == (False, True)
        assert screen.query_one("#changes-list").display
        assert app.focused is screen.table


async def test_a_narrow_terminal_stacks_the_detail_under_the_table(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = screen_of(app)

        assert screen.has_class("-narrow")
        assert screen.pane.region.y > screen.table.region.y
        assert screen.table.column_keys == ["id", "tasks", "status", "holder", "expires"]


async def test_the_focused_pane_scrolls_with_j(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, WITH_DIAGNOSTIC)
        await pilot.press("right_square_bracket", "right_square_bracket", "tab")
        body = app.focused
        assert body is not None and body.id == "tasks-scroll"

        await pilot.press("j", "j")

        assert body.scroll_y == 2


async def test_v_hides_the_detail_pane_and_gives_the_table_every_column(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        screen = screen_of(app)

        await pilot.press("v")
        for _ in range(200):  # the table picks its columns when the new layout resizes it
            if len(screen.table.column_keys) == 8:
                break
            await pilot.pause(0.05)

        assert not screen.pane.display
        assert screen.table.column_keys == [
            "id",
            "module",
            "title",
            "tasks",
            "status",
            "holder",
            "expires",
            "modified",
        ]


def test_a_checkpoint_is_marked_as_one() -> None:
    tasks = TaskList(
        change_id="001-01_alpha",
        tasks=[
            Task(id="1.1", name="Build", wave=1, status=TaskStatus.COMPLETE),
            Task(id="checkpoint-1", name="Review", status=TaskStatus.PENDING, kind="checkpoint"),
        ],
        progress=Progress(total=2, complete=1, pending=1, remaining=1),
        format="enhanced",
        waves=[Wave(number=1, title="Foundations")],
    )
    console = Console(width=80, file=io.StringIO(), record=True)
    console.print(render_tasks(tasks, Palette()))

    assert [line.rstrip() for line in console.export_text().splitlines()] == [
        "Wave 1 — Foundations  1/1 done",
        " ✓ 1.1 Build",
        "",
        "Checkpoints  0/1 done",
        " ○ ◆ Review  checkpoint",
    ]


# Filter, sort, lifecycle, palette jumps.


async def test_slash_filters_and_escape_clears(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = screen_of(app).table
        every = [table.row_at(i) for i in range(table.visible_count)]
        # "release" and the module "release-tooling" contain "lease" too.
        expected = [row.id for row in every if "lease" in row.haystack.lower()]

        await pilot.press("slash", *"lease")
        filtered = [table.row_at(i).id for i in range(table.visible_count)]
        summary = summary_of(app)
        await pilot.press("escape")

        assert filtered == expected and 0 < len(filtered) < 33
        assert f"{len(expected)} of 33 changes" in summary and "filter: 'lease'" in summary
        assert table.visible_count == 33
        assert not app.screen.query_one("#changes-filter", Input).has_class("-open")


async def test_a_filter_matching_nothing_says_so(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = screen_of(app)

        await pilot.press("slash", *"zzz")

        assert screen.table.visible_count == 0
        message = screen.table.empty_message
        assert message == "No change matches 'zzz'. Press esc to clear the filter."


async def test_s_cycles_the_sort_column_and_shift_s_reverses_it(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = screen_of(app).table

        await pilot.press("s", "s")
        by_tasks = (table.sort_column, table.sort_reverse)
        await pilot.press("S")

        assert by_tasks == ("tasks", False)
        assert (table.sort_column, table.sort_reverse) == ("tasks", True)
        assert table.row_at(0).done == table.row_at(0).total  # a finished change first


async def test_a_cycles_active_all_archived(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = screen_of(app).table
        counts = []
        for _ in range(3):
            await pilot.press("a")
            await settle(pilot)
            counts.append(table.row_count)

        assert counts == [46, 13, 33]


async def test_a_palette_jump_to_an_archived_change_widens_the_view(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        app.open_entity("change", ARCHIVED)
        await settle(pilot)
        screen = screen_of(app)

        assert screen.lifecycle.value == "all"
        assert screen.table.cursor_row is not None and screen.table.cursor_row.id == ARCHIVED
        assert app.focused is screen.table


async def test_a_jump_from_another_screen_before_changes_was_shown_lands_on_the_change(
    make_app: AppFactory, tmp_path: Path
) -> None:
    (tmp_path / "ui-state.json").write_text('{"mode": "leases"}', encoding="utf-8")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        app.open_entity("change", OTHERS)
        await settle(pilot)

        screen = screen_of(app)
        assert app.screen is screen
        assert screen.table.cursor_row is not None and screen.table.cursor_row.id == OTHERS


# Leases.


async def test_c_claims_the_change(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, FREE)

        await pilot.press("c")
        await settle(pilot)

        assert lease_of(app, FREE) == (DEMO_HOLDER, NOW + timedelta(seconds=1800))
        row = screen_of(app).table.cursor_row
        assert row is not None and row.mine


async def test_claiming_someone_elses_change_is_refused_with_their_name(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, OTHERS)

        await pilot.press("c")
        await settle(pilot)

        assert lease_of(app, OTHERS) == ("agent-claude-7@ci-runner-3", NOW + timedelta(minutes=25))
        assert any("already claimed by 'agent-claude-7@ci-runner-3'" in n for n in notices(app))


async def test_e_renews_your_lease_for_a_full_ttl(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, MINE)

        await pilot.press("e")
        await settle(pilot)

        assert lease_of(app, MINE) == (DEMO_HOLDER, NOW + timedelta(seconds=1800))
        assert "Renewed 001-04_streaming-change-index: 30m00s left." in notices(app)


async def test_renewing_someone_elses_lease_is_refused(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, OTHERS)

        await pilot.press("e")
        await settle(pilot)

        assert lease_of(app, OTHERS) == ("agent-claude-7@ci-runner-3", NOW + timedelta(minutes=25))
        assert any("held by 'agent-claude-7@ci-runner-3'" in n for n in notices(app))


async def test_x_releases_your_own_lease_without_asking(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, MINE)

        await pilot.press("x")
        await settle(pilot)

        assert lease_of(app, MINE) is None
        assert isinstance(app.screen, ChangesScreen)


async def test_releasing_someone_elses_lease_asks_first_and_yes_releases(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, OTHERS)

        await pilot.press("x")
        await pilot.pause()
        asked = isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)

        assert asked
        assert lease_of(app, OTHERS) is None


async def test_releasing_someone_elses_lease_and_answering_no_keeps_it(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, OTHERS)

        await pilot.press("x")
        await pilot.pause()
        await pilot.press("n")
        await settle(pilot)

        assert lease_of(app, OTHERS) == ("agent-claude-7@ci-runner-3", NOW + timedelta(minutes=25))


async def test_releasing_a_free_change_says_there_is_nothing_to_release(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, FREE)

        await pilot.press("x")
        await pilot.pause()

        assert notices(app) == [f"{FREE} is not leased: there is nothing to release."]


async def test_n_allocates_the_next_change_and_puts_the_cursor_on_it(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = {lease.change_id for lease in app.service.list_leases()}

        await pilot.press("n")
        await settle(pilot)

        new = [x.change_id for x in app.service.list_leases() if x.change_id not in before]
        assert len(new) == 1
        row = screen_of(app).table.cursor_row
        assert row is not None and row.id == new[0] and row.mine


async def test_allocating_when_nothing_is_free_says_no_work_is_available(
    make_app: AppFactory,
) -> None:
    app = make_app()
    while app.service.allocate().claim is not None:
        pass
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        await pilot.press("n")
        await settle(pilot)

        assert "No work available: every ready change is leased or complete." in notices(app)


# Sync.


async def test_sync_in_a_workspace_that_is_its_own_store_is_not_supported(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, FREE)

        await pilot.press("p")
        await settle(pilot)
        await pilot.press("P")
        await settle(pilot)

        said = notices(app)
        assert len(said) == 2
        assert said[0].startswith("sync pull: this workspace is its own store")
        assert said[1].startswith("sync push: this workspace is its own store")


async def test_p_pulls_the_change_from_the_store(
    make_app: AppFactory, demo_root: Path, tmp_path: Path
) -> None:
    working = working_copy(tmp_path, demo_root)
    app = make_app(root=working)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, SYNCED)

        await pilot.press("p")
        await settle(pilot)

        pulled = working / ".ito" / "changes" / SYNCED / "proposal.md"
        source = demo_root / ".ito" / "changes" / SYNCED / "proposal.md"
        assert pulled.read_text() == source.read_text()


async def test_a_push_the_server_has_moved_past_opens_the_conflict_dialog(
    make_app: AppFactory, demo_root: Path, tmp_path: Path
) -> None:
    working = working_copy(tmp_path, demo_root)
    app = make_app(root=working)
    conflict_setup(app, demo_root, working)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, SYNCED)

        await pilot.press("P")
        await settle(pilot)

        dialog = app.screen
        assert isinstance(dialog, RevisionConflictDialog)
        assert dialog.server_revision == "2026-11-22T10:00:00.000000Z"
        assert dialog.local_revision != dialog.server_revision
        assert dialog.differences is not None
        first = dialog.differences[0]
        assert (first.path, first.state.value, first.added, first.removed) == (
            "proposal.md",
            "different",
            2,
            1,
        )


async def test_keep_local_overwrites_the_server_with_your_copy(
    make_app: AppFactory, demo_root: Path, tmp_path: Path
) -> None:
    working = working_copy(tmp_path, demo_root)
    app = make_app(root=working)
    conflict_setup(app, demo_root, working)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, SYNCED)
        await pilot.press("P")
        await settle(pilot)

        await pilot.press("l")
        await settle(pilot)

        server = demo_root / ".ito" / "changes" / SYNCED / "proposal.md"
        assert "Mine, rewritten." in server.read_text()
        assert isinstance(app.screen, ChangesScreen)
        assert any(n.startswith("Overwrote the server's copy of") for n in notices(app))


async def test_take_server_pulls_and_backs_up_your_files(
    make_app: AppFactory, demo_root: Path, tmp_path: Path
) -> None:
    working = working_copy(tmp_path, demo_root)
    app = make_app(root=working)
    conflict_setup(app, demo_root, working)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, SYNCED)
        await pilot.press("P")
        await settle(pilot)

        await pilot.press("s")
        await settle(pilot)

        local = working / ".ito" / "changes" / SYNCED / "proposal.md"
        backups = sorted((working / ".quarterdeck" / "sync-backups" / SYNCED).glob("*/proposal.md"))
        assert "Theirs." in local.read_text()
        assert "Mine, rewritten." in backups[-1].read_text()


async def test_cancelling_the_conflict_changes_nothing(
    make_app: AppFactory, demo_root: Path, tmp_path: Path
) -> None:
    working = working_copy(tmp_path, demo_root)
    app = make_app(root=working)
    conflict_setup(app, demo_root, working)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, SYNCED)
        await pilot.press("P")
        await settle(pilot)

        await pilot.press("escape")
        await settle(pilot)

        server = demo_root / ".ito" / "changes" / SYNCED / "proposal.md"
        local = working / ".ito" / "changes" / SYNCED / "proposal.md"
        assert "Theirs." in server.read_text()
        assert "Mine, rewritten." in local.read_text()


# Archive.


async def test_archive_asks_first_then_shows_the_four_steps_as_they_happen(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, WITH_DIAGNOSTIC)

        await pilot.press("A")
        await pilot.pause()
        choice = app.screen
        await pilot.press("y")
        await settle(pilot)
        dialog = app.screen

        assert isinstance(choice, ChoiceDialog)
        assert "will be copied to .ito/specs/" in choice.body
        assert isinstance(dialog, ArchiveProgressDialog)
        assert [state for state, _ in dialog.states.values()] == ["skipped", "done", "done", "done"]
        archived = demo_root / ".ito" / "changes" / "archive" / f"2026-11-22-{WITH_DIAGNOSTIC}"
        assert archived.is_dir()
        main_spec = demo_root / ".ito" / "specs" / "change-allocation" / "spec.md"
        assert "Help Overlay for change-allocation" in main_spec.read_text()


async def test_enter_closes_the_finished_archive_and_the_change_leaves_the_list(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, WITH_DIAGNOSTIC)
        await pilot.press("A")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)

        await pilot.press("enter")
        await settle(pilot)

        screen = screen_of(app)
        assert app.screen is screen
        ids = [screen.table.row_at(i).id for i in range(screen.table.visible_count)]
        assert WITH_DIAGNOSTIC not in ids and len(ids) == 32


async def test_archive_can_skip_copying_the_specs(make_app: AppFactory, demo_root: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, WITH_DIAGNOSTIC)

        await pilot.press("A")
        await pilot.pause()
        await pilot.press("s")
        await settle(pilot)

        dialog = app.screen
        assert isinstance(dialog, ArchiveProgressDialog)
        assert dialog.states[list(dialog.states)[1]] == ("skipped", "--skip-specs")
        main_spec = demo_root / ".ito" / "specs" / "change-allocation" / "spec.md"
        assert "Help Overlay" not in main_spec.read_text()


async def test_when_the_backend_cannot_be_told_the_local_archive_stands(
    make_app: AppFactory, demo_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()

    def unreachable(change_id: str) -> object:
        raise BackendUnavailable("connection refused", "POST /archive")

    monkeypatch.setattr(app.service.backend, "mark_archived", unreachable)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, WITH_DIAGNOSTIC)
        await pilot.press("A")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)

        dialog = app.screen
        assert isinstance(dialog, ArchiveProgressDialog)
        assert dialog.states[list(dialog.states)[3]][0] == "failed"
        result = str(dialog.query_one("#archive-result", Static).content)
        assert result.startswith("The local archive stands")
        assert "connection refused" in result
        archive = demo_root / ".ito" / "changes" / "archive"
        assert (archive / f"2026-11-22-{WITH_DIAGNOSTIC}").is_dir()


async def test_archiving_a_change_someone_else_holds_warns_then_goes_ahead(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, OTHERS)

        await pilot.press("A")
        await pilot.pause()
        choice = app.screen
        await pilot.press("y")
        await settle(pilot)

        assert isinstance(choice, ChoiceDialog)
        assert "agent-claude-7@ci-runner-3 holds its lease for another 25m00s" in choice.body
        assert (demo_root / ".ito" / "changes" / "archive" / f"2026-11-22-{OTHERS}").is_dir()
        assert lease_of(app, OTHERS) is None


async def test_archiving_an_archived_change_is_refused(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, ARCHIVED)

        await pilot.press("A")
        await pilot.pause()

        assert isinstance(app.screen, ChangesScreen)
        assert notices(app) == [f"{ARCHIVED} is already archived."]


# Read-only.


async def test_read_only_hides_every_mutating_key_from_the_footer(make_app: AppFactory) -> None:
    app = make_app(read_only=True)
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        shown = {key.action for key in app.screen.query_one(KeyBar).keys}

        assert shown & {"claim", "renew", "release", "allocate", "sync_pull", "sync_push"} == set()
        assert "archive" not in shown
        assert "filter" in shown


async def test_read_only_mutating_keys_do_nothing(make_app: AppFactory) -> None:
    app = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, FREE)

        await pilot.press("c", "n", "A", "x")
        await settle(pilot)

        assert lease_of(app, FREE) is None
        assert len(app.service.list_leases(include_expired=True)) == 9
        assert isinstance(app.screen, ChangesScreen)
