"""The façade the CLI and the TUI call; nothing above it touches files or HTTP.

It owns what belongs to "this user in this workspace" rather than to a backend: who the
holder is, the lease TTL, read-only mode, and the local working copy that sync pulls into
and pushes from. Everything else is the backend's.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path
from typing import Literal

from core.backends.base import Backend, BackendInfo, Health, ReleaseGraphView
from core.backends.local import LocalBackend, LocalPaths
from core.config import Settings, load_settings, user_cache_dir
from core.ito.workspace import ItoWorkspace
from core.models.backlog import BacklogItem, Decision, DecisionRecord
from core.models.backups import (
    BackupFolder,
    BackupStatus,
    CompletionFields,
    ExecutionJournal,
    JournalLockInfo,
    ReceiptOutcome,
)
from core.models.changes import (
    ChangeDetail,
    ChangeListing,
    ChangeSummary,
    Lifecycle,
    LifecycleFilter,
    ModuleDetail,
    ModuleSummary,
    SpecDocument,
    SpecSummary,
    TaskList,
)
from core.models.errors import (
    LeaseConflict,
    NoActiveLease,
    NotSupported,
    QuarterdeckError,
    ReadOnly,
)
from core.models.events import AuditEvent
from core.models.leases import AllocateResult, Lease, ReleaseResult
from core.models.releases import (
    ReleaseRequest,
    Run,
    RunProgress,
    RunStatus,
    SequenceOutcome,
    SequencePlan,
)
from core.models.sync import (
    ArchiveOutcome,
    ArchiveStep,
    ArchiveStepReport,
    FileDifference,
    StepStatus,
    SyncOutcome,
)
from core.releases.sequencer import Sequencer
from core.timeutil import Clock, system_clock, to_rfc3339

StepListener = Callable[[ArchiveStepReport], None]


class Service:
    def __init__(
        self,
        backend: Backend,
        working_copy: ItoWorkspace,
        *,
        holder: str,
        lease_ttl_seconds: int = 1800,
        read_only: bool = False,
        sync_backup_root: Path,
        clock: Clock = system_clock,
    ) -> None:
        self.backend = backend
        self.working_copy = working_copy
        self.holder = holder
        self.lease_ttl_seconds = lease_ttl_seconds
        self.read_only = read_only
        self.sync_backup_root = sync_backup_root
        self._clock = clock

    def _guard(self, action: str) -> None:
        if self.read_only:
            raise ReadOnly(action)

    @property
    def has_separate_store(self) -> bool:
        """False when the backend is this very workspace: then there is nothing to sync."""
        if isinstance(self.backend, LocalBackend):
            return self.backend.ito.ito_dir.resolve() != self.working_copy.ito_dir.resolve()
        return True

    def now(self) -> str:
        return to_rfc3339(self._clock())

    # Backend.

    @property
    def info(self) -> BackendInfo:
        return self.backend.info

    def health(self) -> Health:
        return self.backend.health()

    # Changes.

    def list_changes(
        self, lifecycle: LifecycleFilter = LifecycleFilter.ACTIVE
    ) -> list[ChangeSummary]:
        return self.backend.list_changes(lifecycle)

    def stream_changes(
        self, lifecycle: LifecycleFilter = LifecycleFilter.ACTIVE
    ) -> Generator[ChangeListing, None, None]:
        """Listings that grow to the complete one; see `Backend.stream_changes`."""
        return self.backend.stream_changes(lifecycle)

    def get_change(self, change_id: str) -> ChangeDetail:
        return self.backend.get_change(change_id)

    def get_tasks(self, change_id: str) -> TaskList:
        return self.backend.get_tasks(change_id)

    def list_modules(self) -> list[ModuleSummary]:
        return self.backend.list_modules()

    def module_names(self) -> dict[str, str]:
        return self.backend.module_names()

    def get_module(self, module_id: str) -> ModuleDetail:
        return self.backend.get_module(module_id)

    def list_specs(self) -> list[SpecSummary]:
        return self.backend.list_specs()

    def get_spec(self, spec_id: str) -> SpecDocument:
        return self.backend.get_spec(spec_id)

    def list_events(self, limit: int | None = None) -> list[AuditEvent]:
        return self.backend.list_events(limit)

    # Leases.

    def list_leases(self, include_expired: bool = False) -> list[Lease]:
        return self.backend.list_leases(include_expired)

    def claim(self, change_id: str, ttl_seconds: int | None = None) -> Lease:
        self._guard("claim")
        return self.backend.claim(change_id, self.holder, ttl_seconds or self.lease_ttl_seconds)

    def heartbeat(self, change_id: str, ttl_seconds: int | None = None) -> Lease:
        self._guard("heartbeat")
        ttl = ttl_seconds or self.lease_ttl_seconds
        return self.backend.heartbeat(change_id, self.holder, ttl)

    def renew(self, change_id: str, ttl_seconds: int | None = None) -> Lease:
        """Heartbeat our lease; if it already expired, take it again when still free."""
        self._guard("renew")
        try:
            return self.heartbeat(change_id, ttl_seconds)
        except NoActiveLease:
            return self.claim(change_id, ttl_seconds)

    def release(self, change_id: str, *, force: bool = False) -> ReleaseResult:
        self._guard("release")
        return self.backend.release(change_id, self.holder, force=force)

    def allocate(
        self, idempotency_key: str | None = None, ttl_seconds: int | None = None
    ) -> AllocateResult:
        self._guard("allocate")
        ttl = ttl_seconds or self.lease_ttl_seconds
        return self.backend.allocate(self.holder, ttl, idempotency_key)

    # Sync: the working copy against the backend's store.

    def _require_store(self, action: str) -> None:
        if not self.has_separate_store:
            raise NotSupported(
                f"{action}: this workspace is its own store (local backend); there is no "
                "other copy to sync with. Use a remote backend or set local_store."
            )

    def sync_pull(self, change_id: str) -> SyncOutcome:
        """Replace the local artifacts with the backend's (the old ones are backed up)."""
        self._guard("sync pull")
        self._require_store("sync pull")
        bundle = self.backend.pull_bundle(change_id)
        return self.working_copy.write_bundle(change_id, bundle, self.sync_backup_root)

    def sync_push(self, change_id: str, base_revision: str | None = None) -> SyncOutcome:
        """Send the local artifacts. `base_revision` overrides `.backend-revision`: the
        conflict dialog passes the server's revision to overwrite it knowingly."""
        self._guard("sync push")
        self._require_store("sync push")
        bundle = self.working_copy.read_bundle(change_id)
        if base_revision is not None:
            bundle = bundle.model_copy(update={"revision": base_revision})
        result = self.backend.push_bundle(change_id, bundle)
        self.working_copy.write_revision(change_id, result.new_revision, self.sync_backup_root)
        return SyncOutcome(change_id=change_id, direction="push", revision=result.new_revision)

    def compare_with_backend(self, change_id: str) -> list[FileDifference]:
        """How each artifact of the working copy differs from the backend's copy: what the
        revision-conflict dialog shows before the user picks a side. Changes nothing."""
        self._require_store("compare")
        local = self.working_copy.read_bundle(change_id).files()
        server = self.backend.pull_bundle(change_id).files()

        documents = ["proposal.md", "design.md", "tasks.md"]

        def order(path: str) -> tuple[int, str]:
            # The documents in ito's order, then the spec deltas by capability.
            return (documents.index(path) if path in documents else len(documents), path)

        return [
            FileDifference.between(path, local.get(path), server.get(path))
            for path in sorted(local.keys() | server.keys(), key=order)
        ]

    # Archive: ito's four-step flow.

    def archive(
        self,
        change_id: str,
        *,
        skip_specs: bool = False,
        force: bool = False,
        on_step: StepListener | None = None,
    ) -> ArchiveOutcome:
        """Pull, copy specs, move to the archive, mark archived on the backend.

        If the last step fails the local archive stands (ito's rule): the outcome carries
        the backend error instead of raising, so the caller can report it and retry.
        Someone else's lease refuses the archive unless `force` (the user confirmed).
        """
        self._guard("archive")
        if not force:
            for lease in self.backend.list_leases():
                if lease.change_id == change_id and lease.holder != self.holder:
                    raise LeaseConflict(change_id, lease.holder, to_rfc3339(lease.expires_at))
        steps: list[ArchiveStepReport] = []

        def report(step: ArchiveStep, status: StepStatus, detail: str = "") -> None:
            entry = ArchiveStepReport(step=step, status=status, detail=detail)
            if status != "started":
                steps.append(entry)
            if on_step is not None:
                on_step(entry)

        separate = self.has_separate_store
        report(ArchiveStep.PULL, "started")
        if separate:
            pulled = self.working_copy.write_bundle(
                change_id, self.backend.pull_bundle(change_id), self.sync_backup_root
            )
            report(ArchiveStep.PULL, "done", f"revision {pulled.revision}")
        else:
            report(ArchiveStep.PULL, "skipped", "the workspace is its own store")

        report(ArchiveStep.COPY_SPECS, "started")
        specs_updated: list[str] = []
        if skip_specs:
            report(ArchiveStep.COPY_SPECS, "skipped", "--skip-specs")
        else:
            specs_updated = self.working_copy.copy_specs_to_main(change_id)
            report(ArchiveStep.COPY_SPECS, "done", ", ".join(specs_updated) or "no spec deltas")

        report(ArchiveStep.MOVE, "started")
        archive_name = self.working_copy.move_to_archive(change_id)
        report(ArchiveStep.MOVE, "done", f"changes/archive/{archive_name}")

        report(ArchiveStep.MARK_ARCHIVED, "started")
        outcome = ArchiveOutcome(
            change_id=change_id, archive_name=archive_name, specs_updated=specs_updated
        )
        try:
            outcome.backend = self.backend.mark_archived(change_id)
            report(ArchiveStep.MARK_ARCHIVED, "done", outcome.backend.archived_at)
        except QuarterdeckError as error:
            outcome.backend_error = str(error)
            report(ArchiveStep.MARK_ARCHIVED, "failed", str(error))
        outcome.steps = steps
        return outcome

    def is_archived(self, change_id: str) -> bool:
        return self.backend.get_change(change_id).lifecycle == Lifecycle.ARCHIVED

    # Backups.

    def list_backups(self) -> list[BackupFolder]:
        return self.backend.list_backups()

    def backup_status(self, folder: str) -> BackupStatus:
        return self.backend.backup_status(folder)

    def backup_journal(self, folder: str) -> ExecutionJournal:
        return self.backend.backup_journal(folder)

    def accept_preflight(self, folder: str, preflight_id: str) -> ExecutionJournal:
        self._guard("accept preflight")
        return self.backend.accept_preflight(folder, preflight_id)

    def start_next_operation(self, folder: str) -> ExecutionJournal:
        self._guard("start next operation")
        return self.backend.start_next_operation(folder)

    def record_operation(
        self,
        folder: str,
        sequence: int,
        outcome: ReceiptOutcome,
        fields: CompletionFields | None = None,
        failure_reason: str | None = None,
    ) -> ExecutionJournal:
        self._guard("record operation")
        return self.backend.record_operation(
            folder, sequence, outcome, fields or CompletionFields(), failure_reason
        )

    def retry_operation(self, folder: str, sequence: int) -> ExecutionJournal:
        self._guard("retry operation")
        return self.backend.retry_operation(folder, sequence)

    def journal_lock(self, folder: str) -> JournalLockInfo | None:
        return self.backend.journal_lock(folder)

    def break_journal_lock(self, folder: str) -> None:
        self._guard("break journal lock")
        self.backend.break_journal_lock(folder)

    # Backlog.

    def list_backlog(self, kind: str | None = None) -> list[BacklogItem]:
        return self.backend.list_backlog(kind)

    def decide_backlog(
        self, kind: str, item_ref: str, decision: Decision, note: str | None = None
    ) -> DecisionRecord:
        self._guard("backlog decision")
        return self.backend.decide_backlog(kind, item_ref, decision, note, self.holder)

    # Releases.

    def release_graph(self) -> ReleaseGraphView:
        return self.backend.release_graph()

    def build_release_plan(self, requests: list[ReleaseRequest]) -> SequencePlan:
        self._guard("build release plan")
        filled = [
            request
            if request.promoted_by
            else request.model_copy(update={"promoted_by": self.holder})
            for request in requests
        ]
        return self.backend.build_release_plan(filled)

    def list_release_plans(self) -> list[SequencePlan]:
        return self.backend.list_release_plans()

    def get_release_plan(self, plan_id: str) -> SequencePlan:
        return self.backend.get_release_plan(plan_id)

    def start_release_run(
        self, plan_id: str, mode: Literal["command", "manual"] = "command"
    ) -> RunProgress:
        self._guard("start release run")
        return self.backend.start_release_run(plan_id, mode)

    def advance_release_run(self, run_id: str) -> RunProgress:
        self._guard("advance release run")
        return self.backend.advance_release_run(run_id)

    def mark_release_item(
        self, run_id: str, repo_id: str, succeeded: bool, reason: str | None = None
    ) -> RunProgress:
        self._guard("mark release item")
        return self.backend.mark_release_item(run_id, repo_id, succeeded, reason)

    def cancel_release_run(self, run_id: str) -> RunProgress:
        self._guard("cancel release run")
        return self.backend.cancel_release_run(run_id)

    def run_release_plan(
        self, plan_id: str, on_progress: Callable[[RunProgress], None] | None = None
    ) -> SequenceOutcome:
        """Start a command-mode run and advance it to the end, reporting each step."""
        progress = self.start_release_run(plan_id, "command")
        while progress.run.status == RunStatus.RUNNING:
            if on_progress is not None:
                on_progress(progress)
            progress = self.advance_release_run(progress.run.run_id)
        if on_progress is not None:
            on_progress(progress)
        return Sequencer.outcome(progress)

    def list_release_runs(self, plan_id: str | None = None) -> list[Run]:
        return self.backend.list_release_runs(plan_id)

    def get_release_run(self, run_id: str) -> RunProgress:
        return self.backend.get_release_run(run_id)


def open_service(settings: Settings, clock: Clock = system_clock) -> Service:
    """Build the backend the settings ask for and the service over it."""
    working_copy = ItoWorkspace(settings.ito_path, clock)
    backend: Backend
    if settings.backend == "remote":
        # Imported only here: local use never pays for loading httpx.
        from core.backends.remote import RemoteBackend
        from core.store.listing_cache import ListingCache

        org, repo = settings.project_parts()
        backend = RemoteBackend(
            settings.url,
            org,
            repo,
            token=settings.resolved_token(),
            timeout_s=settings.timeout_ms / 1000,
            max_retries=settings.max_retries,
            listing_cache=ListingCache(
                user_cache_dir() / "listings", settings.url, f"{org}/{repo}"
            ),
        )
    else:
        # The store's own configuration applies to the store (its backups, its graph...).
        store = (
            load_settings(settings.resolve(settings.local_store))
            if settings.local_store
            else settings
        )
        backend = LocalBackend(LocalPaths.from_settings(store), clock)
    return Service(
        backend,
        working_copy,
        holder=settings.holder,
        lease_ttl_seconds=settings.lease_ttl_seconds,
        read_only=settings.read_only,
        sync_backup_root=settings.state_path / "sync-backups",
        clock=clock,
    )
