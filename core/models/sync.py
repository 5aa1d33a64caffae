"""Artifact sync and archive (FORMATS.md §1 "Archive", §2 "ArtifactBundle")."""

from __future__ import annotations

import difflib
from enum import StrEnum
from typing import Literal

from pydantic import Field

from core.models.base import Model


class ArtifactBundle(Model):
    """A change's Markdown artifacts at one backend revision.

    `specs` holds `[capability, markdown]` pairs: JSON two-element arrays on the wire.
    """

    change_id: str
    proposal: str | None = None
    design: str | None = None
    tasks: str | None = None
    specs: list[tuple[str, str]] = Field(default_factory=list)
    revision: str = ""

    def files(self) -> dict[str, str]:
        """The artifacts by their path inside the change folder (absent documents left out)."""
        documents = {
            "proposal.md": self.proposal,
            "design.md": self.design,
            "tasks.md": self.tasks,
        }
        found = {path: text for path, text in documents.items() if text is not None}
        found.update({f"specs/{capability}/spec.md": text for capability, text in self.specs})
        return found


class PushResult(Model):
    change_id: str
    new_revision: str


class SyncOutcome(Model):
    """What a pull or push did to the local working copy."""

    change_id: str
    direction: Literal["pull", "push"]
    revision: str
    files_written: list[str] = Field(default_factory=list)
    backup_dir: str | None = None
    # Local artifacts a pull left alone because the bundle did not carry them (never deleted).
    files_kept: list[str] = Field(default_factory=list)


class ArchiveResult(Model):
    change_id: str
    archived_at: str


class ArchiveStep(StrEnum):
    """The four steps of ito's backend archive flow, in order."""

    PULL = "pull"
    COPY_SPECS = "copy-specs"
    MOVE = "move"
    MARK_ARCHIVED = "mark-archived"


StepStatus = Literal["started", "done", "skipped", "failed"]


class ArchiveStepReport(Model):
    step: ArchiveStep
    status: StepStatus
    detail: str = ""


class ArchiveOutcome(Model):
    change_id: str
    archive_name: str
    specs_updated: list[str] = Field(default_factory=list)
    backend: ArchiveResult | None = None
    # Set when the last step failed: the local archive stands (ito's rule).
    backend_error: str | None = None
    steps: list[ArchiveStepReport] = Field(default_factory=list)


class FileState(StrEnum):
    SAME = "same"
    DIFFERENT = "different"
    ONLY_LOCAL = "only-local"
    ONLY_SERVER = "only-server"


class FileDifference(Model):
    """How one artifact of the working copy compares with the backend's copy of it.

    `added` and `removed` count the lines the local file adds to or removes from the
    server's: what a push would change on the server.
    """

    path: str
    state: FileState
    added: int = 0
    removed: int = 0

    @classmethod
    def between(cls, path: str, local: str | None, server: str | None) -> FileDifference:
        if local is None:
            if server is None:
                raise ValueError(f"{path}: neither side has the file")
            return cls(path=path, state=FileState.ONLY_SERVER, removed=len(server.splitlines()))
        if server is None:
            return cls(path=path, state=FileState.ONLY_LOCAL, added=len(local.splitlines()))
        if local == server:
            return cls(path=path, state=FileState.SAME)
        added = removed = 0
        matcher = difflib.SequenceMatcher(None, server.splitlines(), local.splitlines(), False)
        for tag, start_a, end_a, start_b, end_b in matcher.get_opcodes():
            if tag != "equal":
                removed += end_a - start_a
                added += end_b - start_b
        return cls(path=path, state=FileState.DIFFERENT, added=added, removed=removed)
