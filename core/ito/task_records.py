"""The parsers' own light task record; `Task` models are built only when a caller wants them
(a list of 100,000 changes needs the statuses, not 1,000,000 validated models)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.models.changes import Task, TaskStatus

TaskKind = Literal["task", "checkpoint"]


@dataclass(slots=True)
class TaskRecord:
    id: str
    name: str
    wave: int | None
    status: TaskStatus
    kind: TaskKind
    section: str | None
    line: int
    fields: dict[str, str]

    def to_task(self) -> Task:
        # The parsers built every value with the model's types; validating again is waste.
        return Task.model_construct(
            id=self.id,
            name=self.name,
            wave=self.wave,
            status=self.status,
            kind=self.kind,
            section=self.section,
            line=self.line,
            fields=self.fields,
        )
