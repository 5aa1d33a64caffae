"""Shared plans and journals for the backup tests (the examples are canic's, from FORMATS.md)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.backups.files import JOURNAL_FILE, PLAN_FILE, load_journal, load_plan
from core.backups.journal import (
    accept_preflight,
    build_receipt,
    journal_from_plan,
    mark_next_pending,
    record_receipt,
)
from core.models.backups import (
    BackupPlan,
    ExecutionJournal,
    OperationKind,
    OperationReceipt,
    PlanPhase,
    ReceiptOutcome,
)

EXAMPLES = Path(__file__).parent / "examples"
DRY_RUN_JOURNAL = EXAMPLES / "backup-execution-journal.dry-run.json"
FAILED_JOURNAL = EXAMPLES / "backup-execution-journal.failed-snapshot-after-stop.json"
EXAMPLE_PLAN = EXAMPLES / "backup-plan.json"

PREFLIGHT = [
    OperationKind.VALIDATE_TOPOLOGY,
    OperationKind.VALIDATE_CONTROL_AUTHORITY,
    OperationKind.VALIDATE_SNAPSHOT_READ_AUTHORITY,
    OperationKind.VALIDATE_QUIESCENCE_POLICY,
]
PER_TARGET = [
    (OperationKind.STOP, "stop"),
    (OperationKind.CREATE_SNAPSHOT, "snapshot"),
    (OperationKind.START, "start"),
    (OperationKind.DOWNLOAD_SNAPSHOT, "download"),
    (OperationKind.VERIFY_ARTIFACT, "verify"),
]

# What a `completed` receipt of each kind needs to be accepted.
COMPLETION_FIELDS: dict[OperationKind, dict[str, Any]] = {
    OperationKind.CREATE_SNAPSHOT: {"snapshot_id": "snap-1"},
    OperationKind.DOWNLOAD_SNAPSHOT: {"artifact_path": "artifacts/snap-1.bin"},
    OperationKind.VERIFY_ARTIFACT: {"checksum": "sha256:00ff"},
}


def _plan_with_targets(
    count: int, plan_id: str = "plan-001", run_id: str = "run-001"
) -> BackupPlan:
    """canic's plan shape: the four checks, five steps per canister, then the manifest."""
    phases = [
        PlanPhase(operation_id=kind.value, order=i, kind=kind) for i, kind in enumerate(PREFLIGHT)
    ]
    for target in range(count):
        canister = f"canister-{target}"
        for kind, prefix in PER_TARGET:
            phases.append(
                PlanPhase(
                    operation_id=f"{prefix}-{canister}",
                    order=len(phases),
                    kind=kind,
                    target_canister_id=canister,
                )
            )
    phases.append(
        PlanPhase(
            operation_id="finalize-manifest",
            order=len(phases),
            kind=OperationKind.FINALIZE_MANIFEST,
        )
    )
    targets: list[dict[str, object]] = [{"canister_id": f"canister-{t}"} for t in range(count)]
    return BackupPlan(
        plan_id=plan_id,
        run_id=run_id,
        fleet="demo",
        network="local",
        targets=targets,
        phases=phases,
    )


def _complete_next(journal: ExecutionJournal, at: str = "unix:20") -> ExecutionJournal:
    """Mark the next operation pending and record it completed with what its kind needs."""
    pending = mark_next_pending(journal, at)
    operation = next(op for op in pending.operations if op.state == "pending")
    receipt = build_receipt(
        pending,
        operation.sequence,
        ReceiptOutcome.COMPLETED,
        at,
        **COMPLETION_FIELDS.get(operation.kind, {}),
    )
    return record_receipt(pending, receipt)


def _receipt_for(journal: ExecutionJournal, sequence: int, /, **changes: Any) -> OperationReceipt:
    """A completed receipt that fits `sequence`, with `changes` applied."""
    operation = journal.operations[sequence]
    receipt = build_receipt(
        journal,
        sequence,
        ReceiptOutcome.COMPLETED,
        "unix:30",
        **COMPLETION_FIELDS.get(operation.kind, {}),
    )
    return receipt.model_copy(update=changes)


@pytest.fixture
def make_plan() -> Callable[..., BackupPlan]:
    """`make_plan(targets)`: canic's plan shape for that many canisters."""
    return _plan_with_targets


@pytest.fixture
def complete_next() -> Callable[..., ExecutionJournal]:
    """`complete_next(journal)`: mark the next operation pending, then record it completed."""
    return _complete_next


@pytest.fixture
def receipt_for() -> Callable[..., OperationReceipt]:
    """`receipt_for(journal, sequence, **changes)`: a fitting completed receipt, then changed."""
    return _receipt_for


@pytest.fixture
def example_plan() -> BackupPlan:
    return load_plan(EXAMPLE_PLAN)


@pytest.fixture
def dry_run_journal() -> ExecutionJournal:
    return load_journal(DRY_RUN_JOURNAL)


@pytest.fixture
def failed_journal() -> ExecutionJournal:
    return load_journal(FAILED_JOURNAL)


@pytest.fixture
def accepted_journal(example_plan: BackupPlan) -> ExecutionJournal:
    """The example plan's journal with preflight-001 accepted at unix:10."""
    return accept_preflight(journal_from_plan(example_plan), "preflight-001", "unix:10")


@pytest.fixture
def backup_root(tmp_path: Path) -> Path:
    root = tmp_path / "backups"
    root.mkdir()
    return root


@pytest.fixture
def make_folder(backup_root: Path) -> Callable[..., Path]:
    """A backup folder under `backup_root` holding copies of the named example files."""

    def make(name: str, *, plan: bool = True, journal: Path | None = None) -> Path:
        folder = backup_root / name
        folder.mkdir()
        if plan:
            shutil.copy(EXAMPLE_PLAN, folder / PLAN_FILE)
        if journal is not None:
            shutil.copy(journal, folder / JOURNAL_FILE)
        return folder

    return make
