"""The changes list through the change index: cached rows first, then what the folders say."""

from __future__ import annotations

import concurrent.futures
import marshal
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from core.backends import change_listing
from core.backends.local import LocalBackend, LocalPaths
from core.ito.summary import folder_signature
from core.models.changes import ChangeListing, ChangeSummary, Lifecycle, LifecycleFilter
from core.timeutil import fixed_clock
from tests.core.test_local_backend import DONE_TASKS, NOW, add_change


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / ".ito" / "changes").mkdir(parents=True)
    for number in range(1, 6):
        add_change(tmp_path, f"001-0{number}_change-{number}")
    add_change(tmp_path, "002-01_old-work", folder="archive/2026-01-01-002-01_old-work")
    return tmp_path


def listings(
    root: Path, lifecycle: LifecycleFilter = LifecycleFilter.ACTIVE
) -> list[ChangeListing]:
    """Every listing one fresh backend (one new process's) yields, first to last."""
    backend = LocalBackend(LocalPaths.for_root(root), fixed_clock(NOW))
    try:
        return list(backend.stream_changes(lifecycle))
    finally:
        backend.close()


def ids(changes: list[ChangeSummary]) -> list[str]:
    return [change.id for change in changes]


def touch_later(path: Path) -> None:
    """Move the file's mtime on, so its folder's signature changes even within one tick."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_a_first_listing_has_no_cached_rows_to_show(root: Path) -> None:
    (only,) = listings(root)
    assert only.complete and len(only.changes) == 5


def test_a_second_listing_shows_the_cached_rows_first(root: Path) -> None:
    first = listings(root)[-1]
    cached, final = listings(root)
    assert not cached.complete and final.complete
    assert cached.changes == first.changes == final.changes


def test_an_edited_tasks_file_is_read_again(root: Path) -> None:
    listings(root)
    tasks = root / ".ito" / "changes" / "001-02_change-2" / "tasks.md"
    tasks.write_text(DONE_TASKS)
    touch_later(tasks)
    cached, final = listings(root)
    assert cached.changes[1].completed_tasks == 0
    assert final.changes[1].completed_tasks == 2
    # ...and the index now holds the new row.
    assert listings(root)[0].changes[1].completed_tasks == 2


def test_a_removed_change_leaves_the_listing_and_the_index(root: Path) -> None:
    listings(root)
    shutil.rmtree(root / ".ito" / "changes" / "001-03_change-3")
    cached, final = listings(root)
    assert "001-03_change-3" in ids(cached.changes)
    assert "001-03_change-3" not in ids(final.changes)
    assert "001-03_change-3" not in ids(listings(root)[0].changes)


def test_a_new_change_folder_is_listed_in_id_order(root: Path) -> None:
    listings(root)
    add_change(root, "001-00_first-of-all")
    final = listings(root)[-1]
    assert ids(final.changes)[0] == "001-00_first-of-all"
    assert len(final.changes) == 6


def test_listing_all_caches_the_active_and_the_archived_rows(root: Path) -> None:
    listings(root, LifecycleFilter.ALL)
    cached, final = listings(root, LifecycleFilter.ALL)
    assert cached.changes == final.changes
    assert ids(final.changes)[-1] == "002-01_old-work"
    assert [change.archived_on for change in final.changes][-1] == "2026-01-01"


def test_an_unchanged_workspace_does_not_write_the_index_again(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listings(root)
    saved: list[int] = []
    monkeypatch.setattr(
        "core.store.change_index.ChangeIndex.save",
        lambda self, lifecycle, entries: saved.append(len(entries)),
    )
    listings(root)
    assert saved == []


def damage_snapshots(root: Path, column: str) -> None:
    with sqlite3.connect(root / ".quarterdeck" / "state.db") as conn:
        conn.execute(f"UPDATE change_snapshots SET {column} = x'00ff10'")


@pytest.mark.parametrize("column", ["summaries", "folders"])
def test_a_damaged_index_is_ignored_and_the_folders_are_read(root: Path, column: str) -> None:
    expected = listings(root)[-1].changes
    damage_snapshots(root, column)
    final = listings(root)[-1]
    assert final.complete and final.changes == expected
    # The listing wrote a good index back.
    assert listings(root)[0].changes == expected


@pytest.mark.parametrize(
    "rows",
    [
        [("x",) * 11 + ("draft",) + ("x",) * 2],
        [("x",) * 11 + ("draft",) + ("x",) * 4],
        [("x",) * 11 + ("no such status",) + ("x",) * 3],
    ],
    ids=["short-row", "long-row", "unknown-status"],
)
def test_cached_rows_of_another_shape_are_ignored(root: Path, rows: list[tuple[object]]) -> None:
    expected = listings(root)[-1].changes
    with sqlite3.connect(root / ".quarterdeck" / "state.db") as conn:
        conn.execute("UPDATE change_snapshots SET summaries = ?", (marshal.dumps(rows),))
    (only,) = listings(root)
    assert only.complete and only.changes == expected


def test_an_index_of_another_format_is_ignored(root: Path) -> None:
    expected = listings(root)[-1].changes
    with sqlite3.connect(root / ".quarterdeck" / "state.db") as conn:
        conn.execute("UPDATE change_snapshots SET format = format + 1")
    (only,) = listings(root)
    assert only.complete and only.changes == expected


@pytest.fixture
def small_heads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("core.store.change_index.HEAD_ROWS", 2)


@pytest.mark.usefixtures("small_heads")
def test_a_big_index_shows_its_first_rows_before_all_of_them(root: Path) -> None:
    first = listings(root)[-1]
    screenful, cached, final = listings(root)
    assert (ids(screenful.changes), screenful.expected) == (ids(first.changes)[:2], 5)
    assert not screenful.complete and cached.expected == final.expected == 0
    assert cached.changes == final.changes == first.changes


@pytest.mark.usefixtures("small_heads")
def test_listing_all_takes_its_first_rows_from_the_active_ones(root: Path) -> None:
    listings(root, LifecycleFilter.ALL)
    screenful = listings(root, LifecycleFilter.ALL)[0]
    assert (ids(screenful.changes), screenful.expected) == (
        ["001-01_change-1", "001-02_change-2"],
        6,
    )


def test_an_index_that_fits_a_screenful_shows_it_once(root: Path) -> None:
    listings(root)
    assert [listing.expected for listing in listings(root)] == [0, 0]


@pytest.mark.usefixtures("small_heads")
@pytest.mark.parametrize("head", [None, b"\x00\xff\x10"], ids=["written-before", "damaged"])
def test_an_index_without_good_first_rows_is_written_again(root: Path, head: bytes | None) -> None:
    listings(root)
    with sqlite3.connect(root / ".quarterdeck" / "state.db") as conn:
        conn.execute("UPDATE change_snapshots SET head = ?", (head,))
    cached, final = listings(root)
    assert cached.changes == final.changes
    assert listings(root)[0].expected == 5


@pytest.fixture
def always_a_pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(change_listing, "PARALLEL_FROM_S", 0.0)
    monkeypatch.setattr(change_listing, "HEAD", 1)
    monkeypatch.setattr(change_listing, "CHUNK", 2)
    yield


@pytest.mark.usefixtures("always_a_pool")
def test_worker_processes_give_the_same_rows_as_one_process(root: Path) -> None:
    cold = listings(root)[-1]
    tasks = root / ".ito" / "changes" / "001-04_change-4" / "tasks.md"
    tasks.write_text(DONE_TASKS)
    touch_later(tasks)
    warm = listings(root)
    assert [listing.complete for listing in warm][-1]
    assert warm[-1].changes[3].completed_tasks == 2
    assert ids(warm[-1].changes) == ids(cold.changes)


@pytest.mark.usefixtures("always_a_pool")
def test_a_warm_listing_shows_cached_rows_for_folders_not_yet_checked(root: Path) -> None:
    listings(root)
    tasks = root / ".ito" / "changes" / "001-01_change-1" / "tasks.md"
    tasks.write_text(DONE_TASKS)
    touch_later(tasks)
    _cached, *growing, final = listings(root)
    # Chunks of two: the changed first folder is reported while the rest are checked, and
    # every report still lists all five changes.
    assert growing and all(len(listing.changes) == 5 for listing in growing)
    assert growing[0].changes[0].completed_tasks == 2
    assert final.complete and final.scanned == final.total == 5


@pytest.mark.usefixtures("always_a_pool")
def test_a_first_listing_shows_its_first_folders_before_the_workers_start(root: Path) -> None:
    first, *_, final = listings(root)
    assert ids(first.changes) == ["001-01_change-1"]
    assert (first.complete, first.scanned, first.total) == (False, 1, 5)
    assert final.complete and len(final.changes) == 5


class FailingPool:
    """A ProcessPoolExecutor whose workers die after `chunks` chunks (None: none start)."""

    chunks: int | None = None

    def __init__(self, *args: object, **kwargs: object) -> None:
        if self.chunks is None:
            raise OSError("no worker processes here")

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        return None

    def map(
        self,
        read: Callable[[list[change_listing.Job]], list[change_listing.Result]],
        chunks: list[list[change_listing.Job]],
    ) -> Iterator[list[change_listing.Result]]:
        for number, chunk in enumerate(chunks):
            if number == self.chunks:
                raise BrokenProcessPool("a worker died")
            yield read(chunk)


@pytest.mark.usefixtures("always_a_pool")
@pytest.mark.parametrize("chunks", [None, 0, 1])
def test_a_listing_whose_workers_fail_finishes_in_process_with_every_row_once(
    root: Path, chunks: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = ids(listings(root)[-1].changes)
    shutil.rmtree(root / ".quarterdeck")
    monkeypatch.setattr(FailingPool, "chunks", chunks)
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", FailingPool)
    final = listings(root)[-1]
    assert final.complete and ids(final.changes) == expected


@pytest.mark.usefixtures("always_a_pool")
def test_a_warm_check_reports_its_progress_with_the_cached_rows_themselves(root: Path) -> None:
    listings(root)
    cached, *checking, final = listings(root)
    assert [listing.scanned for listing in checking] == [1, 3]
    assert all(listing.changes is cached.changes for listing in checking)
    assert final.complete and final.changes == cached.changes


class RecordingPool(FailingPool):
    """Workers that read every chunk they are given, and a record of how the pool ended."""

    chunks = 99
    shut_down: list[tuple[bool, bool]] = []

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.shut_down.append((wait, cancel_futures))


@pytest.mark.usefixtures("always_a_pool")
def test_a_listing_closed_early_drops_the_chunks_its_workers_have_not_started(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listings(root)
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", RecordingPool)
    monkeypatch.setattr(RecordingPool, "shut_down", [])
    backend = LocalBackend(LocalPaths.for_root(root), fixed_clock(NOW))
    try:
        stream = backend.stream_changes(LifecycleFilter.ACTIVE)
        # The cached rows, the first folder (read before the workers start), one chunk.
        _cached, _first, checking = next(stream), next(stream), next(stream)
        stream.close()
    finally:
        backend.close()
    assert checking.scanned == 3 and not checking.complete
    assert RecordingPool.shut_down == [(False, True)]


def jobs(folders: int, cached: bool) -> list[change_listing.Job]:
    mark = "signature" if cached else None
    return [(f"/w/{n}", f"{n}", Lifecycle.ACTIVE, None, mark) for n in range(folders)]


@pytest.mark.parametrize(
    ("folders", "cached", "pooled"),
    [
        (10_000, True, False),  # a warm 10,000: starting workers took longer than checking
        (100_000, True, True),
        (5_000, False, True),  # a cold 5,000: reading is slow enough to share
        (500, False, False),
    ],
)
def test_worker_processes_start_only_for_work_that_outweighs_them(
    folders: int, cached: bool, pooled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert change_listing._worth_a_pool(jobs(folders, cached)) is pooled


def test_a_chunk_read_in_threads_gives_each_jobs_result_in_order(root: Path) -> None:
    folders = sorted((root / ".ito" / "changes").glob("001-*"))
    jobs: list[change_listing.Job] = []
    for number in range(5 * change_listing.READ_THREADS + 3):
        folder = folders[number % len(folders)]
        # Every third job's cached row is still good, so it has no result (None).
        mark = folder_signature(str(folder)) if number % 3 == 0 else None
        jobs.append((str(folder), folder.name, Lifecycle.ACTIVE, None, mark))

    in_threads = change_listing._read_in_threads(jobs)

    assert in_threads == change_listing._read(jobs)
    assert [result is None for result in in_threads] == [n % 3 == 0 for n in range(len(jobs))]
