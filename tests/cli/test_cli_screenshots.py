"""`quarterdeck screenshots`: one SVG per screen, the same on every run."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Runner
from tui.screenshots import SCENES


def test_screenshots_writes_one_svg_per_scene_and_names_each(qd: Runner, tmp_path: Path) -> None:
    # Ten headless app runs: minutes on a busy two-core CI box.
    result = qd("screenshots", "--output", tmp_path / "shots", timeout=600)

    assert result.code == 0, result.err
    written = sorted(path.name for path in (tmp_path / "shots").glob("*.svg"))
    assert written == sorted(f"{scene.name}.svg" for scene in SCENES)
    assert all(name in result.out + result.err for name in written)
    backups = (tmp_path / "shots" / "07-backups-restart-required.svg").read_text()
    assert "RESTART" in backups and "REQUIRED" in backups
