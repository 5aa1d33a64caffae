"""Start the real dashboard headless over a workspace and report when its frames showed what.

Run by bench/run.py, one fresh process per sample, as

    python bench/app_probe.py LAUNCHED_AT WORKSPACE ROWS [TIMEOUT_S]

LAUNCHED_AT is `time.time()` taken by the parent just before it started this process, so every
time reported here includes interpreter start-up and imports, as a user launching the
dashboard would wait for them. ROWS is how many changes the workspace holds. Prints one JSON
object on its last stdout line, times in seconds since LAUNCHED_AT:

    main_s          this script's first line ran (interpreter start-up)
    import_s        how long importing `tui.entry` and `tui.app` took (a duration, not a time
                    since launch)
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
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
_import_started = time.perf_counter()
# What the `quarterdeck` console script imports at its top, and so what the changes
# listing's worker processes import again when multiprocessing runs this script as their
# `__mp_main__`; the rest only when run as the main script, as the console script does.
import tui.entry  # noqa: E402

if __name__ == "__main__":
    from tui.gc_pause import imports_frozen

    with imports_frozen():  # as the console script's launcher imports the dashboard
        import tui.app  # noqa: F401

    import_s = time.perf_counter() - _import_started
    from bench.probe_app import main

    arguments = sys.argv[1:]
    timeout = float(arguments[3]) if len(arguments) > 3 else 300.0
    launched_at, workspace, rows = float(arguments[0]), Path(arguments[1]), int(arguments[2])
    print(json.dumps(main(workspace, launched_at, MAIN_AT, import_s, rows, timeout)))
