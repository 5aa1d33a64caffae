"""When a mode screen loads: on opening, on ctrl+r, and on the periodic refresh."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import AppFactory
from tui.screens.base import ModeScreen
from tui.screens.changes import ChangesData, ChangesScreen
from tui.screenshots import settle

pytestmark = pytest.mark.anyio
SIZE = (160, 45)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeTime:
    """Stands in for the `time` module the screens read their monotonic clock from."""

    def __init__(self, now: float) -> None:
        self.now = now

    def monotonic(self) -> float:
        return self.now


@contextlib.asynccontextmanager
async def settled_screen(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Pilot[None], ModeScreen[object], list[str]]]:
    """The first screen once its first load is shown, and a list of the loads after that."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ModeScreen)
        started: list[str] = []
        load = screen.load

        def counted() -> object:
            started.append(screen.MODE)
            return load()

        monkeypatch.setattr(screen, "load", counted)
        yield pilot, screen, started


async def test_opening_a_screen_loads_it_once(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[str] = []
    load = ChangesScreen.load

    def counted(screen: ChangesScreen) -> ChangesData:
        started.append(screen.MODE)
        return load(screen)

    monkeypatch.setattr(ChangesScreen, "load", counted)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert started == ["changes"]


async def test_the_periodic_refresh_loads_the_screen_again(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[str] = []
    load = ChangesScreen.load

    def counted(screen: ChangesScreen) -> ChangesData:
        started.append(screen.MODE)
        return load(screen)

    monkeypatch.setattr(ChangesScreen, "load", counted)
    app = make_app(refresh_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.pause(0.7)
        await settle(pilot)
        assert len(started) >= 2


async def test_the_periodic_refresh_skips_while_a_load_runs(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with settled_screen(make_app, monkeypatch) as (pilot, screen, started):
        screen.loading_data = True
        screen.auto_refresh()
        screen.loading_data = False
        await settle(pilot)
        assert started == []
        assert not screen._reload_queued


async def test_the_periodic_refresh_waits_nine_times_as_long_as_the_last_load_took(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with settled_screen(make_app, monkeypatch) as (pilot, screen, started):
        clock = FakeTime(1000.0)
        monkeypatch.setattr("tui.screens.base.time", clock)
        # The last load took 10 s and ended at 1000 s.
        screen._load_ended_at, screen._last_load_s = 1000.0, 10.0
        clock.now = 1089.0
        screen.auto_refresh()
        await settle(pilot)
        assert started == []
        clock.now = 1091.0
        screen.auto_refresh()
        await settle(pilot)
        assert started == ["changes"]


async def test_ctrl_r_during_a_load_loads_again_after_it(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with settled_screen(make_app, monkeypatch) as (pilot, screen, started):
        screen.loading_data = True
        await pilot.press("ctrl+r")
        screen._load_ended()
        await settle(pilot)
        assert started == ["changes"]
