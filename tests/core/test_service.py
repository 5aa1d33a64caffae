"""The service façade over a LocalBackend: read-only mode, leases, sync, archive, releases."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from core.backends.base import Backend
from core.backends.local import LocalBackend, LocalPaths
from core.demo import DEMO_HOLDER, build_demo
from core.ito.workspace import ItoWorkspace
from core.models.backlog import Decision
from core.models.backups import ReceiptOutcome
from core.models.errors import (
    BackendUnavailable,
    LeaseConflict,
    LeaseNotHeld,
    NotSupported,
    ReadOnly,
    RevisionConflict,
)
from core.models.releases import ReleaseRequest, RunStatus
from core.models.sync import ArchiveResult, ArchiveStep, ArchiveStepReport
from core.releases.releaser import ReleaseFailed
from core.service import Service

NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
ME = "me@laptop"
OTHER = "agent-7@ci"
CHANGE = "001-01_alpha"
DELTA = "## ADDED Requirements\n\n### Requirement: Leases expire\n\nThe system SHALL expire.\n"


@dataclass
class MovableClock:
    """A pinned clock the test moves on by hand."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def add_change(root: Path, change_id: str = CHANGE, proposal: str = "# Change: Alpha\n") -> Path:
    path = root / ".ito" / "changes" / change_id
    (path / "specs" / "lease-rules").mkdir(parents=True)
    (path / ".ito.yaml").write_text("schema: spec-driven\ncreated: 2026-11-01\n")
    (path / "proposal.md").write_text(proposal)
    (path / "specs" / "lease-rules" / "spec.md").write_text(DELTA)
    (path / "tasks.md").write_text("- [ ] 1.1 Build it\n- [x] 1.2 Plan it\n")
    return path


_opened: list[LocalBackend] = []


def open_backend(root: Path, clock: Callable[[], datetime], **kwargs: Any) -> LocalBackend:
    """A LocalBackend over `root`, closed when the test ends."""
    backend = LocalBackend(LocalPaths.for_root(root), clock, **kwargs)
    _opened.append(backend)
    return backend


@pytest.fixture(autouse=True)
def close_backends() -> Iterator[None]:
    yield
    while _opened:
        _opened.pop().close()


def make_service(
    working_root: Path,
    store_root: Path | None = None,
    *,
    holder: str = ME,
    clock: Callable[[], datetime] | None = None,
    backend: Backend | None = None,
) -> Service:
    """A service whose working copy is `working_root/.ito`, over a LocalBackend of
    `store_root` (the same workspace when not given)."""
    clock = clock or MovableClock()
    (working_root / ".ito" / "changes").mkdir(parents=True, exist_ok=True)
    if backend is None:
        backend = open_backend(store_root or working_root, clock)
    return Service(
        backend,
        ItoWorkspace(working_root / ".ito", clock),
        holder=holder,
        lease_ttl_seconds=600,
        sync_backup_root=working_root / ".quarterdeck" / "sync-backups",
        clock=clock,
    )


def change_dir(root: Path, change_id: str = CHANGE) -> Path:
    return root / ".ito" / "changes" / change_id


def archived_dir(root: Path, change_id: str = CHANGE) -> Path:
    return root / ".ito" / "changes" / "archive" / f"2026-11-22-{change_id}"


# --- read-only mode ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo(tmp_path_factory.mktemp("demo") / "ws", now=NOW)


@pytest.fixture
def demo_copy(demo_template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(demo_template, tmp_path / "ws"))


@pytest.fixture
def read_only_service(demo_copy: Path) -> Iterator[Service]:
    clock = MovableClock()
    backend = LocalBackend(LocalPaths.for_root(demo_copy, release_command=None), clock)
    yield Service(
        backend,
        ItoWorkspace(demo_copy / ".ito", clock),
        holder=DEMO_HOLDER,
        read_only=True,
        sync_backup_root=demo_copy / ".quarterdeck" / "sync-backups",
        clock=clock,
    )
    backend.close()


def _pending_plan(service: Service) -> str:
    return next(
        plan.plan_id
        for plan in service.list_release_plans()
        if plan.originating_run_id == "demo-weekly-train-47"
    )


def _past_run(service: Service) -> str:
    return service.list_release_runs()[0].run_id


