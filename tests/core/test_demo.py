"""`quarterdeck demo`: deterministic content that shows every state each screen can show."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.backends.local import LocalBackend, LocalPaths
from core.demo import DEMO_HOLDER, MARKER, build_demo
from core.models.backups import OperationKind, OperationState
from core.models.changes import LifecycleFilter, WorkStatus
from core.models.errors import InvalidInput
from core.models.releases import ItemState, RunStatus
from core.releases.sequencer import Sequencer
from core.timeutil import fixed_clock

NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)


def open_backend(root: Path) -> LocalBackend:
    return LocalBackend(LocalPaths.for_root(root, release_command=None), fixed_clock(NOW))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo(tmp_path_factory.mktemp("demo") / "ws", now=NOW)


@pytest.fixture(scope="module")
def backend(demo: Path) -> Iterator[LocalBackend]:
    local = open_backend(demo)
    yield local
    local.close()


# --- determinism -------------------------------------------------------------------------


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.name.startswith("state.db")
    }


def _store_view(root: Path) -> dict[str, Any]:
    """What the service shows: changes (with their files' times), leases, plans and runs."""
    local = open_backend(root)
    try:
        return {
            "changes": local.list_changes(LifecycleFilter.ALL),
            "leases": local.list_leases(include_expired=True),
            "plans": local.list_release_plans(),
            "runs": local.list_release_runs(),
        }
    finally:
        local.close()


def test_two_builds_at_the_same_time_write_the_same_files(tmp_path: Path) -> None:
    first = build_demo(tmp_path / "one", now=NOW)
    second = build_demo(tmp_path / "two", now=NOW)
    assert _files(first) == _files(second)


def test_two_builds_at_the_same_time_hold_the_same_store_state(tmp_path: Path) -> None:
    first = build_demo(tmp_path / "one", now=NOW)
    second = build_demo(tmp_path / "two", now=NOW)
    assert _store_view(first) == _store_view(second)


# --- changes -----------------------------------------------------------------------------


def test_the_demo_has_at_least_thirty_active_changes(backend: LocalBackend) -> None:
    assert len(backend.list_changes(LifecycleFilter.ACTIVE)) >= 30


def test_the_demo_has_at_least_ten_archived_changes(backend: LocalBackend) -> None:
    assert len(backend.list_changes(LifecycleFilter.ARCHIVED)) >= 10


def test_the_changes_span_at_least_five_modules(backend: LocalBackend) -> None:
    modules = {change.module_id for change in backend.list_changes(LifecycleFilter.ALL)}
    assert len(modules) >= 5
    assert modules <= {module.id for module in backend.list_modules()}


def test_both_tasks_formats_are_present(backend: LocalBackend) -> None:
    formats = {backend.get_tasks(change.id).format for change in backend.list_changes()}
    assert formats == {"enhanced", "checkbox"}


def test_every_work_status_is_present(backend: LocalBackend) -> None:
    assert {change.work_status for change in backend.list_changes()} == set(WorkStatus)


def test_one_tasks_file_has_a_diagnostic_naming_its_line(backend: LocalBackend) -> None:
    diagnostics = backend.get_tasks("003-06_help-overlay").diagnostics
    assert [(d.path.endswith("003-06_help-overlay/tasks.md"), d.line) for d in diagnostics] == [
        (True, 42)
    ]


# --- leases ------------------------------------------------------------------------------


def test_the_demo_holder_holds_leases(backend: LocalBackend) -> None:
    assert DEMO_HOLDER in {lease.holder for lease in backend.list_leases()}


def test_some_leases_expire_within_five_minutes(backend: LocalBackend) -> None:
    soon = [
        lease for lease in backend.list_leases() if lease.expires_at <= NOW + timedelta(minutes=5)
    ]
    assert len(soon) >= 1


def test_some_leases_have_expired(backend: LocalBackend) -> None:
    expired = [
        lease for lease in backend.list_leases(include_expired=True) if lease.expires_at <= NOW
    ]
    assert len(expired) >= 1


# --- releases ----------------------------------------------------------------------------


def test_the_release_graph_has_twelve_repos_in_an_order(backend: LocalBackend) -> None:
    view = backend.release_graph()
    assert (len(view.graph.repos), len(view.order)) == (12, 12)


def test_a_release_plan_is_waiting_to_run(backend: LocalBackend) -> None:
    runs_by_plan = {run.plan_id for run in backend.list_release_runs()}
    waiting = [p for p in backend.list_release_plans() if p.plan_id not in runs_by_plan]
    assert len(waiting) == 1
    assert {item.status.state for item in waiting[0].items} == {
        ItemState.PENDING,
        ItemState.SKIPPED,
    }


def test_the_past_run_failed_and_skipped_the_failures_dependents(
    backend: LocalBackend,
) -> None:
    (run,) = backend.list_release_runs()
    outcome = Sequencer.outcome(backend.get_release_run(run.run_id))
    assert run.status == RunStatus.FAILED
    assert [repo for repo, _ in outcome.failed] == ["acme/storage"]
    assert {"acme/api", "acme/worker", "acme/web", "acme/deploy"} <= set(outcome.skipped)


# --- backups -----------------------------------------------------------------------------


def test_there_are_two_backup_folders_one_a_dry_run(backend: LocalBackend) -> None:
    folders = backend.list_backups()
    assert sorted(folder.layout_status or "" for folder in folders) == ["dry-run", "failed"]


def test_the_stopped_backup_needs_a_restart(backend: LocalBackend) -> None:
    (stopped,) = [f for f in backend.list_backups() if f.layout_status == "failed"]
    assert stopped.restart_required is True


def test_the_stopped_backup_has_a_failed_create_snapshot(backend: LocalBackend) -> None:
    (stopped,) = [f for f in backend.list_backups() if f.layout_status == "failed"]
    failed = [
        op.kind
        for op in backend.backup_journal(stopped.name).operations
        if op.state == OperationState.FAILED
    ]
    assert failed == [OperationKind.CREATE_SNAPSHOT]


# --- backlog -----------------------------------------------------------------------------


def test_two_backlog_kinds_hold_items(backend: LocalBackend) -> None:
    kinds = {item.kind for item in backend.list_backlog()}
    assert kinds == {"critique-review", "proof-review"}


# --- where it may be built ---------------------------------------------------------------


def test_the_demo_refuses_a_non_empty_folder_that_is_not_a_demo(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    with pytest.raises(InvalidInput, match="not empty and is not a Quarterdeck demo"):
        build_demo(tmp_path, now=NOW)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_the_demo_builds_into_an_empty_existing_folder(tmp_path: Path) -> None:
    assert (build_demo(tmp_path, now=NOW) / MARKER).is_file()


def test_building_over_an_old_demo_without_force_keeps_it(tmp_path: Path) -> None:
    root = build_demo(tmp_path / "ws", now=NOW)
    (root / "my-notes.txt").write_text("kept\n")
    build_demo(root, now=NOW)
    assert (root / "my-notes.txt").read_text() == "kept\n"


def test_building_over_an_old_demo_with_force_rebuilds_it(tmp_path: Path) -> None:
    root = build_demo(tmp_path / "ws", now=NOW)
    (root / "my-notes.txt").write_text("gone\n")
    (root / ".ito" / "changes" / "001-05_workspace-discovery" / "proposal.md").unlink()
    build_demo(root, force=True, now=NOW)
    assert not (root / "my-notes.txt").exists()
    assert (root / ".ito" / "changes" / "001-05_workspace-discovery" / "proposal.md").is_file()
