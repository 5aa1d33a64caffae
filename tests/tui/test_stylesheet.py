"""The app's stylesheet parses each CSS source once while the CSS variables stay the same."""

from __future__ import annotations

import pytest
from textual.color import Color
from textual.css.stylesheet import StylesheetParseError

from tests.tui.conftest import AppFactory
from tui.stylesheet import ParsedOnceStylesheet

pytestmark = pytest.mark.anyio

SIZE = (120, 40)
CSS = "Screen { background: $tint; }"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def sheet_with(css: str, tint: str = "red") -> ParsedOnceStylesheet:
    sheet = ParsedOnceStylesheet(variables={"tint": tint})
    sheet.add_source(css, read_from=("test.tcss", ""))
    sheet.parse()
    return sheet


def test_a_reparse_with_the_same_variables_keeps_the_parsed_rules() -> None:
    sheet = sheet_with(CSS)
    before = sheet.rules[0]

    sheet.set_variables({"tint": "red"})
    sheet.reparse()

    assert sheet.rules[0] is before


def test_new_variables_parse_the_css_again_with_their_values() -> None:
    sheet = sheet_with(CSS)

    sheet.set_variables({"tint": "blue"})
    sheet.reparse()

    assert sheet.rules[0].styles.background == Color.parse("blue")


def test_a_source_added_later_is_parsed_along_with_the_rules_kept() -> None:
    sheet = sheet_with(CSS)
    before = sheet.rules[0]

    sheet.add_source("Static { color: $tint; }", read_from=("more.tcss", ""))
    sheet.reparse()

    assert sheet.rules[0] is before
    assert sheet.rules[1].styles.color == Color.parse("red")


def test_css_that_fails_to_parse_leaves_the_rules_as_they_were() -> None:
    sheet = sheet_with(CSS)
    before = list(sheet.rules)

    sheet.add_source("Screen { background: 12px; }", read_from=("bad.tcss", ""))
    with pytest.raises(StylesheetParseError):
        sheet.reparse()

    assert sheet.rules == before


async def test_opening_another_screen_keeps_the_app_css_already_parsed(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.stylesheet, ParsedOnceStylesheet)
        # The app's own CSS: styles/app.tcss and the Changes screen's file.
        before = [rule for rule in app.stylesheet.rules if not rule.is_default_rules]
        await pilot.press("3")
        await pilot.pause()

        kept = {id(rule) for rule in app.stylesheet.rules}
        assert app.current_mode == "releases"
        assert all(id(rule) in kept for rule in before)


async def test_a_new_theme_restyles_the_open_screen(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        dark = app.screen.styles.background
        app.theme = "textual-light"
        await pilot.pause()

        assert app.screen.styles.background != dark
