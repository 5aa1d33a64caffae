"""Behaviour of the Backlog screen (mode 5): reviewing deferred items one at a time.

Every flow runs on the demo workspace (8 deferred items: 5 critique-review, 3 proof-review)
with the frozen clock, and checks both what the screen shows and what reached the files.
"""

from __future__ import annotations

import asyncio
import io
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Input, Static

from core.models.backlog import BacklogItem, Decision
from tests.tui.conftest import NOW, AppFactory
from tui.app import QuarterdeckApp
from tui.screens.backlog import (
    BacklogScreen,
    QueueItem,
    ReviewQueue,
    State,
    short_age,
    summary_text,
)

pytestmark = pytest.mark.anyio

BACKLOG_DIR = Path(".aristo") / "sessions" / "backlog"
# The demo queue, in review order.
QUEUE = [
    ("critique-review", "lease-heartbeats#1"),
    ("critique-review", "lease-heartbeats#4"),
    ("critique-review", "release-sequencing#2"),
    ("critique-review", "backup-journal#0"),
    ("critique-review", "open#0"),
    ("proof-review", "balance_no_dup_cells#0"),
    ("proof-review", "balance_no_dup_cells#verdict"),
    ("proof-review", "lease_single_holder#1"),
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# Files on disk.


def backlog_items(root: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """Every deferral in the backlog files, by (kind, item_ref)."""
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted((root / BACKLOG_DIR).glob("*.toml")):
        for item in tomllib.loads(path.read_text())["items"]:
            items[(path.stem, item["item_ref"])] = item
    return items


def decisions(root: Path) -> list[dict[str, Any]]:
    log = root / BACKLOG_DIR / "review-decisions.jsonl"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def decided(root: Path) -> list[tuple[str, str, str]]:
    return [(d["item"]["kind"], d["item"]["item_ref"], d["decision"]) for d in decisions(root)]


def add_deferral(root: Path, kind: str, item_ref: str, deferred_at: str, note: str) -> None:
    """What aristo does when a reviewer defers one more item."""
    path = root / BACKLOG_DIR / f"{kind}.toml"
    document = tomllib.loads(path.read_text())
    document["items"].append(
        {
            "item_ref": item_ref,
            "deferred_at": deferred_at,
            "deferred_from_session": "20261122T090000Z-NEWSES",
            "note": note,
        }
    )
    path.write_text(tomli_w.dumps(document))


# The screen.


async def workers_done(pilot: Pilot[Any]) -> None:
    """Wait for every worker; other screens cancel their superseded ones, which is fine."""
    await asyncio.gather(*(worker.wait() for worker in pilot.app.workers), return_exceptions=True)


async def settle(pilot: Pilot[None]) -> None:
    await pilot.pause()
    await workers_done(pilot)
    await pilot.pause()


async def open_backlog(pilot: Pilot[None]) -> BacklogScreen:
    await pilot.press("5")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, BacklogScreen)
    return screen


async def press(pilot: Pilot[None], *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def text_of(screen: BacklogScreen, selector: str) -> str:
    widget = screen.query_one(selector, Static)
    console = Console(width=max(widget.size.width, 40), file=io.StringIO(), record=True)
    console.print(widget.content)
    return console.export_text()


def current(screen: BacklogScreen) -> tuple[str, str] | None:
    entry = screen.current_entry()
    return None if entry is None else (entry.item.kind, entry.item.item_ref)


def states(screen: BacklogScreen) -> dict[str, State]:
    return {entry.item.item_ref: entry.state for entry in screen.queue}


def notifications(app: QuarterdeckApp) -> list[str]:
    """Every message the app will show from now on (toasts expire; this list does not)."""
    seen: list[str] = []
    notify = app.notify

    def recording(message: str, **options: Any) -> None:
        seen.append(message)
        notify(message, **options)

    app.notify = recording  # type: ignore[method-assign]
    return seen


# Opening.


async def test_opening_shows_the_first_deferred_item_on_the_card(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        assert current(screen) == QUEUE[0]
        title = text_of(screen, "#backlog-card-title")
        assert "critique-review · 1 of 8" in title
        assert "0 of 8 reviewed" in title


async def test_the_card_shows_source_index_deferral_note_and_data(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        card = text_of(screen, "#backlog-card-body")
        for expected in (
            "Source        lease-heartbeats",
            "Index         1",
            "Deferred      2026-11-20 08:00 UTC · 2d ago",
            "Session       20261120T070000Z-K7QXM3",
            "Note          later: needs the TTL decision first",
            "Category      rephrasing",
            "Severity      strong-suggest",
            "Rationale     double negation in the expiry rule",
            "▎ A lease is active until its expiry time.",
        ):
            assert expected in card


async def test_an_item_without_a_note_says_so(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        await press(pilot, "j")
        assert "Note          no note" in text_of(screen, "#backlog-card-body")


async def test_known_data_fields_come_first_in_reading_order(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        screen.select_entity("proof-review/balance_no_dup_cells#0")
        await settle(pilot)
        card = text_of(screen, "#backlog-card-body")
        labels = ["Kind", "Annotation", "Proof ID", "Index", "Suggested", "Text hash"]
        positions = [card.index(label, card.index("Data")) for label in labels]
        assert positions == sorted(positions)


async def test_a_long_value_is_wrapped_not_cut_off(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_backlog(pilot)
        screen.select_entity("proof-review/balance_no_dup_cells#0")
        await settle(pilot)
        card = "".join(text_of(screen, "#backlog-card-body").split())
        assert "sha256:" + "3f" * 32 in card


async def test_the_queue_lists_kinds_with_counts_then_their_items(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        table = screen.table
        rows = [table.render_line(y).text.split() for y in range(1, 11)]
        assert rows[0] == ["critique-review", "5"]
        assert rows[1] == ["lease-heartbeats#1", "2d"]
        assert rows[6] == ["proof-review", "3"]
        assert rows[9] == ["lease_single_holder#1", "18h"]


async def test_the_mode_bar_counts_the_undecided_items(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_backlog(pilot)
        assert app.backlog_count == 8


# Deciding.


async def test_accepting_removes_the_item_from_the_backlog_file(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_backlog(pilot)
        await press(pilot, "a")
        assert QUEUE[0] not in backlog_items(demo_root)
        assert len(backlog_items(demo_root)) == 7


async def test_accepting_appends_the_decision_to_the_log(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_backlog(pilot)
        await press(pilot, "a")
        [record] = decisions(demo_root)
        assert (record["item"]["item_ref"], record["decision"]) == ("lease-heartbeats#1", "accept")
        assert record["item"]["note"] == "later: needs the TTL decision first"


async def test_rejecting_removes_the_item_and_logs_a_rejection(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_backlog(pilot)
        await press(pilot, "r")
        assert QUEUE[0] not in backlog_items(demo_root)
        assert decided(demo_root) == [(*QUEUE[0], "reject")]


async def test_a_decision_marks_the_item_and_moves_to_the_next_one(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        await press(pilot, "a", "r")
        assert states(screen)["lease-heartbeats#1"] is State.ACCEPTED
        assert states(screen)["lease-heartbeats#4"] is State.REJECTED
        assert current(screen) == QUEUE[2]
        assert "critique-review · 3 of 8" in text_of(screen, "#backlog-card-title")
        assert "2 of 8 reviewed" in text_of(screen, "#backlog-card-title")


async def test_the_queue_marks_reviewed_items(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        await press(pilot, "a", "r", "d")
        marks = [screen.table.render_line(y).text.split()[0] for y in range(2, 5)]
        assert marks == ["✓", "✗", "⏸"]


async def test_the_mode_bar_count_drops_with_each_decision(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_backlog(pilot)
        await press(pilot, "a", "d")
        assert app.backlog_count == 6


async def test_keeping_deferred_leaves_the_item_in_the_file(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        before = backlog_items(demo_root)[QUEUE[0]]
        await press(pilot, "d")
        assert backlog_items(demo_root)[QUEUE[0]] == before
        assert decided(demo_root) == [(*QUEUE[0], "defer")]
        assert states(screen)["lease-heartbeats#1"] is State.KEPT


async def test_a_note_then_keep_deferred_becomes_the_items_note(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_backlog(pilot)
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one(Input).value = "TTL is now 30 min"
        await pilot.press("enter")
        await settle(pilot)
        await press(pilot, "d")
        assert backlog_items(demo_root)[QUEUE[0]]["note"] == "TTL is now 30 min"
        assert decisions(demo_root)[0]["note"] == "TTL is now 30 min"


async def test_a_note_then_accept_records_the_note_with_the_decision(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_backlog(pilot)
        await press(pilot, "j")
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one(Input).value = "use heartbeat everywhere"
        await pilot.press("enter")
        await settle(pilot)
        await press(pilot, "a")
        [record] = decisions(demo_root)
        assert (record["item"]["item_ref"], record["decision"]) == ("lease-heartbeats#4", "accept")
        assert record["note"] == "use heartbeat everywhere"


async def test_a_note_shows_on_the_card_before_the_decision(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one(Input).value = "ask Dana"
        await pilot.press("enter")
        await settle(pilot)
        assert "Your note     ask Dana" in text_of(screen, "#backlog-card-body")
        assert decisions(demo_root) == []


async def test_cancelling_the_note_prompt_keeps_no_note(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one(Input).value = "never mind"
        await press(pilot, "escape", "a")
        assert decisions(demo_root)[0]["note"] is None
        assert all(entry.draft_note is None for entry in screen.queue)


async def test_an_item_decided_this_session_cannot_be_decided_again(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        await press(pilot, "a", "k")
        assert current(screen) == QUEUE[0]
        await press(pilot, "r")
        assert decided(demo_root) == [(*QUEUE[0], "accept")]


async def test_a_kept_item_can_still_be_accepted(make_app: AppFactory, demo_root: Path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        await press(pilot, "d", "k", "a")
        assert QUEUE[0] not in backlog_items(demo_root)
        assert states(screen)["lease-heartbeats#1"] is State.ACCEPTED


# Finishing and leaving.


async def test_deciding_every_item_shows_the_session_summary(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        await press(pilot, "a", "r", "d", "a", "r", "d", "a", "d")
        assert current(screen) is None
        summary = text_of(screen, "#backlog-card-body")
        assert "Reviewed 8: 3 accepted, 2 rejected, 3 kept deferred" in summary
        assert app.backlog_count == 0


async def test_after_the_summary_j_and_k_look_back_at_items(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        await press(pilot, "a", "r", "d", "a", "r", "d", "a", "d", "k")
        assert current(screen) == QUEUE[6]
        assert "✓ accepted" in text_of(screen, "#backlog-card-body")


async def test_leaving_early_keeps_every_undecided_item_deferred(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_backlog(pilot)
        await press(pilot, "a", "r", "q")
    assert set(backlog_items(demo_root)) == set(QUEUE[2:])
    assert decided(demo_root) == [(*QUEUE[0], "accept"), (*QUEUE[1], "reject")]


async def test_switching_screen_and_back_keeps_the_sessions_progress(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        await press(pilot, "a", "r", "2", "5")
        assert states(screen)["lease-heartbeats#1"] is State.ACCEPTED
        assert current(screen) == QUEUE[2]


# Moving without deciding.


async def test_moving_through_the_queue_writes_nothing(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_backlog(pilot)
        before = backlog_items(demo_root)
        await press(pilot, "j", "j", "down", "right", "k", "left", "up", "G", "g")
        assert backlog_items(demo_root) == before
        assert decisions(demo_root) == []


async def test_j_steps_over_the_kind_heading_to_the_next_item(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        await press(pilot, "j", "j", "j", "j", "j")
        assert current(screen) == QUEUE[5]


async def test_g_and_G_go_to_the_first_and_last_item(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        await press(pilot, "G")
        assert current(screen) == QUEUE[7]
        await press(pilot, "g")
        assert current(screen) == QUEUE[0]


async def test_right_and_left_arrows_move_to_the_next_and_previous_item(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        await press(pilot, "right", "right")
        assert current(screen) == QUEUE[2]
        await press(pilot, "left")
        assert current(screen) == QUEUE[1]


async def test_going_back_to_the_top_shows_the_first_kind_heading(
    make_app: AppFactory, demo_root: Path
) -> None:
    for index in range(60):
        add_deferral(demo_root, "critique-review", f"bulk#{index}", "2026-11-22T09:00:00Z", "")
    app = make_app()
    async with app.run_test(size=(120, 24)) as pilot:
        screen = await open_backlog(pilot)
        await press(pilot, "G", "g")
        assert current(screen) == QUEUE[0]
        assert screen.table.scroll_offset.y == 0


async def test_k_on_the_first_item_stays_there(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        await press(pilot, "k")
        assert current(screen) == QUEUE[0]


async def test_right_and_left_brackets_jump_between_kinds(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        await press(pilot, "right_square_bracket")
        assert current(screen) == QUEUE[5]
        await press(pilot, "left_square_bracket")
        assert current(screen) == QUEUE[0]


# Refreshing.


async def test_refresh_keeps_the_sessions_marks_and_the_cursor(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        await press(pilot, "a", "r", "j", "ctrl+r")
        assert states(screen)["lease-heartbeats#1"] is State.ACCEPTED
        assert states(screen)["lease-heartbeats#4"] is State.REJECTED
        assert current(screen) == QUEUE[3]
        assert "3 of 8" not in text_of(screen, "#backlog-card-title")
        assert "4 of 8" in text_of(screen, "#backlog-card-title")


async def test_refresh_merges_newly_deferred_items_in(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        await press(pilot, "a", "j")
        add_deferral(demo_root, "critique-review", "fresh#0", "2026-11-22T09:00:00Z", "new")
        await press(pilot, "ctrl+r")
        refs = [entry.item.item_ref for entry in screen.queue]
        assert refs[5] == "fresh#0"
        assert current(screen) == QUEUE[2]
        assert app.backlog_count == 8


async def test_refresh_drops_items_someone_else_decided(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    seen = notifications(app)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        await press(pilot, "a")
        app.service.decide_backlog(*QUEUE[4], Decision.REJECT)
        await press(pilot, "ctrl+r")
        assert "open#0" not in states(screen)
        assert current(screen) == QUEUE[1]
        assert any("decided elsewhere" in message for message in seen)


async def test_when_the_item_on_show_vanishes_the_next_one_takes_its_place(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        app.service.decide_backlog(*QUEUE[0], Decision.ACCEPT)
        await press(pilot, "ctrl+r")
        assert current(screen) == QUEUE[1]


# Errors and read-only.


async def test_an_item_decided_meanwhile_is_reported_and_the_queue_moves_on(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    seen = notifications(app)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        app.service.decide_backlog(*QUEUE[0], Decision.REJECT)
        await press(pilot, "a")
        assert any("not found: critique-review/lease-heartbeats#1" in m for m in seen)
        assert "lease-heartbeats#1" not in states(screen)
        assert current(screen) == QUEUE[1]
        assert decided(demo_root) == [(*QUEUE[0], "reject")]


async def test_a_failed_decision_leaves_the_item_undecided(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    seen = notifications(app)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        (demo_root / BACKLOG_DIR / "critique-review.toml").write_text("items = [ not toml")
        await press(pilot, "a")
        assert states(screen)["lease-heartbeats#1"] is State.UNDECIDED
        assert any("Could not record the decision" in m for m in seen)
        assert decisions(demo_root) == []


async def test_read_only_hides_the_decision_keys(make_app: AppFactory) -> None:
    app = make_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        for action in ("accept", "reject", "defer", "note"):
            assert screen.check_action(action, ()) is False
        assert "read-only" in text_of(screen, "#backlog-keys")


async def test_read_only_writes_nothing_when_the_keys_are_pressed(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        before = backlog_items(demo_root)
        await press(pilot, "a", "r", "d", "n")
        assert backlog_items(demo_root) == before
        assert decisions(demo_root) == []
        assert current(screen) == QUEUE[0]


# The empty queue and the palette.


async def test_an_empty_backlog_shows_the_empty_state(
    make_app: AppFactory, demo_root: Path
) -> None:
    for path in (demo_root / BACKLOG_DIR).glob("*.toml"):
        path.unlink()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        assert screen.query_one("#backlog-empty").display
        assert not screen.query_one("#backlog-body").display
        assert app.backlog_count == 0


async def test_the_palette_lists_every_deferred_item(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_backlog(pilot)
        found = app.catalog.candidates("verdict")
        assert [(e.kind, e.key, e.text, e.help) for e in found] == [
            (
                "backlog",
                "proof-review/balance_no_dup_cells#verdict",
                "proof-review balance_no_dup_cells#verdict",
                "re-run after the split fix",
            )
        ]


async def test_a_palette_jump_puts_the_item_on_the_card(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backlog(pilot)
        await press(pilot, "1")
        app.open_entity("backlog", "proof-review/balance_no_dup_cells#verdict")
        await settle(pilot)
        assert current(screen) == QUEUE[6]
        assert "proof-review · 7 of 8" in text_of(screen, "#backlog-card-title")


async def test_a_palette_jump_before_the_first_load_waits_for_it(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.open_entity("backlog", "proof-review/lease_single_holder#1")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BacklogScreen)
        assert current(screen) == QUEUE[7]


async def test_a_wide_queue_also_shows_what_each_item_is_about(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(200, 60)) as pilot:
        screen = await open_backlog(pilot)
        assert screen.table.render_line(0).text.split() == ["ITEM", "WHAT", "NOTE", "AGE"]
        assert "must-fix" in screen.table.render_line(3).text


# The queue model.


def item(kind: str, ref: str, hours_ago: int) -> BacklogItem:
    return BacklogItem(
        kind=kind,
        item_ref=ref,
        deferred_at=f"2026-11-22T{10 - hours_ago:02d}:00:00Z",
        deferred_from_session="20261122T000000Z-AAAAAA",
    )


def test_merging_keeps_decided_items_that_left_the_backlog() -> None:
    queue = ReviewQueue()
    queue.merge([item("k", "a#0", 3), item("k", "b#0", 2)])
    next(iter(queue)).state = State.ACCEPTED
    queue.merge([item("k", "b#0", 2)])
    assert [(e.item.item_ref, e.state) for e in queue] == [
        ("a#0", State.ACCEPTED),
        ("b#0", State.UNDECIDED),
    ]


def test_merging_returns_the_undecided_items_that_vanished() -> None:
    queue = ReviewQueue()
    queue.merge([item("k", "a#0", 3), item("k", "b#0", 2)])
    dropped = queue.merge([item("k", "b#0", 2)])
    assert [e.item.item_ref for e in dropped] == ["a#0"]
    assert [e.item.item_ref for e in queue] == ["b#0"]


def test_merging_slots_new_items_into_queue_order() -> None:
    queue = ReviewQueue()
    queue.merge([item("k", "a#0", 3), item("k", "c#0", 1)])
    queue.merge([item("k", "a#0", 3), item("k", "c#0", 1), item("k", "b#0", 2)])
    assert [e.item.item_ref for e in queue] == ["a#0", "b#0", "c#0"]


def test_merging_collapses_copies_of_one_deferral() -> None:
    queue = ReviewQueue()
    queue.merge([item("k", "a#0", 3), item("k", "a#0", 3)])
    assert len(queue) == 1


def test_the_next_undecided_item_wraps_round_to_the_start() -> None:
    queue = ReviewQueue()
    queue.merge([item("k", "a#0", 3), item("k", "b#0", 2), item("k", "c#0", 1)])
    first, second, third = list(queue)
    second.state = State.KEPT
    assert queue.next_undecided(third) is first
    assert queue.next_undecided(first) is third


def test_rows_put_each_kind_heading_before_its_items() -> None:
    queue = ReviewQueue()
    queue.merge([item("b-kind", "x#0", 1), item("a-kind", "y#0", 2), item("a-kind", "z#0", 1)])
    rows = queue.rows()
    assert [row.kind if not isinstance(row, QueueItem) else row.item.item_ref for row in rows] == [
        "a-kind",
        "y#0",
        "z#0",
        "b-kind",
        "x#0",
    ]


def test_the_summary_names_only_the_decisions_made() -> None:
    queue = ReviewQueue()
    queue.merge([item("k", "a#0", 3), item("k", "b#0", 2), item("k", "c#0", 1)])
    first, second, _ = list(queue)
    first.state = State.ACCEPTED
    second.state = State.ACCEPTED
    assert summary_text(queue) == "Reviewed 2: 2 accepted"


def test_short_ages_drop_the_word_ago() -> None:
    assert short_age("2026-11-20T08:00:00Z", NOW) == "2d"
    assert short_age("2026-11-22T09:59:30Z", NOW) == "30s"
    assert short_age("not a time", NOW) == "?"
