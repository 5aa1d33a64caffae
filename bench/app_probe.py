"""Start the real dashboard headless over a workspace and report when its frames showed what.

Run by bench/run.py, one fresh process per sample, as

    python bench/app_probe.py LAUNCHED_AT WORKSPACE ROWS [TIMEOUT_S]

LAUNCHED_AT is `time.time()` taken by the parent just before it started this process, so every
time reported here includes interpreter start-up and imports, as a user launching the
dashboard would wait for them. ROWS is how many changes the workspace holds. Prints one JSON
object on its last stdout line, times in seconds since LAUNCHED_AT:

    main_s          this script's first line ran (interpreter start-up)
    import_s        how long `import tui.app` took (a duration, not a time since launch)
    first_frame_s   the end of the first frame of any screen
    first_rows_s    the end of the first frame in which the Changes table drew with rows
    full_s          the end of the first frame in which the table drew with all ROWS rows and
                    the screen's load had finished (`loading_data` went True, then False)
    rss_mb          VmRSS at `full_s`; peak_rss_mb is VmHWM (the peak) at the same moment

The app is built as `quarterdeck` builds it (tui.app.run_app, after `prepare_process`)
except that the session-start backlog review is off and the remembered screen and theme live
in XDG_STATE_HOME, which the parent points at an empty folder, so the dashboard opens on the
Changes screen; and the auto-refresh is off (every REFRESH_OFF_S): at 100,000 changes one
load can outlast the 5 s default, and a refresh during a load queues one more load after it,
which would be timed too.

How a frame is timed, as in bench_table.py: at the end of `App._display`, once the composed
update has been turned into terminal bytes (bench/frames.py). Which rows a frame
shows is known from `FastTable.render_lines`, patched to note the row count it drew with.
"""

from __future__ import annotations

import time

MAIN_AT = time.time()

import json  # noqa: E402 - the clock above must start before anything is imported
import resource  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

_import_started = time.perf_counter()
import tui.app  # noqa: E402

IMPORT_S = time.perf_counter() - _import_started

from rich.console import RenderableType  # noqa: E402
from textual.geometry import Region  # noqa: E402
from textual.screen import Screen  # noqa: E402
from textual.strip import Strip  # noqa: E402

from bench.frames import frame_finished  # noqa: E402
from core.config import load_settings, user_state_dir  # noqa: E402
from core.service import open_service  # noqa: E402
from tui.widgets.fast_table import FastTable  # noqa: E402

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


def main(workspace: Path, launched_at: float, rows: int, timeout: float) -> dict[str, Any]:
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
        "main_s": MAIN_AT - launched_at,
        "import_s": IMPORT_S,
        **{f"{name}_s": at - launched_at for name, at in app.times.items()},
        **app.memory,
    }
    if app.failure is not None:
        result["error"] = app.failure
    return result


if __name__ == "__main__":
    arguments = sys.argv[1:]
    timeout = float(arguments[3]) if len(arguments) > 3 else 300.0
    launched_at, workspace, rows = float(arguments[0]), Path(arguments[1]), int(arguments[2])
    print(json.dumps(main(workspace, launched_at, rows, timeout)))
