"""`quarterdeck backup ...` over canic's backup folders (FORMATS.md §3)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

Runner = Callable[..., Any]

STATUS_KEYS = {
    "layout_status",
    "plan_id",
    "run_id",
    "fleet",
    "network",
    "targets",
    "operations",
    "execution",
}
SUMMARY_KEYS = {
    "plan_id",
    "run_id",
    "preflight_id",
    "preflight_accepted",
    "restart_required",
    "total_operations",
    "ready_operations",
    "pending_operations",
    "blocked_operations",
    "completed_operations",
    "failed_operations",
    "skipped_operations",
    "next_operation",
}
JOURNAL = "backup-execution-journal.json"


def folder(workspace: Path, prefix: str) -> Path:
    """The demo's `nightly-<date>` (a dry run) or `weekly-<date>` (stopped) folder."""
    (found,) = (workspace / "backups").glob(f"{prefix}-*")
    return found


def lock(backup: Path, pid: int) -> Path:
    path = backup / f"{JOURNAL}.lock"
    path.write_text(f"pid={pid}")
    return path


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_backup_status_json_has_canics_status_keys(qd: Runner, shared_demo: Path) -> None:
    weekly = folder(shared_demo, "weekly").name
    result = qd("backup", "status", weekly, "--json", "--workspace", shared_demo)
    status = result.json()
    assert (result.code, set(status), set(status["execution"])) == (0, STATUS_KEYS, SUMMARY_KEYS)


def test_backup_status_of_the_stopped_backup_shows_the_failed_snapshot(
    cli: Runner, shared_demo: Path
) -> None:
    weekly = folder(shared_demo, "weekly").name
    status = cli("backup", "status", weekly, "--json", "--workspace", shared_demo).json()
    nxt = status["execution"]["next_operation"]
    assert (status["layout_status"], nxt["kind"], nxt["state"]) == (
        "failed",
        "create-snapshot",
        "failed",
    )


def test_backup_status_warns_that_a_restart_is_required(cli: Runner, shared_demo: Path) -> None:
    weekly = folder(shared_demo, "weekly").name
    result = cli("backup", "status", weekly, "--workspace", shared_demo)
    assert "RESTART REQUIRED" in result.out


def test_backup_status_accepts_a_folder_path(cli: Runner, shared_demo: Path) -> None:
    path = folder(shared_demo, "nightly")
    result = cli("backup", "status", path, "--json", "--workspace", shared_demo)
    assert result.json()["layout_status"] == "dry-run"


def test_backup_status_of_an_unknown_folder_is_not_found(cli: Runner, shared_demo: Path) -> None:
    result = cli("backup", "status", "no-such-backup", "--workspace", shared_demo)
    assert (result.code, result.err) == (
        3,
        "quarterdeck: backup folder not found: no-such-backup\n",
    )


def test_backup_list_json_lists_both_demo_folders(cli: Runner, shared_demo: Path) -> None:
    folders = cli("backup", "list", "--json", "--workspace", shared_demo).json()
    assert sorted((f["layout_status"], f["restart_required"]) for f in folders) == [
        ("dry-run", False),
        ("failed", True),
    ]


def test_accepting_the_preflight_unblocks_the_dry_run(cli: Runner, demo: Path) -> None:
    nightly = folder(demo, "nightly").name
    result = cli("backup", "accept-preflight", nightly, "pf-1", "--json", "--workspace", demo)
    summary = result.json()
    assert (result.code, summary["preflight_id"], summary["blocked_operations"]) == (
        0,
        "pf-1",
        0,
    )


def test_a_failed_outcome_without_a_reason_is_invalid_input(cli: Runner, demo: Path) -> None:
    weekly = folder(demo, "weekly")
    cli("backup", "retry", weekly.name, "7", "--workspace", demo)
    cli("backup", "start-next", weekly.name, "--workspace", demo)
    pending = (weekly / JOURNAL).read_bytes()
    result = cli("backup", "record", weekly.name, "7", "--outcome", "failed", "--workspace", demo)
    assert result.code == 5
    assert "needs a non-empty failure_reason" in result.err
    assert (weekly / JOURNAL).read_bytes() == pending


def test_retrying_the_failed_snapshot_makes_it_ready(cli: Runner, demo: Path) -> None:
    weekly = folder(demo, "weekly").name
    summary = cli("backup", "retry", weekly, "7", "--json", "--workspace", demo).json()
    assert (summary["failed_operations"], summary["next_operation"]["state"]) == (0, "ready")


def test_a_journal_locked_by_a_live_process_refuses_a_step_naming_the_path(
    qd: Runner, demo: Path
) -> None:
    weekly = folder(demo, "weekly")
    lock(weekly, os.getpid())
    before = (weekly / JOURNAL).read_bytes()
    result = qd("backup", "start-next", weekly.name, "--workspace", demo)
    assert result.code == 4
    assert (
        f"quarterdeck: backup execution journal is locked: {weekly / JOURNAL} "
        f"(by running process {os.getpid()})"
    ) in result.err
    assert (weekly / JOURNAL).read_bytes() == before


def test_a_journal_locked_by_a_dead_process_still_refuses_a_step(cli: Runner, demo: Path) -> None:
    weekly = folder(demo, "weekly")
    pid = dead_pid()
    lock(weekly, pid)
    result = cli("backup", "start-next", weekly.name, "--workspace", demo)
    assert result.code == 4
    assert f"by process {pid}, which is no longer running (the lock can be broken)" in result.err


def test_backup_unlock_breaks_the_lock_of_a_dead_process(qd: Runner, demo: Path) -> None:
    weekly = folder(demo, "weekly")
    lock_file = lock(weekly, dead_pid())
    result = qd("backup", "unlock", weekly.name, "--workspace", demo)
    assert (result.code, result.out, result.err) == (
        0,
        "",
        f"stale lock removed from {weekly.name}\n",
    )
    assert not lock_file.exists()


def test_backup_unlock_never_breaks_the_lock_of_a_live_process(cli: Runner, demo: Path) -> None:
    weekly = folder(demo, "weekly")
    lock_file = lock(weekly, os.getpid())
    result = cli("backup", "unlock", weekly.name, "--workspace", demo)
    assert result.code == 4
    assert lock_file.read_text() == f"pid={os.getpid()}"


def test_after_unlocking_the_next_step_goes_ahead(cli: Runner, demo: Path) -> None:
    weekly = folder(demo, "weekly")
    lock(weekly, dead_pid())
    cli("backup", "unlock", weekly.name, "--workspace", demo)
    cli("backup", "retry", weekly.name, "7", "--workspace", demo)
    result = cli("backup", "start-next", weekly.name, "--json", "--workspace", demo)
    assert (result.code, result.json()["next_operation"]["state"]) == (0, "pending")
