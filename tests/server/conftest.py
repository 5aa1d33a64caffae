"""One real server per test session (per xdist worker) over a data dir of demo projects.

Each test gets its own project `acme/<fresh repo>` holding a private copy of the template
workspace, so tests never see each other's leases or files. Tests that need other flags,
another environment or a server they may kill start their own `LiveServer`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.server.live_server import ADMIN_TOKEN, ORG, LiveServer
from tests.server.workspaces import build_template, place

_repos = itertools.count(1)


@dataclass(frozen=True)
class Project:
    """A project on the server: its folder in the data dir and a client for its routes."""

    org: str
    repo: str
    root: Path
    http: httpx.Client  # base URL: /api/v1/projects/<org>/<repo>, with the admin token

    @property
    def prefix(self) -> str:
        return f"/api/v1/projects/{self.org}/{self.repo}"


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("template") / "ws")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("server") / "data") as live:
        yield live


def open_project(server: LiveServer, template: Path | None) -> Project:
    """A fresh project on `server`: a copy of `template`, or an empty folder."""
    repo = f"repo-{next(_repos)}"
    root = server.project_root(ORG, repo)
    if template is None:
        root.mkdir(parents=True)
    else:
        place(template, root)
    http = httpx.Client(
        base_url=f"{server.api}/projects/{ORG}/{repo}",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=30,
    )
    return Project(ORG, repo, root, http)


@pytest.fixture
def project(server: LiveServer, template: Path) -> Iterator[Project]:
    opened = open_project(server, template)
    yield opened
    opened.http.close()


@pytest.fixture
def anonymous(server: LiveServer) -> Iterator[httpx.Client]:
    """A client with no token, rooted at the API."""
    with httpx.Client(base_url=server.api, timeout=30) as client:
        yield client