HELD = "001-04_streaming-change-index"  # the demo holder's lease
MUTATIONS: dict[str, Callable[[Service], object]] = {
    "claim": lambda s: s.claim("001-05_workspace-discovery"),
    "heartbeat": lambda s: s.heartbeat(HELD),
    "renew": lambda s: s.renew(HELD),
    "release": lambda s: s.release(HELD),
    "allocate": lambda s: s.allocate(),
    "sync_pull": lambda s: s.sync_pull(HELD),
    "sync_push": lambda s: s.sync_push(HELD),
    "archive": lambda s: s.archive(HELD),
    "accept_preflight": lambda s: s.accept_preflight("nightly-2026-11-22", "pf-1"),
    "start_next_operation": lambda s: s.start_next_operation("weekly-2026-11-17"),
    "record_operation": lambda s: s.record_operation(
        "weekly-2026-11-17", 7, ReceiptOutcome.COMPLETED
    ),
    "retry_operation": lambda s: s.retry_operation("weekly-2026-11-17", 7),
    "break_journal_lock": lambda s: s.break_journal_lock("weekly-2026-11-17"),
    "decide_backlog": lambda s: s.decide_backlog(
        "critique-review", "lease-heartbeats#1", Decision.ACCEPT
    ),
    "build_release_plan": lambda s: s.build_release_plan(
        [ReleaseRequest(repo_id="acme/proto", version_label="9.9.9")]
    ),
    "start_release_run": lambda s: s.start_release_run(_pending_plan(s), "manual"),
    "run_release_plan": lambda s: s.run_release_plan(_pending_plan(s)),
    "advance_release_run": lambda s: s.advance_release_run(_past_run(s)),
    "mark_release_item": lambda s: s.mark_release_item(_past_run(s), "acme/proto", True),
    "cancel_release_run": lambda s: s.cancel_release_run(_past_run(s)),
}


def _snapshot(service: Service, root: Path) -> dict[str, Any]:
    """Every file (the SQLite files aside) and what the store holds."""
    files = {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.name.startswith("state.db")
    }
    return {
        "files": files,
        "leases": service.list_leases(include_expired=True),
        "plans": service.list_release_plans(),
        "runs": service.list_release_runs(),
    }


@pytest.mark.parametrize("method", sorted(MUTATIONS))
def test_read_only_mode_refuses_every_mutation_and_changes_nothing(
    read_only_service: Service, demo_copy: Path, method: str
) -> None:
    before = _snapshot(read_only_service, demo_copy)
    with pytest.raises(ReadOnly, match="read-only mode"):
        MUTATIONS[method](read_only_service)
    assert _snapshot(read_only_service, demo_copy) == before


def test_read_only_mode_still_reads(read_only_service: Service) -> None:
    assert [lease.change_id for lease in read_only_service.list_leases()][:1] == [
        "003-02_command-palette"
    ]


# --- leases ------------------------------------------------------------------------------


def test_renew_extends_an_unexpired_lease_like_a_heartbeat(tmp_path: Path) -> None:
    add_change(tmp_path)
    clock = MovableClock()
    service = make_service(tmp_path, clock=clock)
    service.claim(CHANGE)
    clock.advance(300)
    assert service.renew(CHANGE).expires_at == NOW + timedelta(seconds=300 + 600)


def test_renew_of_your_own_expired_lease_claims_it_again(tmp_path: Path) -> None:
    add_change(tmp_path)
    clock = MovableClock()
    service = make_service(tmp_path, clock=clock)
    service.claim(CHANGE, ttl_seconds=60)
    clock.advance(120)
    lease = service.renew(CHANGE)
    assert (lease.holder, lease.expires_at) == (ME, NOW + timedelta(seconds=120 + 600))
    assert [le.holder for le in service.list_leases()] == [ME]


def test_renew_of_a_lease_someone_else_took_after_yours_expired_is_refused(
    tmp_path: Path,
) -> None:
    add_change(tmp_path)
    clock = MovableClock()
    mine = make_service(tmp_path, clock=clock)
    theirs = make_service(tmp_path, holder=OTHER, clock=clock)
    mine.claim(CHANGE, ttl_seconds=60)
    clock.advance(120)
    theirs.claim(CHANGE)
    with pytest.raises(LeaseNotHeld):
        mine.renew(CHANGE)


def test_claim_uses_the_services_holder_and_ttl(tmp_path: Path) -> None:
    add_change(tmp_path)
    lease = make_service(tmp_path).claim(CHANGE)
    assert (lease.holder, lease.expires_at) == (ME, NOW + timedelta(seconds=600))


