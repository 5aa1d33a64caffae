"""The session-start review: deferred backlog items open the Backlog screen first."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import AppFactory
from tui.app import QuarterdeckApp
from tui.screens.backlog import BacklogScreen
from tui.widgets.chrome import ModeBar

pytestmark = pytest.mark.anyio

BACKLOG_DIR = Path(".aristo") / "sessions" / "backlog"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def empty_the_backlog(root: Path) -> None:
    for path in (root / BACKLOG_DIR).glob("*.toml"):
        path.unlink()


def remember_screen(tmp_path: Path, mode: str) -> None:
    """What the app saved when the previous session ended on `mode` (see make_app)."""
    (tmp_path / "ui-state.json").write_text(json.dumps({"mode": mode}))


async def workers_done(pilot: Pilot[Any]) -> None:
    """Wait for every worker; other screens cancel their superseded ones, which is fine."""
    await asyncio.gather(*(worker.wait() for worker in pilot.app.workers), return_exceptions=True)


async def started(pilot: Pilot[None]) -> QuarterdeckApp:
    # The check runs in a worker; the screen it opens loads in another.
    for _ in range(2):
        await pilot.pause()
        await workers_done(pilot)
    await pilot.pause()
    app = pilot.app
    assert isinstance(app, QuarterdeckApp)
    return app


def notifications(app: QuarterdeckApp) -> list[str]:
    """Every message the app will show from now on (toasts expire; this list does not)."""
    seen: list[str] = []
    notify = app.notify

    def recording(message: str, **options: Any) -> None:
        seen.append(message)
        notify(message, **options)

    app.notify = recording  # type: ignore[method-assign]
    return seen


async def test_deferred_items_open_the_backlog_first(make_app: AppFactory) -> None:
    app = make_app(session_review=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        assert app.current_mode == "backlog"
        assert isinstance(app.screen, BacklogScreen)


async def test_the_review_opens_on_the_first_item(make_app: AppFactory) -> None:
    app = make_app(session_review=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        screen = app.screen
        assert isinstance(screen, BacklogScreen)
        entry = screen.current_entry()
        assert entry is not None
        assert (entry.item.kind, entry.item.item_ref) == ("critique-review", "lease-heartbeats#1")


async def test_the_review_says_how_many_items_are_waiting(make_app: AppFactory) -> None:
    app = make_app(session_review=True)
    seen = notifications(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        assert any(m.startswith("8 deferred review item(s) are waiting") for m in seen)


async def test_the_mode_bar_shows_the_backlog_count(make_app: AppFactory) -> None:
    app = make_app(session_review=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        assert "5 Backlog·8" in app.screen.query_one(ModeBar).render().plain


async def test_deferred_items_win_over_the_remembered_screen(
    make_app: AppFactory, tmp_path: Path
) -> None:
    remember_screen(tmp_path, "leases")
    app = make_app(session_review=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        assert app.current_mode == "backlog"


async def test_an_empty_backlog_opens_on_changes(make_app: AppFactory, demo_root: Path) -> None:
    empty_the_backlog(demo_root)
    app = make_app(session_review=True)
    seen = notifications(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        assert app.current_mode == "changes"
        assert seen == []


async def test_an_empty_backlog_opens_on_the_remembered_screen(
    make_app: AppFactory, demo_root: Path, tmp_path: Path
) -> None:
    empty_the_backlog(demo_root)
    remember_screen(tmp_path, "leases")
    app = make_app(session_review=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        assert app.current_mode == "leases"


async def test_an_empty_backlog_shows_no_count(make_app: AppFactory, demo_root: Path) -> None:
    empty_the_backlog(demo_root)
    app = make_app(session_review=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        bar = app.screen.query_one(ModeBar).render().plain
        assert "5 Backlog " in bar
        assert "Backlog·" not in bar


async def test_without_the_session_review_the_app_opens_where_it_was(
    make_app: AppFactory, tmp_path: Path
) -> None:
    remember_screen(tmp_path, "leases")
    app = make_app(session_review=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        assert app.current_mode == "leases"


async def test_leaving_the_review_at_once_keeps_every_item_deferred(
    make_app: AppFactory, demo_root: Path
) -> None:
    before = {p.name: p.read_bytes() for p in (demo_root / BACKLOG_DIR).glob("*.toml")}
    app = make_app(session_review=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await pilot.press("1")
        await pilot.press("q")
    after = {p.name: p.read_bytes() for p in (demo_root / BACKLOG_DIR).glob("*.toml")}
    assert after == before
    assert not (demo_root / BACKLOG_DIR / "review-decisions.jsonl").exists()


async def test_the_palette_finds_repos_backups_and_backlog_items_before_their_screens_open(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await workers_done(pilot)
        await pilot.press("ctrl+p")  # opening the palette fills in what no screen loaded yet
        for _ in range(100):
            if all(app.catalog.has(kind) for kind in ("repo", "backup", "backlog")):
                break
            await pilot.pause(0.05)

        def found(query: str) -> set[tuple[str, str]]:
            return {(entry.kind, entry.key) for entry in app.catalog.candidates(query)}

        assert ("repo", "acme/storage") in found("storage")
        assert ("backup", "weekly-2026-11-17") in found("weekly")
        assert ("backlog", "critique-review/lease-heartbeats#1") in found("heartbeats#1")
