"""Reading `review-decisions.jsonl`, the append-only decision log, a little at a time.

A long review leaves thousands of records, and every listing needs all of them, so the
records read are kept with the offset they end at; the next read parses only the lines
appended since. The log counts as rewritten, and is read again from the start, when it is
another file (inode), shorter than what was read, or the last line read is no longer there.

Only newline-terminated lines count: a torn last line is an append that a crash interrupted
before it was acknowledged, and it stays unread until it is completed or cut.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from pydantic import ValidationError

from core.backlog.store import validate_kind
from core.models.backlog import DecisionRecord
from core.models.errors import InvalidInput, ParseError


class DecisionLogReader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._generation = 0
        self._inode: int | None = None
        self._records: list[DecisionRecord] = []
        self._offset = 0
        self._lines = 0
        self._last_line = b""

    def read(self) -> tuple[int, list[DecisionRecord]]:
        """Every acknowledged decision, oldest first, and the log's generation.

        The generation changes whenever the log was rewritten and read again from the start:
        a caller that folded earlier records in must then start over.
        """
        with self._lock:
            try:
                handle = self.path.open("rb")
            except FileNotFoundError:
                self._restart(None)
                return self._generation, list(self._records)
            with handle:
                status = os.fstat(handle.fileno())
                if (
                    status.st_ino != self._inode
                    or status.st_size < self._offset
                    or not self._last_line_intact(handle.fileno())
                ):
                    self._restart(status.st_ino)
                if status.st_size > self._offset:
                    handle.seek(self._offset)
                    self._take(handle.read(status.st_size - self._offset))
            return self._generation, list(self._records)

    def _take(self, appended: bytes) -> None:
        """Parse the complete lines of `appended`; nothing is kept if one of them is garbled."""
        end = appended.rfind(b"\n") + 1
        if end == 0:
            return
        lines = appended[:end].split(b"\n")[:-1]
        records = [
            parse_record(line, number, self.path)
            for number, line in enumerate(lines, start=self._lines + 1)
            if line.strip()
        ]
        self._records.extend(records)
        self._offset += end
        self._lines += len(lines)
        self._last_line = lines[-1] + b"\n"

    def _last_line_intact(self, fd: int) -> bool:
        if not self._last_line:
            return True
        start = self._offset - len(self._last_line)
        return os.pread(fd, len(self._last_line), start) == self._last_line

    def _restart(self, inode: int | None) -> None:
        if self._offset:
            self._generation += 1
        self._inode = inode
        self._records = []
        self._offset = 0
        self._lines = 0
        self._last_line = b""


def parse_record(line: bytes, number: int, path: Path) -> DecisionRecord:
    """One log line as a record; a line that is not one is a ParseError naming its number."""
    try:
        record = DecisionRecord.model_validate_json(line)
        validate_kind(str(record.item.get("kind", "")))
        for field in ("item_ref", "deferred_at"):
            if not isinstance(record.item.get(field), str):
                raise InvalidInput(f"item.{field} must be a string")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        reason = f"garbled decision record: {where + ': ' if where else ''}{first['msg']}"
        raise ParseError(str(path), number, reason) from None
    except InvalidInput as exc:
        raise ParseError(str(path), number, f"garbled decision record: {exc}") from None
    return record
