from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.models.releases import ReleaseRequest
from core.releases.graph import ReleaseGraph
from core.releases.releaser import ReleaseFailed
from core.store.db import StateStore
from core.store.ledger import ReleaseLedger
from core.timeutil import Clock, fixed_clock

EXAMPLES = Path(__file__).parent
NOW = datetime(2026, 2, 24, 12, 0, 0, tzinfo=UTC)


class RecordingReleaser:
    """Succeeds with `run-<repo>` unless the repo is in `fail`; remembers what it released."""

    def __init__(self, fail: set[str] | None = None) -> None:
        self.fail = fail or set()
        self.released: list[str] = []

    def release(self, repo_id: str, version_label: str, spec_digest: str, promoted_by: str) -> str:
        self.released.append(repo_id)
        if repo_id in self.fail:
            raise ReleaseFailed("intentional failure")
        return f"run-{repo_id}"


@pytest.fixture
def clock() -> Clock:
    return fixed_clock(NOW)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    state = StateStore(tmp_path / ".quarterdeck" / "state.db")
    yield state
    state.close()


@pytest.fixture
def ledger(store: StateStore) -> ReleaseLedger:
    return ReleaseLedger(store)


@pytest.fixture
def graph_abc() -> ReleaseGraph:
    """aivcs's test graph: C depends on B, B depends on A."""
    graph = ReleaseGraph()
    for repo in ("A", "B", "C"):
        graph.add_repo(repo)
    graph.add_dependency("B", "A")
    graph.add_dependency("C", "B")
    return graph


@pytest.fixture
def release() -> Callable[[str], ReleaseRequest]:
    """aivcs's test release descriptor: (repo, v1-<repo>, digest-<repo>, bot)."""

    def make(repo: str) -> ReleaseRequest:
        return ReleaseRequest(
            repo_id=repo,
            version_label=f"v1-{repo}",
            spec_digest=f"digest-{repo}",
            promoted_by="bot",
        )

    return make


@pytest.fixture
def releaser_factory() -> Callable[..., RecordingReleaser]:
    return RecordingReleaser
