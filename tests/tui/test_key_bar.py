"""KeyBar: the footer of keys, one line drawn by one widget."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.pilot import Pilot
from textual.screen import Screen

from tui.widgets.chrome import KeyBar

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class KeysScreen(Screen[None]):
    BINDINGS = [
        Binding("k", "kick", "Kick", tooltip="Kick the thing"),
        Binding("j", "jump", "Jump"),
        Binding("h", "hidden", "Hidden", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        # True: shown; None: shown disabled; False: not shown.
        self.kick_state: bool | None = True
        self.actions: list[str] = []

    def compose(self) -> ComposeResult:
        yield KeyBar()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.kick_state if action == "kick" else True

    def action_kick(self) -> None:
        self.actions.append("kick")

    def action_jump(self) -> None:
        self.actions.append("jump")


class KeysApp(App[None]):
    ENABLE_COMMAND_PALETTE = False

    def on_mount(self) -> None:
        self.push_screen(KeysScreen())


async def started(pilot: Pilot[None]) -> tuple[KeysScreen, KeyBar]:
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, KeysScreen)
    return screen, screen.query_one(KeyBar)


async def set_kick(pilot: Pilot[None], screen: KeysScreen, state: bool | None) -> None:
    """Make the kick key shown (True), shown disabled (None) or gone (False), and settle."""
    screen.kick_state = state
    screen.refresh_bindings()
    await pilot.pause()


def line(bar: KeyBar) -> str:
    return bar.render().plain.rstrip()


async def test_the_bar_shows_each_shown_key_with_its_description() -> None:
    async with KeysApp().run_test() as pilot:
        _, bar = await started(pilot)
        assert line(bar) == " k Kick  j Jump"


async def test_the_bar_follows_a_key_that_goes_and_comes_back() -> None:
    async with KeysApp().run_test() as pilot:
        screen, bar = await started(pilot)
        await set_kick(pilot, screen, False)
        assert line(bar) == " j Jump"
        await set_kick(pilot, screen, True)
        assert line(bar) == " k Kick  j Jump"


async def test_the_bar_repaints_instead_of_mounting_a_widget_per_key() -> None:
    async with KeysApp().run_test() as pilot:
        screen, bar = await started(pilot)
        await set_kick(pilot, screen, None)
        assert list(bar.children) == []


async def test_a_disabled_key_is_shown_dimmed() -> None:
    async with KeysApp().run_test() as pilot:
        screen, bar = await started(pilot)
        await set_kick(pilot, screen, None)
        text = bar.render()
        kick = text.plain.index("Kick")
        assert text.get_style_at_offset(pilot.app.console, kick).dim
        jump = text.plain.index("Jump")
        assert not text.get_style_at_offset(pilot.app.console, jump).dim


async def test_clicking_a_key_presses_it() -> None:
    async with KeysApp().run_test() as pilot:
        screen, _ = await started(pilot)
        await pilot.click(KeyBar, offset=(len(" k Kick  j"), 0))
        await pilot.pause()
        assert screen.actions == ["jump"]


async def test_clicking_a_disabled_key_does_nothing() -> None:
    async with KeysApp().run_test() as pilot:
        screen, _ = await started(pilot)
        await set_kick(pilot, screen, None)
        await pilot.click(KeyBar, offset=(2, 0))
        await pilot.pause()
        assert screen.actions == []


async def test_hovering_a_key_shows_its_tooltip() -> None:
    async with KeysApp().run_test() as pilot:
        _, bar = await started(pilot)
        await pilot.hover(KeyBar, offset=(2, 0))
        assert bar.tooltip == "Kick the thing"
        await pilot.hover(KeyBar, offset=(30, 0))
        assert bar.tooltip is None


async def test_keys_that_do_not_fit_end_in_an_ellipsis() -> None:
    async with KeysApp().run_test(size=(12, 5)) as pilot:
        _, bar = await started(pilot)
        assert line(bar) == " k Kick …"
