"""Revisions of a change held by a backend store (FORMATS.md §2 "Revision").

Opaque to clients; like ito, an RFC 3339 time. Ours carry microseconds so two pushes within
one second still differ.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.ito.bundles import read_revision
from core.ito.summary import scan_change_folder
from core.timeutil import parse_rfc3339, rfc3339_of_epoch


def to_revision(moment: datetime) -> str:
    """`2026-11-22T10:00:00.123456Z`."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond:06d}Z"


def next_revision(previous: str, now: datetime) -> str:
    """`now`, or just after `previous` when the clock stands still or steps back: a store
    never hands out the same revision twice, and revisions only move forward."""
    try:
        before = parse_rfc3339(previous) if previous else None
    except ValueError:
        before = None
    if before is not None and now <= before:
        return to_revision(before + timedelta(microseconds=1))
    return to_revision(now)


def store_revision(change_dir: Path) -> str:
    """The stored revision, or for a change never pushed to, its newest file time."""
    stored = read_revision(change_dir)
    if stored is not None:
        return stored
    return rfc3339_of_epoch(scan_change_folder(change_dir).latest_mtime)
