"""canic's backup plan, execution journal and status shapes (FORMATS.md §3).

Field names, their order and the kebab-case enums are canic's own, so a journal we write
is one canic reads. Unknown fields are kept (`extra="allow"`) and written back, which is
kinder than canic's "ignore on read" and still readable by it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, Field

from core.models.base import Model


class OperationKind(StrEnum):
    VALIDATE_TOPOLOGY = "validate-topology"
    VALIDATE_CONTROL_AUTHORITY = "validate-control-authority"
    VALIDATE_SNAPSHOT_READ_AUTHORITY = "validate-snapshot-read-authority"
    VALIDATE_QUIESCENCE_POLICY = "validate-quiescence-policy"
    STOP = "stop"
    CREATE_SNAPSHOT = "create-snapshot"
    START = "start"
    DOWNLOAD_SNAPSHOT = "download-snapshot"
    VERIFY_ARTIFACT = "verify-artifact"
    FINALIZE_MANIFEST = "finalize-manifest"

    @property
    def is_preflight(self) -> bool:
        return self in PREFLIGHT_KINDS

    @property
    def is_mutating(self) -> bool:
        return self not in PREFLIGHT_KINDS


PREFLIGHT_KINDS = frozenset(
    {
        OperationKind.VALIDATE_TOPOLOGY,
        OperationKind.VALIDATE_CONTROL_AUTHORITY,
        OperationKind.VALIDATE_SNAPSHOT_READ_AUTHORITY,
        OperationKind.VALIDATE_QUIESCENCE_POLICY,
    }
)


class OperationState(StrEnum):
    READY = "ready"
    PENDING = "pending"
    BLOCKED = "blocked"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"


class ReceiptOutcome(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"


class PlanPhase(Model):
    model_config = ConfigDict(extra="allow")

    operation_id: str
    order: int
    kind: OperationKind
    target_canister_id: str | None = None


class BackupPlan(Model):
    """`backup-plan.json`: only what the journal needs is typed; the rest is kept as is."""

    model_config = ConfigDict(extra="allow")

    plan_id: str
    run_id: str
    fleet: str | None = None
    network: str | None = None
    targets: list[dict[str, object]] = Field(default_factory=list)
    phases: list[PlanPhase]


class JournalOperation(Model):
    # Frozen: a step replaces the operation it changes, and the journal writer reuses the
    # serialized text of every operation object it has seen (core/backups/files.py).
    model_config = ConfigDict(extra="allow", frozen=True)

    sequence: int
    operation_id: str
    kind: OperationKind
    target_canister_id: str | None = None
    state: OperationState
    state_updated_at: str | None = None
    blocking_reasons: list[str] = Field(default_factory=list)


class OperationReceipt(Model):
    model_config = ConfigDict(extra="allow", frozen=True)

    plan_id: str
    run_id: str
    preflight_id: str | None = None
    sequence: int
    operation_id: str
    kind: OperationKind
    target_canister_id: str | None = None
    outcome: ReceiptOutcome
    updated_at: str | None = None
    snapshot_id: str | None = None
    snapshot_taken_at_timestamp: int | None = None
    snapshot_total_size_bytes: int | None = None
    artifact_path: str | None = None
    checksum: str | None = None
    failure_reason: str | None = None


class ExecutionJournal(Model):
    """`backup-execution-journal.json`."""

    model_config = ConfigDict(extra="allow")

    journal_version: int
    plan_id: str
    run_id: str
    preflight_id: str | None = None
    preflight_accepted: bool = False
    restart_required: bool = False
    operations: list[JournalOperation]
    operation_receipts: list[OperationReceipt] = Field(default_factory=list)


class ResumeSummary(Model):
    """canic's `BackupExecutionResumeSummary`."""

    plan_id: str
    run_id: str
    preflight_id: str | None
    preflight_accepted: bool
    restart_required: bool
    total_operations: int
    ready_operations: int
    pending_operations: int
    blocked_operations: int
    completed_operations: int
    failed_operations: int
    skipped_operations: int
    next_operation: JournalOperation | None


LayoutStatus = Literal["dry-run", "running", "failed", "complete"]


class BackupStatus(Model):
    """`canic backup status` output: the layout and its resume summary."""

    layout_status: LayoutStatus
    plan_id: str
    run_id: str
    fleet: str | None = None
    network: str | None = None
    targets: int
    operations: int
    execution: ResumeSummary


class BackupFolder(Model):
    """One backup folder as the Backups list shows it (ours)."""

    path: str
    name: str
    layout_status: LayoutStatus | None = None
    plan_id: str | None = None
    run_id: str | None = None
    restart_required: bool = False
    total_operations: int = 0
    completed_operations: int = 0
    failed_operations: int = 0
    next_sequence: int | None = None
    has_journal: bool = False
    locked_by_pid: int | None = None
    lock_pid_alive: bool | None = None
    # Set when the folder could not be read; the list still shows it.
    error: str | None = None


class JournalLockInfo(Model):
    path: str
    pid: int | None
    alive: bool | None


class CompletionFields(Model):
    """What a `completed` receipt must carry, by operation kind (the stepper's form)."""

    snapshot_id: str | None = None
    snapshot_taken_at_timestamp: int | None = None
    snapshot_total_size_bytes: int | None = None
    artifact_path: str | None = None
    checksum: str | None = None


REQUIRED_COMPLETION_FIELD: dict[OperationKind, str] = {
    OperationKind.CREATE_SNAPSHOT: "snapshot_id",
    OperationKind.DOWNLOAD_SNAPSHOT: "artifact_path",
    OperationKind.VERIFY_ARTIFACT: "checksum",
}
