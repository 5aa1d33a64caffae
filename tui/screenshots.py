"""`quarterdeck screenshots`: an SVG of every screen on the demo workspace.

Each picture is taken headless on a fresh demo built at a fixed time with a frozen clock,
so the same code and data always give the same files (the README shows them).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input
from textual.worker import WorkerCancelled

from core.config import load_settings
from core.demo import build_demo
from core.service import open_service
from core.timeutil import fixed_clock
from tui.app import QuarterdeckApp

NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
Steps = Callable[[Pilot[None]], Awaitable[None]]


@dataclass(frozen=True)
class Scene:
    name: str
    size: tuple[int, int]
    steps: Steps
    session_review: bool = False


async def settle(pilot: Pilot[None]) -> None:
    """Let every load and action finish, then let the screen repaint."""
    for _ in range(4):
        # A newer load replaces an older one (exclusive workers): that is not a failure.
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    # The Changes detail loads after a short debounce, so no worker may be running yet.
    for _ in range(100):
        if not any(getattr(s, "detail_pending", False) for s in pilot.app.screen_stack):
            break
        await pilot.pause(0.05)
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def keys(
    *pressed: str,
    select: tuple[str, str] | None = None,
    after: tuple[str, ...] = (),
    pause: float = 0.0,
) -> Steps:
    """Press `pressed` (each settled), open an entity (kind, key), press `after`, wait `pause`."""

    async def run(pilot: Pilot[None]) -> None:
        await settle(pilot)
        for key in pressed:
            await pilot.press(key)
            await settle(pilot)
        if select is not None:
            app = pilot.app
            assert isinstance(app, QuarterdeckApp)
            app.open_entity(*select)
            await settle(pilot)
        for key in after:
            pilot.app.clear_notifications()
            await pilot.press(key)
            await settle(pilot)
        if pause:
            await pilot.pause(pause)  # e.g. the palette's search, which runs on a timer
        for box in pilot.app.screen.query(Input):
            box.cursor_blink = False  # a caret caught mid-blink would differ run to run
        await pilot.pause()

    return run


SCENES = [
    Scene("01-backlog-session-review", (120, 36), keys(), session_review=True),
    Scene("02-changes", (160, 42), keys(select=("change", "002-03_lease-heartbeats"))),
    Scene(
        "03-changes-tasks-80x24",
        (80, 24),
        keys(select=("change", "002-03_lease-heartbeats"), after=("right_square_bracket",) * 2),
    ),
    Scene("04-leases", (120, 30), keys("2")),
    Scene(
        "05-releases-failed-run",
        (160, 42),
        keys("3", "left_square_bracket", select=("repo", "acme/storage")),
    ),
    Scene(
        "06-releases-run-ledger",
        (140, 40),
        keys("3", "left_square_bracket", select=("repo", "acme/storage"), after=("L",)),
    ),
    Scene(
        "07-backups-restart-required",
        (140, 36),
        keys("4", select=("backup", "weekly-2026-11-17")),
    ),
    Scene(
        "08-backups-record-completed",
        (140, 36),
        keys("4", select=("backup", "weekly-2026-11-17"), after=("t", "s", "d")),
    ),
    Scene("09-help", (120, 40), keys("question_mark")),
    Scene("10-command-palette", (120, 32), keys(after=("ctrl+p", *"lease"), pause=1.0)),
]


async def _take(scene: Scene, root: Path) -> str:
    service = open_service(load_settings(root), clock=fixed_clock(NOW))
    app = QuarterdeckApp(
        service,
        clock=fixed_clock(NOW),
        session_review=scene.session_review,
        state_path=None,
        refresh_interval=3600,  # no refresh mid-scene
    )
    async with app.run_test(size=scene.size) as pilot:
        await scene.steps(pilot)
        return app.export_screenshot(title=f"Quarterdeck · {scene.name[3:]}")


def write_screenshots(output: Path) -> list[Path]:
    """Write one SVG per scene into `output` and return their paths."""
    output.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="quarterdeck-shots-") as scratch:
        template = build_demo(Path(scratch) / "template", now=NOW)
        for number, scene in enumerate(SCENES):
            # A fresh copy each time: a scene's actions must not show up in the next one.
            root = Path(scratch) / f"scene-{number}" / "quarterdeck-demo"
            # copytree keeps the demo's file times, which screens show as "modified … ago".
            shutil.copytree(template, root)
            svg = asyncio.run(_take(scene, root))
            path = output / f"{scene.name}.svg"
            path.write_text(svg, encoding="utf-8")
            written.append(path)
    return written
