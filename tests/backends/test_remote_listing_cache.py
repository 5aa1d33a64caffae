"""A remote dashboard's start: the rows the server gave last time, then the server's answer.

Against a real `quarterdeck serve` (the session's server from conftest.py), each test with
its own project and its own cache folder.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import core.backends.remote as remote
import core.store.listing_cache as listing_cache
from core.backends.remote import RemoteBackend
from core.models.changes import ChangeSummary, LifecycleFilter
from core.models.errors import BackendUnavailable
from core.store.listing_cache import ListingCache
from tests.server.live_server import ORG, LiveServer, project_token
from tests.server.workspaces import add_change, place

ACTIVE = LifecycleFilter.ACTIVE
_repos = itertools.count(1)
Connect = Callable[[], RemoteBackend]


@pytest.fixture
def project(server: LiveServer, template: Path) -> tuple[str, Path]:
    repo = f"cached-{next(_repos)}"
    return repo, place(template, server.project_root(ORG, repo))


@pytest.fixture
def connect(server: LiveServer, project: tuple[str, Path], tmp_path: Path) -> Iterator[Connect]:
    """A new dashboard process's backend, each time over the same cache folder."""
    repo = project[0]
    opened: list[RemoteBackend] = []

    def new_backend() -> RemoteBackend:
        cache = ListingCache(tmp_path / "cache", server.url, f"{ORG}/{repo}")
        backend = RemoteBackend(
            server.url,
            ORG,
            repo,
            token=project_token(ORG, repo),
            timeout_s=15,
            max_retries=0,
            listing_cache=cache,
        )
        opened.append(backend)
        return backend

    yield new_backend
    for backend in opened:
        backend.close()


def test_a_first_start_has_only_the_servers_answer(connect: Connect) -> None:
    listings = list(connect().stream_changes(ACTIVE))

    assert [listing.complete for listing in listings] == [True]


def test_a_later_start_shows_the_last_answer_first_then_the_new_one(
    connect: Connect, project: tuple[str, Path]
) -> None:
    first = list(connect().stream_changes(ACTIVE))[-1].changes
    add_change(project[1], "042-01_made-since")

    cached, answer = list(connect().stream_changes(ACTIVE))

    assert (cached.complete, cached.changes) == (False, first)
    assert answer.complete
    assert "042-01_made-since" in {change.id for change in answer.changes}
    assert len(answer.changes) == len(first) + 1


def test_refreshes_in_one_process_ask_only_the_server(connect: Connect) -> None:
    backend = connect()
    list(backend.stream_changes(ACTIVE))

    assert [listing.complete for listing in backend.stream_changes(ACTIVE)] == [True]


def test_a_big_cached_listing_shows_its_first_rows_first(
    connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(remote, "HEAD_ROWS", 2)
    monkeypatch.setattr(listing_cache, "HEAD_ROWS", 2)
    everything = list(connect().stream_changes(ACTIVE))[-1].changes

    head, cached, answer = list(connect().stream_changes(ACTIVE))

    assert (head.complete, head.changes, head.expected) == (False, everything[:2], len(everything))
    assert (cached.complete, cached.changes) == (False, everything)
    assert answer.complete


def test_a_damaged_cache_file_is_passed_over(connect: Connect) -> None:
    backend = connect()
    list(backend.stream_changes(ACTIVE))
    cache = backend._listing_cache
    assert cache is not None
    cache.path(ACTIVE).write_bytes(b"\x00 damaged")

    assert [listing.complete for listing in connect().stream_changes(ACTIVE)] == [True]


def test_an_unreachable_server_is_reported_after_the_cached_rows(
    connect: Connect, tmp_path: Path
) -> None:
    known = list(connect().stream_changes(ACTIVE))[-1].changes
    dead = "http://127.0.0.1:9"  # the discard port: nothing listens there
    cache = ListingCache(tmp_path / "elsewhere", dead, f"{ORG}/gone")
    cache.save(ACTIVE, known)
    backend = RemoteBackend(
        dead, ORG, "gone", token="t", timeout_s=2, max_retries=0, listing_cache=cache
    )
    try:
        stream = backend.stream_changes(ACTIVE)
        cached = next(stream)
        with pytest.raises(BackendUnavailable, match="GET /projects/acme/gone/changes"):
            next(stream)
    finally:
        backend.close()
    assert (cached.complete, cached.changes) == (False, known)


def test_the_server_is_asked_while_the_cached_rows_are_shown(
    connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    list(connect().stream_changes(ACTIVE))
    backend = connect()
    asked = threading.Event()
    listed = backend.list_changes

    def list_changes(lifecycle: LifecycleFilter) -> list[ChangeSummary]:
        asked.set()
        return listed(lifecycle)

    monkeypatch.setattr(backend, "list_changes", list_changes)
    stream = backend.stream_changes(ACTIVE)

    cached = next(stream)

    assert not cached.complete
    assert asked.wait(5)
    assert next(stream).complete
