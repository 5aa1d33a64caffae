"""The demo workspace, built once at a fixed time, and apps over copies of it.

Every screen test runs on the same demo data with the same frozen clock, so countdowns,
"3m ago" labels and snapshots are identical on every run and every machine.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.config import load_settings
from core.demo import build_demo
from core.service import Service, open_service
from core.timeutil import fixed_clock
from tui.app import QuarterdeckApp

NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
AppFactory = Callable[..., QuarterdeckApp]


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("template") / "quarterdeck-demo"
    build_demo(root, now=NOW)
    return root


@pytest.fixture
def demo_root(demo_template: Path, tmp_path: Path) -> Path:
    """A private copy, so a test may claim, archive or step without touching others."""
    root = tmp_path / "quarterdeck-demo"
    shutil.copytree(demo_template, root)
    return root


def service_for(root: Path, *, read_only: bool = False) -> Service:
    settings = load_settings(root, read_only=True if read_only else None)
    return open_service(settings, clock=fixed_clock(NOW))


@pytest.fixture
def make_app(demo_root: Path, tmp_path: Path) -> AppFactory:
    """`make_app(read_only=False, session_review=False, root=None, refresh_interval=3600)`
    → a QuarterdeckApp."""

    def factory(
        *,
        read_only: bool = False,
        session_review: bool = False,
        root: Path | None = None,
        # Tests refresh explicitly; a timer firing mid-test would make them flaky.
        refresh_interval: float = 3600,
    ) -> QuarterdeckApp:
        return QuarterdeckApp(
            service_for(root or demo_root, read_only=read_only),
            clock=fixed_clock(NOW),
            state_path=tmp_path / "ui-state.json",
            session_review=session_review,
            refresh_interval=refresh_interval,
        )

    return factory
