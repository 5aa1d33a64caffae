"""ito's changes, tasks, modules and specs (FORMATS.md §1 and the API shapes of §2)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Literal, NamedTuple

from pydantic import Field, TypeAdapter

from core.models.base import Model


class TaskStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in-progress"
    COMPLETE = "complete"
    SHELVED = "shelved"


class WorkStatus(StrEnum):
    """Derived from files and tasks, never stored (FORMATS.md §1 "Work status")."""

    DRAFT = "draft"
    READY = "ready"
    IN_PROGRESS = "in-progress"
    PAUSED = "paused"
    COMPLETE = "complete"


class Lifecycle(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


class LifecycleFilter(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"
    ALL = "all"


class Progress(Model):
    total: int = 0
    complete: int = 0
    shelved: int = 0
    in_progress: int = 0
    pending: int = 0
    remaining: int = 0


class Diagnostic(Model):
    """Something odd in a file that did not stop it from being read (names the line)."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return (
            f"{self.path}:{self.line}: {self.message}"
            if self.line
            else (f"{self.path}: {self.message}")
        )


class Task(Model):
    id: str
    name: str
    wave: int | None = None
    status: TaskStatus
    # Not in ito's API shape; what the detail pane shows.
    kind: Literal["task", "checkpoint"] = "task"
    section: str | None = None
    line: int | None = None
    fields: dict[str, str] = Field(default_factory=dict)

    API_FIELDS: ClassVar[frozenset[str]] = frozenset({"id", "name", "wave", "status"})

    def api_dict(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", include=set(self.API_FIELDS))
        if data.get("wave") is None:
            data.pop("wave", None)
        return data


class Wave(Model):
    number: int
    title: str | None = None
    depends_on: list[int] = Field(default_factory=list)
    line: int | None = None


class TaskList(Model):
    change_id: str
    tasks: list[Task]
    progress: Progress
    format: Literal["enhanced", "checkbox"]
    waves: list[Wave] = Field(default_factory=list)
    diagnostics: list[Diagnostic] = Field(default_factory=list)

    def api_dict(self) -> dict[str, Any]:
        return {
            "change_id": self.change_id,
            "tasks": [task.api_dict() for task in self.tasks],
            "progress": self.progress.model_dump(),
            "format": self.format,
        }


CHANGE_LIST_API_FIELDS = (
    "id",
    "module_id",
    "completed_tasks",
    "shelved_tasks",
    "in_progress_tasks",
    "pending_tasks",
    "total_tasks",
    "has_proposal",
    "has_design",
    "has_specs",
    "has_tasks",
    "work_status",
    "last_modified",
)


class ChangeSummary(NamedTuple):
    """One row of the changes list: ito's list shape plus what the table shows.

    A NamedTuple, not a pydantic model, on purpose: a list holds up to 100,000 of these and
    a warm start builds them all. Measured here, pydantic construction costs 20-85 µs per
    object and a tuple under 1 µs, in a third of the memory. Untrusted input (a server's
    JSON) goes through `ChangeSummary.validate()` — a pydantic TypeAdapter — instead.
    """

    id: str
    module_id: str | None = None
    completed_tasks: int = 0
    shelved_tasks: int = 0
    in_progress_tasks: int = 0
    pending_tasks: int = 0
    total_tasks: int = 0
    has_proposal: bool = False
    has_design: bool = False
    has_specs: bool = False
    has_tasks: bool = False
    work_status: WorkStatus = WorkStatus.DRAFT
    last_modified: str = ""
    # Ours, not in ito's list shape.
    title: str = ""
    lifecycle: Lifecycle = Lifecycle.ACTIVE
    archived_on: str | None = None

    @staticmethod
    def validate(data: dict[str, Any]) -> ChangeSummary:
        return _SUMMARY_ADAPTER.validate_python(data)

    def api_dict(self) -> dict[str, Any]:
        """Exactly ito's `GET /changes` item (module_id omitted when there is none)."""
        data: dict[str, Any] = {name: getattr(self, name) for name in CHANGE_LIST_API_FIELDS}
        data["work_status"] = self.work_status.value
        if data["module_id"] is None:
            del data["module_id"]
        return data


_SUMMARY_ADAPTER: TypeAdapter[ChangeSummary] = TypeAdapter(ChangeSummary)


@dataclass(frozen=True)
class ChangeListing:
    """One step of a streamed listing: what is known so far.

    A listing starts with the cached index (`complete=False`, possibly stale), grows while
    folders are scanned (`scanned` of `total`), and ends with the complete, validated list.
    A big cached index comes as its first screenful before all of it, and that screenful
    says how many rows the index holds (`expected`; 0 in every other listing).
    """

    changes: list[ChangeSummary]
    complete: bool
    scanned: int = 0
    total: int = 0
    expected: int = 0


class SpecDelta(Model):
    name: str
    content: str


class ChangeDetail(Model):
    id: str
    module_id: str | None = None
    proposal: str | None = None
    design: str | None = None
    specs: list[SpecDelta] = Field(default_factory=list)
    progress: Progress = Field(default_factory=Progress)
    last_modified: str = ""
    # Ours.
    title: str = ""
    lifecycle: Lifecycle = Lifecycle.ACTIVE

    API_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"id", "module_id", "proposal", "design", "specs", "progress", "last_modified"}
    )

    def api_dict(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", include=set(self.API_FIELDS))
        for optional in ("module_id", "proposal", "design"):
            if data.get(optional) is None:
                data.pop(optional, None)
        return data


class ModuleSummary(Model):
    id: str
    name: str
    change_count: int = 0


class ModuleDetail(Model):
    id: str
    name: str
    description: str | None = None
    # Ours: what module.md holds besides the description.
    title: str | None = None
    scope: list[str] = Field(default_factory=list)
    changes: list[str] = Field(default_factory=list)

    def api_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "name": self.name}
        if self.description is not None:
            data["description"] = self.description
        return data


class SpecSummary(Model):
    id: str
    path: str
    last_modified: str


class SpecDocument(Model):
    id: str
    path: str
    markdown: str
    last_modified: str