def test_releasing_someone_elses_lease_is_refused(tmp_path: Path) -> None:
    add_change(tmp_path)
    make_service(tmp_path, holder=OTHER).claim(CHANGE)
    mine = make_service(tmp_path)
    with pytest.raises(LeaseNotHeld, match=OTHER):
        mine.release(CHANGE)
    assert [lease.holder for lease in mine.list_leases()] == [OTHER]


def test_releasing_someone_elses_lease_with_force_drops_it(tmp_path: Path) -> None:
    add_change(tmp_path)
    make_service(tmp_path, holder=OTHER).claim(CHANGE)
    mine = make_service(tmp_path)
    mine.release(CHANGE, force=True)
    assert mine.list_leases() == []


# --- sync --------------------------------------------------------------------------------


@pytest.mark.parametrize("direction", ["pull", "push"])
def test_sync_in_a_workspace_that_is_its_own_store_is_not_supported(
    tmp_path: Path, direction: str
) -> None:
    add_change(tmp_path)
    service = make_service(tmp_path)
    sync = service.sync_pull if direction == "pull" else service.sync_push
    with pytest.raises(NotSupported, match="its own store"):
        sync(CHANGE)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """Workspace B: the store, holding the change."""
    root = tmp_path / "store"
    add_change(root, proposal="# Change: Alpha (store)\n")
    return root


def test_pull_writes_the_stores_artifacts_into_the_working_copy(
    tmp_path: Path, store: Path
) -> None:
    working = tmp_path / "a"
    make_service(working, store).sync_pull(CHANGE)
    assert (change_dir(working) / "proposal.md").read_text() == "# Change: Alpha (store)\n"
    assert (change_dir(working) / "specs" / "lease-rules" / "spec.md").read_text() == DELTA


def test_pull_stores_the_backend_revision_in_the_working_copy(tmp_path: Path, store: Path) -> None:
    working = tmp_path / "a"
    outcome = make_service(working, store).sync_pull(CHANGE)
    assert outcome.revision != ""
    assert (change_dir(working) / ".backend-revision").read_text() == outcome.revision


def test_pull_backs_up_the_previous_local_files_in_a_timestamped_folder(
    tmp_path: Path, store: Path
) -> None:
    working = tmp_path / "a"
    add_change(working, proposal="# Change: Alpha (my local edit)\n")
    outcome = make_service(working, store).sync_pull(CHANGE)
    backup = working / ".quarterdeck" / "sync-backups" / CHANGE / "20261122T100000_000000Z"
    assert outcome.backup_dir == str(backup)
    assert (backup / "proposal.md").read_text() == "# Change: Alpha (my local edit)\n"


def test_push_sends_local_edits_to_the_store(tmp_path: Path, store: Path) -> None:
    working = tmp_path / "a"
    service = make_service(working, store)
    service.sync_pull(CHANGE)
    (change_dir(working) / "proposal.md").write_text("# Change: Alpha, edited\n")
    service.sync_push(CHANGE)
    assert (change_dir(store) / "proposal.md").read_text() == "# Change: Alpha, edited\n"


def test_push_stores_the_new_revision_in_both_copies(tmp_path: Path, store: Path) -> None:
    working = tmp_path / "a"
    service = make_service(working, store)
    pulled = service.sync_pull(CHANGE)
    pushed = service.sync_push(CHANGE)
    assert pushed.revision != pulled.revision
    assert (change_dir(working) / ".backend-revision").read_text() == pushed.revision
    assert (change_dir(store) / ".backend-revision").read_text() == pushed.revision


def _two_copies_after_a_push(tmp_path: Path, store: Path) -> tuple[Service, Service, str]:
    """Copies A and B pulled the same revision; A pushed. Returns (A, B, A's new revision)."""
    first = make_service(tmp_path / "a", store)
    second = make_service(tmp_path / "b", store)
    first.sync_pull(CHANGE)
    second.sync_pull(CHANGE)
    (change_dir(tmp_path / "a") / "proposal.md").write_text("# From A\n")
    pushed = first.sync_push(CHANGE).revision
    (change_dir(tmp_path / "b") / "proposal.md").write_text("# From B\n")
    return first, second, pushed


def test_pushing_from_a_stale_revision_is_a_revision_conflict_naming_both(
    tmp_path: Path, store: Path
) -> None:
    _, second, server_revision = _two_copies_after_a_push(tmp_path, store)
    stale = (change_dir(tmp_path / "b") / ".backend-revision").read_text()
    with pytest.raises(RevisionConflict) as caught:
        second.sync_push(CHANGE)
    assert (caught.value.local_revision, caught.value.server_revision) == (stale, server_revision)


