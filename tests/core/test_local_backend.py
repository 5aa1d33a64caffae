"""The local backend: one workspace's files plus its SQLite store, behind the Backend API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.backends.local import LocalBackend, LocalPaths
from core.models.backlog import Decision
from core.models.changes import Lifecycle, LifecycleFilter
from core.models.errors import (
    ChangeArchived,
    InvalidInput,
    NotFound,
    NotSupported,
)
from core.models.leases import Lease
from core.timeutil import fixed_clock

NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
OTHER = "agent-7@ci"
ME = "me@laptop"

PENDING_TASKS = "## 1. Work\n\n- [ ] 1.1 Build it\n- [ ] 1.2 Test it\n"
DONE_TASKS = "## 1. Work\n\n- [x] 1.1 Build it\n- [x] 1.2 Test it\n"
DELTA = "## ADDED Requirements\n\n### Requirement: It works\n\nThe system SHALL work.\n"


def add_change(root: Path, change_id: str, *, tasks: str = PENDING_TASKS, folder: str = "") -> Path:
    """A change with a proposal, one delta spec and `tasks`; `folder` places it elsewhere
    under `changes/` (e.g. `archive/2026-01-01-<id>`)."""
    path = root / ".ito" / "changes" / (folder or change_id)
    (path / "specs" / "lease-rules").mkdir(parents=True)
    (path / ".ito.yaml").write_text("schema: spec-driven\ncreated: 2026-11-01\n")
    (path / "proposal.md").write_text(f"# Change: {change_id}\n")
    (path / "specs" / "lease-rules" / "spec.md").write_text(DELTA)
    (path / "tasks.md").write_text(tasks)
    return path


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[LocalBackend]:
    (tmp_path / ".ito" / "changes").mkdir(parents=True)
    local = LocalBackend(LocalPaths.for_root(tmp_path), fixed_clock(NOW))
    yield local
    local.close()


def holders(backend: LocalBackend) -> dict[str, str]:
    return {lease.change_id: lease.holder for lease in backend.list_leases()}


# --- claims ------------------------------------------------------------------------------


def test_claiming_a_change_leases_it_to_the_holder_for_the_ttl(
    backend: LocalBackend, tmp_path: Path
) -> None:
    add_change(tmp_path, "001-01_alpha")
    lease = backend.claim("001-01_alpha", ME, 600)
    assert lease == Lease(
        change_id="001-01_alpha", holder=ME, expires_at=NOW + timedelta(seconds=600)
    )


def test_claiming_an_unknown_change_is_not_found(backend: LocalBackend) -> None:
    with pytest.raises(NotFound, match="001-09_nowhere"):
        backend.claim("001-09_nowhere", ME, 600)


def test_claiming_an_archived_change_is_refused(backend: LocalBackend, tmp_path: Path) -> None:
    add_change(tmp_path, "001-01_alpha", folder="archive/2026-10-01-001-01_alpha")
    with pytest.raises(ChangeArchived):
        backend.claim("001-01_alpha", ME, 600)
    assert backend.list_leases() == []


def test_heartbeating_an_archived_change_is_refused(backend: LocalBackend, tmp_path: Path) -> None:
    add_change(tmp_path, "001-01_alpha", folder="archive/2026-10-01-001-01_alpha")
    with pytest.raises(ChangeArchived):
        backend.heartbeat("001-01_alpha", ME, 600)


UNSAFE_IDS = ["..", "../001-01_alpha", "001-01_alpha/..", "a/b", "/etc", ""]
ID_METHODS: dict[str, Callable[[LocalBackend, str], object]] = {
    "claim": lambda b, i: b.claim(i, ME, 600),
    "heartbeat": lambda b, i: b.heartbeat(i, ME, 600),
    "release": lambda b, i: b.release(i, ME),
    "get_change": lambda b, i: b.get_change(i),
    "get_tasks": lambda b, i: b.get_tasks(i),
    "pull_bundle": lambda b, i: b.pull_bundle(i),
    "mark_archived": lambda b, i: b.mark_archived(i),
}


@pytest.mark.parametrize("method", sorted(ID_METHODS))
@pytest.mark.parametrize("change_id", UNSAFE_IDS)
def test_a_change_id_that_is_not_one_path_component_is_invalid_input(
    backend: LocalBackend, tmp_path: Path, method: str, change_id: str
) -> None:
    add_change(tmp_path, "001-01_alpha")
    with pytest.raises(InvalidInput):
        ID_METHODS[method](backend, change_id)


# --- allocation --------------------------------------------------------------------------


def test_allocate_picks_the_lowest_eligible_id(backend: LocalBackend, tmp_path: Path) -> None:
    for change_id in ("003-01_gamma", "001-02_beta", "002-01_delta"):
        add_change(tmp_path, change_id)
    claim = backend.allocate(ME, 600).claim
    assert claim is not None and claim.change_id == "001-02_beta"


def test_allocate_skips_complete_changes(backend: LocalBackend, tmp_path: Path) -> None:
    add_change(tmp_path, "001-01_alpha", tasks=DONE_TASKS)
    add_change(tmp_path, "001-02_beta")
    claim = backend.allocate(ME, 600).claim
    assert claim is not None and claim.change_id == "001-02_beta"


def test_allocate_skips_changes_someone_holds(backend: LocalBackend, tmp_path: Path) -> None:
    add_change(tmp_path, "001-01_alpha")
    add_change(tmp_path, "001-02_beta")
    backend.claim("001-01_alpha", OTHER, 600)
    claim = backend.allocate(ME, 600).claim
    assert claim is not None and claim.change_id == "001-02_beta"


def test_allocate_skips_archived_changes(backend: LocalBackend, tmp_path: Path) -> None:
    add_change(tmp_path, "001-01_alpha", folder="archive/2026-10-01-001-01_alpha")
    add_change(tmp_path, "001-02_beta")
    claim = backend.allocate(ME, 600).claim
    assert claim is not None and claim.change_id == "001-02_beta"


def test_allocate_leases_the_change_it_picks(backend: LocalBackend, tmp_path: Path) -> None:
    add_change(tmp_path, "001-01_alpha")
    backend.allocate(ME, 600)
    assert holders(backend) == {"001-01_alpha": ME}


def test_allocate_answers_no_work_when_nothing_is_eligible(
    backend: LocalBackend, tmp_path: Path
) -> None:
    add_change(tmp_path, "001-01_alpha", tasks=DONE_TASKS)
    add_change(tmp_path, "001-02_beta")
    backend.claim("001-02_beta", OTHER, 600)
    assert backend.allocate(ME, 600).claim is None


def test_allocate_with_a_used_idempotency_key_returns_the_first_answer(
    backend: LocalBackend, tmp_path: Path
) -> None:
    add_change(tmp_path, "001-01_alpha")
    add_change(tmp_path, "001-02_beta")
    first = backend.allocate(ME, 600, idempotency_key="retry-1")
    again = backend.allocate(ME, 600, idempotency_key="retry-1")
    assert again == first
    assert holders(backend) == {"001-01_alpha": ME}


def test_allocate_with_a_new_idempotency_key_allocates_again(
    backend: LocalBackend, tmp_path: Path
) -> None:
    add_change(tmp_path, "001-01_alpha")
    add_change(tmp_path, "001-02_beta")
    backend.allocate(ME, 600, idempotency_key="first")
    second = backend.allocate(ME, 600, idempotency_key="second").claim
    assert second is not None and second.change_id == "001-02_beta"


def test_allocate_remembers_a_no_work_answer_for_its_key(
    backend: LocalBackend, tmp_path: Path
) -> None:
    backend.allocate(ME, 600, idempotency_key="empty")
    add_change(tmp_path, "001-01_alpha")
    assert backend.allocate(ME, 600, idempotency_key="empty").claim is None


# --- mark archived -----------------------------------------------------------------------


def test_mark_archived_moves_the_stores_copy_to_the_archive(
    backend: LocalBackend, tmp_path: Path
) -> None:
    add_change(tmp_path, "001-01_alpha")
    result = backend.mark_archived("001-01_alpha")
    assert result.archived_at == "2026-11-22T10:00:00Z"
    assert not (tmp_path / ".ito" / "changes" / "001-01_alpha").exists()
    assert (tmp_path / ".ito" / "changes" / "archive" / "2026-11-22-001-01_alpha").is_dir()


def test_mark_archived_copies_the_delta_specs_to_the_main_specs(
    backend: LocalBackend, tmp_path: Path
) -> None:
    add_change(tmp_path, "001-01_alpha")
    backend.mark_archived("001-01_alpha")
    assert (tmp_path / ".ito" / "specs" / "lease-rules" / "spec.md").read_text() == DELTA


def test_mark_archived_drops_the_lease(backend: LocalBackend, tmp_path: Path) -> None:
    add_change(tmp_path, "001-01_alpha")
    backend.claim("001-01_alpha", OTHER, 600)
    backend.mark_archived("001-01_alpha")
    assert backend.list_leases(include_expired=True) == []


def test_mark_archived_twice_leaves_one_archived_change(
    backend: LocalBackend, tmp_path: Path
) -> None:
    add_change(tmp_path, "001-01_alpha")
    backend.mark_archived("001-01_alpha")
    backend.mark_archived("001-01_alpha")
    archived = backend.list_changes(LifecycleFilter.ALL)
    assert [(c.id, c.lifecycle) for c in archived] == [("001-01_alpha", Lifecycle.ARCHIVED)]


def test_mark_archived_of_an_unknown_change_is_not_found(backend: LocalBackend) -> None:
    with pytest.raises(NotFound):
        backend.mark_archived("001-09_nowhere")


# --- backlog, releases, health -----------------------------------------------------------


def test_the_backlog_is_empty_without_an_aristo_workspace(backend: LocalBackend) -> None:
    assert backend.list_backlog() == []


def test_deciding_a_backlog_item_without_an_aristo_workspace_is_not_supported(
    backend: LocalBackend,
) -> None:
    with pytest.raises(NotSupported, match=r"no aristo workspace found \(no aristo.toml"):
        backend.decide_backlog("critique-review", "x#1", Decision.ACCEPT, None, ME)


def test_a_missing_release_graph_file_is_an_empty_graph(backend: LocalBackend) -> None:
    view = backend.release_graph()
    assert (view.graph.repos, view.graph.dependencies, view.order) == ([], [], [])


def test_a_release_plan_without_requests_is_invalid_input(backend: LocalBackend) -> None:
    with pytest.raises(InvalidInput, match="at least one REPO=VERSION"):
        backend.build_release_plan([])


def test_health_is_ok_over_an_ito_workspace(backend: LocalBackend) -> None:
    assert backend.health().ok is True


def test_health_names_the_missing_ito_folder(tmp_path: Path) -> None:
    local = LocalBackend(LocalPaths.for_root(tmp_path / "empty"), fixed_clock(NOW))
    try:
        health = local.health()
    finally:
        local.close()
    assert (health.ok, health.detail) == (False, f"no ito workspace at {tmp_path}/empty/.ito")
