"""Backup plans and execution journals on disk: reading, crash-safe writing, the lock file.

A journal is written in canic's own shape (2-space indented JSON, every optional field
present as null, unknown fields kept), so canic and Quarterdeck can take turns on one folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from core.backups.validation import validate_journal, validate_plan
from core.fsutil import atomic_write
from core.models.backups import BackupPlan, ExecutionJournal, JournalLockInfo
from core.models.errors import InvalidJournal, JournalLocked, NotFound, ParseError

PLAN_FILE = "backup-plan.json"
JOURNAL_FILE = "backup-execution-journal.json"
LOCK_SUFFIX = ".lock"

_LOCK_CONTENT = re.compile(rb"\s*pid=(\d{1,10})\s*")
# How often to retry taking a lock whose holder released it between our two looks.
_LOCK_ATTEMPTS = 3

_Model = TypeVar("_Model", bound=BaseModel)


def load_plan(path: Path) -> BackupPlan:
    """Read and validate `backup-plan.json`."""
    plan = _read_model(path, BackupPlan, "backup plan")
    try:
        validate_plan(plan)
    except InvalidJournal as error:
        raise InvalidJournal(error.reason, str(path)) from None
    return plan


def load_journal(path: Path) -> ExecutionJournal:
    """Read and validate `backup-execution-journal.json`."""
    journal = _read_model(path, ExecutionJournal, "backup execution journal")
    try:
        validate_journal(journal)
    except InvalidJournal as error:
        raise InvalidJournal(error.reason, str(path)) from None
    return journal


def dump_journal(journal: ExecutionJournal) -> bytes:
    """The journal in canic's pretty-printed shape, with a final newline."""
    return JournalWriter().dump(journal)


def save_journal(
    path: Path, journal: ExecutionJournal, writer: JournalWriter | None = None
) -> None:
    """Validate, then replace the journal file atomically (never write an invalid journal).

    Pass the same `writer` for every save of one journal to serialize only what changed.
    """
    try:
        validate_journal(journal)
    except InvalidJournal as error:
        raise InvalidJournal(error.reason, str(path)) from None
    atomic_write(path, (writer or JournalWriter()).dump(journal))


class JournalWriter:
    """Serializes journals to the bytes `model_dump_json(indent=2)` gives, reusing the text
    of every operation and receipt that is still where it was last time.

    A step replaces one operation (and may append one receipt) out of thousands; serializing
    all 10,000 again costs about 20 ms, most of a step. Operations and receipts are frozen
    models, so an unchanged one is the same object, and its text can be reused.
    """

    _LISTS = ("operations", "operation_receipts")
    # An element's lines sit two levels deep in the journal: 4 spaces.
    _INDENT = b"\n    "

    def __init__(self) -> None:
        # Per list: the items last serialized (held, so their ids stay theirs) and their text.
        self._last: dict[str, tuple[list[BaseModel], list[bytes]]] = {}

    def dump(self, journal: ExecutionJournal) -> bytes:
        # The journal without its two long lists; each list's `[]` is then filled in.
        # A top-level key is the only place a newline is followed by exactly two spaces
        # and a quote: deeper lines are indented further, and strings hold no raw newline.
        emptied = journal.model_copy(update={name: [] for name in self._LISTS})
        rest = emptied.model_dump_json(indent=2).encode("utf-8")
        pieces: list[bytes] = []
        for name in self._LISTS:
            marker = f'\n  "{name}": []'.encode()
            before, found, rest = rest.partition(marker)
            if not found:  # cannot happen for a declared field; stay correct regardless
                return journal.model_dump_json(indent=2).encode("utf-8") + b"\n"
            items: list[BaseModel] = list(getattr(journal, name))
            pieces.append(before)
            if not items:
                pieces.append(marker)
                continue
            texts = self._texts(name, items)
            pieces += [f'\n  "{name}": [\n'.encode(), b",\n".join(texts), b"\n  ]"]
        pieces += [rest, b"\n"]
        return b"".join(pieces)

    def _texts(self, name: str, items: list[BaseModel]) -> list[bytes]:
        old_items, old_texts = self._last.get(name, ([], []))
        texts = [
            old_texts[position]
            if position < len(old_items) and old_items[position] is item
            else self._render(item)
            for position, item in enumerate(items)
        ]
        self._last[name] = (items, texts)
        return texts

    def _render(self, item: BaseModel) -> bytes:
        text = item.model_dump_json(indent=2).encode("utf-8")
        return self._INDENT[1:] + text.replace(b"\n", self._INDENT)


