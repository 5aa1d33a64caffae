"""tasks.md: format detection, parsing of both formats, progress and work status.

FORMATS.md §1 "tasks.md", "Progress", "Work status". Lines inside fenced code blocks are
never tasks or headings, and ito's `<!-- ITO:START/END -->` markers are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from core.ito.fast_statuses import fast_statuses
from core.ito.task_records import TaskRecord
from core.ito.tasks_checkbox import is_checkbox_line, parse_checkbox
from core.ito.tasks_enhanced import is_enhanced_marker, parse_enhanced
from core.ito.text import (
    ContentLines,
    content_lines,
    decode_utf8,
    drop_code_blocks,
    normalize,
)
from core.models.changes import Diagnostic, Progress, Task, TaskStatus, Wave, WorkStatus

TasksFormat = Literal["enhanced", "checkbox"]

# A superset of the lines `task_statuses_bytes` needs (`[^\S\n]` is whitespace within a line,
# the set `str.lstrip` removes).
_STATUS_RELEVANT = re.compile(r"^[^\S\n]*(?:[#`~]|[-*] \[|[^\n]*Status)[^\n]*", re.MULTILINE)


@dataclass(frozen=True)
class ParsedTasks:
    format: TasksFormat
    tasks: list[Task]
    waves: list[Wave] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def progress(self) -> Progress:
        return compute_progress(self.tasks)


def detect_format(lines: list[tuple[int, str]]) -> tuple[TasksFormat, int | None]:
    """The format, and for enhanced files the line that made it so."""
    for number, line in lines:
        stripped = line.strip()
        if stripped.startswith("#") and is_enhanced_marker(stripped):
            return "enhanced", number
    return "checkbox", None


@dataclass(frozen=True)
class _Records:
    format: TasksFormat
    tasks: list[TaskRecord]
    waves: list[Wave]
    diagnostics: list[Diagnostic]


def _parse_records(content: ContentLines, path: str) -> _Records:
    fmt, marker_line = detect_format(content.lines)
    diagnostics: list[Diagnostic] = []
    tasks: list[TaskRecord]
    waves: list[Wave]
    if fmt == "enhanced":
        result = parse_enhanced(content.lines, path)
        tasks, waves = result.tasks, result.waves
        diagnostics.extend(result.diagnostics)
        if not tasks:
            stray = sum(1 for _, line in content.lines if is_checkbox_line(line))
            if stray:
                diagnostics.append(
                    Diagnostic(
                        path=path,
                        line=marker_line,
                        message=f"enhanced format (from this line) has no task headings; "
                        f"its {stray} checkbox line(s) are not counted",
                    )
                )
    else:
        tasks, checkbox_diagnostics = parse_checkbox(content.lines, path)
        waves = []
        diagnostics.extend(checkbox_diagnostics)
    if content.unclosed_fence_line is not None:
        diagnostics.append(
            Diagnostic(
                path=path,
                line=content.unclosed_fence_line,
                message="code block never closed; nothing after this line is read",
            )
        )
    return _Records(fmt, tasks, waves, diagnostics)


def parse_tasks(text: str, path: str) -> ParsedTasks:
    records = _parse_records(content_lines(text), path)
    tasks = [record.to_task() for record in records.tasks]
    return ParsedTasks(records.format, tasks, records.waves, records.diagnostics)


def parse_tasks_bytes(data: bytes, path: str) -> ParsedTasks:
    """Parse raw file content; invalid UTF-8 is a ParseError naming the line."""
    return parse_tasks(decode_utf8(data, path), path)


def _status_relevant_lines(normalized: str) -> list[tuple[int, str]]:
    """The numbered lines that can change a task's existence or status, found by the regex
    engine instead of a Python loop over every line."""
    found: list[tuple[int, str]] = []
    number, position = 1, 0
    for match in _STATUS_RELEVANT.finditer(normalized):
        number += normalized.count("\n", position, match.start())
        position = match.start()
        found.append((number, match[0]))
    return found


def task_statuses_bytes(data: bytes, path: str) -> list[TaskStatus]:
    """Only the statuses, in order: what a list row needs.

    Same parsers, fed only the lines that matter for statuses: headings (they open and close
    tasks, waves and the format), fence lines (they hide code), checkbox lines and any line
    mentioning `Status`. Everything else only fills fields and diagnostics. The property
    tests hold this equal to `parse_tasks` statuses on arbitrary input.
    """
    normalized = normalize(decode_utf8(data, path))
    quick = fast_statuses(normalized)
    if quick is not None:
        return quick
    records = _parse_records(drop_code_blocks(_status_relevant_lines(normalized)), path)
    return [record.status for record in records.tasks]


def progress_of_statuses(statuses: Iterable[TaskStatus]) -> Progress:
    # list.count, not a loop over a dict of counts: a first listing counts the tasks of
    # 100,000 changes, and this takes 2.4 us a change instead of 6.3.
    listed = list(statuses)
    total = len(listed)
    complete = listed.count(TaskStatus.COMPLETE)
    shelved = listed.count(TaskStatus.SHELVED)
    return Progress(
        total=total,
        complete=complete,
        shelved=shelved,
        in_progress=listed.count(TaskStatus.IN_PROGRESS),
        pending=listed.count(TaskStatus.PENDING),
        remaining=total - complete - shelved,
    )


def compute_progress(tasks: Iterable[Task]) -> Progress:
    return progress_of_statuses(task.status for task in tasks)


def work_status(has_proposal: bool, has_specs: bool, progress: Progress) -> WorkStatus:
    """FORMATS.md §1 "Work status", rule by rule in its order."""
    if not (has_proposal and has_specs and progress.total > 0):
        return WorkStatus.DRAFT
    if progress.complete == progress.total:
        return WorkStatus.COMPLETE
    if progress.in_progress > 0:
        return WorkStatus.IN_PROGRESS
    if progress.pending == 0 and progress.shelved > 0:
        return WorkStatus.PAUSED
    return WorkStatus.READY