def test_a_refused_stale_push_leaves_the_store_unchanged(tmp_path: Path, store: Path) -> None:
    _, second, server_revision = _two_copies_after_a_push(tmp_path, store)
    with pytest.raises(RevisionConflict):
        second.sync_push(CHANGE)
    assert (change_dir(store) / "proposal.md").read_text() == "# From A\n"
    assert (change_dir(store) / ".backend-revision").read_text() == server_revision


def test_pushing_on_the_servers_revision_overwrites_it_knowingly(
    tmp_path: Path, store: Path
) -> None:
    _, second, server_revision = _two_copies_after_a_push(tmp_path, store)
    outcome = second.sync_push(CHANGE, base_revision=server_revision)
    assert (change_dir(store) / "proposal.md").read_text() == "# From B\n"
    assert (change_dir(store) / ".backend-revision").read_text() == outcome.revision


# --- archive -----------------------------------------------------------------------------


def _steps(service: Service, **kwargs: Any) -> list[tuple[str, str]]:
    seen: list[ArchiveStepReport] = []
    service.archive(CHANGE, on_step=seen.append, **kwargs)
    return [(report.step.value, report.status) for report in seen]


def test_archive_reports_the_four_steps_in_order(tmp_path: Path, store: Path) -> None:
    assert _steps(make_service(tmp_path / "a", store)) == [
        ("pull", "started"),
        ("pull", "done"),
        ("copy-specs", "started"),
        ("copy-specs", "done"),
        ("move", "started"),
        ("move", "done"),
        ("mark-archived", "started"),
        ("mark-archived", "done"),
    ]


def test_archive_outcome_lists_the_finished_steps(tmp_path: Path, store: Path) -> None:
    outcome = make_service(tmp_path / "a", store).archive(CHANGE)
    assert [step.step for step in outcome.steps] == list(ArchiveStep)
    assert outcome.backend == ArchiveResult(change_id=CHANGE, archived_at="2026-11-22T10:00:00Z")


def test_archive_moves_the_change_to_the_dated_archive_in_both_copies(
    tmp_path: Path, store: Path
) -> None:
    working = tmp_path / "a"
    outcome = make_service(working, store).archive(CHANGE)
    assert outcome.archive_name == f"2026-11-22-{CHANGE}"
    assert [archived_dir(working).is_dir(), archived_dir(store).is_dir()] == [True, True]
    assert [change_dir(working).exists(), change_dir(store).exists()] == [False, False]


def test_archive_pulls_the_final_bundle_before_moving(tmp_path: Path, store: Path) -> None:
    working = tmp_path / "a"
    make_service(working, store).archive(CHANGE)
    assert (archived_dir(working) / "proposal.md").read_text() == "# Change: Alpha (store)\n"


def test_archive_copies_the_delta_specs_to_the_main_specs(tmp_path: Path, store: Path) -> None:
    working = tmp_path / "a"
    outcome = make_service(working, store).archive(CHANGE)
    assert outcome.specs_updated == ["lease-rules"]
    assert (working / ".ito" / "specs" / "lease-rules" / "spec.md").read_text() == DELTA


def test_archive_with_skip_specs_skips_the_copy_step(tmp_path: Path, store: Path) -> None:
    working = tmp_path / "a"
    steps = _steps(make_service(working, store), skip_specs=True)
    assert ("copy-specs", "skipped") in steps
    assert ("copy-specs", "done") not in steps
    assert not (working / ".ito" / "specs" / "lease-rules").exists()


def test_archive_in_a_workspace_that_is_its_own_store_skips_the_pull(tmp_path: Path) -> None:
    add_change(tmp_path)
    steps = _steps(make_service(tmp_path))
    assert steps[:2] == [("pull", "started"), ("pull", "skipped")]
    assert archived_dir(tmp_path).is_dir()


class ArchiveUnavailable:
    """Delegates to a real backend, but the backend cannot be reached to mark archived."""

    def __init__(self, inner: LocalBackend) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def mark_archived(self, change_id: str) -> ArchiveResult:
        raise BackendUnavailable("connection refused", request=f"archive {change_id}")


@pytest.fixture
def unreachable_on_archive(tmp_path: Path, store: Path) -> Service:
    inner = open_backend(store, MovableClock())
    return make_service(tmp_path / "a", backend=cast(Backend, ArchiveUnavailable(inner)))


