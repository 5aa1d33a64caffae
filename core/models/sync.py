"""Artifact sync and archive (FORMATS.md §1 "Archive", §2 "ArtifactBundle")."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field


class ArtifactBundle(BaseModel):
    """A change's Markdown artifacts at one backend revision.

    `specs` holds `[capability, markdown]` pairs: JSON two-element arrays on the wire.
    """

    change_id: str
    proposal: str | None = None
    design: str | None = None
    tasks: str | None = None
    specs: list[tuple[str, str]] = Field(default_factory=list)
    revision: str = ""


class PushResult(BaseModel):
    change_id: str
    new_revision: str


class SyncOutcome(BaseModel):
    """What a pull or push did to the local working copy."""

    change_id: str
    direction: Literal["pull", "push"]
    revision: str
    files_written: list[str] = Field(default_factory=list)
    backup_dir: str | None = None
    # Local artifacts a pull left alone because the bundle did not carry them (never deleted).
    files_kept: list[str] = Field(default_factory=list)


class ArchiveResult(BaseModel):
    change_id: str
    archived_at: str


class ArchiveStep(StrEnum):
    """The four steps of ito's backend archive flow, in order."""

    PULL = "pull"
    COPY_SPECS = "copy-specs"
    MOVE = "move"
    MARK_ARCHIVED = "mark-archived"


class ArchiveStepReport(BaseModel):
    step: ArchiveStep
    status: Literal["started", "done", "skipped", "failed"]
    detail: str = ""


class ArchiveOutcome(BaseModel):
    change_id: str
    archive_name: str
    specs_updated: list[str] = Field(default_factory=list)
    backend: ArchiveResult | None = None
    # Set when the last step failed: the local archive stands (ito's rule).
    backend_error: str | None = None
    steps: list[ArchiveStepReport] = Field(default_factory=list)
