"""The journal's lock file: `backup-execution-journal.json.lock` holding `pid=<pid>`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.backups.files import (
    JOURNAL_FILE,
    break_stale_lock,
    journal_lock,
    lock_path,
    pid_alive,
    read_lock,
)
from core.models.errors import JournalLocked


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    return tmp_path / JOURNAL_FILE


@pytest.fixture
def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def live_pid() -> Iterator[int]:
    """The pid of another process that is running for the duration of the test."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    yield child.pid
    child.kill()
    child.wait()


def test_the_lock_file_sits_beside_the_journal(journal_path: Path) -> None:
    assert lock_path(journal_path) == journal_path.parent / "backup-execution-journal.json.lock"


def test_a_held_lock_file_holds_our_pid(journal_path: Path) -> None:
    with journal_lock(journal_path):
        assert lock_path(journal_path).read_text() == f"pid={os.getpid()}\n"


def test_the_lock_is_released_on_exit(journal_path: Path) -> None:
    with journal_lock(journal_path):
        pass
    assert not lock_path(journal_path).exists()


def test_the_lock_is_released_when_the_block_raises(journal_path: Path) -> None:
    with pytest.raises(RuntimeError), journal_lock(journal_path):
        raise RuntimeError("step failed")
    assert not lock_path(journal_path).exists()


def test_taking_the_lock_leaves_no_staging_file(journal_path: Path) -> None:
    with journal_lock(journal_path):
        assert sorted(path.name for path in journal_path.parent.iterdir()) == [
            "backup-execution-journal.json.lock"
        ]


def test_a_second_locker_is_refused_with_the_holders_pid(journal_path: Path) -> None:
    with (
        journal_lock(journal_path),
        pytest.raises(JournalLocked) as refused,
        journal_lock(journal_path),
    ):
        pass
    assert refused.value.pid == os.getpid()
    assert refused.value.pid_alive is True
    assert str(refused.value).startswith(f"backup execution journal is locked: {journal_path}")


def test_a_refused_locker_does_not_remove_the_holders_lock(
    journal_path: Path, live_pid: int
) -> None:
    lock_path(journal_path).write_text(f"pid={live_pid}\n")
    with pytest.raises(JournalLocked), journal_lock(journal_path):
        pass
    assert lock_path(journal_path).read_text() == f"pid={live_pid}\n"


def test_a_lock_left_by_a_dead_process_is_refused_and_reported_dead(
    journal_path: Path, dead_pid: int
) -> None:
    lock_path(journal_path).write_text(f"pid={dead_pid}\n")
    with pytest.raises(JournalLocked) as refused, journal_lock(journal_path):
        pass
    assert (refused.value.pid, refused.value.pid_alive) == (dead_pid, False)
    assert "no longer running" in str(refused.value)


def test_releasing_does_not_remove_a_lock_someone_else_took_over(
    journal_path: Path, live_pid: int
) -> None:
    with journal_lock(journal_path):
        lock_path(journal_path).write_text(f"pid={live_pid}\n")
    assert lock_path(journal_path).read_text() == f"pid={live_pid}\n"


def test_read_lock_is_none_without_a_lock(journal_path: Path) -> None:
    assert read_lock(journal_path) is None


def test_read_lock_reports_the_holder_and_whether_it_runs(
    journal_path: Path, live_pid: int
) -> None:
    lock_path(journal_path).write_text(f"pid={live_pid}\n")
    info = read_lock(journal_path)
    assert info is not None
    assert (info.path, info.pid, info.alive) == (str(lock_path(journal_path)), live_pid, True)


@pytest.mark.parametrize("content", [b"", b"garbage", b"pid=", b"pid=-4", b"pid=0\n", b"\xff\xfe"])
def test_a_lock_file_without_a_usable_pid_has_an_unknown_holder(
    journal_path: Path, content: bytes
) -> None:
    lock_path(journal_path).write_bytes(content)
    info = read_lock(journal_path)
    assert info is not None
    assert (info.pid, info.alive) == (None, None)


def test_a_stale_lock_is_broken(journal_path: Path, dead_pid: int) -> None:
    lock_path(journal_path).write_text(f"pid={dead_pid}\n")
    break_stale_lock(journal_path)
    assert not lock_path(journal_path).exists()


def test_a_live_lock_is_never_broken(journal_path: Path, live_pid: int) -> None:
    lock_path(journal_path).write_text(f"pid={live_pid}\n")
    with pytest.raises(JournalLocked) as refused:
        break_stale_lock(journal_path)
    assert (refused.value.pid, refused.value.pid_alive) == (live_pid, True)
    assert lock_path(journal_path).exists()


def test_a_lock_with_an_unknown_holder_is_not_broken(journal_path: Path) -> None:
    lock_path(journal_path).write_text("garbage")
    with pytest.raises(JournalLocked, match="by an unknown process"):
        break_stale_lock(journal_path)
    assert lock_path(journal_path).exists()


def test_breaking_without_a_lock_does_nothing(journal_path: Path) -> None:
    break_stale_lock(journal_path)
    assert not lock_path(journal_path).exists()


def test_the_lock_works_where_hard_links_are_not_supported(
    journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(source: object, target: object) -> None:
        raise PermissionError("operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    with journal_lock(journal_path):
        assert lock_path(journal_path).read_text() == f"pid={os.getpid()}\n"
        with pytest.raises(JournalLocked), journal_lock(journal_path):
            pass
    assert not lock_path(journal_path).exists()


def test_a_process_we_may_not_signal_counts_as_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(pid: int, signal: int) -> None:
        raise PermissionError("not permitted")

    monkeypatch.setattr(os, "kill", refuse)
    assert pid_alive(1234) is True


def test_a_reaped_process_is_not_alive(dead_pid: int) -> None:
    assert pid_alive(dead_pid) is False


def test_an_impossible_pid_is_not_alive() -> None:
    assert pid_alive(2**40) is False
