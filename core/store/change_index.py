"""The change index: cached list rows keyed by their folder's signature.

A warm start reads 100,000 rows from here instead of opening 100,000 folders; folders whose
signature changed (or that are new) are summarized again, vanished ones dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.models.changes import ChangeSummary, Lifecycle, LifecycleFilter, WorkStatus
from core.store.db import StateStore

_COLUMNS = (
    "id, module_id, completed_tasks, shelved_tasks, in_progress_tasks, pending_tasks, "
    "total_tasks, has_proposal, has_design, has_specs, has_tasks, work_status, "
    "last_modified, title, lifecycle, archived_on"
)
_WORK_STATUS = {status.value: status for status in WorkStatus}
_LIFECYCLE = {lifecycle.value: lifecycle for lifecycle in Lifecycle}
IndexEntry = tuple[str, str, ChangeSummary]  # folder, signature, summary


def _summary(row: tuple[Any, ...]) -> ChangeSummary:
    # Tight on purpose: this runs 100,000 times on a warm start.
    return ChangeSummary._make(
        (
            *row[:7],
            row[7] == 1,
            row[8] == 1,
            row[9] == 1,
            row[10] == 1,
            _WORK_STATUS[row[11]],
            row[12],
            row[13],
            _LIFECYCLE[row[14]],
            row[15],
        )
    )


class ChangeIndex:
    def __init__(self, store: StateStore) -> None:
        self._store = store

    def load(self, lifecycle: LifecycleFilter) -> list[IndexEntry]:
        """Cached rows in listing order (active then archived, each by id)."""
        where = "" if lifecycle == LifecycleFilter.ALL else "WHERE lifecycle = ?"
        params = () if lifecycle == LifecycleFilter.ALL else (lifecycle.value,)
        rows = self._store.read().execute(
            f"SELECT folder, signature, {_COLUMNS} FROM change_index {where} "
            "ORDER BY lifecycle = 'archived', id, folder",
            params,
        )
        return [(row[0], row[1], _summary(row[2:])) for row in rows]

    def update(self, fresh: Iterable[IndexEntry], gone: Iterable[str]) -> None:
        rows = [
            (
                folder,
                signature,
                *summary[:11],
                summary.work_status.value,
                summary.last_modified,
                summary.title,
                summary.lifecycle.value,
                summary.archived_on,
            )
            for folder, signature, summary in fresh
        ]
        vanished = [(folder,) for folder in gone]
        if not rows and not vanished:
            return
        with self._store.write() as conn:
            conn.executemany("DELETE FROM change_index WHERE folder = ?", vanished)
            conn.executemany(
                f"INSERT OR REPLACE INTO change_index (folder, signature, {_COLUMNS}) "
                f"VALUES ({', '.join('?' * 18)})",
                rows,
            )
