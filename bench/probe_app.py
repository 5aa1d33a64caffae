"""The dashboard as bench/app_probe.py runs it: QuarterdeckApp noting when its frames showed what.

Kept apart from the launcher script so that the script, which worker processes import again
as their `__main__` (multiprocessing does), is as light as the real console script.
"""

from __future__ import annotations

import resource
import time
from pathlib import Path
from typing import Any

from rich.console import RenderableType
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip

import tui.app
from bench.frames import frame_finished
from core.config import load_settings, user_state_dir
from core.service import open_service
from tui.widgets.fast_table import FastTable

SIZE = (200, 60)
REFRESH_OFF_S = 3600.0


def memory_mb() -> dict[str, float]:
    """VmRSS and VmHWM of this process in MB (ru_maxrss when /proc is not there)."""
    found: dict[str, float] = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(value.split()[0]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rss_mb": found.get("VmRSS", peak), "peak_rss_mb": found.get("VmHWM", peak)}


class ProbeApp(tui.app.QuarterdeckApp):
    def __init__(self, rows: int, timeout: float, **options: Any) -> None:
        super().__init__(**options)
        self.expected_rows = rows
        self.timeout = timeout
        self.times: dict[str, float] = {}
        self.memory: dict[str, float] = {}
        # Rows the Changes table held the last time it drew (-1: it has not drawn yet).
        self.drawn_rows = -1
        self.saw_loading = False
        self.failure: str | None = None
        # Every notification, kept: the app's own expire long before a timeout.
        self.notices: list[str] = []

    def on_mount(self) -> None:
        self.set_timer(self.timeout, self._give_up)

    def notify(self, message: str, **options: Any) -> None:
        self.notices.append(message)
        super().notify(message, **options)

    def table_drew(self, table: FastTable[Any]) -> None:
        screen = self.screen
        if getattr(screen, "table", None) is table:
            self.drawn_rows = table.row_count
        if getattr(screen, "loading_data", False):
            self.saw_loading = True

    def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
        super()._display(screen, renderable)
        if frame_finished(self, renderable):
            self._frame_done(screen, time.time())

    def _frame_done(self, screen: Screen[Any], at: float) -> None:
        times = self.times
        times.setdefault("first_frame", at)
        if getattr(screen, "loading_data", False):
            self.saw_loading = True
        if self.drawn_rows > 0:
            times.setdefault("first_rows", at)
        loaded = self.saw_loading and not getattr(screen, "loading_data", True)
        if "full" in times or not loaded:
            return
        if self.drawn_rows == self.expected_rows:
            times["full"] = at
            self.memory = memory_mb()
            self.exit()
        elif getattr(getattr(screen, "table", None), "row_count", None) != self.expected_rows:
            # The load ended without all the rows (it failed): no frame will ever have them.
            self._stop("the load ended without every row")

    def _give_up(self) -> None:
        self._stop(f"no complete frame within {self.timeout:g} s")

    def _stop(self, why: str) -> None:
        table = getattr(self.screen, "table", None)
        self.failure = (
            f"{why}: screen {type(self.screen).__name__},"
            f" table rows {getattr(table, 'row_count', None)}, drawn {self.drawn_rows},"
            f" loading {getattr(self.screen, 'loading_data', None)}; notifications:"
            f" {self.notices}"
        )
        self.exit()


def watch_table_draws() -> None:
    """Make every FastTable tell the app the row count it just drew with."""
    draw = FastTable.render_lines

    def render_lines(table: FastTable[Any], crop: Region) -> list[Strip]:
        lines = draw(table, crop)
        app = table.app
        if isinstance(app, ProbeApp):
            app.table_drew(table)
        return lines

    FastTable.render_lines = render_lines  # type: ignore[method-assign,assignment]


def main(
    workspace: Path, launched_at: float, main_at: float, import_s: float, rows: int, timeout: float
) -> dict[str, Any]:
    watch_table_draws()
    tui.app.prepare_process()  # as run_app does
    settings = load_settings(workspace)
    app = ProbeApp(
        rows,
        timeout,
        service=open_service(settings),
        refresh_interval=REFRESH_OFF_S,
        state_path=user_state_dir() / "state.json",
        session_review=False,
    )
    app.run(headless=True, size=SIZE)
    result: dict[str, Any] = {
        "main_s": main_at - launched_at,
        "import_s": import_s,
        **{f"{name}_s": at - launched_at for name, at in app.times.items()},
        **app.memory,
    }
    if app.failure is not None:
        result["error"] = app.failure
    return result
