"""The remote client against a server that has none of Quarterdeck's routes (as ito's own
server: a plain 404 without Quarterdeck's error `kind`). A real HTTP server answers here:
`python -m http.server` over an empty folder, which 404s every API path."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.backends.remote import RemoteBackend
from core.models.errors import NoLeaseSupport, NotSupported

_SERVING = re.compile(r"port (\d+)")


@pytest.fixture(scope="module")
def plain_http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("plain-http")
    log = folder.parent / "plain-http.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1"],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield f"http://127.0.0.1:{_port_from(log)}"
    finally:
        process.kill()
        process.wait()


def _port_from(log: Path) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = _SERVING.search(log.read_text())
        if found:
            return int(found.group(1))
        time.sleep(0.02)
    raise RuntimeError(f"python -m http.server did not start: {log.read_text()}")


@pytest.fixture
def client(plain_http: str) -> Iterator[RemoteBackend]:
    backend = RemoteBackend(plain_http, "acme", "demo", token="t", timeout_s=5, max_retries=0)
    yield backend
    backend.close()


def test_listing_leases_on_a_server_without_lease_routes_says_it_has_no_lease_support(
    client: RemoteBackend, plain_http: str
) -> None:
    with pytest.raises(NoLeaseSupport) as error:
        client.list_leases()
    assert str(error.value) == (
        f"the backend at {plain_http} has no lease support (it answered 404 on the lease routes)"
    )


def test_a_quarterdeck_only_route_on_another_server_is_not_supported(
    client: RemoteBackend, plain_http: str
) -> None:
    with pytest.raises(NotSupported, match="it is not a Quarterdeck server"):
        client.list_backups()
