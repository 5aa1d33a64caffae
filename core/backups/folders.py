"""Backup folders under a set of roots: listing, status, and the locked journal steps.

A backup folder is a directory (a root itself, or directly inside one) holding
`backup-plan.json` and/or `backup-execution-journal.json`. When only the plan exists the
journal is the one canic would build from it, and it is first written by the first step.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from core.backups import journal as machine
from core.backups.files import (
    JOURNAL_FILE,
    PLAN_FILE,
    JournalWriter,
    break_stale_lock,
    journal_lock,
    load_journal,
    load_plan,
    read_lock,
    save_journal,
)
from core.models.backups import (
    BackupFolder,
    BackupPlan,
    BackupStatus,
    ExecutionJournal,
    JournalLockInfo,
    LayoutStatus,
    ReceiptOutcome,
    ResumeSummary,
)
from core.models.errors import (
    InvalidInput,
    InvalidJournal,
    NotFound,
    ParseError,
    QuarterdeckError,
)
from core.timeutil import Clock, system_clock, to_unix_stamp

# What identifies one version of a file without reading it. canic and we replace the
# journal by renaming a new file over it, so its inode changes on each write; size and
# mtime catch editors that rewrite a file in place.
_FileKey = tuple[int, int, int]


def _file_key(path: Path) -> _FileKey | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ParseError(str(path), None, f"cannot read the file: {error.strerror}") from None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def _is_backup_folder(path: Path) -> bool:
    # os.path.exists answers False for a folder we may not look into: it is not listed.
    return os.path.exists(path / PLAN_FILE) or os.path.exists(path / JOURNAL_FILE)


@dataclass
class _Loaded:
    """One folder's plan and journal, read and checked against each other."""

    plan_key: _FileKey | None
    journal_key: _FileKey | None
    plan: BackupPlan | None
    journal: ExecutionJournal

    @cached_property
    def summary(self) -> ResumeSummary:
        return machine.resume_summary(self.journal)

    @cached_property
    def layout_status(self) -> LayoutStatus:
        return machine.layout_status(self.journal)


@dataclass
class _Failed:
    """A folder that could not be read, remembered so listing it again costs no parse."""

    plan_key: _FileKey | None
    journal_key: _FileKey | None
    error: QuarterdeckError


