"""The enhanced tasks.md format: waves, `### Task X.Y: Name` headings, `- **Field**:` lines.

Rules beyond FORMATS.md §1 follow ito's parser (seeds; `ito-domain/src/tasks/parse.rs`):
- `## Checkpoints` ends the current wave; other `## ` headings leave it as it is.
- A `### Checkpoint: Name` heading is a checkpoint task. It has no id of its own in the file,
  so it gets `checkpoint-<n>`, n counting checkpoints in document order from 1 (stable as
  long as earlier checkpoints are not removed). A task whose `Type` field starts with
  `checkpoint` is a checkpoint too, keeping its own id.
- A wave without a `Depends On` line depends on every earlier wave (and is a diagnostic).
- Any heading ends the current task's field list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from core.ito.task_records import TaskKind, TaskRecord
from core.models.changes import Diagnostic, TaskStatus, Wave

# Nine digits at most: Python refuses to convert very long digit strings to int.
WAVE_HEADING = re.compile(r"##\s+Wave\s+([0-9]{1,9})(?:\s*[:-]\s*(.*?))?\s*")
TASK_HEADING = re.compile(r"###\s+(?:Task\s+)?([^:]+?):\s+(.+?)\s*")
CHECKPOINT_HEADING = re.compile(r"###\s+Checkpoint:\s+(.+?)\s*")
TASKS_FOR_HEADING = re.compile(r"#\s+Tasks for:.*")
# Detection needs the word "Task" (FORMATS.md); once a file is enhanced, `### 1.1: Name` is
# a task heading too.
_TASK_WORD_HEADING = re.compile(r"###\s+Task\s+[^:]+:\s+.+")
FIELD_LINE = re.compile(r"[-*]\s+\*\*([^*]+)\*\*:(.*)")
STATUS_VALUE = re.compile(r"(?:\[(.)\])?\s*(.*?)")
_WAVE_REF = re.compile(r"(?:[Ww][Aa][Vv][Ee]\s+)?([0-9]{1,9})")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

LABELS = {status.value: status for status in TaskStatus}


@dataclass
class _OpenTask:
    id: str
    name: str
    wave: int | None
    kind: TaskKind
    line: int
    fields: dict[str, str] = field(default_factory=dict)
    status_label: str | None = None
    status_line: int | None = None
    last_field: str | None = None


@dataclass
class _OpenWave:
    number: int
    title: str | None
    line: int
    depends_raw: str | None = None
    depends_line: int | None = None


@dataclass
class EnhancedResult:
    tasks: list[TaskRecord]
    waves: list[Wave]
    diagnostics: list[Diagnostic]


class _Parser:
    def __init__(self, path: str) -> None:
        self.path = path
        self.tasks: list[TaskRecord] = []
        self.diagnostics: list[Diagnostic] = []
        self.waves: dict[int, _OpenWave] = {}
        self.current: _OpenTask | None = None
        self.wave: int | None = None
        self.in_checkpoints = False
        self.checkpoints = 0
        self.first_line_of_id: dict[str, int] = {}

    def note(self, line: int | None, message: str) -> None:
        self.diagnostics.append(
            Diagnostic.model_construct(path=self.path, line=line, message=message)
        )

    def feed(self, number: int, line: str) -> None:
        stripped = line.strip()
        if not stripped:
            return
        first = stripped[0]
        if first == "#" and is_heading(stripped):
            self.heading(number, stripped)
            return
        if first in "-*":
            match = FIELD_LINE.fullmatch(stripped)
            if match is not None and match[1].strip():
                self.field_line(number, match[1].strip(), match[2].strip())
                return
        current = self.current
        # An indented line continues the last field (ito's multi-line `- **Action**:`).
        if current is not None and current.last_field is not None and line[:1] in (" ", "\t"):
            previous = current.fields[current.last_field]
            joined = f"{previous}\n{stripped}" if previous else stripped
            current.fields[current.last_field] = joined

    def heading(self, number: int, stripped: str) -> None:
        wave = WAVE_HEADING.fullmatch(stripped)
        if wave is not None:
            self.flush()
            self.start_wave(number, int(wave[1]), wave[2] or None)
            return
        if stripped == "## Checkpoints":
            self.flush()
            self.wave, self.in_checkpoints = None, True
            return
        checkpoint = CHECKPOINT_HEADING.fullmatch(stripped)
        if checkpoint is not None:
            self.flush()
            self.checkpoints += 1
            self.open_task(number, f"checkpoint-{self.checkpoints}", checkpoint[1], "checkpoint")
            return
        task = TASK_HEADING.fullmatch(stripped)
        if task is not None:
            self.flush()
            task_id = task[1].strip()
            self.open_task(number, task_id, task[2], "task")
            if self.wave is None and not self.in_checkpoints:
                self.note(number, f"task {task_id} is outside any wave")
            return
        self.flush()

    def start_wave(self, number: int, wave: int, title: str | None) -> None:
        self.wave, self.in_checkpoints = wave, False
        if wave in self.waves:
            first = self.waves[wave].line
            self.note(number, f"Wave {wave} heading repeated (first at line {first})")
            return
        self.waves[wave] = _OpenWave(wave, title, number)

    def open_task(self, number: int, task_id: str, name: str, kind: TaskKind) -> None:
        first = self.first_line_of_id.setdefault(task_id, number)
        if first != number:
            self.note(number, f"duplicate task id {task_id} (first at line {first})")
        self.current = _OpenTask(task_id, name, self.wave, kind, number)

    def field_line(self, number: int, key: str, value: str) -> None:
        current = self.current
        if current is None:
            if key == "Depends On" and self.wave is not None:
                wave = self.waves[self.wave]
                if wave.depends_raw is not None:
                    self.note(number, f"Wave {wave.number}: repeated Depends On line ignored")
                else:
                    wave.depends_raw, wave.depends_line = value, number
            return
        if key == "Status":
            if current.status_label is not None:
                self.note(number, f"task {current.id}: repeated Status line ignored")
            else:
                label = STATUS_VALUE.fullmatch(value)
                current.status_label = label[2] if label is not None else value
                current.status_line = number
            current.last_field = None
            return
        current.fields[key] = value
        current.last_field = key

    def flush(self) -> None:
        current = self.current
        if current is None:
            return
        self.current = None
        status = LABELS.get(current.status_label or "")
        if status is None:
            status = TaskStatus.PENDING
            if current.status_label is None:
                self.note(current.line, f"task {current.id}: no Status line; counted as pending")
            else:
                self.note(
                    current.status_line,
                    f"task {current.id}: unknown status {current.status_label!r}; "
                    "counted as pending",
                )
        updated = current.fields.get("Updated At")
        if updated is not None and not _is_iso_date(updated):
            self.note(current.line, f"task {current.id}: Updated At {updated!r} is not YYYY-MM-DD")
        kind: TaskKind = current.kind
        if current.fields.get("Type", "").lower().startswith("checkpoint"):
            kind = "checkpoint"
        self.tasks.append(
            TaskRecord(
                id=current.id,
                name=current.name,
                wave=current.wave,
                status=status,
                kind=kind,
                section=None,
                line=current.line,
                fields=current.fields,
            )
        )

    def finish(self) -> EnhancedResult:
        self.flush()
        numbers = sorted(self.waves)
        waves = [self.resolve_wave(self.waves[n], numbers) for n in numbers]
        return EnhancedResult(self.tasks, waves, self.diagnostics)

    def resolve_wave(self, wave: _OpenWave, numbers: list[int]) -> Wave:
        where = wave.depends_line or wave.line
        depends: set[int] = set()
        raw = wave.depends_raw
        if raw is None:
            self.note(
                wave.line, f"Wave {wave.number}: no Depends On line; taken as all earlier waves"
            )
            depends.update(n for n in numbers if n < wave.number)
        elif not raw.strip():
            self.note(where, f"Wave {wave.number}: Depends On is empty")
        elif raw.strip().lower() != "none":
            for part in raw.split(","):
                entry = part.strip()
                ref = _WAVE_REF.fullmatch(entry)
                if ref is None:
                    if entry:
                        self.note(
                            where, f"Wave {wave.number}: cannot read Depends On entry {entry!r}"
                        )
                    continue
                depends.add(int(ref[1]))
        for dep in sorted(depends):
            if dep == wave.number:
                self.note(where, f"Wave {wave.number}: depends on itself")
            elif dep not in self.waves:
                self.note(where, f"Wave {wave.number}: depends on missing Wave {dep}")
        return Wave.model_construct(
            number=wave.number,
            title=wave.title,
            depends_on=sorted(depends - {wave.number}),
            line=wave.line,
        )


def _is_iso_date(text: str) -> bool:
    if _ISO_DATE.fullmatch(text) is None:
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def is_heading(stripped: str) -> bool:
    hashes = len(stripped) - len(stripped.lstrip("#"))
    return 1 <= hashes <= 6 and (len(stripped) == hashes or stripped[hashes] in " \t")


def parse_enhanced(lines: list[tuple[int, str]], path: str) -> EnhancedResult:
    parser = _Parser(path)
    for number, line in lines:
        parser.feed(number, line)
    return parser.finish()


# The four headings that make a file enhanced, as one pattern: one regex call a heading
# instead of up to four (a checkbox file's headings tried all four).
_ENHANCED_MARKER = re.compile(
    "|".join(
        f"(?:{pattern.pattern})"
        for pattern in (TASKS_FOR_HEADING, WAVE_HEADING, _TASK_WORD_HEADING, CHECKPOINT_HEADING)
    )
)


def is_enhanced_marker(stripped: str) -> bool:
    return _ENHANCED_MARKER.fullmatch(stripped) is not None
