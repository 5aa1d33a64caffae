"""One local backend per project, under ito's data-dir layout:
`<data_dir>/projects/<org>/<repo>/` is a normal workspace (`.ito/`, `.quarterdeck/`, ...).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from core.backends.local import LocalBackend, LocalPaths
from core.config import load_settings
from core.models.errors import InvalidInput
from core.server.shared_call import SharedCall
from core.timeutil import Clock, system_clock

T = TypeVar("T")

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def check_name(value: str, what: str) -> str:
    """Org and repo names become folder names: nothing that could climb out of the data dir."""
    if not _NAME.match(value) or value in (".", ".."):
        raise InvalidInput(f"invalid {what} '{value}': use letters, digits, '.', '_' or '-'")
    return value


class ProjectRegistry:
    def __init__(self, data_dir: Path, clock: Clock = system_clock) -> None:
        self.data_dir = data_dir
        self._clock = clock
        self._backends: dict[tuple[str, str], LocalBackend] = {}
        self._shared: dict[tuple[str, ...], SharedCall[Any]] = {}
        self._lock = threading.Lock()

    def root(self, org: str, repo: str) -> Path:
        return self.data_dir / "projects" / check_name(org, "org") / check_name(repo, "repo")

    def backend(self, org: str, repo: str) -> LocalBackend:
        key = (org, repo)
        with self._lock:
            backend = self._backends.get(key)
            if backend is None:
                backend = self._open(self.root(org, repo))
                self._backends[key] = backend
            return backend

    def shared(self, key: tuple[str, ...], run: Callable[[], T]) -> SharedCall[T]:
        """The call that concurrent requests for `key` share, made from the first one's
        `run` (the later ones' `run` would do the same work)."""
        with self._lock:
            call = self._shared.get(key)
            if call is None:
                call = self._shared[key] = SharedCall(run)
            return call

    def _open(self, root: Path) -> LocalBackend:
        (root / ".ito").mkdir(parents=True, exist_ok=True)
        # A project may carry its own quarterdeck.toml (release command, backup roots...).
        return LocalBackend(LocalPaths.from_settings(load_settings(root)), self._clock)

    def close(self) -> None:
        with self._lock:
            for backend in self._backends.values():
                backend.close()
            self._backends.clear()
            self._shared.clear()  # their runs call the backends just closed
