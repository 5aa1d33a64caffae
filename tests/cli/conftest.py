"""Running `quarterdeck`: the real console script as a subprocess, or `core.cli.main` in
process where a subprocess would add nothing. Both over a demo workspace built once per
session at the real current time (leases are relative to when it is built)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from core.cli import main
from core.demo import build_demo

QUARTERDECK = Path(sys.executable).with_name("quarterdeck")


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def _environment() -> dict[str, str]:
    """The caller's environment without settings that would override the workspace's."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("QUARTERDECK_", "ITO_"))
    }


Runner = Callable[..., Result]


@pytest.fixture
def qd() -> Runner:
    """The installed console script, with stdin that is not a terminal."""

    def run(*args: str | Path, timeout: float = 60) -> Result:
        done = subprocess.run(
            [str(QUARTERDECK), *map(str, args)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=_environment(),
            timeout=timeout,
            check=False,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Runner:
    """`core.cli.main` in this process, with its stdout and stderr captured."""
    for name in list(os.environ):
        if name.startswith(("QUARTERDECK_", "ITO_")):
            monkeypatch.delenv(name)

    def run(*args: str | Path) -> Result:
        out, err = StringIO(), StringIO()
        try:
            code = main([str(arg) for arg in args], out=out, err=err)
        except SystemExit as exit_:  # argparse's usage errors
            code = int(exit_.code or 0)
        return Result(code, out.getvalue(), err.getvalue())

    return run


@pytest.fixture(scope="session")
def shared_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo for commands that only read: never change it."""
    return build_demo(tmp_path_factory.mktemp("cli-demo") / "ws")


@pytest.fixture
def demo(shared_demo: Path, tmp_path: Path) -> Path:
    """A private copy of the demo, for commands that write."""
    return Path(shutil.copytree(shared_demo, tmp_path / "ws"))


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.name.startswith("state.db")
    }


@pytest.fixture
def tree() -> Callable[[Path], dict[str, bytes]]:
    """Every file under a folder with its content (the SQLite files aside): to show that a
    refused command changed nothing."""
    return _tree
