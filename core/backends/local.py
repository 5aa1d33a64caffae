"""The local backend: the real files of one workspace, read and written in place, plus the
embedded SQLite store (`.quarterdeck/state.db`) for leases, allocation keys and releases.

The HTTP server serves each project through one of these, so there is one set of rules.
"""

from __future__ import annotations

import threading
import uuid
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from core import __version__
from core.backends.base import BackendInfo, Health, ReleaseGraphView
from core.backends.change_listing import stream_listing
from core.backlog.review import BacklogReview
from core.backups.folders import BackupFolders
from core.config import Settings
from core.ito.ids import require_safe_component
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
    WorkStatus,
)
from core.models.errors import ChangeArchived, InvalidInput, NotSupported
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
from core.releases.graph import ReleaseGraph
from core.releases.plan import build_plan
from core.releases.releaser import CommandReleaser, Releaser
from core.releases.sequencer import Sequencer
from core.store.change_index import ChangeIndex
from core.store.db import StateStore
from core.store.leases import LeaseStore
from core.store.ledger import ReleaseLedger
from core.timeutil import Clock, system_clock, to_rfc3339


@dataclass(frozen=True)
class LocalPaths:
    """Where one workspace keeps each kind of data (see `core.config.Settings`)."""

    root: Path
    ito_dir: Path
    state_dir: Path
    backup_roots: list[Path] = field(default_factory=list)
    aristo_root: Path | None = None
    release_graph: Path | None = None
    release_command: str | None = None
    release_timeout_seconds: float = 600.0

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalPaths:
        return cls(
            root=settings.workspace,
            ito_dir=settings.ito_path,
            state_dir=settings.state_path,
            backup_roots=settings.backup_paths,
            aristo_root=settings.aristo_path(),
            release_graph=settings.release_graph_path,
            release_command=settings.release_command,
            release_timeout_seconds=settings.release_timeout_seconds,
        )

    @classmethod
    def for_root(cls, root: Path, **overrides: object) -> LocalPaths:
        """The default layout of a workspace root (what the server uses per project)."""
        defaults: dict[str, object] = {
            "root": root,
            "ito_dir": root / ".ito",
            "state_dir": root / ".quarterdeck",
            "backup_roots": [root / "backups"],
            "aristo_root": root if (root / "aristo.toml").is_file() else None,
            "release_graph": root / ".quarterdeck" / "release-graph.json",
        }
        defaults.update(overrides)
        return cls(**defaults)  # type: ignore[arg-type]


