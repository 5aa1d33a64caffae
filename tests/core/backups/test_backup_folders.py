"""Backup folders: listing, resolving, canic's status, and the locked steps."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from core.backups import folders as folders_module
from core.backups.files import JOURNAL_FILE, PLAN_FILE, load_journal, lock_path
from core.backups.folders import BackupFolders
from core.models.backups import OperationState, ReceiptOutcome
from core.models.errors import (
    InvalidInput,
    InvalidJournal,
    InvalidTransition,
    JournalLocked,
    NotFound,
)
from core.timeutil import fixed_clock

EXAMPLES = Path(__file__).parent / "examples"
DRY_RUN = EXAMPLES / "backup-execution-journal.dry-run.json"
FAILED = EXAMPLES / "backup-execution-journal.failed-snapshot-after-stop.json"
NOON = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
NOON_STAMP = f"unix:{int(NOON.timestamp())}"

MakeFolder = Callable[..., Path]


@pytest.fixture
def folders(backup_root: Path) -> BackupFolders:
    return BackupFolders([backup_root], clock=fixed_clock(NOON))


def canic_status(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((EXAMPLES / name).read_text())
    return loaded


def test_list_finds_the_backup_folders_inside_a_root_sorted_by_name(
    folders: BackupFolders, make_folder: MakeFolder
) -> None:
    make_folder("run-b")
    make_folder("run-a", journal=FAILED)
    assert [folder.name for folder in folders.list()] == ["run-a", "run-b"]


def test_list_includes_a_root_that_is_itself_a_backup_folder(make_folder: MakeFolder) -> None:
    folder = make_folder("only-run")
    assert [entry.path for entry in BackupFolders([folder]).list()] == [str(folder.resolve())]


def test_list_ignores_folders_and_files_that_are_not_backups(
    folders: BackupFolders, backup_root: Path, make_folder: MakeFolder
) -> None:
    make_folder("run-a", journal=FAILED)
    (backup_root / "notes").mkdir()
    (backup_root / "readme.txt").write_text("hello")
    (backup_root / "run-a" / ".backup-execution-journal.json.1234.abcd.tmp").write_text("{")
    assert [folder.name for folder in folders.list()] == ["run-a"]


def test_list_skips_roots_that_do_not_exist(tmp_path: Path) -> None:
    assert BackupFolders([tmp_path / "missing"]).list() == []


def test_list_summarises_each_folder(folders: BackupFolders, make_folder: MakeFolder) -> None:
    folder = make_folder("run-a", journal=FAILED)
    (entry,) = folders.list()
    assert entry.model_dump() == {
        "path": str(folder.resolve()),
        "name": "run-a",
        "layout_status": "failed",
        "plan_id": "plan-001",
        "run_id": "run-001",
        "restart_required": True,
        "total_operations": 10,
        "completed_operations": 5,
        "failed_operations": 1,
        "next_sequence": 5,
        "has_journal": True,
        "locked_by_pid": None,
        "lock_pid_alive": None,
        "error": None,
    }


def test_list_shows_a_plan_only_folder_as_a_dry_run_without_a_journal(
    folders: BackupFolders, make_folder: MakeFolder
) -> None:
    make_folder("run-a")
    (entry,) = folders.list()
    assert (entry.layout_status, entry.has_journal, entry.next_sequence) == ("dry-run", False, 0)


def test_list_still_shows_a_folder_it_cannot_read_with_the_reason(
    folders: BackupFolders, make_folder: MakeFolder
) -> None:
    folder = make_folder("run-a")
    (folder / JOURNAL_FILE).write_text("{ not json")
    (entry,) = folders.list()
    assert entry.name == "run-a"
    assert entry.layout_status is None
    assert entry.error is not None and entry.error.startswith(
        f"{folder.resolve() / JOURNAL_FILE}:1: malformed JSON"
    )


def test_list_reports_a_folder_whose_journal_disagrees_with_its_plan(
    folders: BackupFolders, make_folder: MakeFolder
) -> None:
    folder = make_folder("run-a")
    journal = json.loads(DRY_RUN.read_text())
    journal["run_id"] = "run-999"
    (folder / JOURNAL_FILE).write_text(json.dumps(journal))
    (entry,) = folders.list()
    assert entry.error is not None and "the journal is for run 'run-999'" in entry.error


def test_list_shows_who_holds_a_folders_lock(
    folders: BackupFolders, make_folder: MakeFolder
) -> None:
    folder = make_folder("run-a", journal=FAILED)
    lock_path(folder / JOURNAL_FILE).write_text(f"pid={os.getpid()}\n")
    (entry,) = folders.list()
    assert (entry.locked_by_pid, entry.lock_pid_alive) == (os.getpid(), True)


def test_listing_again_does_not_reread_an_unchanged_journal(
    folders: BackupFolders, make_folder: MakeFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_folder("run-a", journal=FAILED)
    reads: list[Path] = []

    def counting_load(path: Path) -> object:
        reads.append(path)
        return load_journal(path)

    monkeypatch.setattr(folders_module, "load_journal", counting_load)
    folders.list()
    folders.list()
    folders.status("run-a")
    assert len(reads) == 1


def test_a_journal_changed_by_someone_else_is_read_again(
    folders: BackupFolders, make_folder: MakeFolder
) -> None:
    make_folder("run-a", journal=FAILED)
    assert folders.journal("run-a").operations[5].state == OperationState.FAILED
    BackupFolders([folders.roots[0]]).retry("run-a", 5)
    assert folders.journal("run-a").operations[5].state == OperationState.READY


def test_resolve_finds_a_folder_by_name_in_the_roots(
    folders: BackupFolders, make_folder: MakeFolder
) -> None:
    folder = make_folder("run-a")
    assert folders.resolve("run-a") == folder.resolve()


def test_resolve_accepts_an_absolute_path(make_folder: MakeFolder, tmp_path: Path) -> None:
    folder = make_folder("run-a")
    assert BackupFolders([tmp_path / "elsewhere"]).resolve(str(folder)) == folder.resolve()


def test_resolve_accepts_a_path_relative_to_the_working_folder(
    make_folder: MakeFolder, backup_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_folder("run-a")
    monkeypatch.chdir(backup_root)
    assert BackupFolders([tmp_path / "elsewhere"]).resolve("./run-a") == folder.resolve()


@pytest.mark.parametrize("name", ["run-z", "", "notes"])
def test_resolve_refuses_what_is_not_a_backup_folder(
    folders: BackupFolders, backup_root: Path, name: str
) -> None:
    (backup_root / "notes").mkdir()
    with pytest.raises(NotFound, match=f"backup folder not found: {name}"):
        folders.resolve(name)


@pytest.mark.parametrize("name", ["..", "../run-a", "run-a/../run-a"])
def test_resolve_refuses_names_that_climb_out_of_the_roots(
    folders: BackupFolders, make_folder: MakeFolder, name: str
) -> None:
    make_folder("run-a")
    with pytest.raises(InvalidInput, match=r"'\.\.' is not allowed"):
        folders.resolve(name)


def test_a_plan_only_folder_has_the_journal_its_plan_starts_with_unwritten(
    folders: BackupFolders, make_folder: MakeFolder
) -> None:
    folder = make_folder("run-a")
    assert folders.journal("run-a").model_dump() == load_journal(DRY_RUN).model_dump()
    assert not (folder / JOURNAL_FILE).exists()


def test_a_folder_without_a_plan_has_no_plan(
    folders: BackupFolders, make_folder: MakeFolder
) -> None:
    make_folder("run-a", plan=False, journal=FAILED)
    assert folders.plan("run-a") is None


def test_a_folder_plan_is_loaded(folders: BackupFolders, make_folder: MakeFolder) -> None:
    make_folder("run-a")
    plan = folders.plan("run-a")
    assert plan is not None and plan.fleet == "demo"


def test_the_status_of_a_plan_only_folder_is_canics_dry_run_status(
    folders: BackupFolders, make_folder: MakeFolder
) -> None:
    make_folder("run-a")
    assert folders.status("run-a").model_dump(mode="json") == canic_status(
        "canic-backup-status.dry-run.json"
    )


def test_the_status_of_the_dry_run_folder_is_canics(
    folders: BackupFolders, make_folder: MakeFolder
) -> None:
    make_folder("run-a", journal=DRY_RUN)
    assert folders.status("run-a").model_dump(mode="json") == canic_status(
        "canic-backup-status.dry-run.json"
    )


def test_the_status_of_the_failed_folder_is_canics(
    folders: BackupFolders, make_folder: MakeFolder
) -> None:
    make_folder("run-a", journal=FAILED)
    assert folders.status("run-a").model_dump(mode="json") == canic_status(
        "canic-backup-status.failed.json"
    )


def test_the_status_without_a_plan_counts_no_targets(
    folders: BackupFolders, make_folder: MakeFolder
) -> None:
    make_folder("run-a", plan=False, journal=FAILED)
    status = folders.status("run-a")
    assert (status.targets, status.fleet, status.network, status.operations) == (0, None, None, 10)


def test_the_first_step_writes_the_journal_built_from_the_plan(
    folders: BackupFolders, make_folder: MakeFolder
) -> None:
    folder = make_folder("run-a")
    folders.start_next("run-a")
    written = load_journal(folder / JOURNAL_FILE)
    assert (written.operations[0].state, written.operations[0].state_updated_at) == (
        OperationState.PENDING,
        NOON_STAMP,
    )
    assert written.operations[1].state == OperationState.READY


def test_accepting_a_preflight_is_written(folders: BackupFolders, make_folder: MakeFolder) -> None:
    folder = make_folder("run-a")
    returned = folders.accept_preflight("run-a", "preflight-001")
    written = load_journal(folder / JOURNAL_FILE)
    assert written.model_dump() == returned.model_dump()
    assert (written.preflight_id, written.operations[0].state_updated_at) == (
        "preflight-001",
        NOON_STAMP,
    )


def test_recording_writes_the_receipt_stamped_by_the_clock(
    folders: BackupFolders, make_folder: MakeFolder
) -> None:
    folder = make_folder("run-a", journal=FAILED)
    folders.start_next("run-a")
    folders.record("run-a", 5, ReceiptOutcome.COMPLETED, snapshot_id="snap-9")
    written = load_journal(folder / JOURNAL_FILE)
    receipt = written.operation_receipts[-1]
    assert (receipt.sequence, receipt.snapshot_id, receipt.updated_at) == (5, "snap-9", NOON_STAMP)
    assert written.operations[5].state == OperationState.COMPLETED


def test_retrying_is_written(folders: BackupFolders, make_folder: MakeFolder) -> None:
    folder = make_folder("run-a", journal=FAILED)
    folders.retry("run-a", 5)
    assert load_journal(folder / JOURNAL_FILE).operations[5].state == OperationState.READY


def test_a_refused_step_leaves_the_file_untouched_and_unlocked(
    folders: BackupFolders, make_folder: MakeFolder
) -> None:
    folder = make_folder("run-a", journal=FAILED)
    with pytest.raises(InvalidTransition, match="operation 6 is ready; only a failed operation"):
        folders.retry("run-a", 6)
    assert (folder / JOURNAL_FILE).read_bytes() == FAILED.read_bytes()
    assert not lock_path(folder / JOURNAL_FILE).exists()


def test_a_step_is_refused_while_another_process_holds_the_lock(
    folders: BackupFolders, make_folder: MakeFolder
) -> None:
    folder = make_folder("run-a", journal=FAILED)
    lock_path(folder / JOURNAL_FILE).write_text(f"pid={os.getpid()}\n")
    with pytest.raises(
        JournalLocked,
        match=f"backup execution journal is locked: {folder.resolve() / JOURNAL_FILE}",
    ):
        folders.retry("run-a", 5)
    assert (folder / JOURNAL_FILE).read_bytes() == FAILED.read_bytes()


def test_a_step_releases_the_lock(folders: BackupFolders, make_folder: MakeFolder) -> None:
    folder = make_folder("run-a", journal=FAILED)
    folders.retry("run-a", 5)
    assert not lock_path(folder / JOURNAL_FILE).exists()


def test_a_step_is_refused_when_the_journal_disagrees_with_the_plan(
    folders: BackupFolders, make_folder: MakeFolder
) -> None:
    folder = make_folder("run-a", journal=FAILED)
    plan = json.loads((folder / PLAN_FILE).read_text())
    plan["plan_id"] = "plan-777"
    (folder / PLAN_FILE).write_text(json.dumps(plan))
    with pytest.raises(
        InvalidJournal,
        match="the journal is for plan 'plan-001', but the backup plan is 'plan-777'",
    ):
        folders.retry("run-a", 5)
    assert (folder / JOURNAL_FILE).read_bytes() == FAILED.read_bytes()


def test_break_lock_removes_a_stale_lock(folders: BackupFolders, make_folder: MakeFolder) -> None:
    folder = make_folder("run-a", journal=FAILED)
    # Above any pid_max: no process can have it.
    lock_path(folder / JOURNAL_FILE).write_text("pid=2147483646\n")
    folders.break_lock("run-a")
    assert not lock_path(folder / JOURNAL_FILE).exists()


def test_break_lock_refuses_a_live_lock(folders: BackupFolders, make_folder: MakeFolder) -> None:
    folder = make_folder("run-a", journal=FAILED)
    lock_path(folder / JOURNAL_FILE).write_text(f"pid={os.getpid()}\n")
    with pytest.raises(JournalLocked):
        folders.break_lock("run-a")
    assert lock_path(folder / JOURNAL_FILE).exists()


def test_steps_through_a_whole_run_complete_it(
    folders: BackupFolders, make_folder: MakeFolder
) -> None:
    make_folder("run-a")
    folders.accept_preflight("run-a", "preflight-001")
    fields: dict[int, dict[str, Any]] = {
        5: {"snapshot_id": "s"},
        7: {"artifact_path": "a"},
        8: {"checksum": "c"},
    }
    for sequence in range(4, 10):
        folders.start_next("run-a")
        folders.record("run-a", sequence, ReceiptOutcome.COMPLETED, **fields.get(sequence, {}))
    assert folders.status("run-a").layout_status == "complete"
    assert folders.list()[0].completed_operations == 10


def test_a_copied_folder_is_a_separate_folder(
    folders: BackupFolders, make_folder: MakeFolder, backup_root: Path
) -> None:
    make_folder("run-a", journal=FAILED)
    shutil.copytree(backup_root / "run-a", backup_root / "run-b")
    folders.retry("run-b", 5)
    assert folders.journal("run-a").operations[5].state == OperationState.FAILED
