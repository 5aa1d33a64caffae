"""When a mode screen loads: on opening, on ctrl+r, and on the periodic refresh."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from textual.pilot import Pilot

from core.models.leases import Lease
from tests.tui.conftest import NOW, AppFactory
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
        # The next load waits nine times as long as the last one took as well: a busy
        # machine's 0.1 s load puts it 0.9 s away. Up to 10 s, not a fixed pause.
        for _ in range(100):
            if len(started) >= 2:
                break
            await pilot.pause(0.1)
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


def fake_lease(change_id: str) -> Lease:
    return Lease(change_id=change_id, holder="ghost@nowhere", expires_at=NOW + timedelta(hours=1))


def a_free_change(screen: ChangesScreen) -> str:
    assert screen.data is not None
    return next(row.id for row in screen.data.rows if row.holder is None)


def holder_of(screen: ChangesScreen, change_id: str) -> str | None:
    assert screen.data is not None
    return next(row.holder for row in screen.data.rows if row.id == change_id)


@contextlib.asynccontextmanager
async def between_loads(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Pilot[None], ChangesScreen, list[str]]]:
    """The Changes screen 5 s after a 10 s load: the next full load is not due yet."""
    async with settled_screen(make_app, monkeypatch) as (pilot, screen, started):
        assert isinstance(screen, ChangesScreen)
        clock = FakeTime(1005.0)
        monkeypatch.setattr("tui.screens.base.time", clock)
        screen._load_ended_at, screen._last_load_s = 1000.0, 10.0
        yield pilot, screen, started


async def test_between_folder_checks_a_lease_taken_elsewhere_shows_in_the_holder_column(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with between_loads(make_app, monkeypatch) as (pilot, screen, started):
        change_id = a_free_change(screen)
        screen.service.backend.claim(change_id, "agent-7@elsewhere", 600)
        screen.auto_refresh()
        await settle(pilot)
        assert started == []  # the folders were not checked again
        assert holder_of(screen, change_id) == "agent-7@elsewhere"


async def test_between_folder_checks_unchanged_leases_leave_the_rows_alone(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with between_loads(make_app, monkeypatch) as (pilot, screen, started):
        shown = screen.data
        screen.auto_refresh()
        await settle(pilot)
        assert started == []
        assert screen.data is shown


async def test_leases_fetched_before_a_load_began_are_not_shown_after_it(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with between_loads(make_app, monkeypatch) as (pilot, screen, _started):
        listed, loads_before = screen._listed, screen.loads_started
        assert listed is not None
        change_id = a_free_change(screen)
        stale = screen._joined(
            listed.lifecycle, listed.changes, {**listed.leases, change_id: fake_lease(change_id)}
        )
        screen.refresh_data()
        await settle(pilot)
        screen._show_leases(listed, stale, loads_before)
        assert screen.data is not stale
        assert holder_of(screen, change_id) is None
