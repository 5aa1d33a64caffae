"""What the Changes screen looks like in its important states (SVG baselines in __snapshots__).

Every change's files get a fixed age first: the demo writes them at build time, and the
MODIFIED column and the revisions derived from file times must not depend on when that was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.tui.conftest import AppFactory
from tests.tui.test_changes_screen import (
    OTHERS,
    SYNCED,
    WITH_DIAGNOSTIC,
    conflict_setup,
    pin_modification_times,
    settle,
    working_copy,
)
from tui.screens.changes import ChangesScreen

SnapCompare = Callable[..., bool]


def steps(change_id: str | None = None, keys: tuple[str, ...] = ()) -> Callable[[Pilot[None]], Any]:
    """Put the cursor on `change_id`, press `keys`, and wait for everything to settle."""

    async def run(pilot: Pilot[None]) -> None:
        await settle(pilot)
        if change_id is not None:
            screen = pilot.app.screen
            assert isinstance(screen, ChangesScreen)
            screen.select_entity(change_id)
            await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run


def test_loaded_with_a_leased_change_showing_its_waves(
    snap_compare: SnapCompare, make_app: AppFactory, demo_root: Path
) -> None:
    pin_modification_times(demo_root)
    run = steps(OTHERS, ("right_square_bracket", "right_square_bracket"))
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=run)


def test_the_tasks_tab_naming_a_diagnostic(
    snap_compare: SnapCompare, make_app: AppFactory, demo_root: Path
) -> None:
    pin_modification_times(demo_root)
    run = steps(WITH_DIAGNOSTIC, ("right_square_bracket", "right_square_bracket"))
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=run)


def test_a_filter_that_matches_nothing(
    snap_compare: SnapCompare, make_app: AppFactory, demo_root: Path
) -> None:
    pin_modification_times(demo_root)
    run = steps(None, ("slash", *"zzz", "enter"))
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=run)


def test_the_archived_view(
    snap_compare: SnapCompare, make_app: AppFactory, demo_root: Path
) -> None:
    pin_modification_times(demo_root)
    run = steps(None, ("a", "a"))
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=run)


def test_confirming_the_release_of_someone_elses_lease(
    snap_compare: SnapCompare, make_app: AppFactory, demo_root: Path
) -> None:
    pin_modification_times(demo_root)
    run = steps(OTHERS, ("x",))
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=run)


def test_the_archive_dialog_once_every_step_has_run(
    snap_compare: SnapCompare, make_app: AppFactory, demo_root: Path
) -> None:
    pin_modification_times(demo_root)
    run = steps(WITH_DIAGNOSTIC, ("A", "y"))
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=run)


def test_the_revision_conflict_dialog(
    snap_compare: SnapCompare, make_app: AppFactory, demo_root: Path, tmp_path: Path
) -> None:
    pin_modification_times(demo_root)
    working = working_copy(tmp_path, demo_root)
    app = make_app(root=working)
    conflict_setup(app, demo_root, working)
    run = steps(SYNCED, ("P",))
    assert snap_compare(app, terminal_size=(120, 40), run_before=run)


def test_a_narrow_80_by_24_terminal(
    snap_compare: SnapCompare, make_app: AppFactory, demo_root: Path
) -> None:
    pin_modification_times(demo_root)
    run = steps(OTHERS, ("right_square_bracket", "right_square_bracket"))
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)


def test_a_wide_200_by_60_terminal(
    snap_compare: SnapCompare, make_app: AppFactory, demo_root: Path
) -> None:
    pin_modification_times(demo_root)
    run = steps(OTHERS)
    assert snap_compare(make_app(), terminal_size=(200, 60), run_before=run)
