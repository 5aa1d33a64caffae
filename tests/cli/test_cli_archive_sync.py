"""`quarterdeck archive` and `quarterdeck sync pull|push`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

Runner = Callable[..., Any]

CHANGE = "001-05_workspace-discovery"  # active, nobody holds it
OTHERS_LEASE = "002-03_lease-heartbeats"  # someone else holds it


def active(workspace: Path, change_id: str = CHANGE) -> Path:
    return workspace / ".ito" / "changes" / change_id


def archived(workspace: Path, change_id: str = CHANGE) -> Path:
    day = datetime.now(UTC).date().isoformat()
    return workspace / ".ito" / "changes" / "archive" / f"{day}-{change_id}"


def test_archive_without_yes_on_a_non_terminal_stdin_refuses(
    qd: Runner, demo: Path, tree: Callable[[Path], dict[str, bytes]]
) -> None:
    before = tree(demo)
    result = qd("archive", CHANGE, "--workspace", demo)
    assert (result.code, result.err) == (
        5,
        f"quarterdeck: archive {CHANGE}: confirm with --yes (stdin is not a terminal)\n",
    )
    assert tree(demo) == before


def test_archive_with_yes_prints_the_outcome_and_narrates_the_steps(qd: Runner, demo: Path) -> None:
    capabilities = sorted(path.name for path in (active(demo) / "specs").iterdir())
    result = qd("archive", CHANGE, "--yes", "--json", "--workspace", demo)
    assert (result.code, result.json()["archive_name"]) == (0, archived(demo).name)
    assert result.err.splitlines() == [
        "  pull: started",
        "  pull: skipped the workspace is its own store",
        "  copy-specs: started",
        f"  copy-specs: done {', '.join(capabilities)}",
        "  move: started",
        f"  move: done changes/archive/{archived(demo).name}",
        "  mark-archived: started",
        f"  mark-archived: done {result.json()['backend']['archived_at']}",
    ]


def test_archive_with_yes_moves_the_change_to_the_archive(cli: Runner, demo: Path) -> None:
    cli("archive", CHANGE, "--yes", "--workspace", demo)
    assert (active(demo).exists(), archived(demo).is_dir()) == (False, True)


def test_archive_of_a_change_someone_else_leases_is_a_conflict(cli: Runner, demo: Path) -> None:
    result = cli("archive", OTHERS_LEASE, "--yes", "--workspace", demo)
    assert result.code == 4
    assert active(demo, OTHERS_LEASE).is_dir()


def test_archive_with_force_archives_a_change_someone_else_leases(cli: Runner, demo: Path) -> None:
    result = cli("archive", OTHERS_LEASE, "--yes", "--force", "--workspace", demo)
    assert (result.code, archived(demo, OTHERS_LEASE).is_dir()) == (0, True)


def test_read_only_mode_refuses_an_archive_and_changes_nothing(
    qd: Runner, demo: Path, tree: Callable[[Path], dict[str, bytes]]
) -> None:
    before = tree(demo)
    result = qd("--read-only", "archive", CHANGE, "--yes", "--workspace", demo)
    assert (result.code, result.err) == (
        8,
        "quarterdeck: read-only mode: 'archive' is not allowed\n",
    )
    assert tree(demo) == before


def test_sync_in_a_workspace_that_is_its_own_store_is_refused(cli: Runner, demo: Path) -> None:
    result = cli("sync", "pull", CHANGE, "--workspace", demo)
    assert result.code == 8
    assert "this workspace is its own store" in result.err


def _working_copy_of(store: Path, root: Path) -> Path:
    """A workspace whose local backend keeps its store in `store`."""
    (root / ".ito" / "changes").mkdir(parents=True)
    (root / "quarterdeck.toml").write_text(f'local_store = "{store.as_posix()}"\n')
    return root


def test_sync_pull_from_a_separate_store_writes_the_change(
    cli: Runner, demo: Path, tmp_path: Path
) -> None:
    working = _working_copy_of(demo, tmp_path / "working")
    result = cli("sync", "pull", CHANGE, "--json", "--workspace", working)
    assert (result.code, result.json()["direction"]) == (0, "pull")
    assert (active(working) / "proposal.md").read_text() == (
        active(demo) / "proposal.md"
    ).read_text()


def test_sync_pull_over_local_files_says_where_they_were_backed_up(
    cli: Runner, demo: Path, tmp_path: Path
) -> None:
    working = _working_copy_of(demo, tmp_path / "working")
    cli("sync", "pull", CHANGE, "--workspace", working)
    result = cli("sync", "pull", CHANGE, "--workspace", working)
    backups = working / ".quarterdeck" / "sync-backups" / CHANGE
    assert result.err.startswith(f"previous local files backed up to {backups}/")


def test_sync_push_from_a_stale_revision_is_a_conflict_with_both_revisions(
    cli: Runner, demo: Path, tmp_path: Path
) -> None:
    first = _working_copy_of(demo, tmp_path / "first")
    second = _working_copy_of(demo, tmp_path / "second")
    cli("sync", "pull", CHANGE, "--workspace", first)
    cli("sync", "pull", CHANGE, "--workspace", second)
    pushed = cli("sync", "push", CHANGE, "--json", "--workspace", first).json()["revision"]
    result = cli("sync", "push", CHANGE, "--json", "--workspace", second)
    body = result.json()
    assert (result.code, body["kind"], body["code"], body["server_revision"]) == (
        4,
        "revision_conflict",
        "conflict",
        pushed,
    )
