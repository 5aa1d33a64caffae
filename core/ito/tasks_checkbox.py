"""The legacy checkbox tasks.md format: `- [ ] 1.1 Do the thing` lines.

Numbering follows ito (`ito-domain/src/tasks/parse.rs`): a task without an explicit id gets
the number of its position among ALL tasks so far, so the third checkbox is "3" whether or
not the first two carried ids. That can collide with an explicit id; a collision is a
diagnostic, never a dropped task.
"""

from __future__ import annotations

import re

from core.ito.task_records import TaskRecord
from core.models.changes import Diagnostic, TaskStatus

CHECKBOX = re.compile(r"[-*] \[([ xX~>])\] (.*)", re.DOTALL)
# An id token (digits separated by single dots, optionally ending in ':' or '.', ito's rule),
# then whitespace and the name.
_LABELLED = re.compile(r"([0-9]+(?:\.[0-9]+)*)[:.]?[ \t]+(.*)", re.DOTALL)
MARKERS = {
    " ": TaskStatus.PENDING,
    "x": TaskStatus.COMPLETE,
    "X": TaskStatus.COMPLETE,
    "~": TaskStatus.IN_PROGRESS,
    ">": TaskStatus.IN_PROGRESS,
}


def is_checkbox_line(line: str) -> bool:
    return CHECKBOX.match(line.lstrip()) is not None


def _split_id(rest: str) -> tuple[str | None, str]:
    """`1.1 Do it` / `1.1: Do it` → ("1.1", "Do it"); no id token → (None, rest)."""
    match = _LABELLED.fullmatch(rest)
    return (match[1], match[2].strip()) if match is not None else (None, rest)


def parse_checkbox(
    lines: list[tuple[int, str]], path: str
) -> tuple[list[TaskRecord], list[Diagnostic]]:
    tasks: list[TaskRecord] = []
    diagnostics: list[Diagnostic] = []
    first_line_of_id: dict[str, int] = {}
    section: str | None = None
    for number, line in lines:
        stripped = line.lstrip()
        if stripped.startswith("## "):
            section = stripped[3:].strip()
            continue
        match = CHECKBOX.match(stripped)
        if match is None:
            continue
        explicit, name = _split_id(match[2].strip())
        task_id = explicit if explicit is not None else str(len(tasks) + 1)
        first = first_line_of_id.setdefault(task_id, number)
        if first != number:
            diagnostics.append(
                Diagnostic.model_construct(
                    path=path,
                    line=number,
                    message=f"duplicate task id {task_id} (first at line {first})",
                )
            )
        tasks.append(
            TaskRecord(
                id=task_id,
                name=name,
                wave=None,
                status=MARKERS[match[1]],
                kind="task",
                section=section,
                line=number,
                fields={},
            )
        )
    return tasks, diagnostics
