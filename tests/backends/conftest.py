"""Both backends over the same kind of workspace, so one suite specifies them both.

`local`: a LocalBackend on a copy of the template workspace, configured as the server
configures each project. `remote`: a RemoteBackend talking to a real `quarterdeck serve`
whose data dir holds another copy of the template as project `acme/<fresh repo>`.

Copying the workspace is the slow part, so tests that only read (or are refused before
anything is written) share one copy per backend and module (`reading`); tests that change
the workspace get their own (`subject`).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.backends.base import Backend
from core.backends.local import LocalBackend, LocalPaths
from core.backends.remote import RemoteBackend
from core.config import load_settings
from tests.server.live_server import ORG, LiveServer, project_token
from tests.server.workspaces import build_template, place

KINDS = ["local", "remote"]
_repos = itertools.count(1)


@dataclass(frozen=True)
class Subject:
    """A backend under test and the workspace folder it serves (arrange files there)."""

    kind: str
    backend: Backend
    root: Path


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("template") / "ws")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("backends") / "data") as live:
        yield live


@contextmanager
def serving(
    kind: str, template: Path, folder: Path, request: pytest.FixtureRequest
) -> Iterator[Subject]:
    backend: LocalBackend | RemoteBackend
    if kind == "local":
        root = place(template, folder / "ws")
        with pytest.MonkeyPatch.context() as patch:
            for name in list(os.environ):
                if name.startswith(("QUARTERDECK_", "ITO_")):
                    patch.delenv(name)
            backend = LocalBackend(LocalPaths.from_settings(load_settings(root)))
    else:
        server: LiveServer = request.getfixturevalue("server")
        repo = f"repo-{next(_repos)}"
        root = place(template, server.project_root(ORG, repo))
        backend = RemoteBackend(
            server.url, ORG, repo, token=project_token(ORG, repo), timeout_s=15, max_retries=0
        )
    try:
        yield Subject(kind, backend, root)
    finally:
        backend.close()


@pytest.fixture(params=KINDS)
def subject(request: pytest.FixtureRequest, template: Path, tmp_path: Path) -> Iterator[Subject]:
    """A backend over a private workspace: the test may change anything."""
    with serving(request.param, template, tmp_path, request) as private:
        yield private


@pytest.fixture(scope="module", params=KINDS)
def reading(
    request: pytest.FixtureRequest,
    template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Subject]:
    """A backend over a workspace shared by the module's tests: only read through it."""
    with serving(request.param, template, tmp_path_factory.mktemp("shared"), request) as shared:
        yield shared
