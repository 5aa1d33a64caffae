"""The one interface every backend implements: local (files + SQLite) and remote (HTTP).

Everything above it (the service, and through it the CLI and the TUI) sees only this.
Methods raise the typed errors of `core.models.errors`, never transport exceptions.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Literal, Protocol

from core.models.backlog import BacklogItem, Decision, DecisionRecord
from core.models.backups import (
    BackupFolder,
    BackupStatus,
    CompletionFields,
    ExecutionJournal,
    JournalLockInfo,
    ReceiptOutcome,
)
from core.models.base import Model
from core.models.changes import (
    ChangeDetail,
    ChangeListing,
    ChangeSummary,
    LifecycleFilter,
    ModuleDetail,
    ModuleSummary,
    SpecDocument,
    SpecSummary,
    TaskList,
)
from core.models.events import AuditEvent, EventBatch, EventIngestResult
from core.models.leases import AllocateResult, Lease, ReleaseResult
from core.models.releases import (
    GraphFile,
    ReleaseRequest,
    Run,
    RunProgress,
    SequencePlan,
)
from core.models.sync import ArchiveResult, ArtifactBundle, PushResult


class BackendInfo(Model):
    kind: Literal["local", "remote"]
    # A folder for local, a URL (+ project) for remote: what the status bar shows.
    location: str
    project: str | None = None


class Health(Model):
    ok: bool
    version: str | None = None
    detail: str = ""


class ReleaseGraphView(Model):
    """The graph file plus its release order (what `release graph --json` prints)."""

    graph: GraphFile
    order: list[str]


class Backend(Protocol):
    @property
    def info(self) -> BackendInfo: ...

    def health(self) -> Health: ...

    # Changes, modules, specs (ito's read API).
    def list_changes(
        self, lifecycle: LifecycleFilter = LifecycleFilter.ACTIVE
    ) -> list[ChangeSummary]: ...
    def stream_changes(
        self, lifecycle: LifecycleFilter = LifecycleFilter.ACTIVE
    ) -> Generator[ChangeListing, None, None]:
        """What is known so far, growing; the last listing is complete (a first paint from
        a cache, then progress, for a backend that has them; else one complete listing).
        Closing the generator early stops the work behind it."""
        ...

    def get_change(self, change_id: str) -> ChangeDetail: ...
    def get_tasks(self, change_id: str) -> TaskList: ...
    def list_modules(self) -> list[ModuleSummary]: ...
    def module_names(self) -> dict[str, str]:
        """Each module's name by id: `list_modules` without the change counts, which
        cost a pass over every change folder."""
        ...

    def get_module(self, module_id: str) -> ModuleDetail: ...
    def list_specs(self) -> list[SpecSummary]: ...
    def get_spec(self, spec_id: str) -> SpecDocument: ...

    # Leases.
    def list_leases(self, include_expired: bool = False) -> list[Lease]: ...
    def claim(self, change_id: str, holder: str, ttl_seconds: int) -> Lease: ...
    def heartbeat(self, change_id: str, holder: str, ttl_seconds: int) -> Lease: ...
    def release(self, change_id: str, holder: str, *, force: bool = False) -> ReleaseResult: ...
    def allocate(
        self, holder: str, ttl_seconds: int, idempotency_key: str | None = None
    ) -> AllocateResult: ...

    # The store side of sync and archive (the working copy's side lives in the service).
    def pull_bundle(self, change_id: str) -> ArtifactBundle: ...
    def push_bundle(self, change_id: str, bundle: ArtifactBundle) -> PushResult: ...
    def mark_archived(self, change_id: str) -> ArchiveResult: ...

    # Audit events.
    def list_events(self, limit: int | None = None) -> list[AuditEvent]: ...
    def ingest_events(self, batch: EventBatch) -> EventIngestResult: ...

    # Backup journals. `folder` is a name inside a backup root (or, locally, a path).
    def list_backups(self) -> list[BackupFolder]: ...
    def backup_status(self, folder: str) -> BackupStatus: ...
    def backup_journal(self, folder: str) -> ExecutionJournal: ...
    def accept_preflight(self, folder: str, preflight_id: str) -> ExecutionJournal: ...
    def start_next_operation(self, folder: str) -> ExecutionJournal: ...
    def record_operation(
        self,
        folder: str,
        sequence: int,
        outcome: ReceiptOutcome,
        fields: CompletionFields,
        failure_reason: str | None = None,
    ) -> ExecutionJournal: ...
    def retry_operation(self, folder: str, sequence: int) -> ExecutionJournal: ...
    def journal_lock(self, folder: str) -> JournalLockInfo | None: ...
    def break_journal_lock(self, folder: str) -> None: ...

    # Deferred review backlog.
    def list_backlog(self, kind: str | None = None) -> list[BacklogItem]: ...
    def decide_backlog(
        self, kind: str, item_ref: str, decision: Decision, note: str | None, decided_by: str
    ) -> DecisionRecord: ...

    # Release sequencing.
    def release_graph(self) -> ReleaseGraphView: ...
    def build_release_plan(
        self, requests: list[ReleaseRequest], originating_run_id: str | None = None
    ) -> SequencePlan: ...
    def list_release_plans(self) -> list[SequencePlan]: ...
    def get_release_plan(self, plan_id: str) -> SequencePlan: ...
    def start_release_run(
        self, plan_id: str, mode: Literal["command", "manual"]
    ) -> RunProgress: ...
    def advance_release_run(self, run_id: str) -> RunProgress: ...
    def mark_release_item(
        self, run_id: str, repo_id: str, succeeded: bool, reason: str | None = None
    ) -> RunProgress: ...
    def cancel_release_run(self, run_id: str) -> RunProgress: ...
    def list_release_runs(self, plan_id: str | None = None) -> list[Run]: ...
    def get_release_run(self, run_id: str) -> RunProgress: ...
