"""The `quarterdeck` console script: the CLI twin, with the dashboard plugged in."""

from __future__ import annotations

import sys
from pathlib import Path

from tui.gc_pause import imports_frozen

with imports_frozen():
    from core.cli import main as cli_main
    from core.config import Settings


class TuiLauncher:
    """Opens the dashboard; Textual is imported only when a screen is actually shown."""

    def run(self, settings: Settings) -> int:
        with imports_frozen():
            from tui.app import run_app

        return run_app(settings)

    def screenshots(self, output: Path) -> list[Path]:
        from tui.screenshots import write_screenshots

        return write_screenshots(output)


def main() -> None:
    sys.exit(cli_main(sys.argv[1:], ui=TuiLauncher()))
