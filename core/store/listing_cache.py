"""The last complete changes listing a remote backend answered, kept on disk.

A remote listing is one request, answered once the server has checked every change folder:
at 100,000 changes the dashboard had nothing to show for 7-9 s. With this, a start shows the
rows the server gave last time at once, marked as being checked (as a local start shows its
change index), then the server's answer.

One file per server, project and lifecycle filter, in the user's cache folder. Its rows are
marshal blobs as the change index stores them: loading one runs no code, and a file that
does not load counts as no cache. A file is written whole under a temporary name and renamed
over the old one, so a killed process leaves the old listing or the new one, never half.
The file names hash the server's URL and project: other users of the machine cannot learn
from them which servers this one uses, and the folder is the user's alone.
"""

from __future__ import annotations

import hashlib
import itertools
import marshal
from dataclasses import dataclass
from pathlib import Path

from core.fsutil import atomic_write
from core.models.changes import ChangeSummary, Lifecycle, LifecycleFilter
from core.store.change_index import DAMAGED, HEAD_ROWS, stored_row, summaries_of

# Bump when the layout changes: files of another layout are then ignored.
CACHE_FORMAT = 1


@dataclass
class CachedRows:
    """A cache file's rows, decoded on demand: the first screenful is shown before the rest
    is decoded (at 100,000 rows, decoding them all takes about 0.3 s)."""

    count: int
    head_blob: bytes
    rows_blob: bytes

    def head(self) -> list[ChangeSummary]:
        """The first HEAD_ROWS rows; none if they do not decode."""
        return _decoded(self.head_blob)

    def rows(self) -> list[ChangeSummary]:
        """Every row; none if they do not decode."""
        return _decoded(self.rows_blob)


class ListingCache:
    def __init__(self, folder: Path, server: str, project: str) -> None:
        self._folder = folder
        # Whose listing a file holds, without naming the server in the file system.
        self._stem = hashlib.sha256(f"{server}\n{project}".encode()).hexdigest()[:32]
        # hash() of the rows each file holds, as this process last read or wrote them: an
        # unchanged listing (the usual refresh) is not written again. 0.02 s at 100,000
        # rows, where writing them takes 0.25 s.
        self._held: dict[LifecycleFilter, int] = {}

    def path(self, lifecycle: LifecycleFilter) -> Path:
        return self._folder / f"{self._stem}-{lifecycle.value}.marshal"

    def load(self, lifecycle: LifecycleFilter) -> CachedRows | None:
        """The cached rows of `lifecycle`; None if there are none or the file does not load."""
        try:
            data = self.path(lifecycle).read_bytes()
            layout, count, head_blob, rows_blob = marshal.loads(data)
        except (OSError, *DAMAGED):
            return None
        if layout != CACHE_FORMAT or not isinstance(count, int):
            return None
        if not isinstance(head_blob, bytes) or not isinstance(rows_blob, bytes):
            return None
        return CachedRows(count, head_blob, rows_blob)

    def remember(self, lifecycle: LifecycleFilter, rows: list[ChangeSummary]) -> None:
        """Note that the file of `lifecycle` holds `rows` (just decoded from it)."""
        self._held[lifecycle] = hash(tuple(rows))

    def save(self, lifecycle: LifecycleFilter, rows: list[ChangeSummary]) -> None:
        """Keep `rows`, a complete listing, unless the file already holds them. A cache that
        cannot be written (a read-only home) only makes the next start slower: no error."""
        held = hash(tuple(rows))
        if self._held.get(lifecycle) == held:
            return
        blob = marshal.dumps((CACHE_FORMAT, len(rows), _encoded(rows[:HEAD_ROWS]), _encoded(rows)))
        try:
            self._folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Not durable (no fsync): a cache lost in a crash is only a slower start.
            atomic_write(self.path(lifecycle), blob, durable=False)
        except OSError:
            return
        self._held[lifecycle] = held


def _encoded(rows: list[ChangeSummary]) -> bytes:
    """Rows as runs of one lifecycle each (active then archived, in a listing of both)."""
    runs = [
        (lifecycle.value, [stored_row(row) for row in run])
        for lifecycle, run in itertools.groupby(rows, key=lambda row: row.lifecycle)
    ]
    return marshal.dumps(runs)


def _decoded(blob: bytes) -> list[ChangeSummary]:
    rows: list[ChangeSummary] = []
    try:
        for lifecycle, stored in marshal.loads(blob):
            rows += summaries_of(stored, Lifecycle(lifecycle))
    except DAMAGED:
        return []
    return rows
