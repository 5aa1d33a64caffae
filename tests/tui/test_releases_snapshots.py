"""Snapshots of the Releases screen's important states.

The demo is rebuilt here with numbered plan and run ids (they are random otherwise), so the
ids on screen are the same on every run and every machine.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from core.demo import build_demo
from tests.tui.conftest import NOW, AppFactory
from tui.screens.releases import ReleasesScreen
from tui.screenshots import settle

Snap = Callable[..., bool]


@pytest.fixture(autouse=True)
def numbered_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plans and runs made during a test get ids 1, 2, … (the demo numbers its own)."""
    numbers = itertools.count(1)
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=next(numbers) << 96))


@pytest.fixture
def snap_root(tmp_path: Path) -> Path:
    # The demo numbers its plans and runs, so the ids in the pictures never change.
    root = tmp_path / "snap" / "quarterdeck-demo"
    build_demo(root, now=NOW)
    return root


def releases(*steps: str, select: str | None = None, after: tuple[str, ...] = ()) -> Any:
    """Open the Releases screen, press `steps` (each settled), select a repo, press `after`."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press("3")
        await settle(pilot)
        for key in steps:
            await pilot.press(key)
            await settle(pilot)
        if select is not None:
            current = pilot.app.screen
            assert isinstance(current, ReleasesScreen)
            current.select_entity(select)
            await pilot.pause()
        for key in after:
            await pilot.press(key)
            await settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    return run_before


def test_failed_run_with_the_storage_blast_radius(
    snap_compare: Snap, make_app: AppFactory, snap_root: Path
) -> None:
    app = make_app(root=snap_root)
    before = releases("left_square_bracket", select="acme/storage")
    assert snap_compare(app, terminal_size=(120, 40), run_before=before)


def test_failed_run_on_a_large_terminal(
    snap_compare: Snap, make_app: AppFactory, snap_root: Path
) -> None:
    app = make_app(root=snap_root)
    before = releases("left_square_bracket", select="acme/storage")
    assert snap_compare(app, terminal_size=(200, 60), run_before=before)


def test_top_down_orientation(snap_compare: Snap, make_app: AppFactory, snap_root: Path) -> None:
    app = make_app(root=snap_root)
    before = releases("left_square_bracket", "o", select="acme/storage")
    assert snap_compare(app, terminal_size=(120, 40), run_before=before)


def test_plan_builder(snap_compare: Snap, make_app: AppFactory, snap_root: Path) -> None:
    app = make_app(root=snap_root)
    before = releases(
        select="acme/core-lib", after=("b", *"3.2.0", "enter", "j", "space", *"2.1.0", "enter")
    )
    assert snap_compare(app, terminal_size=(120, 40), run_before=before)


def test_run_ledger_with_the_failed_run_events(
    snap_compare: Snap, make_app: AppFactory, snap_root: Path
) -> None:
    app = make_app(root=snap_root)
    before = releases("left_square_bracket", "L", "tab", "G")
    assert snap_compare(app, terminal_size=(120, 40), run_before=before)


def test_manual_run_after_two_marks(
    snap_compare: Snap, make_app: AppFactory, snap_root: Path
) -> None:
    app = make_app(root=snap_root)
    before = releases("m", "s", "s")
    assert snap_compare(app, terminal_size=(120, 40), run_before=before)


def test_narrow_terminal(snap_compare: Snap, make_app: AppFactory, snap_root: Path) -> None:
    app = make_app(root=snap_root)
    before = releases("left_square_bracket", select="acme/storage")
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_workspace_without_a_graph(
    snap_compare: Snap, make_app: AppFactory, snap_root: Path
) -> None:
    (snap_root / ".quarterdeck" / "release-graph.json").unlink()
    app = make_app(root=snap_root)
    assert snap_compare(app, terminal_size=(120, 40), run_before=releases())
