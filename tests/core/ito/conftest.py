"""Builders for `.ito/` trees in tmp_path, filled from real ito files under fixtures/."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.ito import ItoWorkspace
from core.timeutil import fixed_clock

FIXTURES = Path(__file__).parent / "fixtures"
PINNED = datetime(2026, 11, 22, 10, 0, 0, 123456, tzinfo=UTC)
WRITTEN = datetime(2026, 11, 21, 9, 30, 0, tzinfo=UTC)


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text("utf-8")


class Builder:
    """Writes changes, specs and modules into one `.ito/` folder."""

    pinned = PINNED
    fixtures = FIXTURES

    @staticmethod
    def fixture(name: str) -> str:
        return fixture_text(name)

    @staticmethod
    def set_mtime(path: Path, moment: datetime) -> None:
        stamp = moment.timestamp()
        os.utime(path, (stamp, stamp))

    def __init__(self, root: Path) -> None:
        self.ito_dir = root / ".ito"
        (self.ito_dir / "changes").mkdir(parents=True)

    def workspace(self, clock: datetime = PINNED) -> ItoWorkspace:
        return ItoWorkspace(self.ito_dir, clock=fixed_clock(clock))

    def change(
        self,
        change_id: str,
        *,
        proposal: str | None = "# Change: Something\n",
        design: str | None = None,
        tasks: str | bytes | None = None,
        specs: dict[str, str] | None = None,
        folder: str | None = None,
        archived: bool = False,
    ) -> Path:
        """A change folder; `archived` puts it under changes/archive/ as `folder` (or the id)."""
        parent = self.ito_dir / "changes" / ("archive" if archived else "")
        path = parent / (folder or change_id)
        path.mkdir(parents=True)
        (path / ".ito.yaml").write_text(fixture_text("example_change_.ito.yaml"))
        for name, content in (("proposal.md", proposal), ("design.md", design)):
            if content is not None:
                (path / name).write_text(content)
        if isinstance(tasks, bytes):
            (path / "tasks.md").write_bytes(tasks)
        elif tasks is not None:
            (path / "tasks.md").write_text(tasks)
        for cap, text in (specs or {}).items():
            (path / "specs" / cap).mkdir(parents=True)
            (path / "specs" / cap / "spec.md").write_text(text)
        # Files written "before" the pinned clock, as in real use, whatever today's date is.
        for file in [*path.rglob("*"), path]:
            self.set_mtime(file, WRITTEN)
        return path

    def ready_change(self, change_id: str, **kwargs: object) -> Path:
        """A change with a proposal, one delta spec and the enhanced 030-01 tasks (5 pending)."""
        return self.change(
            change_id,
            tasks=fixture_text("example_tasks_enhanced_030-01.md"),
            specs={"backend-auth": fixture_text("spec_delta_024-01_backend-auth.md")},
            **kwargs,  # type: ignore[arg-type]
        )

    def main_spec(self, capability: str, text: str) -> Path:
        path = self.ito_dir / "specs" / capability / "spec.md"
        path.parent.mkdir(parents=True)
        path.write_text(text)
        return path

    def module(self, folder: str, *, module_md: str | None = None, yaml: str | None = None) -> Path:
        path = self.ito_dir / "modules" / folder
        path.mkdir(parents=True)
        if module_md is not None:
            (path / "module.md").write_text(module_md)
        if yaml is not None:
            (path / "module.yaml").write_text(yaml)
        return path


@pytest.fixture
def build(tmp_path: Path) -> Builder:
    return Builder(tmp_path)
