"""A real `quarterdeck serve` process on a free loopback port, for tests that speak HTTP.

Started as the console script a user runs, with the port read from the line it prints on
stderr ("listening at http://HOST:PORT/"), and ready once `/api/v1/health` answers.
Its stderr goes to a file, not a pipe, so a chatty server can never block on a full pipe.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import httpx

QUARTERDECK = Path(sys.executable).with_name("quarterdeck")
ORG = "acme"
ADMIN_TOKEN = "admin-token-for-tests"
TOKEN_SEED = "token-seed-for-tests"
STANDARD_FLAGS = (
    "--allow-org",
    ORG,
    "--admin-token",
    ADMIN_TOKEN,
    "--token-seed",
    TOKEN_SEED,
)
START_TIMEOUT_S = 20.0
_LISTENING = re.compile(rb"listening at http://([^/\s]+):(\d+)/")


def project_token(org: str, repo: str, seed: str = TOKEN_SEED) -> str:
    """ito's per-project token, computed here independently of the server's code."""
    return hmac.new(seed.encode(), f"{org}/{repo}".encode(), hashlib.sha256).hexdigest()


def clean_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without settings that would change what the server does."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("QUARTERDECK_", "ITO_"))
    }
    env.update(extra or {})
    return env


class LiveServer:
    """One server process over `data_dir`; `start()` again after `kill()` reuses the port."""

    def __init__(
        self,
        data_dir: Path,
        *,
        flags: Sequence[str] = STANDARD_FLAGS,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.flags = list(flags)
        self.env = clean_environment(env)
        self.port = 0
        self.log_path = data_dir.parent / f"{data_dir.name}-server.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> str:
        return f"{self.url}/api/v1"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def project_root(self, org: str, repo: str) -> Path:
        return self.data_dir / "projects" / org / repo

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def start(self) -> LiveServer:
        """Start on `self.port` (0: a free one) and wait until it answers."""
        log = self.log_path.open("ab")
        offset = log.tell()
        try:
            self._process = subprocess.Popen(
                [
                    str(QUARTERDECK),
                    "serve",
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--data-dir",
                    str(self.data_dir),
                    *self.flags,
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
                env=self.env,
            )
        finally:
            log.close()
        self.port = self._wait_for_port(offset)
        self._wait_until_healthy()
        return self

    def _wait_for_port(self, offset: int) -> int:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            with self.log_path.open("rb") as handle:
                handle.seek(offset)
                found = _LISTENING.search(handle.read())
            if found:
                return int(found.group(2))
            if not self.running:
                raise RuntimeError(f"quarterdeck serve exited before listening:\n{self.log()}")
            time.sleep(0.02)
        raise RuntimeError(f"quarterdeck serve did not listen within {START_TIMEOUT_S}s")

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.api}/health", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"quarterdeck serve on port {self.port} never answered /health")

    def kill(self) -> None:
        """SIGKILL: the server gets no chance to finish anything it was doing."""
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        self._end(signal.SIGTERM)

    def _end(self, how: signal.Signals) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(how)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
