"""What the `quarterdeck` console script loads before it knows which command it runs.

Every start pays for it (the dashboard's, and each worker process of a big changes listing,
which imports the script again), so the heavy parts wait until a command needs them.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


def printed_by(code: str) -> list[str]:
    """What `code` prints, split into words, run in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.split()


@pytest.fixture(scope="module")
def loaded() -> set[str]:
    """The modules loaded once the console script's own imports have run."""
    return set(printed_by("import sys, tui.entry; print('\\n'.join(sys.modules))"))


@pytest.mark.parametrize(
    "module",
    ["core.server.settings", "core.server.app", "fastapi", "uvicorn", "textual"],
)
def test_the_console_script_loads_no_server_or_dashboard_module_up_front(
    module: str, loaded: set[str]
) -> None:
    assert module not in loaded


def test_the_console_script_imports_its_modules_frozen_with_the_collector_on() -> None:
    # Walking the ~50,000 objects the imports build took ~45 ms of every start.
    code = (
        "import gc, tui.entry, core.cli; "
        "print(gc.isenabled(), any(o is core.cli.main for o in gc.get_objects()))"
    )
    assert printed_by(code) == ["True", "False"]
