"""Behaviour of the Releases screen (mode 3) on the demo workspace, driven by keys.

The demo has two plans: the newest releases 6 repos (no acme/storage) and has never run; the
older one releases 9 repos and its run failed on acme/storage, skipping what depends on it.
Runs that need a releaser use a scripted one (instant, fails acme/storage, can hold a repo
until the test lets it go), except one slow test that runs the demo's own release command.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from core.backends.local import LocalBackend, LocalPaths
from core.ito.workspace import ItoWorkspace
from core.models.releases import ItemState, RunEventKind, RunStatus
from core.releases.releaser import ReleaseFailed
from core.service import Service
from core.timeutil import fixed_clock
from tests.tui.conftest import NOW, AppFactory
from tui.app import QuarterdeckApp
from tui.screens.dialogs import FormDialog
from tui.screens.releases import ReleasesScreen
from tui.screens.releases_dialogs import PlanBuilder, RepoDetails, RunLedger
from tui.screenshots import settle
from tui.widgets.fast_table import FastTable

pytestmark = pytest.mark.anyio

SIZE = (120, 40)
STORAGE_RADIUS = {
    "acme/api",
    "acme/worker",
    "acme/web",
    "acme/cli",
    "acme/sdk-py",
    "acme/sdk-js",
    "acme/deploy",
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class ScriptedReleaser:
    """Releases instantly, fails acme/storage, and holds any repo in `hold` until let go."""

    def __init__(self, hold: set[str] | None = None) -> None:
        self.hold = hold or set()
        self.released: list[str] = []
        self.waiting = threading.Event()  # set while a held repo is being released
        self.go = threading.Event()

    def release(self, repo_id: str, version_label: str, spec_digest: str, promoted_by: str) -> str:
        if repo_id in self.hold:
            self.waiting.set()
            assert self.go.wait(30), "the test never let the release go"
        self.released.append(repo_id)
        if repo_id == "acme/storage":
            raise ReleaseFailed("integration tests failed: 3 of 412")
        return f"rel-{repo_id.split('/')[1]}-{version_label}"


def app_over(root: Path, tmp_path: Path, releaser: Any) -> QuarterdeckApp:
    """The app over the demo with `releaser` (None: no release command at all)."""
    clock = fixed_clock(NOW)
    backend = LocalBackend(LocalPaths.for_root(root, release_command=None), clock, releaser)
    service = Service(
        backend,
        ItoWorkspace(root / ".ito", clock),
        holder="tester@desk",
        sync_backup_root=tmp_path / "sync-backups",
        clock=clock,
    )
    return QuarterdeckApp(
        service,
        clock=clock,
        state_path=tmp_path / "ui-state.json",
        session_review=False,
        refresh_interval=3600,
    )


def screen_of(app: QuarterdeckApp) -> ReleasesScreen:
    screen = app.screen
    assert isinstance(screen, ReleasesScreen)
    return screen


async def open_releases(pilot: Pilot[None]) -> ReleasesScreen:
    await pilot.press("3")
    await settle(pilot)
    return screen_of(pilot.app)  # type: ignore[arg-type]


async def to_older_plan(pilot: Pilot[None]) -> None:
    await pilot.press("left_square_bracket")
    await settle(pilot)


def record_notifications(app: QuarterdeckApp) -> list[str]:
    said: list[str] = []
    original = app.notify

    def notify(message: str, *args: Any, **kwargs: Any) -> None:
        said.append(str(message))
        original(message, *args, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    return said


def statuses(screen: ReleasesScreen) -> dict[str, str]:
    return screen._statuses()


def panel_text(app: QuarterdeckApp, widget_id: str) -> str:
    return str(app.screen.query_one(f"#{widget_id}").render())


async def wait_until(pilot: Pilot[None], condition: Any, what: str) -> None:
    deadline = time.monotonic() + 30  # generous: CI machines run many apps at once
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


# The graph and moving around it.


async def test_the_graph_draws_every_repo_of_the_demo(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_releases(pilot)
        layout = screen.graph.graph_layout
        assert layout is not None
        assert set(layout.boxes) == set(app.service.release_graph().order)
        assert len(layout.boxes) == 12


async def test_arrow_keys_move_the_selection_and_the_panel_follows(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_releases(pilot)
        assert screen.graph.selected == "acme/proto"
        await pilot.press("right")
        await pilot.pause()
        assert screen.graph.selected == "acme/core-lib"
        repo_panel = screen.query_one("#releases-repo")
        assert repo_panel.border_title == "acme/core-lib"
        assert "depends on proto" in panel_text(app, "releases-repo")


async def test_selecting_a_repo_shows_its_blast_radius(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_releases(pilot)
        screen.select_entity("acme/storage")
        await pilot.pause()
        assert screen.graph.blast_radius == STORAGE_RADIUS
        text = panel_text(app, "releases-repo")
        assert "blast radius 7 repos" in text
        assert "api, worker, cli, sdk-js, sdk-py, web, deploy" in text


async def test_o_turns_the_graph_top_down_and_back(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_releases(pilot)
        directions = []
        for _ in range(2):
            await pilot.press("o")
            await pilot.pause()
            directions.append(screen.graph.direction)
            if len(directions) == 1:
                assert "top→down" in panel_text(app, "releases-header")
        assert directions == ["TB", "LR"]


async def test_enter_opens_the_repo_in_full(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_releases(pilot)
        screen.select_entity("acme/core-lib")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RepoDetails)
        assert "acme/core-lib" in app.screen.body.plain
        assert "blast radius 10 repos" in app.screen.body.plain


# Plans.


async def test_the_newest_plan_is_shown_with_its_repos_pending(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_releases(pilot)
        newest = app.service.list_release_plans()[0]
        assert screen.plan is not None and screen.plan.plan_id == newest.plan_id
        shown = statuses(screen)
        assert shown["acme/core-lib"] == "pending"
        assert "acme/storage" not in shown  # not in the plan: drawn as "none"
        assert "6 to release · 6 not in plan" in panel_text(app, "releases-plan")


async def test_the_older_plan_is_coloured_by_its_failed_run(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_releases(pilot)
        await to_older_plan(pilot)
        shown = statuses(screen)
        assert shown["acme/proto"] == "succeeded"
        assert shown["acme/storage"] == "failed"
        assert {shown[repo] for repo in ("acme/api", "acme/worker", "acme/deploy")} == {"skipped"}
        assert "acme/cli" not in shown
        assert "FAILED" in panel_text(app, "releases-run")


async def test_the_bracket_keys_stop_at_the_oldest_and_newest_plan(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        said = record_notifications(app)
        screen = await open_releases(pilot)
        await pilot.press("right_square_bracket")
        await to_older_plan(pilot)
        await to_older_plan(pilot)
        assert said == ["This is the newest plan.", "This is the oldest plan."]
        assert screen.plan == app.service.list_release_plans()[1]


# Building a plan.


async def test_building_a_plan_saves_the_picked_repos_and_versions(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_releases(pilot)
        screen.select_entity("acme/core-lib")
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, PlanBuilder)
        # core-lib is picked already and its version box has the focus
        await pilot.press(*"3.2.0", "enter", "j", "space", *"2.1.0", "enter", "ctrl+s")
        await settle(pilot)
        newest = app.service.list_release_plans()[0]
        versions = {
            i.repo_id: i.version_label for i in newest.items if i.status.state is ItemState.PENDING
        }
        assert versions == {"acme/core-lib": "3.2.0", "acme/auth": "2.1.0"}
        assert screen.plan is not None and screen.plan.plan_id == newest.plan_id


async def test_a_load_from_before_a_new_plan_was_saved_does_not_lose_it(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_releases(pilot)
        assert screen.data is not None and screen.plan is not None
        shown = screen.plan.plan_id
        # A load that read the plans before the save finished ends while a newer one runs.
        screen._wanted_plan = "seq-just-saved"
        screen.loading_data = True
        screen._show_data(screen.data)
        assert screen._wanted_plan == "seq-just-saved"
        assert screen.plan is not None and screen.plan.plan_id == shown


async def test_a_picked_repo_without_a_version_is_refused(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_releases(pilot)
        before = len(app.service.list_release_plans())
        await pilot.press("b", "ctrl+s")
        await pilot.pause()
        builder = app.screen
        assert isinstance(builder, PlanBuilder)
        assert "acme/proto has no version" in str(builder.query_one("#builder-error").render())
        assert len(app.service.list_release_plans()) == before


async def test_building_with_nothing_picked_is_refused(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_releases(pilot)
        await pilot.press("b", "escape", "space", "ctrl+s")  # unpick the pre-picked repo
        await pilot.pause()
        builder = app.screen
        assert isinstance(builder, PlanBuilder)
        assert "Pick at least one repo" in str(builder.query_one("#builder-error").render())


async def test_a_version_with_a_space_is_refused(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_releases(pilot)
        await pilot.press("b", *"1.0 rc", "enter")
        await pilot.pause()
        builder = app.screen
        assert isinstance(builder, PlanBuilder)
        assert "must be one word" in str(builder.query_one("#builder-error").render())
        assert "acme/proto" not in builder.draft.versions


async def test_closing_the_builder_keeps_the_picks_for_next_time(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_releases(pilot)
        await pilot.press("b", *"4.3.0", "enter", "escape")
        await pilot.pause()
        assert isinstance(app.screen, ReleasesScreen)
        await pilot.press("b")
        await pilot.pause()
        builder = app.screen
        assert isinstance(builder, PlanBuilder)
        assert builder.draft.versions == {"acme/proto": "4.3.0"}
        assert builder.draft.selected == {"acme/proto"}


async def test_a_plan_the_core_refuses_reopens_the_builder_with_its_message(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_releases(pilot)
        screen.select_entity("acme/deploy")
        await pilot.press("b", *"2026.12.01", "enter")
        # Someone removes acme/deploy from the graph before the plan is built.
        graph_file = demo_root / ".quarterdeck" / "release-graph.json"
        text = graph_file.read_text()
        graph_file.write_text(text.replace('"acme/deploy"', '"acme/deployer"'))
        await pilot.press("ctrl+s")
        await settle(pilot)
        builder = app.screen
        assert isinstance(builder, PlanBuilder)
        error = str(builder.query_one("#builder-error").render())
        assert "repo not found in graph: acme/deploy" in error
        # the screen has reloaded the graph meanwhile, so the builder says what it dropped
        assert "Dropped from your picks (no longer in the graph): acme/deploy" in error
        assert builder.draft.versions == {}


async def test_the_builder_filter_narrows_the_repos(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_releases(pilot)
        await pilot.press("b", "escape", "slash", *"sdk", "enter")
        await pilot.pause()
        table = app.screen.query_one("#builder-table", FastTable)
        assert table.visible_count == 2
        assert table.cursor_key == "acme/sdk-js"


# Running a plan by command.


async def test_a_command_run_goes_to_the_end_skipping_what_a_failure_blocks(
    demo_root: Path, tmp_path: Path
) -> None:
    app = app_over(demo_root, tmp_path, ScriptedReleaser())
    async with app.run_test(size=SIZE) as pilot:
        said = record_notifications(app)
        screen = await open_releases(pilot)
        await to_older_plan(pilot)
        await pilot.press("R", "y")
        await settle(pilot)
        shown = statuses(screen)
        assert shown["acme/config"] == "succeeded"
        assert shown["acme/storage"] == "failed"
        assert {shown[repo] for repo in ("acme/api", "acme/worker", "acme/web")} == {"skipped"}
        progress = screen.progress
        assert progress is not None
        stored = app.service.get_release_run(progress.run.run_id)
        assert stored.run.status is RunStatus.FAILED
        assert {i.repo_id: i.status.state.value for i in stored.items}["acme/deploy"] == "skipped"
        assert any("FAILED: 4 succeeded, 1 failed (acme/storage), 4 skipped" in s for s in said)


async def test_the_graph_shows_each_repo_while_it_is_released(
    demo_root: Path, tmp_path: Path
) -> None:
    releaser = ScriptedReleaser(hold={"acme/auth"})
    app = app_over(demo_root, tmp_path, releaser)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_releases(pilot)
        await to_older_plan(pilot)
        await pilot.press("R", "y")
        await wait_until(pilot, releaser.waiting.is_set, "the release of acme/auth")
        await wait_until(
            pilot, lambda: statuses(screen).get("acme/auth") == "in_progress", "auth in progress"
        )
        shown = statuses(screen)
        assert shown["acme/core-lib"] == "succeeded"
        assert shown["acme/storage"] == "pending"
        assert "releasing auth 2.0.3" in str(screen.query_one("#releases-log").render())
        # the screen stays usable while the release runs
        screen.select_entity("acme/web")
        await pilot.press("left")
        assert screen.graph.selected == "acme/api"
        releaser.go.set()
        await settle(pilot)
        assert statuses(screen)["acme/auth"] == "succeeded"


async def test_cancel_stops_a_command_run_after_the_current_repo(
    demo_root: Path, tmp_path: Path
) -> None:
    releaser = ScriptedReleaser(hold={"acme/auth"})
    app = app_over(demo_root, tmp_path, releaser)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_releases(pilot)
        await to_older_plan(pilot)
        await pilot.press("R", "y")
        await wait_until(pilot, releaser.waiting.is_set, "the release of acme/auth")
        await pilot.press("X", "y")
        await pilot.pause()
        releaser.go.set()
        await settle(pilot)
        progress = screen.progress
        assert progress is not None
        stored = app.service.get_release_run(progress.run.run_id)
        assert stored.run.status is RunStatus.CANCELLED
        assert releaser.released == ["acme/proto", "acme/core-lib", "acme/auth"]
        assert statuses(screen)["acme/auth"] == "succeeded"
        assert statuses(screen)["acme/config"] == "skipped"


async def test_running_without_a_release_command_shows_the_core_message(
    demo_root: Path, tmp_path: Path
) -> None:
    app = app_over(demo_root, tmp_path, None)
    async with app.run_test(size=SIZE) as pilot:
        said = record_notifications(app)
        await open_releases(pilot)
        runs_before = len(app.service.list_release_runs())
        await pilot.press("R", "y")
        await settle(pilot)
        assert any("no release_command configured; use manual mode" in s for s in said)
        assert len(app.service.list_release_runs()) == runs_before


async def test_r_resumes_a_command_run_left_unfinished(demo_root: Path, tmp_path: Path) -> None:
    app = app_over(demo_root, tmp_path, ScriptedReleaser())
    newest = app.service.list_release_plans()[0]
    left = app.service.start_release_run(newest.plan_id, "command")
    async with app.run_test(size=SIZE) as pilot:
        await open_releases(pilot)
        await pilot.press("R", "y")
        await settle(pilot)
        assert app.service.get_release_run(left.run.run_id).run.status is RunStatus.COMPLETED
        assert len(app.service.list_release_runs(newest.plan_id)) == 1


@pytest.mark.slow
async def test_the_demo_release_command_runs_from_the_workspace(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_releases(pilot)
        await to_older_plan(pilot)
        await pilot.press("R", "y")
        await wait_until(pilot, lambda: screen._driving is not None, "the run to start")
        await wait_until(pilot, lambda: screen._driving is None, "the run to finish")
        await settle(pilot)
        progress = screen.progress
        assert progress is not None and progress.run.status is RunStatus.FAILED
        failed = {i.repo_id: i.status.reason for i in progress.items if i.status.reason}
        assert "integration tests failed: 3 of 412" in failed["acme/storage"]
        assert statuses(screen)["acme/proto"] == "succeeded"


# Stepping a plan by hand.


async def test_a_manual_run_marks_the_next_repo_succeeded(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_releases(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert screen.graph.selected == "acme/core-lib"
        assert "next: core-lib 3.1.1" in panel_text(app, "releases-run")
        await pilot.press("s")
        await settle(pilot)
        progress = screen.progress
        assert progress is not None and progress.run.mode == "manual"
        stored = app.service.get_release_run(progress.run.run_id)
        states = {i.repo_id: i.status.state.value for i in stored.items}
        assert states["acme/core-lib"] == "succeeded"
        assert states["acme/auth"] == "pending"
        assert screen.graph.selected == "acme/auth"
        assert statuses(screen)["acme/core-lib"] == "succeeded"


async def test_marking_failed_asks_for_a_reason_and_skips_downstream(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_releases(pilot)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FormDialog)
        await pilot.press(*"tests red", "enter")
        await settle(pilot)
        progress = screen.progress
        assert progress is not None
        stored = app.service.get_release_run(progress.run.run_id)
        assert stored.run.status is RunStatus.FAILED
        core_lib = next(i for i in stored.items if i.repo_id == "acme/core-lib")
        assert core_lib.status.reason == "tests red"
        assert statuses(screen)["acme/api"] == "skipped"


async def test_marking_failed_without_a_reason_is_refused(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_releases(pilot)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("f", "enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, FormDialog)
        assert "Required: Reason" in str(dialog.query_one("#form-error").render())
        progress = screen.progress
        assert progress is not None
        assert app.service.get_release_run(progress.run.run_id).events == []


async def test_marking_a_run_that_moved_on_shows_the_core_refusal(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        said = record_notifications(app)
        screen = await open_releases(pilot)
        await pilot.press("m")
        await settle(pilot)
        progress = screen.progress
        assert progress is not None
        # another session marks core-lib first
        app.service.mark_release_item(progress.run.run_id, "acme/core-lib", True)
        await pilot.press("s")
        await settle(pilot)
        assert any("the next repo to mark is acme/auth, not acme/core-lib" in s for s in said)
        assert screen.graph.selected == "acme/auth"  # the refresh caught up


async def test_cancelling_a_manual_run_skips_what_is_left(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_releases(pilot)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("ctrl+x", "y")
        await settle(pilot)
        progress = screen.progress
        assert progress is not None
        stored = app.service.get_release_run(progress.run.run_id)
        assert stored.run.status is RunStatus.CANCELLED
        assert statuses(screen)["acme/auth"] == "skipped"
        assert statuses(screen)["acme/core-lib"] == "succeeded"
        assert screen.check_action("mark_succeeded", ()) is False


async def test_declining_the_cancel_keeps_the_run_going(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_releases(pilot)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("X", "n")
        await settle(pilot)
        progress = screen.progress
        assert progress is not None
        assert app.service.get_release_run(progress.run.run_id).run.status is RunStatus.RUNNING


# The ledger.


async def test_the_ledger_lists_the_failed_run_and_its_events(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_releases(pilot)
        await to_older_plan(pilot)
        await pilot.press("L")
        await settle(pilot)
        ledger = app.screen
        assert isinstance(ledger, RunLedger)
        run = ledger.runs_table.cursor_row
        assert run is not None and run.status is RunStatus.FAILED
        kinds = [ledger.events_table.row_at(i).kind for i in range(ledger.events_table.row_count)]
        assert kinds.count(RunEventKind.NODE_ENTERED) == 5
        assert kinds[-1] is RunEventKind.NODE_FAILED
        assert "✓4 ✗1 ⊘4" in ledger.runs_table.render_line(1).text


async def test_enter_in_the_ledger_colours_the_graph_with_that_run(make_app: AppFactory) -> None:
    app = make_app()
    older = app.service.list_release_plans()[1]
    newer_run = app.service.start_release_run(older.plan_id, "manual")
    app.service.cancel_release_run(newer_run.run.run_id)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_releases(pilot)
        await to_older_plan(pilot)
        assert statuses(screen)["acme/storage"] == "skipped"  # the cancelled run is the latest
        await pilot.press("L")
        await settle(pilot)
        await pilot.press("j", "enter")
        await settle(pilot)
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, ReleasesScreen)
        assert statuses(screen)["acme/storage"] == "failed"
        assert "an older run" in panel_text(app, "releases-run")


# Read-only, empty states, the palette.


async def test_read_only_hides_and_refuses_every_change(make_app: AppFactory) -> None:
    app = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_releases(pilot)
        for action in ("build_plan", "run_plan", "manual_run", "mark_succeeded", "cancel_run"):
            assert screen.check_action(action, ()) is False
        await pilot.press("b", "m", "R")
        await settle(pilot)
        assert isinstance(app.screen, ReleasesScreen)
        assert app.service.list_release_runs(screen.plan.plan_id if screen.plan else None) == []
        assert panel_text(app, "releases-run") == "No run yet."


async def test_without_a_graph_file_the_screen_says_where_it_goes(
    make_app: AppFactory, demo_root: Path
) -> None:
    (demo_root / ".quarterdeck" / "release-graph.json").unlink()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_releases(pilot)
        assert ".quarterdeck/release-graph.json" in screen.graph.empty_message
        assert '"dependencies"' in panel_text(app, "releases-plan")


async def test_a_graph_without_plans_says_b_builds_one(
    make_app: AppFactory, demo_root: Path
) -> None:
    for db in (demo_root / ".quarterdeck").glob("state.db*"):
        db.unlink()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_releases(pilot)
        assert panel_text(app, "releases-plan") == "No plan yet — press b to build one."


async def test_the_palette_lists_every_repo_with_its_status(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_releases(pilot)
        found = app.catalog.candidates("acme")
        entries = {entry.key: entry for entry in found if entry.kind == "repo"}
        assert len(entries) == 12
        assert entries["acme/api"].help == "pending · 4 dependents"
        assert entries["acme/storage"].help == "not in plan · 2 dependents"


async def test_a_palette_jump_selects_the_repo(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.open_entity("repo", "acme/worker")
        await settle(pilot)
        screen = screen_of(app)
        assert screen.graph.selected == "acme/worker"
        assert screen.graph.has_focus


async def test_the_panel_moves_below_the_graph_on_a_narrow_screen(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_releases(pilot)
        assert screen.has_class("-narrow")
        side = screen.query_one("#releases-side")
        assert side.region.y > screen.graph.region.y
        assert screen.graph.region.width == 80
