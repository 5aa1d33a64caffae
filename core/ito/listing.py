"""Which folders are changes (FORMATS.md §1 "Listing"). Names only: no file is opened here."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import NamedTuple

from core.ito.ids import parse_archive_folder

ARCHIVE_FOLDER = "archive"


class ChangeFolder(NamedTuple):
    change_id: str
    # A str, not a Path: a listing makes 100,000 of these, and as Path objects they took
    # about a second (several while the dashboard drew).
    location: str
    archived_on: date | None = None

    @property
    def path(self) -> Path:
        return Path(self.location)

    @property
    def name(self) -> str:
        """The folder's name (an archived change's carries its archive date)."""
        return os.path.basename(self.location)


def _sub_folders(parent: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(parent) as entries:
            return [e for e in entries if not e.name.startswith(".") and _is_dir(e)]
    except (FileNotFoundError, NotADirectoryError):
        return []


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def active_folders(changes_dir: Path) -> list[ChangeFolder]:
    """Every visible sub-folder of `changes/` but `archive`, sorted by id."""
    found = [
        ChangeFolder(e.name, e.path) for e in _sub_folders(changes_dir) if e.name != ARCHIVE_FOLDER
    ]
    found.sort(key=lambda folder: folder.change_id)
    return found


def archived_folders(archive_dir: Path) -> list[ChangeFolder]:
    """Archived changes sorted by id; an id archived twice is its latest folder.

    "Latest" is the later archive date, a dated folder beating a bare-id one; plain name
    order would rank `250-01_x` above `2026-01-01-250-01_x`.
    """
    winners: dict[str, tuple[tuple[date, str], ChangeFolder]] = {}
    for entry in _sub_folders(archive_dir):
        parsed = parse_archive_folder(entry.name)
        if parsed is None:
            continue
        day, change_id = parsed
        rank = (day or date.min, entry.name)
        held = winners.get(change_id)
        if held is None or rank > held[0]:
            winners[change_id] = (rank, ChangeFolder(change_id, entry.path, day))
    return [winners[change_id][1] for change_id in sorted(winners)]
