"""Snapshots of the Backlog screen's important states (demo workspace, frozen clock).

Regenerate with `python -m pytest tests/tui/test_backlog_snapshots.py --snapshot-update` and
look at every changed SVG before accepting it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from tests.tui.conftest import AppFactory

BACKLOG_DIR = Path(".aristo") / "sessions" / "backlog"
EVERY_DECISION = ["a", "r", "d", "a", "r", "d", "a", "d"]
SnapCompare = Callable[..., bool]


async def workers_done(pilot: Pilot[Any]) -> None:
    """Wait for every worker; other screens cancel their superseded ones, which is fine."""
    await asyncio.gather(*(worker.wait() for worker in pilot.app.workers), return_exceptions=True)


def on_backlog(*keys: str, note: str | None = None) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """Open the Backlog, press `keys` one by one (each decision lands before the next key),
    optionally type a note; toasts are cleared so they do not cover the card."""

    async def run(pilot: Pilot[Any]) -> None:
        for key in ("5", *keys):
            await pilot.press(key)
            await pilot.pause()
            await workers_done(pilot)
            await pilot.pause()
        if note is not None:
            await pilot.press("n")
            await pilot.pause()
            pilot.app.screen.query_one(Input).value = note
            await pilot.press("enter")
            await pilot.pause()
        pilot.app.clear_notifications()
        await pilot.pause()

    return run


def test_first_item_of_the_queue(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=on_backlog())


def test_queue_mid_way_after_two_decisions(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=on_backlog("a", "r"))


def test_proof_review_verdict_item(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=on_backlog("G", "k"))


def test_a_note_waiting_for_the_next_decision(
    snap_compare: SnapCompare, make_app: AppFactory
) -> None:
    run = on_backlog("j", note="use 'heartbeat' and define it in the glossary")
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=run)


def test_empty_queue(snap_compare: SnapCompare, make_app: AppFactory, demo_root: Path) -> None:
    for path in (demo_root / BACKLOG_DIR).glob("*.toml"):
        path.unlink()
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=on_backlog())


def test_finished_session_summary(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    run = on_backlog(*EVERY_DECISION)
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=run)


def test_read_only(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    run = on_backlog()
    assert snap_compare(make_app(read_only=True), terminal_size=(120, 40), run_before=run)


def test_narrow_terminal(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=on_backlog())


def test_wide_terminal(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(make_app(), terminal_size=(200, 60), run_before=on_backlog("a"))