def test_a_failed_mark_archived_is_reported_in_the_outcome(
    unreachable_on_archive: Service,
) -> None:
    outcome = unreachable_on_archive.archive(CHANGE)
    assert outcome.backend is None
    assert outcome.backend_error == (f"backend unavailable (archive {CHANGE}): connection refused")
    assert (outcome.steps[-1].step, outcome.steps[-1].status) == (
        ArchiveStep.MARK_ARCHIVED,
        "failed",
    )


def test_a_failed_mark_archived_leaves_the_local_archive_standing(
    unreachable_on_archive: Service, tmp_path: Path
) -> None:
    unreachable_on_archive.archive(CHANGE)
    assert archived_dir(tmp_path / "a").is_dir()
    assert not change_dir(tmp_path / "a").exists()


def test_archiving_a_change_someone_else_leases_is_a_lease_conflict(tmp_path: Path) -> None:
    add_change(tmp_path)
    make_service(tmp_path, holder=OTHER).claim(CHANGE)
    with pytest.raises(LeaseConflict, match=OTHER):
        make_service(tmp_path).archive(CHANGE)
    assert change_dir(tmp_path).is_dir()


def test_archiving_a_change_someone_else_leases_with_force_archives_it(tmp_path: Path) -> None:
    add_change(tmp_path)
    make_service(tmp_path, holder=OTHER).claim(CHANGE)
    make_service(tmp_path).archive(CHANGE, force=True)
    assert archived_dir(tmp_path).is_dir()


def test_archiving_a_change_you_lease_needs_no_force(tmp_path: Path) -> None:
    add_change(tmp_path)
    service = make_service(tmp_path)
    service.claim(CHANGE)
    service.archive(CHANGE)
    assert service.is_archived(CHANGE)


# --- releases ----------------------------------------------------------------------------


class FailsFor:
    def __init__(self, failing: str) -> None:
        self.failing = failing

    def release(self, repo_id: str, version_label: str, spec_digest: str, promoted_by: str) -> str:
        if repo_id == self.failing:
            raise ReleaseFailed(f"{repo_id}: tests failed")
        return f"rel-{repo_id}"


@pytest.fixture
def chain_service(tmp_path: Path) -> Service:
    """org/a <- org/b <- org/c, and a releaser for which org/a fails."""
    graph = {
        "repos": [{"name": "org/a"}, {"name": "org/b"}, {"name": "org/c"}],
        "dependencies": [
            {"dependent": {"name": "org/b"}, "dependency": {"name": "org/a"}},
            {"dependent": {"name": "org/c"}, "dependency": {"name": "org/b"}},
        ],
    }
    path = tmp_path / ".quarterdeck" / "release-graph.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(graph))
    clock = MovableClock()
    backend = open_backend(tmp_path, clock, releaser=FailsFor("org/a"))
    return make_service(tmp_path, backend=backend, clock=clock)


def _chain_plan(service: Service) -> str:
    requests = [ReleaseRequest(repo_id=f"org/{r}", version_label="1.0.0") for r in "abc"]
    return service.build_release_plan(requests).plan_id


def test_release_plans_are_promoted_by_the_services_holder(chain_service: Service) -> None:
    plan = chain_service.get_release_plan(_chain_plan(chain_service))
    assert {item.promoted_by for item in plan.items} == {ME}


def test_a_failed_first_release_fails_the_run_and_skips_its_dependents(
    chain_service: Service,
) -> None:
    outcome = chain_service.run_release_plan(_chain_plan(chain_service))
    assert (outcome.succeeded, outcome.failed, outcome.skipped) == (
        [],
        [("org/a", "release sequencing failed for repo org/a: org/a: tests failed")],
        ["org/b", "org/c"],
    )
    assert outcome.overall_success is False


def test_a_failed_run_is_recorded_in_the_run_ledger_as_failed(chain_service: Service) -> None:
    plan_id = _chain_plan(chain_service)
    outcome = chain_service.run_release_plan(plan_id)
    runs = chain_service.list_release_runs(plan_id)
    assert [(run.run_id, run.status) for run in runs] == [(outcome.run_id, RunStatus.FAILED)]


def test_running_a_plan_reports_progress_until_the_run_ends(chain_service: Service) -> None:
    seen: list[RunStatus] = []
    chain_service.run_release_plan(
        _chain_plan(chain_service), lambda progress: seen.append(progress.run.status)
    )
    assert seen[0] == RunStatus.RUNNING
    assert seen[-1] == RunStatus.FAILED
