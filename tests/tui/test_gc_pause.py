"""gc_paused: no automatic cyclic collection while a screen loads."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tests.tui.conftest import AppFactory
from tui.gc_pause import gc_paused, imports_frozen
from tui.screens.changes import ChangesData, ChangesScreen
from tui.screenshots import settle

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_the_collector_is_off_during_a_pause_and_on_after_it() -> None:
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_stays_off_until_the_last_overlapping_pause_ends() -> None:
    first, second = gc_paused(), gc_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_collector_that_was_off_before_a_pause_stays_off() -> None:
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()


def test_a_pause_ends_when_its_work_fails() -> None:
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("the load failed")
    assert gc.isenabled()


def test_imports_run_with_the_collector_off_and_what_they_built_is_frozen() -> None:
    try:
        with imports_frozen():
            assert not gc.isenabled()
            built = [[] for _ in range(3)]
        assert gc.isenabled()
        # Frozen objects sit in the permanent generation, which gc.get_objects() leaves out.
        assert not any(found is built for found in gc.get_objects())
    finally:
        gc.unfreeze()


def test_imports_that_fail_freeze_nothing_and_leave_the_collector_on() -> None:
    before = gc.get_freeze_count()
    with pytest.raises(ImportError), imports_frozen():
        raise ImportError("no module named 'missing'")
    assert gc.isenabled()
    assert gc.get_freeze_count() == before


async def test_a_screen_loads_with_the_collector_paused(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    enabled: list[bool] = []
    load = ChangesScreen.load

    def noting(screen: ChangesScreen) -> ChangesData:
        enabled.append(gc.isenabled())
        return load(screen)

    monkeypatch.setattr(ChangesScreen, "load", noting)
    async with make_app().run_test() as pilot:
        await settle(pilot)
        assert enabled == [False]
        assert gc.isenabled()
