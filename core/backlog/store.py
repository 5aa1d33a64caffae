"""aristo's backlog files, `<root>/.aristo/sessions/backlog/<kind>.toml` (FORMATS.md §4).

Read and written in aristo's exact shape, so aristo keeps reading what we write back:
`schema_version = 1`, then one `[[items]]` table per deferral, keys we do not know kept.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from core.fsutil import atomic_write
from core.models.backlog import BacklogItem
from core.models.errors import InvalidInput, ParseError

SCHEMA_VERSION = 1
BACKLOG_DIR = Path(".aristo") / "sessions" / "backlog"
REQUIRED_KEYS = ("item_ref", "deferred_at", "deferred_from_session")
KNOWN_KEYS = frozenset((*REQUIRED_KEYS, "note", "data"))

# (inode, mtime, size) of a backlog file, None when absent. Writers replace the file by
# rename, so an unchanged stamp means unchanged content.
FileStamp = tuple[int, int, int] | None

_KIND = re.compile(r"[A-Za-z0-9._-]+")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)$")
_TOML_AT_END = re.compile(r"\s*\(at end of document\)$")
_ITEMS_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*items[ \t]*\]\]", re.MULTILINE)


def find_aristo_root(start: Path) -> Path | None:
    """The nearest folder, from `start` upwards, that holds `aristo.toml`."""
    here = start.resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        if (folder / "aristo.toml").is_file():
            return folder
    return None


def _is_kind(name: str) -> bool:
    return _KIND.fullmatch(name) is not None and not name.startswith(".")


def validate_kind(kind: str) -> str:
    """A kind names a file in the backlog folder, so it must be a plain, visible file name."""
    if not _is_kind(kind):
        raise InvalidInput(
            f"invalid backlog kind {kind!r}: use letters, digits, '.', '_' or '-', "
            "not starting with '.'"
        )
    return kind


class BacklogStore:
    """The backlog files of one aristo root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.backlog_dir = root / BACKLOG_DIR

    def path_of(self, kind: str) -> Path:
        return self.backlog_dir / f"{validate_kind(kind)}.toml"

    def kinds(self) -> list[str]:
        if not self.backlog_dir.is_dir():
            return []
        # Lock and temp files start with '.', so only valid kind names are backlogs.
        return sorted(
            entry.stem
            for entry in self.backlog_dir.iterdir()
            if entry.suffix == ".toml" and _is_kind(entry.stem) and entry.is_file()
        )

    def read(self, kind: str) -> list[BacklogItem]:
        return self.read_stamped(kind)[0]

    def read_stamped(self, kind: str) -> tuple[list[BacklogItem], FileStamp]:
        """The items and the stamp of the file they were read from."""
        path = self.path_of(kind)
        try:
            with path.open("rb") as handle:
                stamp = _stamp_of(os.fstat(handle.fileno()))
                raw = handle.read()
        except FileNotFoundError:
            return [], None
        return parse_backlog(kind, raw, str(path)), stamp

    def stamp(self, kind: str) -> FileStamp:
        try:
            return _stamp_of(self.path_of(kind).stat())
        except FileNotFoundError:
            return None

    def write(self, kind: str, items: list[BacklogItem]) -> None:
        path = self.path_of(kind)
        atomic_write(path, render_backlog(items))


def parse_backlog(kind: str, raw: bytes, path: str) -> list[BacklogItem]:
    """The items of one backlog file's bytes; anything aristo would not accept is a ParseError."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ParseError(path, line, "not valid UTF-8") from None
    document = _load_toml(text, path)
    version = document.get("schema_version")
    if version is None:
        raise ParseError(path, None, "missing schema_version")
    # Rewriting a newer shape as version 1 could drop what it added, so refuse it.
    if type(version) is not int or version != SCHEMA_VERSION:
        raise ParseError(
            path, None, f"unsupported schema_version {version!r} (expected {SCHEMA_VERSION})"
        )
    entries = document.get("items", [])
    if not isinstance(entries, list):
        raise ParseError(path, None, "items must be an array of tables")
    return [_item_from_table(kind, entry, index, path, text) for index, entry in enumerate(entries)]


def render_backlog(items: list[BacklogItem]) -> str:
    """aristo's shape: known keys first, then unknown keys, then `[items.data]`."""
    tables: list[dict[str, Any]] = []
    for item in items:
        table: dict[str, Any] = {
            "item_ref": item.item_ref,
            "deferred_at": item.deferred_at,
            "deferred_from_session": item.deferred_from_session,
        }
        if item.note is not None:
            table["note"] = item.note
        table.update((key, value) for key, value in item.extra.items() if key not in KNOWN_KEYS)
        if item.data is not None:
            table["data"] = item.data
        tables.append(table)
    return tomli_w.dumps({"schema_version": SCHEMA_VERSION, "items": tables})


def _stamp_of(status: os.stat_result) -> FileStamp:
    return (status.st_ino, status.st_mtime_ns, status.st_size)


def _load_toml(text: str, path: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        position = _TOML_POSITION.search(message)
        if position:
            raise ParseError(path, int(position.group(1)), message[: position.start()]) from None
        at_end = _TOML_AT_END.search(message)
        if at_end:
            last_line = text.count("\n") + 1
            raise ParseError(path, last_line, message[: at_end.start()]) from None
        raise ParseError(path, None, message) from None
    except RecursionError:
        raise ParseError(path, None, "values nested too deeply") from None


def _item_header_line(text: str, index: int) -> int | None:
    """The line of the index-th `[[items]]` header (None when items are written inline)."""
    for seen, match in enumerate(_ITEMS_HEADER.finditer(text)):
        if seen == index:
            return text.count("\n", 0, match.start()) + 1
    return None


def _item_from_table(kind: str, entry: Any, index: int, path: str, text: str) -> BacklogItem:
    def fail(reason: str) -> ParseError:
        return ParseError(path, _item_header_line(text, index), f"items[{index}]: {reason}")

    if not isinstance(entry, dict):
        raise fail("must be a table")
    for key in REQUIRED_KEYS:
        if key not in entry:
            raise fail(f"missing {key}")
        if not isinstance(entry[key], str):
            raise fail(f"{key} must be a string")
    note = entry.get("note")
    if note is not None and not isinstance(note, str):
        raise fail("note must be a string")
    data = entry.get("data")
    if data is not None and not isinstance(data, dict):
        raise fail("data must be a table")
    return BacklogItem(
        kind=kind,
        item_ref=entry["item_ref"],
        deferred_at=entry["deferred_at"],
        deferred_from_session=entry["deferred_from_session"],
        note=note,
        data=data,
        extra={key: value for key, value in entry.items() if key not in KNOWN_KEYS},
    )