def _read_model(path: Path, model: type[_Model], what: str) -> _Model:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(what, str(path)) from None
    except OSError as error:
        raise ParseError(str(path), None, f"cannot read the file: {error.strerror}") from None
    try:
        return model.model_validate_json(data)
    except ValidationError as error:
        raise _parse_error(path, data, error) from None


def _parse_error(path: Path, data: bytes, error: ValidationError) -> ParseError:
    problems = error.errors(include_url=False)
    if any(problem["type"] == "json_invalid" for problem in problems):
        return _syntax_error(path, data, problems[0]["msg"])
    first = problems[0]
    more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
    return ParseError(str(path), None, f"{_field_path(first['loc'])}: {first['msg']}{more}")


def _syntax_error(path: Path, data: bytes, fallback: str) -> ParseError:
    """Malformed JSON, located by the standard library's parser (pydantic gives no line)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return ParseError(str(path), line, "the file is not UTF-8 text")
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        return ParseError(str(path), error.lineno, f"malformed JSON: {error.msg}")
    except (ValueError, RecursionError) as error:
        return ParseError(str(path), None, f"malformed JSON: {error}")
    return ParseError(str(path), None, fallback)


def _field_path(loc: tuple[int | str, ...]) -> str:
    """`('operations', 3, 'state')` -> `operations[3].state`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "the document"


def lock_path(journal_path: Path) -> Path:
    return journal_path.with_name(journal_path.name + LOCK_SUFFIX)


@contextlib.contextmanager
def journal_lock(journal_path: Path) -> Iterator[None]:
    """Hold the journal's lock file for the duration of the block.

    Refuses with JournalLocked (naming the holder's pid) when another holder has it.
    """
    lock = lock_path(journal_path)
    for _ in range(_LOCK_ATTEMPTS):
        if _create_lock_file(lock):
            break
        holder = read_lock(journal_path)
        if holder is not None:
            raise JournalLocked(str(journal_path), holder.pid, holder.alive)
    else:
        raise JournalLocked(str(journal_path), None, None)
    try:
        yield
    finally:
        holder = read_lock(journal_path)
        # Someone may have broken our lock by hand and taken it: theirs is not ours to remove.
        if holder is not None and holder.pid == os.getpid():
            lock.unlink(missing_ok=True)


def _create_lock_file(lock: Path) -> bool:
    """Create `lock` holding `pid=<pid>`, exclusively; False if it already exists.

    The content is written to a private file first and hard-linked into place, so the lock
    never exists without its pid, even if we are killed half-way (a plain O_EXCL create
    followed by a write would leave an empty, unbreakable lock behind).
    """
    content = f"pid={os.getpid()}\n".encode("ascii")
    staging = lock.with_name(f".{lock.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    staging.write_bytes(content)
    try:
        os.link(staging, lock)
    except FileExistsError:
        return False
    except OSError:
        # A file system without hard links: fall back to canic's plain exclusive create.
        return _create_lock_file_directly(lock, content)
    finally:
        staging.unlink(missing_ok=True)
    return True


def _create_lock_file_directly(lock: Path, content: bytes) -> bool:
    try:
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    try:
        os.write(fd, content)
    finally:
        os.close(fd)
    return True


def read_lock(journal_path: Path) -> JournalLockInfo | None:
    """Who holds the journal's lock (pid None when the lock file says nothing usable)."""
    lock = lock_path(journal_path)
    try:
        content = lock.read_bytes()
    except FileNotFoundError:
        return None
    except OSError:
        return JournalLockInfo(path=str(lock), pid=None, alive=None)
    match = _LOCK_CONTENT.fullmatch(content)
    pid = int(match.group(1)) if match else None
    if pid is None or pid <= 0:
        return JournalLockInfo(path=str(lock), pid=None, alive=None)
    return JournalLockInfo(path=str(lock), pid=pid, alive=pid_alive(pid))


def pid_alive(pid: int) -> bool | None:
    """Whether process `pid` exists (None where that cannot be asked safely)."""
    if sys.platform == "win32":
        # Signal 0 is CTRL_C_EVENT on Windows: asking would interrupt the process.
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it is just not ours
    except OverflowError:
        return False  # no process can have such a pid
    return True


def break_stale_lock(journal_path: Path) -> None:
    """Remove the journal's lock if, and only if, its holder is known to be dead."""
    holder = read_lock(journal_path)
    if holder is None:
        return
    if holder.alive is not False:
        raise JournalLocked(str(journal_path), holder.pid, holder.alive)
    Path(holder.path).unlink(missing_ok=True)
