"""KeyFooter: the footer of keys, rebuilt only when the keys it shows change."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets._footer import FooterKey

from tui.widgets.chrome import KeyFooter

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class KeysScreen(Screen[None]):
    BINDINGS = [Binding("k", "kick", "Kick"), Binding("j", "jump", "Jump")]

    def __init__(self) -> None:
        super().__init__()
        self.can_kick = True

    def compose(self) -> ComposeResult:
        yield KeyFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.can_kick if action == "kick" else True

    def action_kick(self) -> None:
        pass

    def action_jump(self) -> None:
        pass


class KeysApp(App[None]):
    ENABLE_COMMAND_PALETTE = False

    def on_mount(self) -> None:
        self.push_screen(KeysScreen())


async def started(pilot: Pilot[None]) -> tuple[KeysScreen, KeyFooter, list[int]]:
    """The screen, its footer once first built, and a list that grows at every rebuild."""
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, KeysScreen)
    footer = screen.query_one(KeyFooter)
    rebuilds: list[int] = []
    recompose = footer.recompose

    async def counted() -> None:
        rebuilds.append(1)
        await recompose()

    footer.recompose = counted  # type: ignore[method-assign]
    return screen, footer, rebuilds


def shown(footer: KeyFooter) -> list[str]:
    return [key.key for key in footer.query(FooterKey)]


async def test_the_footer_shows_the_keys_of_the_screen() -> None:
    async with KeysApp().run_test() as pilot:
        _, footer, _ = await started(pilot)
        assert shown(footer) == ["k", "j"]


async def test_the_footer_follows_a_key_that_goes_and_comes_back() -> None:
    async with KeysApp().run_test() as pilot:
        screen, footer, _ = await started(pilot)
        screen.can_kick = False
        screen.refresh_bindings()
        await pilot.pause()
        assert shown(footer) == ["j"]
        screen.can_kick = True
        screen.refresh_bindings()
        await pilot.pause()
        assert shown(footer) == ["k", "j"]


async def test_signals_that_change_no_key_do_not_rebuild_the_footer() -> None:
    async with KeysApp().run_test() as pilot:
        screen, _, rebuilds = await started(pilot)
        for _ in range(3):
            screen.refresh_bindings()
        await pilot.pause()
        assert rebuilds == []


async def test_signals_before_one_refresh_share_one_rebuild() -> None:
    async with KeysApp().run_test() as pilot:
        screen, footer, rebuilds = await started(pilot)
        for can_kick in (False, True, False):
            screen.can_kick = can_kick
            screen.refresh_bindings()
        await pilot.pause()
        assert rebuilds == [1]
        assert shown(footer) == ["j"]
