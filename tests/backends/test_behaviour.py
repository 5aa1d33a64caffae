"""One specification for both backends: every test runs against the local backend and against
the remote backend talking to a real server over the same kind of workspace, and asserts the
same results and the same typed errors with the same fields. The two cannot drift apart.

The workspace is the demo (changes, modules, specs, backups, backlog, release graph) with no
lease held; tests that need exact content write it into `subject.root` first.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.backends.base import Backend
from core.models.backlog import Decision
from core.models.backups import CompletionFields, OperationState, ReceiptOutcome
from core.models.changes import (
    Lifecycle,
    LifecycleFilter,
    ModuleSummary,
    Progress,
    SpecDelta,
    WorkStatus,
)
from core.models.errors import (
    ChangeArchived,
    InvalidInput,
    InvalidTransition,
    JournalLocked,
    LeaseConflict,
    LeaseNotHeld,
    NoActiveLease,
    NotFound,
    RevisionConflict,
)
from core.models.events import AuditEvent, EventBatch
from core.models.releases import ItemState, ReleaseRequest, RunStatus
from core.timeutil import to_rfc3339
from tests.backends.conftest import Subject
from tests.server.workspaces import DELTA, DONE_TASKS, FAILING_REPO, MIXED_TASKS, add_change

ME = "me@laptop"
OTHER = "agent-7@ci"
TTL = 600
ACTIVE = "001-04_streaming-change-index"
ARCHIVED = "001-00_initial-scaffold"
ENHANCED = "001-04_streaming-change-index"
CHECKBOX = "001-05_workspace-discovery"
ARCHIVE_DATE = "YYYY-MM-DD-"  # the prefix of an archived change's folder name


def changes_dir(subject: Subject) -> Path:
    return subject.root / ".ito" / "changes"


def holders(backend: Backend) -> dict[str, str]:
    return {lease.change_id: lease.holder for lease in backend.list_leases()}


def eligible(backend: Backend) -> list[str]:
    """What allocation may pick, in its order: active changes that are not complete."""
    return [
        change.id for change in backend.list_changes() if change.work_status != WorkStatus.COMPLETE
    ]


def event(entity_id: str = "1.1", **changes: object) -> AuditEvent:
    fields: dict[str, object] = {
        "v": 1,
        "ts": "2026-11-22T10:00:00.000Z",
        "entity": "task",
        "entity_id": entity_id,
        "scope": ACTIVE,
        "op": "status_change",
        "from": "pending",
        "to": "complete",
        "actor": "cli",
        "by": "@tester",
        "ctx": {"session_id": "session-1"},
    }
    fields.update(changes)
    return AuditEvent.model_validate(fields)


def backup_named(subject: Subject, layout_status: str) -> str:
    return next(
        folder.name
        for folder in subject.backend.list_backups()
        if folder.layout_status == layout_status
    )


# --- changes -----------------------------------------------------------------------------


def test_active_changes_are_the_change_folders_sorted_by_id(reading: Subject) -> None:
    folders = sorted(path.name for path in changes_dir(reading).iterdir() if path.name != "archive")
    listed = reading.backend.list_changes(LifecycleFilter.ACTIVE)
    assert [change.id for change in listed] == folders
    assert {change.lifecycle for change in listed} == {Lifecycle.ACTIVE}


def test_archived_changes_are_named_by_the_id_after_their_archive_date(
    reading: Subject,
) -> None:
    names = sorted(
        path.name[len(ARCHIVE_DATE) :] for path in (changes_dir(reading) / "archive").iterdir()
    )
    listed = reading.backend.list_changes(LifecycleFilter.ARCHIVED)
    assert [change.id for change in listed] == names
    assert {change.lifecycle for change in listed} == {Lifecycle.ARCHIVED}


def test_listing_all_changes_gives_the_active_ones_then_the_archived_ones(
    reading: Subject,
) -> None:
    active = [change.id for change in reading.backend.list_changes(LifecycleFilter.ACTIVE)]
    archived = [change.id for change in reading.backend.list_changes(LifecycleFilter.ARCHIVED)]
    listed = [change.id for change in reading.backend.list_changes(LifecycleFilter.ALL)]
    assert listed == active + archived


def test_a_listed_change_carries_its_task_counts_and_artifact_flags(subject: Subject) -> None:
    add_change(subject.root, "007-01_hand-written", tasks=MIXED_TASKS)
    summary = next(
        change for change in subject.backend.list_changes() if change.id == "007-01_hand-written"
    )
    shape = summary.api_dict()
    shape.pop("last_modified")
    assert shape == {
        "id": "007-01_hand-written",
        "module_id": "007",
        "completed_tasks": 1,
        "shelved_tasks": 0,
        "in_progress_tasks": 1,
        "pending_tasks": 1,
        "total_tasks": 3,
        "has_proposal": True,
        "has_design": False,
        "has_specs": True,
        "has_tasks": True,
        "work_status": "in-progress",
    }


def test_a_change_detail_holds_the_proposal_the_delta_specs_and_the_progress(
    subject: Subject,
) -> None:
    add_change(
        subject.root, "007-01_hand-written", tasks=MIXED_TASKS, proposal="# Change: Hand made\n"
    )
    detail = subject.backend.get_change("007-01_hand-written")
    assert (detail.id, detail.module_id, detail.title, detail.lifecycle) == (
        "007-01_hand-written",
        "007",
        "Hand made",
        Lifecycle.ACTIVE,
    )
    assert (detail.proposal, detail.design) == ("# Change: Hand made\n", None)
    assert detail.specs == [SpecDelta(name="lease-rules", content=DELTA)]
    assert detail.progress == Progress(
        total=3, complete=1, shelved=0, in_progress=1, pending=1, remaining=2
    )


def test_an_archived_change_is_found_as_archived(reading: Subject) -> None:
    detail = reading.backend.get_change(ARCHIVED)
    assert (detail.id, detail.lifecycle) == (ARCHIVED, Lifecycle.ARCHIVED)


def test_an_unknown_change_is_not_found(reading: Subject) -> None:
    with pytest.raises(NotFound) as error:
        reading.backend.get_change("009-09_nowhere")
    assert (error.value.what, error.value.ident) == ("change", "009-09_nowhere")


def test_the_tasks_of_an_enhanced_change_carry_their_wave(reading: Subject) -> None:
    tasks = reading.backend.get_tasks(ENHANCED)
    assert (tasks.change_id, tasks.format) == (ENHANCED, "enhanced")
    assert [(task.id, task.wave, task.status.value) for task in tasks.tasks] == [
        ("1.1", 1, "complete"),
        ("1.2", 1, "complete"),
        ("1.3", 1, "in-progress"),
        ("2.1", 2, "in-progress"),
        ("2.2", 2, "pending"),
    ]
    assert tasks.progress == Progress(
        total=5, complete=2, shelved=0, in_progress=2, pending=1, remaining=3
    )


def test_the_tasks_of_a_checkbox_change_have_no_wave(reading: Subject) -> None:
    tasks = reading.backend.get_tasks(CHECKBOX)
    assert tasks.format == "checkbox"
    assert {task.wave for task in tasks.tasks} == {None}
    assert (tasks.progress.total, tasks.progress.complete) == (5, 1)


def test_the_tasks_of_an_unknown_change_are_not_found(reading: Subject) -> None:
    with pytest.raises(NotFound) as error:
        reading.backend.get_tasks("009-09_nowhere")
    assert error.value.ident == "009-09_nowhere"


# --- modules and specs -------------------------------------------------------------------


def test_modules_are_listed_with_their_change_counts(reading: Subject) -> None:
    assert reading.backend.list_modules() == [
        ModuleSummary(id="001", name="platform-core", change_count=8),
        ModuleSummary(id="002", name="backend-sync", change_count=10),
        ModuleSummary(id="002.01", name="conflict-ux", change_count=2),
        ModuleSummary(id="003", name="cli-experience", change_count=7),
        ModuleSummary(id="004", name="release-tooling", change_count=7),
        ModuleSummary(id="005", name="observability", change_count=6),
        ModuleSummary(id="006", name="security-hardening", change_count=8),
    ]


def test_module_names_are_given_by_id_with_their_sub_modules(reading: Subject) -> None:
    assert reading.backend.module_names() == {
        "001": "platform-core",
        "002": "backend-sync",
        "002.01": "conflict-ux",
        "003": "cli-experience",
        "004": "release-tooling",
        "005": "observability",
        "006": "security-hardening",
    }


def test_a_module_detail_carries_its_description(reading: Subject) -> None:
    module = reading.backend.get_module("002")
    assert (module.id, module.name, module.description) == (
        "002",
        "backend-sync",
        "Share changes and leases across machines.",
    )


def test_an_unknown_module_is_not_found(reading: Subject) -> None:
    with pytest.raises(NotFound) as error:
        reading.backend.get_module("999")
    assert (error.value.what, error.value.ident) == ("module", "999")


def test_specs_are_the_capabilities_of_the_main_specs(reading: Subject) -> None:
    folders = sorted(path.name for path in (reading.root / ".ito" / "specs").iterdir())
    assert [spec.id for spec in reading.backend.list_specs()] == folders


def test_a_spec_document_is_the_specs_markdown(reading: Subject) -> None:
    spec = reading.backend.get_spec("audit-log")
    path = reading.root / ".ito" / "specs" / "audit-log" / "spec.md"
    assert (spec.id, spec.path, spec.markdown) == (
        "audit-log",
        "specs/audit-log/spec.md",
        path.read_text(encoding="utf-8"),
    )


def test_an_unknown_spec_is_not_found(reading: Subject) -> None:
    with pytest.raises(NotFound) as error:
        reading.backend.get_spec("no-such-capability")
    assert (error.value.what, error.value.ident) == ("spec", "no-such-capability")


# --- leases ------------------------------------------------------------------------------


def test_claiming_a_free_change_leases_it_to_the_holder_for_the_ttl(subject: Subject) -> None:
    before = datetime.now(UTC).replace(microsecond=0)  # the wire keeps whole seconds
    lease = subject.backend.claim(ACTIVE, ME, TTL)
    after = datetime.now(UTC)
    assert (lease.change_id, lease.holder) == (ACTIVE, ME)
    assert before + timedelta(seconds=TTL) <= lease.expires_at <= after + timedelta(seconds=TTL)
    assert holders(subject.backend) == {ACTIVE: ME}


def test_claiming_a_change_someone_holds_is_a_lease_conflict_naming_them(
    subject: Subject,
) -> None:
    theirs = subject.backend.claim(ACTIVE, OTHER, TTL)
    with pytest.raises(LeaseConflict) as error:
        subject.backend.claim(ACTIVE, ME, TTL)
    assert (error.value.change_id, error.value.holder, error.value.expires_at) == (
        ACTIVE,
        OTHER,
        to_rfc3339(theirs.expires_at),
    )
    assert holders(subject.backend) == {ACTIVE: OTHER}


def test_claiming_your_own_lease_again_renews_it(subject: Subject) -> None:
    first = subject.backend.claim(ACTIVE, ME, 60)
    again = subject.backend.claim(ACTIVE, ME, TTL)
    assert again.expires_at > first.expires_at
    assert holders(subject.backend) == {ACTIVE: ME}


def test_a_heartbeat_extends_the_holders_lease(subject: Subject) -> None:
    first = subject.backend.claim(ACTIVE, ME, 60)
    beat = subject.backend.heartbeat(ACTIVE, ME, TTL)
    assert (beat.holder, beat.change_id) == (ME, ACTIVE)
    assert beat.expires_at > first.expires_at


def test_a_heartbeat_by_someone_else_is_refused_as_not_their_lease(subject: Subject) -> None:
    subject.backend.claim(ACTIVE, OTHER, TTL)
    with pytest.raises(LeaseNotHeld) as error:
        subject.backend.heartbeat(ACTIVE, ME, TTL)
    assert (error.value.change_id, error.value.holder, error.value.requester) == (
        ACTIVE,
        OTHER,
        ME,
    )


def test_a_heartbeat_without_a_lease_is_no_active_lease(subject: Subject) -> None:
    with pytest.raises(NoActiveLease) as error:
        subject.backend.heartbeat(ACTIVE, ME, TTL)
    assert error.value.change_id == ACTIVE


def test_releasing_your_lease_frees_the_change(subject: Subject) -> None:
    subject.backend.claim(ACTIVE, ME, TTL)
    assert subject.backend.release(ACTIVE, ME).change_id == ACTIVE
    assert holders(subject.backend) == {}


def test_releasing_someone_elses_lease_is_refused_and_keeps_it(subject: Subject) -> None:
    subject.backend.claim(ACTIVE, OTHER, TTL)
    with pytest.raises(LeaseNotHeld) as error:
        subject.backend.release(ACTIVE, ME)
    assert (error.value.holder, error.value.requester) == (OTHER, ME)
    assert holders(subject.backend) == {ACTIVE: OTHER}


def test_a_forced_release_drops_someone_elses_lease(subject: Subject) -> None:
    subject.backend.claim(ACTIVE, OTHER, TTL)
    subject.backend.release(ACTIVE, ME, force=True)
    assert holders(subject.backend) == {}


def test_claiming_an_archived_change_is_refused_as_archived(reading: Subject) -> None:
    with pytest.raises(ChangeArchived) as error:
        reading.backend.claim(ARCHIVED, ME, TTL)
    assert error.value.change_id == ARCHIVED
    assert holders(reading.backend) == {}


def test_claiming_an_unknown_change_is_not_found(reading: Subject) -> None:
    with pytest.raises(NotFound) as error:
        reading.backend.claim("009-09_nowhere", ME, TTL)
    assert (error.value.what, error.value.ident) == ("change", "009-09_nowhere")


# --- allocation --------------------------------------------------------------------------


def test_allocation_leases_the_first_change_that_is_neither_complete_nor_held(
    subject: Subject,
) -> None:
    first, second = eligible(subject.backend)[:2]
    subject.backend.claim(first, OTHER, TTL)
    claim = subject.backend.allocate(ME, TTL).claim
    assert claim is not None and (claim.change_id, claim.holder) == (second, ME)
    assert holders(subject.backend) == {first: OTHER, second: ME}


def test_allocation_never_picks_a_complete_change(subject: Subject) -> None:
    for change in subject.backend.list_changes():
        if change.work_status != WorkStatus.COMPLETE:
            subject.backend.claim(change.id, OTHER, TTL)
    add_change(subject.root, "000-01_finished", tasks=DONE_TASKS)
    assert subject.backend.allocate(ME, TTL).claim is None


def test_allocation_with_a_used_key_returns_the_first_claim_and_leases_once(
    subject: Subject,
) -> None:
    first = subject.backend.allocate(ME, TTL, idempotency_key="retry-1")
    again = subject.backend.allocate(ME, TTL, idempotency_key="retry-1")
    assert first.claim is not None
    assert again == first
    assert holders(subject.backend) == {first.claim.change_id: ME}


def test_allocation_with_a_new_key_leases_another_change(subject: Subject) -> None:
    first = subject.backend.allocate(ME, TTL, idempotency_key="first").claim
    second = subject.backend.allocate(ME, TTL, idempotency_key="second").claim
    assert first is not None and second is not None
    assert first.change_id != second.change_id


def test_allocation_with_an_invalid_key_is_invalid_input(reading: Subject) -> None:
    with pytest.raises(InvalidInput):
        reading.backend.allocate(ME, TTL, idempotency_key="not a key!")
    assert holders(reading.backend) == {}


# --- sync and archive --------------------------------------------------------------------


def test_a_pull_returns_the_changes_artifacts_with_a_revision(subject: Subject) -> None:
    folder = add_change(subject.root, "007-01_hand-written", tasks=MIXED_TASKS)
    bundle = subject.backend.pull_bundle("007-01_hand-written")
    assert (bundle.change_id, bundle.proposal, bundle.design, bundle.tasks) == (
        "007-01_hand-written",
        (folder / "proposal.md").read_text(),
        None,
        MIXED_TASKS,
    )
    assert bundle.specs == [("lease-rules", DELTA)]
    assert bundle.revision != ""


def test_a_push_from_the_current_revision_writes_the_artifacts_and_a_new_revision(
    subject: Subject,
) -> None:
    folder = add_change(subject.root, "007-01_hand-written")
    pulled = subject.backend.pull_bundle("007-01_hand-written")
    edited = pulled.model_copy(update={"tasks": DONE_TASKS, "specs": [("audit-log", DELTA)]})
    result = subject.backend.push_bundle("007-01_hand-written", edited)
    assert result.change_id == "007-01_hand-written"
    assert result.new_revision not in ("", pulled.revision)
    assert (folder / "tasks.md").read_text() == DONE_TASKS
    assert (folder / "specs" / "audit-log" / "spec.md").read_text() == DELTA
    assert (folder / ".backend-revision").read_text().strip() == result.new_revision


def test_a_push_from_a_stale_revision_is_a_revision_conflict_naming_both(
    subject: Subject,
) -> None:
    add_change(subject.root, "007-01_hand-written")
    stale = subject.backend.pull_bundle("007-01_hand-written")
    current = subject.backend.push_bundle("007-01_hand-written", stale).new_revision
    with pytest.raises(RevisionConflict) as error:
        subject.backend.push_bundle(
            "007-01_hand-written", stale.model_copy(update={"tasks": DONE_TASKS})
        )
    assert (error.value.change_id, error.value.local_revision, error.value.server_revision) == (
        "007-01_hand-written",
        stale.revision,
        current,
    )


def test_marking_a_change_archived_moves_it_to_the_dated_archive_folder(
    subject: Subject,
) -> None:
    result = subject.backend.mark_archived(ACTIVE)
    day = result.archived_at[:10]
    assert result.change_id == ACTIVE
    assert not (changes_dir(subject) / ACTIVE).exists()
    assert (changes_dir(subject) / "archive" / f"{day}-{ACTIVE}" / "proposal.md").is_file()
    assert subject.backend.get_change(ACTIVE).lifecycle == Lifecycle.ARCHIVED


def test_marking_a_change_archived_drops_its_lease(subject: Subject) -> None:
    subject.backend.claim(ACTIVE, OTHER, TTL)
    subject.backend.mark_archived(ACTIVE)
    assert holders(subject.backend) == {}


# --- audit events ------------------------------------------------------------------------


def test_ingested_events_are_appended_once_per_idempotency_key(subject: Subject) -> None:
    batch = EventBatch(events=[event("1.1"), event("1.2")], idempotency_key="batch-1")
    first = subject.backend.ingest_events(batch)
    again = subject.backend.ingest_events(batch)
    assert (first.accepted, first.duplicates) == (2, 0)
    assert (again.accepted, again.duplicates) == (0, 2)
    assert subject.backend.list_events(limit=3)[1:] == batch.events


def test_a_batch_holding_an_invalid_event_stores_none_of_its_events(reading: Subject) -> None:
    before = len(reading.backend.list_events())
    batch = EventBatch(events=[event("1.1"), event("1.2", ts="yesterday")], idempotency_key="b")
    with pytest.raises(InvalidInput):
        reading.backend.ingest_events(batch)
    assert len(reading.backend.list_events()) == before


def test_an_invalid_idempotency_key_is_invalid_input(reading: Subject) -> None:
    with pytest.raises(InvalidInput):
        reading.backend.ingest_events(EventBatch(events=[event()], idempotency_key="a b"))


# --- backups -----------------------------------------------------------------------------


def test_backups_are_listed_with_their_progress(reading: Subject) -> None:
    folders = {
        folder.layout_status: (folder.total_operations, folder.completed_operations)
        for folder in reading.backend.list_backups()
    }
    assert folders == {"dry-run": (15, 0), "failed": (15, 7)}


def test_a_backup_status_names_the_next_operation(reading: Subject) -> None:
    status = reading.backend.backup_status(backup_named(reading, "failed"))
    assert status.execution.next_operation is not None
    assert (status.execution.next_operation.sequence, status.execution.failed_operations) == (
        7,
        1,
    )


def test_accepting_the_preflight_unblocks_the_first_mutating_operation(
    subject: Subject,
) -> None:
    folder = backup_named(subject, "dry-run")
    journal = subject.backend.accept_preflight(folder, "preflight-1")
    assert (journal.preflight_id, journal.preflight_accepted) == ("preflight-1", True)
    assert [op.state for op in journal.operations[:5]] == [OperationState.COMPLETED] * 4 + [
        OperationState.READY
    ]


def test_starting_then_recording_an_operation_completes_it(subject: Subject) -> None:
    folder = backup_named(subject, "dry-run")
    subject.backend.accept_preflight(folder, "preflight-1")
    started = subject.backend.start_next_operation(folder)
    assert started.operations[4].state == OperationState.PENDING
    done = subject.backend.record_operation(folder, 4, ReceiptOutcome.COMPLETED, CompletionFields())
    assert done.operations[4].state == OperationState.COMPLETED
    assert subject.backend.backup_journal(folder) == done


def test_a_refused_step_is_an_invalid_transition_and_changes_nothing(subject: Subject) -> None:
    folder = backup_named(subject, "failed")
    before = subject.backend.backup_journal(folder)
    with pytest.raises(InvalidTransition) as error:
        subject.backend.accept_preflight(folder, "another-preflight")
    assert str(error.value) == (
        "preflight preflight-weekly-004 already accepted; refusing another-preflight"
    )
    assert subject.backend.backup_journal(folder) == before


def test_retrying_a_failed_operation_makes_it_ready_again(subject: Subject) -> None:
    folder = backup_named(subject, "failed")
    journal = subject.backend.retry_operation(folder, 7)
    assert journal.operations[7].state == OperationState.READY


def test_a_journal_locked_by_a_running_process_refuses_steps_naming_it(
    subject: Subject,
) -> None:
    folder = backup_named(subject, "dry-run")
    journal = subject.root / "backups" / folder / "backup-execution-journal.json"
    journal.with_name(journal.name + ".lock").write_text(f"pid={os.getpid()}\n")
    with pytest.raises(JournalLocked) as error:
        subject.backend.start_next_operation(folder)
    assert (error.value.pid, error.value.pid_alive) == (os.getpid(), True)
    assert error.value.path.endswith(f"{folder}/backup-execution-journal.json")


def test_the_lock_of_a_locked_journal_names_its_process(subject: Subject) -> None:
    folder = backup_named(subject, "dry-run")
    journal = subject.root / "backups" / folder / "backup-execution-journal.json"
    journal.with_name(journal.name + ".lock").write_text(f"pid={os.getpid()}\n")
    info = subject.backend.journal_lock(folder)
    assert info is not None and (info.pid, info.alive) == (os.getpid(), True)


def test_an_unknown_backup_folder_is_not_found(reading: Subject) -> None:
    with pytest.raises(NotFound) as error:
        reading.backend.backup_status("no-such-backup")
    assert error.value.ident == "no-such-backup"


# --- review backlog ----------------------------------------------------------------------


def test_the_backlog_lists_the_deferred_items_of_every_kind(reading: Subject) -> None:
    assert [(item.kind, item.item_ref) for item in reading.backend.list_backlog()] == [
        ("critique-review", "lease-heartbeats#1"),
        ("critique-review", "lease-heartbeats#4"),
        ("critique-review", "release-sequencing#2"),
        ("critique-review", "backup-journal#0"),
        ("critique-review", "open#0"),
        ("proof-review", "balance_no_dup_cells#0"),
        ("proof-review", "balance_no_dup_cells#verdict"),
        ("proof-review", "lease_single_holder#1"),
    ]


def test_accepting_a_backlog_item_records_the_decision_and_removes_the_item(
    subject: Subject,
) -> None:
    record = subject.backend.decide_backlog(
        "proof-review", "lease_single_holder#1", Decision.ACCEPT, "ship it", ME
    )
    assert (record.decision, record.note, record.decided_by) == (Decision.ACCEPT, "ship it", ME)
    assert record.item["item_ref"] == "lease_single_holder#1"
    refs = [item.item_ref for item in subject.backend.list_backlog("proof-review")]
    assert refs == ["balance_no_dup_cells#0", "balance_no_dup_cells#verdict"]


def test_deciding_an_unknown_backlog_item_is_not_found(reading: Subject) -> None:
    with pytest.raises(NotFound) as error:
        reading.backend.decide_backlog("proof-review", "nothing#0", Decision.REJECT, None, ME)
    assert (error.value.what, error.value.ident) == ("backlog item", "proof-review/nothing#0")


# --- releases ----------------------------------------------------------------------------


def plan_for(subject: Subject, *pairs: tuple[str, str]) -> str:
    requests = [
        ReleaseRequest(repo_id=repo, version_label=version, promoted_by=ME)
        for repo, version in pairs
    ]
    return subject.backend.build_release_plan(requests, "test-train-1").plan_id


def test_the_release_graph_orders_every_repo_after_its_dependencies(reading: Subject) -> None:
    view = reading.backend.release_graph()
    position = {repo: index for index, repo in enumerate(view.order)}
    assert len(view.order) == len(view.graph.repos) == 12
    assert all(
        position[edge.dependency.name] < position[edge.dependent.name]
        for edge in view.graph.dependencies
    )


def test_a_built_release_plan_is_stored(subject: Subject) -> None:
    plan_id = plan_for(subject, ("acme/proto", "4.3.0"))
    plan = subject.backend.get_release_plan(plan_id)
    assert plan.originating_run_id == "test-train-1"
    assert plan_id in [stored.plan_id for stored in subject.backend.list_release_plans()]
    requested = [item for item in plan.items if item.version_label == "4.3.0"]
    assert [(item.repo_id, item.status.state) for item in requested] == [
        ("acme/proto", ItemState.PENDING)
    ]


def test_a_manual_run_completes_when_its_last_repo_is_marked_released(
    subject: Subject,
) -> None:
    plan_id = plan_for(subject, ("acme/proto", "4.3.0"))
    run = subject.backend.start_release_run(plan_id, "manual").run
    progress = subject.backend.mark_release_item(run.run_id, "acme/proto", True)
    assert progress.run.status == RunStatus.COMPLETED
    assert subject.backend.get_release_run(run.run_id).run.status == RunStatus.COMPLETED


def test_marking_a_repo_out_of_order_is_an_invalid_transition(subject: Subject) -> None:
    plan_id = plan_for(subject, ("acme/proto", "4.3.0"), ("acme/core-lib", "3.2.0"))
    run = subject.backend.start_release_run(plan_id, "manual").run
    with pytest.raises(InvalidTransition) as error:
        subject.backend.mark_release_item(run.run_id, "acme/core-lib", True)
    assert str(error.value) == (
        f"run {run.run_id}: the next repo to mark is acme/proto, not acme/core-lib"
    )


def test_cancelling_a_run_skips_its_pending_repos(subject: Subject) -> None:
    plan_id = plan_for(subject, ("acme/proto", "4.3.0"), ("acme/core-lib", "3.2.0"))
    run = subject.backend.start_release_run(plan_id, "manual").run
    progress = subject.backend.cancel_release_run(run.run_id)
    assert progress.run.status == RunStatus.CANCELLED
    assert {item.status.state for item in progress.items} == {ItemState.SKIPPED}


def test_a_command_run_releases_each_repo_with_the_configured_command(
    subject: Subject,
) -> None:
    plan_id = plan_for(subject, ("acme/proto", "4.3.0"), ("acme/core-lib", "3.2.0"))
    progress = subject.backend.start_release_run(plan_id, "command")
    while progress.run.status == RunStatus.RUNNING:
        progress = subject.backend.advance_release_run(progress.run.run_id)
    released = {
        item.repo_id: item.status.run_id
        for item in progress.items
        if item.status.state == ItemState.SUCCEEDED
    }
    assert progress.run.status == RunStatus.COMPLETED
    assert released == {"acme/proto": "rel-proto-4.3.0", "acme/core-lib": "rel-core-lib-3.2.0"}


def test_a_failing_release_command_fails_its_repo_and_skips_the_dependents(
    subject: Subject,
) -> None:
    plan_id = plan_for(subject, (FAILING_REPO, "2.9.0"), ("acme/api", "5.1.0"))
    progress = subject.backend.start_release_run(plan_id, "command")
    while progress.run.status == RunStatus.RUNNING:
        progress = subject.backend.advance_release_run(progress.run.run_id)
    states = {item.repo_id: item.status for item in progress.items}
    assert progress.run.status == RunStatus.FAILED
    assert states[FAILING_REPO].state == ItemState.FAILED
    assert (states[FAILING_REPO].reason or "").endswith("integration tests failed: 3 of 412")
    assert states["acme/api"].state == ItemState.SKIPPED


def test_an_unknown_release_plan_is_not_found(reading: Subject) -> None:
    with pytest.raises(NotFound):
        reading.backend.get_release_plan("seq-00000000")


def test_a_release_plan_without_requests_is_invalid_input(reading: Subject) -> None:
    with pytest.raises(InvalidInput):
        reading.backend.build_release_plan([])


# --- invalid input -----------------------------------------------------------------------


def test_a_zero_ttl_is_invalid_input(reading: Subject) -> None:
    with pytest.raises(InvalidInput):
        reading.backend.claim(ACTIVE, ME, 0)
    assert holders(reading.backend) == {}


def test_an_empty_holder_is_invalid_input(reading: Subject) -> None:
    with pytest.raises(InvalidInput):
        reading.backend.claim(ACTIVE, " ", TTL)


UNSAFE_IDS = ["..", ".", "../001-04_streaming-change-index", "a/b", ""]
ID_METHODS: dict[str, Callable[[Backend, str], object]] = {
    "claim": lambda backend, ident: backend.claim(ident, ME, TTL),
    "heartbeat": lambda backend, ident: backend.heartbeat(ident, ME, TTL),
    "release": lambda backend, ident: backend.release(ident, ME),
    "get_change": lambda backend, ident: backend.get_change(ident),
    "get_tasks": lambda backend, ident: backend.get_tasks(ident),
    "pull_bundle": lambda backend, ident: backend.pull_bundle(ident),
    "mark_archived": lambda backend, ident: backend.mark_archived(ident),
    "get_module": lambda backend, ident: backend.get_module(ident),
    "get_spec": lambda backend, ident: backend.get_spec(ident),
}


@pytest.mark.parametrize("method", sorted(ID_METHODS))
@pytest.mark.parametrize("ident", UNSAFE_IDS)
def test_an_id_that_is_not_one_path_component_is_invalid_input(
    reading: Subject, method: str, ident: str
) -> None:
    with pytest.raises(InvalidInput):
        ID_METHODS[method](reading.backend, ident)


# --- health ------------------------------------------------------------------------------


def test_a_reachable_backend_is_healthy_and_names_its_version(reading: Subject) -> None:
    health = reading.backend.health()
    assert (health.ok, health.version) == (True, "0.1.0")


def test_the_backend_reports_its_kind(reading: Subject) -> None:
    assert reading.backend.info.kind == reading.kind
