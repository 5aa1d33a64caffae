"""What the Backups screen looks like in its important states (SVG baselines).

Regenerate with `python -m pytest tests/tui/test_backups_snapshots.py --snapshot-update`
and look at every changed baseline before accepting it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from core.backups.files import JOURNAL_FILE
from tui.app import QuarterdeckApp
from tui.screens.backups import BackupsScreen
from tui.screenshots import settle

DRY_RUN = "nightly-2026-11-22"
STOPPED = "weekly-2026-11-17"
# pid 1 always exists, so its lock is live; a pid above Linux's pid_max never does. Fixed
# pids keep the baselines the same on every run (os.getpid() would not).
LIVE_PID = 1
DEAD_PID = 99_999_999
AppFactory = Callable[..., QuarterdeckApp]
SnapCompare = Callable[..., bool]


def open_folder(folder: str, *keys: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    """Open the Backups screen on `folder`, then press `keys`, one step at a time.

    The toasts the steps raise are cleared as they come: they are transient, and a modal
    opened later would leave them stuck on the screen below it.
    """

    async def run(pilot: Pilot[None]) -> None:
        await pilot.press("4")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, BackupsScreen)
        screen.select_entity(folder)
        await settle(pilot)
        for key in keys:
            pilot.app.clear_notifications()
            await pilot.press(key)
            await settle(pilot)
        # A blinking cursor would be caught on or off at random.
        for box in pilot.app.screen.query(Input):
            box.cursor_blink = False
        await pilot.pause()

    return run


def write_lock(root: Path, folder: str, pid: int) -> None:
    journal = root / "backups" / folder / JOURNAL_FILE
    journal.with_name(JOURNAL_FILE + ".lock").write_text(f"pid={pid}\n")


def test_a_dry_run_waits_on_its_first_check(
    snap_compare: SnapCompare, make_app: AppFactory
) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=open_folder(DRY_RUN))


def test_stopped_canisters_keep_the_restart_banner_up(
    snap_compare: SnapCompare, make_app: AppFactory
) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=open_folder(STOPPED))


def test_the_create_snapshot_completion_form(
    snap_compare: SnapCompare, make_app: AppFactory
) -> None:
    assert snap_compare(
        make_app(), terminal_size=(120, 40), run_before=open_folder(STOPPED, "s", "d")
    )


def test_a_refused_preflight_id_leaves_the_journal_as_it_was(
    snap_compare: SnapCompare, make_app: AppFactory
) -> None:
    async def refuse(pilot: Pilot[None]) -> None:
        await open_folder(STOPPED)(pilot)
        await pilot.press("a")
        await pilot.pause()
        pilot.app.screen.query_one("#field-value", Input).value = "preflight-other"
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=refuse)


def test_a_journal_locked_by_a_running_process(
    snap_compare: SnapCompare, make_app: AppFactory, demo_root: Path
) -> None:
    write_lock(demo_root, DRY_RUN, LIVE_PID)
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=open_folder(DRY_RUN))


def test_a_stale_lock_offers_to_be_broken(
    snap_compare: SnapCompare, make_app: AppFactory, demo_root: Path
) -> None:
    write_lock(demo_root, DRY_RUN, DEAD_PID)
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=open_folder(DRY_RUN))


def test_an_operations_receipts(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    async def details(pilot: Pilot[None]) -> None:
        await open_folder(STOPPED)(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, BackupsScreen)
        screen.operations.focus()
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=details)


def test_read_only_offers_no_step(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(
        make_app(read_only=True), terminal_size=(120, 40), run_before=open_folder(STOPPED)
    )


def test_narrow_terminal_stacks_the_list_above_the_stepper(
    snap_compare: SnapCompare, make_app: AppFactory
) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=open_folder(STOPPED))


def test_wide_terminal_puts_the_list_beside_the_stepper(
    snap_compare: SnapCompare, make_app: AppFactory
) -> None:
    assert snap_compare(make_app(), terminal_size=(200, 60), run_before=open_folder(STOPPED))


def test_the_completion_form_fits_a_small_terminal(
    snap_compare: SnapCompare, make_app: AppFactory
) -> None:
    assert snap_compare(
        make_app(), terminal_size=(80, 24), run_before=open_folder(STOPPED, "s", "d")
    )
