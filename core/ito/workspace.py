"""Everything Quarterdeck does with one `.ito/` folder, behind one class.

The rules live in the sibling modules (ids, tasks, listing, summary, modules, bundles,
archive, audit); this class resolves ids to folders, checks lifecycles and takes locks.
Writes that can race (sync, push, archive) hold a per-change flock under `.state/locks/`.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path

from core.fsutil import atomic_write
from core.ito import archive
from core.ito.audit import AuditLog
from core.ito.bundles import (
    REVISION_FILE,
    SPEC_FILE,
    SPECS_FOLDER,
    backup_artifacts,
    check_bundle,
    delta_specs,
    ensure_change_folder,
    files_not_in_bundle,
    read_bundle_from,
    read_revision,
    write_artifacts,
)
from core.ito.ids import (
    archive_folder_name,
    is_change_id,
    owners_of,
    parse_change_id,
    require_safe_component,
)
from core.ito.listing import ARCHIVE_FOLDER, ChangeFolder, active_folders, archived_folders
from core.ito.locks import exclusive_lock
from core.ito.modules import (
    module_folders,
    parse_module_md_bytes,
    parse_module_yaml_description,
)
from core.ito.revisions import next_revision, store_revision
from core.ito.summary import summarize_change_dir
from core.ito.tasks import parse_tasks_bytes
from core.ito.text import read_utf8, read_utf8_if_exists
from core.models.changes import (
    ChangeDetail,
    ChangeSummary,
    Diagnostic,
    Lifecycle,
    LifecycleFilter,
    ModuleDetail,
    ModuleSummary,
    Progress,
    SpecDelta,
    SpecDocument,
    SpecSummary,
    TaskList,
)
from core.models.errors import ChangeArchived, InvalidInput, NotFound, RevisionConflict
from core.models.events import AuditEvent, EventBatch, EventIngestResult
from core.models.sync import ArtifactBundle, PushResult, SyncOutcome
from core.timeutil import Clock, rfc3339_of_epoch, system_clock

# A folder's (inode, mtime in ns): it moves when an entry is added, removed or renamed.
Stamp = tuple[int, int]
RACY_NS = 2_000_000_000


def _folder_stamp(folder: Path) -> Stamp | None:
    try:
        stat = os.stat(folder)
    except OSError:
        return None
    return (stat.st_ino, stat.st_mtime_ns)


class ItoWorkspace:
    def __init__(self, ito_dir: Path, clock: Clock = system_clock) -> None:
        self.ito_dir = ito_dir
        self.changes_dir = ito_dir / "changes"
        self.archive_dir = self.changes_dir / ARCHIVE_FOLDER
        # The last change counts per module, and the changes folders' stamps they were made at.
        self._counted: tuple[tuple[Stamp | None, Stamp | None], Counter[str]] | None = None
        self.specs_dir = ito_dir / "specs"
        self.modules_dir = ito_dir / "modules"
        self.clock = clock
        self._audit = AuditLog(ito_dir)

    # ── changes ──────────────────────────────────────────────────────────

    def change_folders(self, lifecycle: LifecycleFilter) -> list[tuple[ChangeFolder, Lifecycle]]:
        """The folders `list_changes` summarizes, in listing order (names only, no reads)."""
        folders: list[tuple[ChangeFolder, Lifecycle]] = []
        if lifecycle in (LifecycleFilter.ACTIVE, LifecycleFilter.ALL):
            folders.extend((f, Lifecycle.ACTIVE) for f in active_folders(self.changes_dir))
        if lifecycle in (LifecycleFilter.ARCHIVED, LifecycleFilter.ALL):
            folders.extend((f, Lifecycle.ARCHIVED) for f in archived_folders(self.archive_dir))
        return folders

    def list_changes(
        self, lifecycle: LifecycleFilter = LifecycleFilter.ACTIVE
    ) -> list[ChangeSummary]:
        """FORMATS.md "Listing". `all` is the active changes, then the archived ones, each
        sorted by id (an id both active and archived appears twice, once per lifecycle)."""
        return [
            summarize_change_dir(folder.location, folder.change_id, life, folder.archived_on)
            for folder, life in self.change_folders(lifecycle)
        ]

    def _change_path(self, change_id: str) -> Path:
        require_safe_component(change_id, "change id")
        if change_id == ARCHIVE_FOLDER or change_id.startswith("."):
            raise InvalidInput(f"invalid change id {change_id!r}: that folder is not a change")
        return self.changes_dir / change_id

    def _archived(self, change_id: str) -> ChangeFolder | None:
        if not is_change_id(change_id):
            return None
        return next(
            (f for f in archived_folders(self.archive_dir) if f.change_id == change_id), None
        )

    def _locate(self, change_id: str) -> tuple[ChangeFolder, Lifecycle]:
        path = self._change_path(change_id)
        if path.is_dir():
            return ChangeFolder(change_id, str(path)), Lifecycle.ACTIVE
        folder = self._archived(change_id)
        if folder is None:
            raise NotFound("change", change_id)
        return folder, Lifecycle.ARCHIVED

    def _require_active(self, change_id: str) -> Path:
        path = self._change_path(change_id)
        if path.is_dir():
            return path
        if self._archived(change_id) is not None:
            raise ChangeArchived(change_id)
        raise NotFound("change", change_id)

    def find_change(self, change_id: str) -> tuple[Path, Lifecycle]:
        """The change's folder, active first, then archived."""
        folder, lifecycle = self._locate(change_id)
        return folder.path, lifecycle

    def get_change(self, change_id: str) -> ChangeDetail:
        folder, lifecycle = self._locate(change_id)
        summary = summarize_change_dir(folder.path, change_id, lifecycle, folder.archived_on)
        return ChangeDetail(
            id=change_id,
            module_id=summary.module_id,
            proposal=read_utf8_if_exists(folder.path / "proposal.md"),
            design=read_utf8_if_exists(folder.path / "design.md"),
            specs=[
                SpecDelta(name=cap, content=read_utf8(path))
                for cap, path in delta_specs(folder.path)
            ],
            progress=Progress(
                total=summary.total_tasks,
                complete=summary.completed_tasks,
                shelved=summary.shelved_tasks,
                in_progress=summary.in_progress_tasks,
                pending=summary.pending_tasks,
                remaining=summary.total_tasks - summary.completed_tasks - summary.shelved_tasks,
            ),
            last_modified=summary.last_modified,
            title=summary.title,
            lifecycle=lifecycle,
        )

    def get_tasks(self, change_id: str) -> TaskList:
        """The change's tasks; a tasks.md that is not UTF-8 raises its ParseError here."""
        folder, _ = self._locate(change_id)
        tasks_md = folder.path / "tasks.md"
        try:
            data = tasks_md.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return TaskList(change_id=change_id, tasks=[], progress=Progress(), format="checkbox")
        parsed = parse_tasks_bytes(data, str(tasks_md))
        return TaskList(
            change_id=change_id,
            tasks=parsed.tasks,
            progress=parsed.progress,
            format=parsed.format,
            waves=parsed.waves,
            diagnostics=parsed.diagnostics,
        )

    def _all_change_ids(self) -> Iterator[str]:
        yield from (f.change_id for f in active_folders(self.changes_dir))
        yield from (f.change_id for f in archived_folders(self.archive_dir))

    # ── modules and specs ────────────────────────────────────────────────

    def list_modules(self) -> list[ModuleSummary]:
        """Modules and sub-modules by id. A module counts every active and archived change
        whose id starts with its `NNN` (its sub-modules' changes included); a sub-module
        counts the changes whose id starts with its `NNN.SS`."""
        counts = self._change_counts()
        return [
            ModuleSummary(id=m.module_id, name=m.name, change_count=counts[m.module_id])
            for m in module_folders(self.modules_dir)
        ]

    def _change_counts(self) -> Counter[str]:
        """Changes per module and sub-module. Change ids are folder names, so the counts
        stand while neither changes folder's own mtime moves: at 100,000 changes, counting
        again took 0.35-0.8 s of every `list_modules` (a remote dashboard's start waits on
        one)."""
        stamps = (_folder_stamp(self.changes_dir), _folder_stamp(self.archive_dir))
        if self._counted is not None and self._counted[0] == stamps:
            return self._counted[1]
        counting_since = time.time_ns()
        counts: Counter[str] = Counter()
        for change_id in self._all_change_ids():
            for owner in owners_of(change_id):
                if owner is not None:
                    counts[owner] += 1
        # A folder changed within RACY_NS of the count may change again without its mtime
        # moving (mtimes have a granularity): that count is not kept (git's "racy" rule).
        if all(stamp[1] < counting_since - RACY_NS for stamp in stamps if stamp is not None):
            self._counted = (stamps, counts)
        return counts

    def module_names(self) -> dict[str, str]:
        """Name by module id, from the module folders alone: what the changes list shows
        (at 100,000 changes, counting them took `list_modules` 0.35-0.8 s)."""
        return {m.module_id: m.name for m in module_folders(self.modules_dir)}

    def get_module(self, module_id: str) -> ModuleDetail:
        folder = next(
            (m for m in module_folders(self.modules_dir) if m.module_id == module_id), None
        )
        if folder is None:
            raise NotFound("module", module_id)
        module_md = folder.path / "module.md"
        description: str | None = None
        title: str | None = None
        scope: list[str] = []
        changes: list[str] = []
        if module_md.is_file():
            doc = parse_module_md_bytes(module_md.read_bytes(), str(module_md))
            description, title, scope, changes = doc.purpose, doc.title, doc.scope, doc.changes
        if description is None:
            yaml_text = read_utf8_if_exists(folder.path / "module.yaml")
            if yaml_text is not None:
                description = parse_module_yaml_description(yaml_text)
        return ModuleDetail(
            id=folder.module_id,
            name=folder.name,
            description=description,
            title=title,
            scope=scope,
            changes=changes,
        )

    def list_specs(self) -> list[SpecSummary]:
        try:
            with os.scandir(self.specs_dir) as entries:
                caps = sorted(e.name for e in entries if not e.name.startswith(".") and e.is_dir())
        except (FileNotFoundError, NotADirectoryError):
            return []
        rows: list[SpecSummary] = []
        for cap in caps:
            try:
                mtime = (self.specs_dir / cap / SPEC_FILE).stat().st_mtime
            except OSError:
                continue
            rows.append(
                SpecSummary(
                    id=cap,
                    path=f"{SPECS_FOLDER}/{cap}/{SPEC_FILE}",
                    last_modified=rfc3339_of_epoch(mtime),
                )
            )
        return rows

    def get_spec(self, spec_id: str) -> SpecDocument:
        require_safe_component(spec_id, "spec id")
        path = self.specs_dir / spec_id / SPEC_FILE
        if not path.is_file():
            raise NotFound("spec", spec_id)
        return SpecDocument(
            id=spec_id,
            path=f"{SPECS_FOLDER}/{spec_id}/{SPEC_FILE}",
            markdown=read_utf8(path),
            last_modified=rfc3339_of_epoch(path.stat().st_mtime),
        )

    # ── sync: the local working copy ─────────────────────────────────────

    @contextmanager
    def _change_lock(self, change_id: str) -> Iterator[None]:
        self._change_path(change_id)  # validated before it names a lock file
        with exclusive_lock(self.ito_dir / ".state" / "locks" / f"change-{change_id}.lock"):
            yield

    def read_bundle(self, change_id: str) -> ArtifactBundle:
        """The active change's artifacts, with the revision it was last synced at ("" if never)."""
        change_dir = self._require_active(change_id)
        return read_bundle_from(change_dir, change_id, read_revision(change_dir) or "")

    def _writable_change_path(self, change_id: str) -> Path:
        """The active folder, or where a new change would go; refuses archived ids."""
        path = self._change_path(change_id)
        if not path.is_dir():
            if self._archived(change_id) is not None:
                raise ChangeArchived(change_id)
            parse_change_id(change_id)
        return path

    def write_bundle(
        self, change_id: str, bundle: ArtifactBundle, backup_root: Path
    ) -> SyncOutcome:
        """Apply a pulled bundle: back up, write what it holds, delete nothing, store its
        revision. Local artifacts the bundle lacks are reported in `files_kept`."""
        if bundle.change_id and bundle.change_id != change_id:
            raise InvalidInput(f"bundle is for {bundle.change_id!r}, not {change_id!r}")
        check_bundle(bundle)
        with self._change_lock(change_id):
            change_dir = self._writable_change_path(change_id)
            backup = backup_artifacts(change_dir, change_id, backup_root, self.clock)
            kept = files_not_in_bundle(change_dir, bundle) if change_dir.is_dir() else []
            ensure_change_folder(change_dir, self.clock)
            written = write_artifacts(change_dir, bundle)
            atomic_write(change_dir / REVISION_FILE, bundle.revision)
        return SyncOutcome(
            change_id=change_id,
            direction="pull",
            revision=bundle.revision,
            files_written=[*written, REVISION_FILE],
            backup_dir=str(backup) if backup is not None else None,
            files_kept=kept,
        )

    def write_revision(self, change_id: str, revision: str, backup_root: Path) -> SyncOutcome:
        """Record the revision a successful push returned. Like ito's push, the change's
        artifacts (the old `.backend-revision` among them) are backed up first."""
        with self._change_lock(change_id):
            change_dir = self._require_active(change_id)
            backup = backup_artifacts(change_dir, change_id, backup_root, self.clock)
            atomic_write(change_dir / REVISION_FILE, revision)
        return SyncOutcome(
            change_id=change_id,
            direction="push",
            revision=revision,
            files_written=[REVISION_FILE],
            backup_dir=str(backup) if backup is not None else None,
        )

    # ── sync: a backend store serving this workspace ─────────────────────

    def store_pull(self, change_id: str) -> ArtifactBundle:
        folder, _ = self._locate(change_id)
        return read_bundle_from(folder.path, change_id, store_revision(folder.path))

    def store_push(self, change_id: str, bundle: ArtifactBundle) -> PushResult:
        """Optimistic concurrency: a non-empty `bundle.revision` must be the current one.

        Check and write happen under the change's flock, so of two pushes from the same base
        revision exactly one succeeds and the other sees the first one's new revision.
        """
        check_bundle(bundle)
        with self._change_lock(change_id):
            change_dir = self._writable_change_path(change_id)
            current = store_revision(change_dir) if change_dir.is_dir() else ""
            if bundle.revision and bundle.revision != current:
                raise RevisionConflict(change_id, bundle.revision, current)
            ensure_change_folder(change_dir, self.clock)
            write_artifacts(change_dir, bundle)
            revision = next_revision(current, self.clock())
            atomic_write(change_dir / REVISION_FILE, revision)
        return PushResult(change_id=change_id, new_revision=revision)

    # ── archive ──────────────────────────────────────────────────────────

    def copy_specs_to_main(self, change_id: str) -> list[str]:
        return archive.copy_specs_to_main(self._require_active(change_id), self.specs_dir)

    def _move_to_archive(self, change_id: str, archive_name: str | None) -> str:
        change_dir = self._require_active(change_id)
        name = archive_name or archive_folder_name(change_id, self.clock().astimezone(UTC).date())
        return archive.move_to_archive(change_dir, self.archive_dir, name)

    def move_to_archive(self, change_id: str, archive_name: str | None = None) -> str:
        """Move the active change to `archive/<UTC date>-<id>` (or `archive_name`)."""
        with self._change_lock(change_id):
            return self._move_to_archive(change_id, archive_name)

    def archive_local(self, change_id: str, skip_specs: bool) -> tuple[list[str], str]:
        """Steps 2 and 3 of ito's archive flow: the capabilities copied and the folder name."""
        with self._change_lock(change_id):
            change_dir = self._require_active(change_id)
            copied = [] if skip_specs else archive.copy_specs_to_main(change_dir, self.specs_dir)
            return copied, self._move_to_archive(change_id, None)

    # ── audit events ─────────────────────────────────────────────────────

    def append_event(self, event: AuditEvent) -> None:
        self._audit.append(event)

    def list_events(self, limit: int | None = None) -> list[AuditEvent]:
        """Events in file order; with `limit`, the most recent `limit`. Unreadable lines are
        skipped here and reported by `event_diagnostics`."""
        return self._audit.events(limit)

    def event_diagnostics(self) -> list[Diagnostic]:
        return self._audit.diagnostics()

    def ingest_events(self, batch: EventBatch) -> EventIngestResult:
        return self._audit.ingest(batch)
