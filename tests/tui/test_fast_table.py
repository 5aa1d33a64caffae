"""Behaviour of FastTable, the virtualised table behind the Changes screen."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from rich.color import Color
from rich.text import Text
from textual.app import App, ComposeResult

from tui.widgets.fast_table import Column, FastTable, fit_plain, layout_columns

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass(frozen=True)
class Change:
    id: str
    title: str
    owner: str
    size: int
    state: str


def state_cell(change: Change) -> Text:
    return Text(change.state, style="red" if change.state == "failed" else "")


COLUMNS: list[Column[Change]] = [
    Column("id", "ID", lambda c: c.id, width=9, sort_key=lambda c: c.id),
    Column("title", "Title", lambda c: c.title, ratio=2, min_width=8, sort_key=lambda c: c.title),
    Column("owner", "Owner", lambda c: c.owner, min_width=5, sort_key=lambda c: c.owner),
    Column(
        "size", "Size", lambda c: str(c.size), width=6, align="right", sort_key=lambda c: c.size
    ),
    Column("state", "State", state_cell, width=7),
]


def changes(count: int) -> list[Change]:
    owners = ["alice", "bob", "carol"]
    states = ["open", "merged", "failed"]
    return [
        Change(f"CH-{i:06d}", f"Change {i} touches module {i % 7}", owners[i % 3], i, states[i % 3])
        for i in range(count)
    ]


class TableApp(App[None]):
    def __init__(
        self,
        rows: Sequence[Change],
        columns: Sequence[Column[Change]] = COLUMNS,
        **table_options: Any,
    ) -> None:
        super().__init__()
        self.rows = rows
        self.columns = columns
        self.table_options = table_options
        self.activated: list[str] = []
        self.moved: list[str | None] = []

    def compose(self) -> ComposeResult:
        yield FastTable(
            self.columns,
            row_key=lambda c: c.id,
            haystack=lambda c: f"{c.id} {c.title} {c.owner}",
            **self.table_options,
        )

    def on_mount(self) -> None:
        table = self.query_one(FastTable)
        table.set_rows(self.rows)
        table.focus()

    def on_fast_table_row_activated(self, message: FastTable.RowActivated) -> None:
        self.activated.append(message.key)

    def on_fast_table_cursor_moved(self, message: FastTable.CursorMoved) -> None:
        self.moved.append(message.key)


def drawn(table: FastTable[Any]) -> list[str]:
    return [table.render_line(y).text.rstrip() for y in range(table.size.height)]


def background(table: FastTable[Any], y: int) -> Color | None:
    """Background colour at the start of line `y`."""
    style = next(iter(table.render_line(y))).style
    assert style is not None
    return style.bgcolor


def visible_keys(table: FastTable[Change]) -> list[str]:
    return [table.row_at(index).id for index in range(table.visible_count)]


async def test_header_and_first_rows_are_drawn() -> None:
    app = TableApp(changes(100))
    async with app.run_test(size=(80, 10)):
        lines = drawn(app.query_one(FastTable))
        assert lines[0].split() == ["ID", "Title", "Owner", "Size", "State"]
        assert lines[1].split()[0] == "CH-000000"
        assert lines[2].startswith(" CH-000001  Change 1 touches module 1")
        assert len(lines) == 10


async def test_numbers_are_right_aligned_in_their_column() -> None:
    app = TableApp(changes(12))
    async with app.run_test(size=(80, 14)):
        lines = drawn(app.query_one(FastTable))
        size_end = lines[0].index("Size") + len("Size")
        assert lines[2][size_end - 1] == "1"
        assert lines[12][size_end - 2 : size_end] == "11"


async def test_j_and_k_move_the_cursor_one_row() -> None:
    app = TableApp(changes(50))
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(FastTable)
        await pilot.press("j", "j", "j", "k")
        assert table.cursor_index == 2
        assert table.cursor_key == "CH-000002"


async def test_G_goes_to_the_last_row_and_g_back_to_the_first() -> None:
    app = TableApp(changes(50))
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(FastTable)
        await pilot.press("G")
        assert table.cursor_key == "CH-000049"
        assert drawn(table)[-1].split()[0] == "CH-000049"
        await pilot.press("g")
        assert table.cursor_key == "CH-000000"
        assert drawn(table)[1].split()[0] == "CH-000000"


async def test_pagedown_moves_the_cursor_and_the_view_by_one_page() -> None:
    app = TableApp(changes(50))
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(FastTable)
        await pilot.press("j", "pagedown")
        # 9 body rows: the cursor keeps its place on screen, one page further down.
        assert table.cursor_key == "CH-000010"
        assert drawn(table)[2].split()[0] == "CH-000010"


async def test_ctrl_d_moves_half_a_page() -> None:
    app = TableApp(changes(50))
    async with app.run_test(size=(80, 11)) as pilot:
        table = app.query_one(FastTable)
        await pilot.press("ctrl+d")
        assert table.cursor_index == 5


async def test_enter_posts_row_activated_with_the_cursor_key() -> None:
    app = TableApp(changes(20))
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.press("j", "enter")
        assert app.activated == ["CH-000001"]


async def test_cursor_moved_is_posted_once_per_new_row() -> None:
    app = TableApp(changes(20))
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.press("j", "k", "k")
        assert app.moved == ["CH-000000", "CH-000001", "CH-000000"]


async def test_set_rows_keeps_the_cursor_on_the_same_key() -> None:
    rows = changes(30)
    app = TableApp(rows)
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(FastTable)
        await pilot.press("j", "j", "j", "j", "j")
        table.set_rows(list(reversed(rows)))
        assert table.cursor_key == "CH-000005"
        assert table.cursor_index == 24


async def test_set_rows_clamps_the_cursor_when_its_row_is_gone() -> None:
    rows = changes(30)
    app = TableApp(rows)
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(FastTable)
        await pilot.press("G")
        table.set_rows(rows[:10])
        assert table.cursor_key == "CH-000009"


async def test_filter_keeps_rows_matching_every_term_case_insensitively() -> None:
    app = TableApp(changes(30))
    async with app.run_test(size=(80, 10)):
        table = app.query_one(FastTable)
        table.set_filter("MODULE 3   Bob")
        # "3" is a term of its own: it matches module 3 and any id containing a 3.
        assert visible_keys(table) == ["CH-000010", "CH-000013"]
        assert table.row_count == 30


def random_changes(count: int, seed: int) -> list[Change]:
    rng = random.Random(seed)
    words = ["deploy", "db", "cache", "api", "ui", "auth"]
    return [
        Change(f"CH-{i:06d}", " ".join(rng.choices(words, k=3)), rng.choice(["al", "bo"]), i, "")
        for i in range(count)
    ]


def brute_force(rows: Sequence[Change], text: str) -> list[str]:
    terms = text.lower().split()
    return [r.id for r in rows if all(t in f"{r.id} {r.title} {r.owner}".lower() for t in terms)]


async def test_narrowing_a_filter_gives_the_same_rows_as_a_fresh_filter() -> None:
    rows = random_changes(400, seed=7)
    app = TableApp(rows)
    async with app.run_test(size=(80, 10)):
        table = app.query_one(FastTable)
        query = "de ap bo"
        for end in range(1, len(query) + 1):
            table.set_filter(query[:end])
            assert visible_keys(table) == brute_force(rows, query[:end]), query[:end]


async def test_deleting_and_retyping_gives_the_same_rows_as_a_fresh_filter() -> None:
    rows = random_changes(400, seed=8)
    app = TableApp(rows)
    async with app.run_test(size=(80, 10)):
        table = app.query_one(FastTable)
        for text in ["cache a", "cache", "cach", "cache u", "cache ui al", "ui al", "", "db"]:
            table.set_filter(text)
            assert visible_keys(table) == brute_force(rows, text), text


async def test_new_rows_are_filtered_afresh_rather_than_from_remembered_results() -> None:
    app = TableApp(random_changes(200, seed=1))
    async with app.run_test(size=(80, 10)):
        table = app.query_one(FastTable)
        table.set_filter("cache")
        table.set_filter("")
        replacement = random_changes(200, seed=2)
        table.set_rows(replacement)
        table.set_filter("cache")
        assert visible_keys(table) == brute_force(replacement, "cache")


async def test_widening_a_filter_brings_rows_back() -> None:
    app = TableApp(changes(30))
    async with app.run_test(size=(80, 10)):
        table = app.query_one(FastTable)
        table.set_filter("module 3 bob")
        table.set_filter("module 3")
        assert visible_keys(table) == [
            "CH-000003",
            "CH-000010",
            "CH-000013",
            "CH-000017",
            "CH-000023",
            "CH-000024",
        ]


async def test_empty_message_is_centred_in_the_body_when_nothing_matches() -> None:
    app = TableApp(changes(30), empty_message="Nothing to show")
    async with app.run_test(size=(60, 11)):
        table = app.query_one(FastTable)
        table.empty_message = "No changes match 'zzz'"
        table.set_filter("zzz")
        lines = drawn(table)
        assert lines[0].split()[0] == "ID"
        assert [line.strip() for line in lines[1:]] == [""] * 4 + ["No changes match 'zzz'"] + [
            ""
        ] * 5
        message_line = table.render_line(5).text
        left = len(message_line) - len(message_line.lstrip())
        right = len(message_line) - len(message_line.rstrip())
        assert abs(left - right) <= 1


async def test_sorting_goes_ascending_descending_then_off_with_a_header_arrow() -> None:
    rows = [
        Change("CH-1", "b", "x", 20, ""),
        Change("CH-2", "a", "x", 5, ""),
        Change("CH-3", "c", "x", 10, ""),
    ]
    app = TableApp(rows)
    async with app.run_test(size=(80, 10)):
        table = app.query_one(FastTable)
        table.toggle_sort("size")
        assert visible_keys(table) == ["CH-2", "CH-3", "CH-1"]
        assert "Size ▲" in drawn(table)[0]
        table.toggle_sort("size")
        assert visible_keys(table) == ["CH-1", "CH-3", "CH-2"]
        assert "Size ▼" in drawn(table)[0]
        table.toggle_sort("size")
        assert visible_keys(table) == ["CH-1", "CH-2", "CH-3"]
        assert "▲" not in drawn(table)[0] and "▼" not in drawn(table)[0]


async def test_sorting_is_stable_and_keeps_the_cursor_on_its_row() -> None:
    rows = [Change(f"CH-{i}", "t", "bob" if i % 2 else "al", i, "") for i in range(6)]
    app = TableApp(rows)
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(FastTable)
        await pilot.press("j")
        table.sort_by("owner")
        assert visible_keys(table) == ["CH-0", "CH-2", "CH-4", "CH-1", "CH-3", "CH-5"]
        assert table.cursor_key == "CH-1"
        assert table.cursor_index == 3


async def test_a_filter_remembered_from_before_a_sort_comes_back_sorted() -> None:
    rows = random_changes(100, seed=3)
    app = TableApp(rows)
    async with app.run_test(size=(80, 10)):
        table = app.query_one(FastTable)
        table.set_filter("cache")
        table.set_filter("")
        table.sort_by("size", reverse=True)
        table.set_filter("cache")
        assert visible_keys(table) == list(reversed(brute_force(rows, "cache")))


async def test_sorting_by_a_column_without_sort_key_is_refused() -> None:
    app = TableApp(changes(3))
    async with app.run_test(size=(80, 6)):
        with pytest.raises(ValueError, match="'state' has no sort_key"):
            app.query_one(FastTable).sort_by("state")


async def test_clicking_a_header_sorts_by_that_column() -> None:
    rows = [Change("CH-1", "b", "x", 2, ""), Change("CH-2", "a", "x", 1, "")]
    app = TableApp(rows)
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(FastTable)
        title_x = drawn(table)[0].index("Title")
        await pilot.click(FastTable, offset=(title_x, 0))
        assert table.sort_column == "title"
        assert visible_keys(table) == ["CH-2", "CH-1"]


async def test_clicking_a_row_moves_the_cursor_there() -> None:
    app = TableApp(changes(20))
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(FastTable)
        await pilot.click(FastTable, offset=(3, 4))
        assert table.cursor_key == "CH-000003"
        assert app.activated == []


async def test_double_clicking_a_row_activates_it() -> None:
    app = TableApp(changes(20))
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.double_click(FastTable, offset=(3, 2))
        assert app.activated == ["CH-000001"]


async def test_a_narrow_terminal_truncates_cells_with_an_ellipsis() -> None:
    long_title = Change("CH-1", "A very long change title that cannot fit", "someone", 1, "open")
    app = TableApp([long_title])
    async with app.run_test(size=(50, 6)):
        row = drawn(app.query_one(FastTable))[1]
        # 50 cells - 10 padding - 22 fixed leaves 18, shared 2:1 by title and owner.
        assert " A very long… " in row
        assert " someo… " in row
        assert len(row) <= 50


async def test_a_styled_cell_keeps_its_colour_on_the_cursor_background() -> None:
    failed = Change("CH-1", "t", "o", 1, "failed")
    app = TableApp([failed])
    async with app.run_test(size=(80, 6)):
        table = app.query_one(FastTable)
        cursor_bg = table.get_component_rich_style("fast-table--cursor").bgcolor
        state = next(seg for seg in table.render_line(1) if seg.text.strip() == "failed")
        assert state.style is not None
        assert state.style.color is not None and state.style.color.name == "red"
        assert state.style.bgcolor == cursor_bg


async def test_the_cursor_row_is_drawn_blurred_when_the_table_loses_focus() -> None:
    app = TableApp(changes(3))
    async with app.run_test(size=(80, 6)) as pilot:
        table = app.query_one(FastTable)
        table.blur()
        await pilot.pause()
        blurred = table.get_component_rich_style("fast-table--cursor-blurred").bgcolor
        assert background(table, 1) == blurred


async def test_zebra_stripes_odd_rows() -> None:
    app = TableApp(changes(4), zebra=True)
    async with app.run_test(size=(80, 6)):
        table = app.query_one(FastTable)
        odd = table.get_component_rich_style("fast-table--odd").bgcolor
        backgrounds = [background(table, y) for y in (2, 3, 4)]
        assert backgrounds == [odd, table.rich_style.bgcolor, odd]


async def test_refresh_cells_re_renders_a_volatile_column() -> None:
    ticks = [0]
    columns = [*COLUMNS, Column("ttl", "TTL", lambda c: f"{ticks[0]}s", width=5)]
    app = TableApp(changes(3), columns=columns)
    async with app.run_test(size=(80, 6)) as pilot:
        table = app.query_one(FastTable)
        assert drawn(table)[1].endswith("0s")
        ticks[0] = 41
        assert drawn(table)[1].endswith("0s")
        table.refresh_cells()
        await pilot.pause()
        assert drawn(table)[1].endswith("41s")


async def test_move_cursor_to_key_finds_a_visible_row_only() -> None:
    app = TableApp(changes(40))
    async with app.run_test(size=(80, 10)):
        table = app.query_one(FastTable)
        assert table.move_cursor_to_key("CH-000033")
        assert table.cursor_index == 33
        table.set_filter("bob")
        assert not table.move_cursor_to_key("CH-000033")


async def test_a_hundred_thousand_rows_load_and_G_shows_the_last_one() -> None:
    app = TableApp(changes(100_000))
    async with app.run_test(size=(100, 20)) as pilot:
        table = app.query_one(FastTable)
        await pilot.press("G")
        await pilot.pause()
        assert table.row_count == 100_000
        assert table.cursor_key == "CH-099999"
        last = drawn(table)[-1].split()
        assert last[:2] == ["CH-099999", "Change"]
        assert last[-2:] == ["99999", "open"]


def test_flexible_columns_share_the_leftover_space_by_ratio() -> None:
    # 80 - 10 padding - 22 fixed = 48, shared 2:1 by title and owner.
    assert layout_columns(COLUMNS, 80) == [9, 32, 16, 6, 7]


def test_flexible_columns_shrink_to_min_width_before_fixed_ones() -> None:
    assert layout_columns(COLUMNS, 45) == [9, 8, 5, 6, 7]
    # 5 cells short: fixed columns give them up in proportion to their slack above min_width.
    assert layout_columns(COLUMNS, 40) == [6, 8, 5, 5, 6]


def test_wide_characters_are_truncated_to_the_exact_cell_width() -> None:
    assert fit_plain("漢字漢字", 5, "left") == "漢字…"
    assert fit_plain("漢字", 6, "right") == "  漢字"


def test_control_characters_in_a_cell_are_drawn_as_spaces() -> None:
    assert fit_plain("two\nlines\t", 12, "left") == "two lines   "