class LocalBackend:
    def __init__(
        self,
        paths: LocalPaths,
        clock: Clock = system_clock,
        releaser: Releaser | None = None,
        ids: Callable[[], uuid.UUID] | None = None,
    ) -> None:
        self.paths = paths
        self._clock = clock
        # Plan and run ids; the demo passes a counter so every demo build is the same.
        self._ids = ids or (lambda: uuid.uuid4())
        # Tests and the demo pass a releaser; normally it is the configured command.
        self._releaser = releaser
        self.ito = ItoWorkspace(paths.ito_dir, clock)
        self.store = StateStore(paths.state_dir / "state.db")
        self.leases = LeaseStore(self.store, clock)
        self.index = ChangeIndex(self.store)
        self.ledger = ReleaseLedger(self.store, self._ids)
        self.backups = BackupFolders(paths.backup_roots, clock)
        self._backlog = BacklogReview(paths.aristo_root, clock) if paths.aristo_root else None
        self._graph_cache: tuple[tuple[int, int], ReleaseGraph] | None = None
        self._graph_lock = threading.Lock()

    @property
    def info(self) -> BackendInfo:
        return BackendInfo(kind="local", location=str(self.paths.root))

    def health(self) -> Health:
        ok = self.paths.ito_dir.is_dir()
        detail = "" if ok else f"no ito workspace at {self.paths.ito_dir}"
        return Health(ok=ok, version=__version__, detail=detail)

    def close(self) -> None:
        self.store.close()

    # Changes, modules, specs.

    def stream_changes(
        self, lifecycle: LifecycleFilter = LifecycleFilter.ACTIVE
    ) -> Generator[ChangeListing, None, None]:
        return stream_listing(self.ito, self.index, lifecycle)

    def list_changes(
        self, lifecycle: LifecycleFilter = LifecycleFilter.ACTIVE
    ) -> list[ChangeSummary]:
        # The stream always ends with the complete listing; keep only that one.
        (final,) = deque(self.stream_changes(lifecycle), maxlen=1)
        return final.changes

    def get_change(self, change_id: str) -> ChangeDetail:
        require_safe_component(change_id, "change id")
        return self.ito.get_change(change_id)

    def get_tasks(self, change_id: str) -> TaskList:
        require_safe_component(change_id, "change id")
        return self.ito.get_tasks(change_id)

    def list_modules(self) -> list[ModuleSummary]:
        return self.ito.list_modules()

    def module_names(self) -> dict[str, str]:
        return self.ito.module_names()

    def get_module(self, module_id: str) -> ModuleDetail:
        require_safe_component(module_id, "module id")
        return self.ito.get_module(module_id)

    def list_specs(self) -> list[SpecSummary]:
        return self.ito.list_specs()

    def get_spec(self, spec_id: str) -> SpecDocument:
        require_safe_component(spec_id, "spec id")
        return self.ito.get_spec(spec_id)

    # Leases.

    def _require_active(self, change_id: str) -> None:
        require_safe_component(change_id, "change id")
        _, lifecycle = self.ito.find_change(change_id)
        if lifecycle == Lifecycle.ARCHIVED:
            raise ChangeArchived(change_id)

    def list_leases(self, include_expired: bool = False) -> list[Lease]:
        return self.leases.active(include_expired=include_expired)

    def claim(self, change_id: str, holder: str, ttl_seconds: int) -> Lease:
        self._require_active(change_id)
        return self.leases.claim(change_id, holder, ttl_seconds)

    def heartbeat(self, change_id: str, holder: str, ttl_seconds: int) -> Lease:
        self._require_active(change_id)
        return self.leases.heartbeat(change_id, holder, ttl_seconds)

    def release(self, change_id: str, holder: str, *, force: bool = False) -> ReleaseResult:
        require_safe_component(change_id, "change id")
        return self.leases.release(change_id, holder, force=force)

    def allocate(
        self, holder: str, ttl_seconds: int, idempotency_key: str | None = None
    ) -> AllocateResult:
        eligible = (
            summary.id
            for summary in self.ito.list_changes(LifecycleFilter.ACTIVE)
            if summary.work_status != WorkStatus.COMPLETE
        )
        return self.leases.allocate(holder, ttl_seconds, eligible, idempotency_key)

    # Store side of sync and archive.

    def pull_bundle(self, change_id: str) -> ArtifactBundle:
        require_safe_component(change_id, "change id")
        return self.ito.store_pull(change_id)

    def push_bundle(self, change_id: str, bundle: ArtifactBundle) -> PushResult:
        require_safe_component(change_id, "change id")
        if bundle.change_id and bundle.change_id != change_id:
            raise InvalidInput(f"bundle is for change '{bundle.change_id}', not '{change_id}'")
        return self.ito.store_push(change_id, bundle)

    def mark_archived(self, change_id: str) -> ArchiveResult:
        """Archive the store's copy (idempotent: an archived change stays archived)."""
        require_safe_component(change_id, "change id")
        _, lifecycle = self.ito.find_change(change_id)
        if lifecycle == Lifecycle.ACTIVE:
            self.ito.archive_local(change_id, skip_specs=False)
        self.leases.forget(change_id)
        return ArchiveResult(change_id=change_id, archived_at=to_rfc3339(self._clock()))

    # Audit events.

    def list_events(self, limit: int | None = None) -> list[AuditEvent]:
        return self.ito.list_events(limit)

    def ingest_events(self, batch: EventBatch) -> EventIngestResult:
        return self.ito.ingest_events(batch)

    # Backups.

    def list_backups(self) -> list[BackupFolder]:
        return self.backups.list()

    def backup_status(self, folder: str) -> BackupStatus:
        return self.backups.status(folder)

    def backup_journal(self, folder: str) -> ExecutionJournal:
        return self.backups.journal(folder)

    def accept_preflight(self, folder: str, preflight_id: str) -> ExecutionJournal:
        return self.backups.accept_preflight(folder, preflight_id)

    def start_next_operation(self, folder: str) -> ExecutionJournal:
        return self.backups.start_next(folder)

    def record_operation(
        self,
        folder: str,
        sequence: int,
        outcome: ReceiptOutcome,
        fields: CompletionFields,
        failure_reason: str | None = None,
    ) -> ExecutionJournal:
        return self.backups.record(
            folder,
            sequence,
            outcome,
            failure_reason=failure_reason,
            **fields.model_dump(exclude_none=True),
        )

    def retry_operation(self, folder: str, sequence: int) -> ExecutionJournal:
        return self.backups.retry(folder, sequence)

    def journal_lock(self, folder: str) -> JournalLockInfo | None:
        return self.backups.lock_info(folder)

    def break_journal_lock(self, folder: str) -> None:
        self.backups.break_lock(folder)

    # Backlog.

    def _review(self) -> BacklogReview:
        if self._backlog is None:
            raise NotSupported(
                f"no aristo workspace found (no aristo.toml at or above {self.paths.root})"
            )
        return self._backlog

    def list_backlog(self, kind: str | None = None) -> list[BacklogItem]:
        if self._backlog is None:
            return []
        return self._backlog.list(kind)

    def decide_backlog(
        self, kind: str, item_ref: str, decision: Decision, note: str | None, decided_by: str
    ) -> DecisionRecord:
        return self._review().decide(kind, item_ref, decision, note, decided_by)

    # Releases.

    def _graph(self) -> ReleaseGraph:
        path = self.paths.release_graph
        if path is None or not path.is_file():
            return ReleaseGraph()
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._graph_lock:
            if self._graph_cache is None or self._graph_cache[0] != stamp:
                self._graph_cache = (stamp, ReleaseGraph.from_file(path))
            return self._graph_cache[1]

    def _sequencer(self) -> Sequencer:
        releaser = self._releaser
        if releaser is None and self.paths.release_command:
            releaser = CommandReleaser(
                self.paths.release_command,
                self.paths.root,
                timeout_s=self.paths.release_timeout_seconds,
            )
        return Sequencer(self._graph(), self.ledger, releaser, self._clock)

    def release_graph(self) -> ReleaseGraphView:
        graph = self._graph()
        model: GraphFile = graph.to_model()
        return ReleaseGraphView(graph=model, order=graph.topological_order())

    def build_release_plan(
        self, requests: list[ReleaseRequest], originating_run_id: str | None = None
    ) -> SequencePlan:
        if not requests:
            raise InvalidInput("a release plan needs at least one REPO=VERSION")
        origin = originating_run_id or f"quarterdeck-{self._ids().hex[:12]}"
        # aivcs's plan id: "seq-" and the first group of a UUID.
        plan = build_plan(self._graph(), requests, origin, plan_id=f"seq-{self._ids().hex[:8]}")
        self.ledger.save_plan(plan, to_rfc3339(self._clock()))
        return plan

    def list_release_plans(self) -> list[SequencePlan]:
        return [plan for plan, _created in self.ledger.list_plans()]

    def get_release_plan(self, plan_id: str) -> SequencePlan:
        return self.ledger.get_plan(plan_id)

    def start_release_run(self, plan_id: str, mode: Literal["command", "manual"]) -> RunProgress:
        return self._sequencer().start_run(plan_id, mode)

    def advance_release_run(self, run_id: str) -> RunProgress:
        return self._sequencer().advance(run_id)

    def mark_release_item(
        self, run_id: str, repo_id: str, succeeded: bool, reason: str | None = None
    ) -> RunProgress:
        return self._sequencer().mark(run_id, repo_id, succeeded, reason)

    def cancel_release_run(self, run_id: str) -> RunProgress:
        return self._sequencer().cancel(run_id)

    def list_release_runs(self, plan_id: str | None = None) -> list[Run]:
        return self.ledger.list_runs(plan_id)

    def get_release_run(self, run_id: str) -> RunProgress:
        return self.ledger.get_run(run_id)