class BackupFolders:
    def __init__(self, roots: Sequence[Path], clock: Clock = system_clock) -> None:
        self.roots = [Path(root) for root in roots]
        self.clock = clock
        self._cache: dict[Path, _Loaded | _Failed] = {}
        self._writers: dict[Path, JournalWriter] = {}

    def list(self) -> builtins.list[BackupFolder]:
        """Every backup folder under the roots, by name; unreadable ones carry `error`."""
        found: dict[Path, None] = {}
        for root in self.roots:
            if _is_backup_folder(root):
                found[root.resolve()] = None
            try:
                entries = builtins.list(os.scandir(root))
            except OSError:
                continue
            for entry in entries:
                path = Path(entry.path)
                if entry.is_dir() and _is_backup_folder(path):
                    found[path.resolve()] = None
        folders = [self._describe(path) for path in found]
        return sorted(folders, key=lambda folder: (folder.name, folder.path))

    def resolve(self, folder: str) -> Path:
        """A folder name inside one of the roots, or an existing backup folder's path.

        A plain name is looked up in the roots first, then as a path from the working
        folder. '..' is refused outright, so a name cannot climb out of a root; a path is
        taken as given (a server should only pass on names that `list()` returned).
        """
        if ".." in Path(folder).parts:
            raise InvalidInput(f"backup folder {folder!r}: '..' is not allowed")
        if folder and folder != "." and Path(folder).name == folder:
            for root in self.roots:
                candidate = root / folder
                if candidate.is_dir() and _is_backup_folder(candidate):
                    return candidate.resolve()
                if root.name == folder and _is_backup_folder(root):
                    return root.resolve()
        path = Path(folder).expanduser() if folder else None
        if path is not None and path.is_dir() and _is_backup_folder(path):
            return path.resolve()
        raise NotFound("backup folder", folder)

    def plan(self, folder: str) -> BackupPlan | None:
        path = self.resolve(folder)
        cached = self._cache.get(path)
        if isinstance(cached, _Loaded) and cached.plan_key == _file_key(path / PLAN_FILE):
            return cached.plan
        plan_path = path / PLAN_FILE
        return load_plan(plan_path) if plan_path.exists() else None

    def journal(self, folder: str) -> ExecutionJournal:
        """The folder's journal, or the one its plan starts with (not written until a step)."""
        return self._load(self.resolve(folder)).journal

    def status(self, folder: str) -> BackupStatus:
        """What `canic backup status` prints for the folder."""
        loaded = self._load(self.resolve(folder))
        journal, plan = loaded.journal, loaded.plan
        return BackupStatus(
            layout_status=loaded.layout_status,
            plan_id=journal.plan_id,
            run_id=journal.run_id,
            fleet=plan.fleet if plan else None,
            network=plan.network if plan else None,
            targets=len(plan.targets) if plan else 0,
            operations=len(journal.operations),
            execution=loaded.summary,
        )

    def accept_preflight(self, folder: str, preflight_id: str) -> ExecutionJournal:
        return self._step(
            folder, lambda journal, at: machine.accept_preflight(journal, preflight_id, at)
        )

    def start_next(self, folder: str) -> ExecutionJournal:
        """Mark the next operation pending."""
        return self._step(folder, machine.mark_next_pending)

    def record(
        self,
        folder: str,
        sequence: int,
        outcome: ReceiptOutcome,
        *,
        snapshot_id: str | None = None,
        snapshot_taken_at_timestamp: int | None = None,
        snapshot_total_size_bytes: int | None = None,
        artifact_path: str | None = None,
        checksum: str | None = None,
        failure_reason: str | None = None,
    ) -> ExecutionJournal:
        """Record the outcome of the pending operation `sequence`."""

        def transition(journal: ExecutionJournal, at: str) -> ExecutionJournal:
            receipt = machine.build_receipt(
                journal,
                sequence,
                outcome,
                at,
                snapshot_id=snapshot_id,
                snapshot_taken_at_timestamp=snapshot_taken_at_timestamp,
                snapshot_total_size_bytes=snapshot_total_size_bytes,
                artifact_path=artifact_path,
                checksum=checksum,
                failure_reason=failure_reason,
            )
            return machine.record_receipt(journal, receipt)

        return self._step(folder, transition)

    def retry(self, folder: str, sequence: int) -> ExecutionJournal:
        """Put the failed operation `sequence` back to ready."""
        return self._step(folder, lambda journal, at: machine.retry_failed(journal, sequence, at))

    def initialize(self, folder: str) -> ExecutionJournal:
        """Write the journal a plan starts with, as canic does before a run (idempotent)."""
        path = self.resolve(folder)
        journal_path = path / JOURNAL_FILE
        with journal_lock(journal_path):
            loaded = self._load(path)
            if loaded.journal_key is None:
                save_journal(journal_path, loaded.journal)
                self._cache.pop(path, None)
        return loaded.journal

    def lock_info(self, folder: str) -> JournalLockInfo | None:
        """Who holds the folder's journal lock, if anyone."""
        return read_lock(self.resolve(folder) / JOURNAL_FILE)

    def break_lock(self, folder: str) -> None:
        """Remove the folder's lock if its holder is dead; a live holder's lock is refused."""
        break_stale_lock(self.resolve(folder) / JOURNAL_FILE)

    def _step(
        self, folder: str, transition: Callable[[ExecutionJournal, str], ExecutionJournal]
    ) -> ExecutionJournal:
        path = self.resolve(folder)
        journal_path = path / JOURNAL_FILE
        with journal_lock(journal_path):
            loaded = self._load(path)
            journal = transition(loaded.journal, to_unix_stamp(self.clock()))
            save_journal(journal_path, journal, self._writers.setdefault(path, JournalWriter()))
            self._cache[path] = _Loaded(
                loaded.plan_key, _file_key(journal_path), loaded.plan, journal
            )
        return journal

    def _load(self, path: Path) -> _Loaded:
        plan_key = _file_key(path / PLAN_FILE)
        journal_key = _file_key(path / JOURNAL_FILE)
        cached = self._cache.get(path)
        if cached is not None and (cached.plan_key, cached.journal_key) == (plan_key, journal_key):
            if isinstance(cached, _Failed):
                raise cached.error.with_traceback(None)
            return cached
        try:
            loaded = self._read(path, plan_key, journal_key, cached)
        except QuarterdeckError as error:
            self._cache[path] = _Failed(plan_key, journal_key, error)
            raise
        self._cache[path] = loaded
        return loaded

    def _read(
        self,
        path: Path,
        plan_key: _FileKey | None,
        journal_key: _FileKey | None,
        previous: _Loaded | _Failed | None,
    ) -> _Loaded:
        """Read what changed since `previous`; reuse what did not."""
        reuse = previous if isinstance(previous, _Loaded) else None
        plan: BackupPlan | None = None
        if plan_key is not None:
            if reuse is not None and reuse.plan_key == plan_key:
                plan = reuse.plan
            else:
                plan = load_plan(path / PLAN_FILE)
        if journal_key is None:
            if plan is None:
                raise NotFound("backup plan or execution journal", str(path))
            return _Loaded(plan_key, None, plan, machine.journal_from_plan(plan))
        if reuse is not None and reuse.journal_key == journal_key:
            journal = reuse.journal
        else:
            journal = load_journal(path / JOURNAL_FILE)
        if plan is not None:
            try:
                machine.check_plan_matches(plan, journal)
            except InvalidJournal as error:
                raise InvalidJournal(error.reason, str(path / JOURNAL_FILE)) from None
        return _Loaded(plan_key, journal_key, plan, journal)

    def _describe(self, path: Path) -> BackupFolder:
        journal_path = path / JOURNAL_FILE
        lock = read_lock(journal_path)
        described = BackupFolder(
            path=str(path),
            name=path.name,
            has_journal=os.path.exists(journal_path),
            locked_by_pid=lock.pid if lock else None,
            lock_pid_alive=lock.alive if lock else None,
        )
        try:
            loaded = self._load(path)
        except QuarterdeckError as error:
            return described.model_copy(update={"error": str(error)})
        summary = loaded.summary
        return described.model_copy(
            update={
                "layout_status": loaded.layout_status,
                "plan_id": loaded.journal.plan_id,
                "run_id": loaded.journal.run_id,
                "restart_required": loaded.journal.restart_required,
                "total_operations": summary.total_operations,
                "completed_operations": summary.completed_operations,
                "failed_operations": summary.failed_operations,
                "next_sequence": (
                    summary.next_operation.sequence if summary.next_operation else None
                ),
            }
        )
