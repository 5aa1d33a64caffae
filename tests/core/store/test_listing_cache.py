"""The remote backend's listing cache: the last complete listing of a server's project."""

from __future__ import annotations

import marshal
import os
from pathlib import Path

import pytest

import core.store.listing_cache as listing_cache
from core.models.changes import ChangeSummary, Lifecycle, LifecycleFilter, WorkStatus
from core.store.listing_cache import CACHE_FORMAT, ListingCache

SERVER, PROJECT = "http://127.0.0.1:9010", "acme/widgets"


def rows(count: int, lifecycle: Lifecycle = Lifecycle.ACTIVE) -> list[ChangeSummary]:
    return [
        ChangeSummary(
            id=f"{1 + n // 90:03d}-{1 + n % 90:02d}_change-{n}",
            module_id=f"{1 + n // 90:03d}",
            completed_tasks=n % 4,
            total_tasks=4,
            has_proposal=True,
            has_tasks=True,
            work_status=WorkStatus.IN_PROGRESS,
            last_modified="2026-11-20T10:00:00Z",
            title=f"Change {n}",
            lifecycle=lifecycle,
            archived_on="2026-11-01" if lifecycle == Lifecycle.ARCHIVED else None,
        )
        for n in range(count)
    ]


@pytest.fixture
def cache(tmp_path: Path) -> ListingCache:
    return ListingCache(tmp_path / "listings", SERVER, PROJECT)


def test_a_saved_listing_loads_as_it_was_saved(cache: ListingCache) -> None:
    listing = rows(5) + rows(3, Lifecycle.ARCHIVED)
    cache.save(LifecycleFilter.ALL, listing)

    cached = cache.load(LifecycleFilter.ALL)

    assert cached is not None
    assert cached.count == 8
    assert cached.rows() == listing


def test_the_head_is_the_first_rows_of_a_big_listing(
    cache: ListingCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listing_cache, "HEAD_ROWS", 3)
    listing = rows(10)
    cache.save(LifecycleFilter.ACTIVE, listing)

    cached = cache.load(LifecycleFilter.ACTIVE)

    assert cached is not None
    assert (cached.count, cached.head()) == (10, listing[:3])


def test_nothing_is_cached_before_a_first_save(cache: ListingCache) -> None:
    assert cache.load(LifecycleFilter.ACTIVE) is None


def test_each_lifecycle_filter_has_its_own_listing(cache: ListingCache) -> None:
    cache.save(LifecycleFilter.ACTIVE, rows(2))

    assert cache.load(LifecycleFilter.ARCHIVED) is None


def test_another_project_on_the_same_server_does_not_see_the_listing(
    cache: ListingCache, tmp_path: Path
) -> None:
    cache.save(LifecycleFilter.ACTIVE, rows(2))
    other = ListingCache(tmp_path / "listings", SERVER, "acme/other")

    assert other.load(LifecycleFilter.ACTIVE) is None


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not marshal at all",
        marshal.dumps((CACHE_FORMAT + 1, 0, b"", b"")),
        marshal.dumps((CACHE_FORMAT, 1, "head", "rows")),
        marshal.dumps([1, 2, 3]),
    ],
    ids=["empty", "garbage", "another-format", "wrong-types", "wrong-shape"],
)
def test_a_file_that_does_not_load_counts_as_no_cache(cache: ListingCache, content: bytes) -> None:
    path = cache.path(LifecycleFilter.ACTIVE)
    path.parent.mkdir(parents=True)
    path.write_bytes(content)

    assert cache.load(LifecycleFilter.ACTIVE) is None


def test_rows_that_do_not_decode_count_as_none(cache: ListingCache) -> None:
    path = cache.path(LifecycleFilter.ACTIVE)
    path.parent.mkdir(parents=True)
    damaged = marshal.dumps([("active", [("too", "short")])])
    path.write_bytes(marshal.dumps((CACHE_FORMAT, 1, damaged, damaged)))

    cached = cache.load(LifecycleFilter.ACTIVE)

    assert cached is not None
    assert (cached.head(), cached.rows()) == ([], [])


def test_a_listing_the_file_already_holds_is_not_written_again(cache: ListingCache) -> None:
    listing = rows(4)
    cache.save(LifecycleFilter.ACTIVE, listing)
    path = cache.path(LifecycleFilter.ACTIVE)
    os.utime(path, ns=(0, 0))

    cache.save(LifecycleFilter.ACTIVE, list(listing))

    assert path.stat().st_mtime_ns == 0


def test_a_listing_that_changed_is_written(cache: ListingCache) -> None:
    listing = rows(4)
    cache.save(LifecycleFilter.ACTIVE, listing)
    changed = [listing[0]._replace(completed_tasks=4), *listing[1:]]

    cache.save(LifecycleFilter.ACTIVE, changed)

    cached = ListingCache(cache.path(LifecycleFilter.ACTIVE).parent, SERVER, PROJECT)
    loaded = cached.load(LifecycleFilter.ACTIVE)
    assert loaded is not None and loaded.rows() == changed


def test_rows_remembered_from_the_file_are_not_written_again(cache: ListingCache) -> None:
    cache.save(LifecycleFilter.ACTIVE, rows(4))
    path = cache.path(LifecycleFilter.ACTIVE)
    os.utime(path, ns=(0, 0))
    later = ListingCache(path.parent, SERVER, PROJECT)
    loaded = later.load(LifecycleFilter.ACTIVE)
    assert loaded is not None
    later.remember(LifecycleFilter.ACTIVE, loaded.rows())

    later.save(LifecycleFilter.ACTIVE, rows(4))

    assert path.stat().st_mtime_ns == 0


def test_a_failed_write_leaves_the_old_listing_and_no_temporary_file(
    cache: ListingCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = rows(2)
    cache.save(LifecycleFilter.ACTIVE, old)

    def no_room(source: str, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_room)
    cache.save(LifecycleFilter.ACTIVE, rows(3))

    path = cache.path(LifecycleFilter.ACTIVE)
    assert [entry.name for entry in path.parent.iterdir()] == [path.name]
    loaded = cache.load(LifecycleFilter.ACTIVE)
    assert loaded is not None and loaded.rows() == old


def test_a_cache_folder_that_cannot_be_made_is_no_error(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    cache = ListingCache(blocked / "listings", SERVER, PROJECT)

    cache.save(LifecycleFilter.ACTIVE, rows(2))

    assert cache.load(LifecycleFilter.ACTIVE) is None
