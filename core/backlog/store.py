"""aristo's backlog files, `<root>/.aristo/sessions/backlog/<kind>.toml` (FORMATS.md §4).

Read and written in aristo's exact shape, so aristo keeps reading what we write back:
`schema_version = 1`, then one `[[items]]` table per deferral, keys we do not know kept.

Parsing is the slow part of a large backlog (about 0.4 s for 3,000 items), so each file's
items are kept with the bytes they came from. A read stats the file and reuses them while the
file is unchanged: same stamp (inode, mtime, size), or, when the stamp cannot prove it (it is
new, or taken too soon after the file changed for its mtime to show a second change), the same
bytes. Anything another process writes is therefore seen by the next read.
"""

from __future__ import annotations

import os
import re
import threading
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.backlog.render import (
    HEADER,
    KNOWN_KEYS,
    REQUIRED_KEYS,
    SCHEMA_VERSION,
    BlockRenderer,
)
from core.fsutil import atomic_write
from core.models.backlog import BacklogItem
from core.models.errors import InvalidInput, ParseError

BACKLOG_DIR = Path(".aristo") / "sessions" / "backlog"

# (inode, mtime, size) of a backlog file, None when absent. Writers replace the file by
# rename, so an unchanged stamp means unchanged content, once the mtime is older than the
# timestamp granularity of any file system (FAT's is 2 s): a change within the same tick as
# the previous one could leave mtime and size as they were.
FileStamp = tuple[int, int, int] | None
SETTLE_NS = 3_000_000_000


@dataclass(eq=False)
class Snapshot:
    """One backlog file as last read or written. `items` is never changed in place."""

    items: list[BacklogItem]
    raw: bytes
    stamp: FileStamp
    # The stamp was taken long enough after the file's last change to stand for its bytes.
    settled: bool


_ABSENT = Snapshot([], b"", None, settled=False)

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
        self._snapshots: dict[str, Snapshot] = {}
        self._renderers: dict[str, BlockRenderer] = {}
        # The server calls one store from several threads.
        self._lock = threading.Lock()

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
        return list(self.snapshot(kind).items)

    def snapshot(self, kind: str) -> Snapshot:
        """The file as it is now, parsed again only if its bytes changed since the last read.

        The same object comes back while the file is unchanged, so callers may key their own
        derived data (an ordering, say) on it.
        """
        path = self.path_of(kind)
        with self._lock:
            cached = self._snapshots.get(kind)
            if cached is not None and cached.settled and _stamp_at(path) == cached.stamp:
                return cached
            # Taken before reading: a change after the read gets a later mtime than this.
            began = time.time_ns()
            try:
                with path.open("rb") as handle:
                    status = os.fstat(handle.fileno())
                    raw = handle.read()
            except FileNotFoundError:
                self._snapshots.pop(kind, None)
                return _ABSENT
            if cached is None or cached.raw != raw:
                # A ParseError leaves nothing cached, so every read reports it again.
                cached = Snapshot(parse_backlog(kind, raw, str(path)), raw, None, settled=False)
                self._snapshots[kind] = cached
            cached.stamp = _stamp_of(status)
            cached.settled = began - status.st_mtime_ns > SETTLE_NS
            return cached

    def write(self, kind: str, items: list[BacklogItem]) -> None:
        """Replace the file with `items` (temp file, fsync, rename: old or new, never half)."""
        path = self.path_of(kind)
        with self._lock:
            renderer = self._renderers.setdefault(kind, BlockRenderer())
            text, blocks = renderer.render(items)
            payload = text.encode("utf-8")
            atomic_write(path, payload)
            before = self._snapshots.pop(kind, None)
            written = _read_back(kind, items, blocks, before, payload, str(path))
            if written is not None:
                self._snapshots[kind] = Snapshot(written, payload, None, settled=False)


def _read_back(
    kind: str,
    items: list[BacklogItem],
    blocks: list[str] | None,
    before: Snapshot | None,
    payload: bytes,
    path: str,
) -> list[BacklogItem] | None:
    """What reading the written bytes gives, parsing only items that were not read from them.

    Items of the previous read went through TOML once and come back from it unchanged; other
    items (a copy with a new note, or items built by the caller) are parsed from their block,
    so the cache holds exactly what a fresh read would. None when that cannot be had cheaply
    and exactly; the next read then parses the file.
    """
    known = set(map(id, before.items)) if before is not None else set()
    fresh = [index for index, item in enumerate(items) if id(item) not in known]
    try:
        if not fresh:
            return list(items)
        if blocks is None:
            return parse_backlog(kind, payload, path)
        written = list(items)
        for index in fresh:
            alone = (HEADER + "\n" + blocks[index]).encode("utf-8")
            written[index] = parse_backlog(kind, alone, path)[0]
        return written
    except ParseError:
        return None


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


def _stamp_of(status: os.stat_result) -> FileStamp:
    return (status.st_ino, status.st_mtime_ns, status.st_size)


def _stamp_at(path: Path) -> FileStamp:
    try:
        return _stamp_of(path.stat())
    except FileNotFoundError:
        return None


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
