"""Task statuses for the changes list, without building the parse tree.

A list row needs only the statuses, in order. For files without fenced code blocks (the
shape every tool writes) one regex pass finds the lines that can matter — headings and
bullet lines — and a tight loop applies the same rules as the full parsers
(`tasks_enhanced`, `tasks_checkbox`), with patterns that match what theirs match on those
lines but cost less. Files with fences return None and take the full path. The property
tests hold both equal on arbitrary input.

A first listing runs this for every change (100,000 on a big first start): on the
generated files it takes 37 us for an enhanced tasks.md and 7.6 us for a checkbox one,
where the full parsers' own patterns took 50 and 12.6.
"""

from __future__ import annotations

import re

from core.ito.tasks_checkbox import MARKERS
from core.ito.tasks_enhanced import LABELS, is_enhanced_marker, is_heading
from core.models.changes import TaskStatus

# The lines that can matter, found by the regex engine rather than a loop over every line:
# for the enhanced format headings and bullet lines naming a Status; for the checkbox
# format checkbox lines. Each is found as the line after a "\n" (searched in "\n" + text),
# not at `^` in MULTILINE mode: a pattern that starts with a literal lets the engine skip
# to the next newline instead of trying every character, which halved the time (13.8 to
# 7.1 us, and 11.3 to 3.7, on a generated tasks.md).
_HEADING_OR_STATUS = re.compile(r"\n([^\S\n]*(?:#|[*-][^\n]*Status)[^\n]*)")
# A checkbox line's marker: what CHECKBOX matches after `str.lstrip` (`[^\S\n]` is the
# whitespace it strips), without a Python call a line.
_CHECKBOX_MARKER = re.compile(r"\n[^\S\n]*[*-] \[([ xX~>])\] ")
# On a stripped line (no newline, no whitespace at either end) this matches exactly where
# TASK_HEADING or CHECKPOINT_HEADING does, in one call and without their lazy groups (a
# checkpoint heading is a task heading too, "Checkpoint" standing for the id): 0.22 us a
# task heading instead of 1.05.
_OPENS_TASK = re.compile(r"###\s+[^:]+:\s+.+")
# A FIELD_LINE whose name, stripped, is "Status" (the name cannot hold a "*"); group 1 is
# the value.
_STATUS_FIELD = re.compile(r"[-*]\s+\*\*\s*Status\s*\*\*:(.*)")


def fast_statuses(normalized: str) -> list[TaskStatus] | None:
    """Statuses of a normalized tasks.md, or None if it has a code fence."""
    if "```" in normalized or "~~~" in normalized:
        return None
    text = "\n" + normalized
    lines = [line.strip() for line in _HEADING_OR_STATUS.findall(text)]
    if any(line[0] == "#" and is_enhanced_marker(line) for line in lines):
        return _enhanced(lines)
    return [MARKERS[marker] for marker in _CHECKBOX_MARKER.findall(text)]


def _enhanced(lines: list[str]) -> list[TaskStatus]:
    """Statuses from the stripped heading and Status lines of an enhanced file."""
    statuses: list[TaskStatus] = []
    in_task = False  # inside a task's field list (no heading since its own)
    label: str | None = None
    for line in lines:
        if line[0] == "#":
            if not is_heading(line):
                continue
            if in_task:
                statuses.append(LABELS.get(label or "", TaskStatus.PENDING))
                in_task = False
            # Only a `### ` heading can open a task or checkpoint (waves and `## Checkpoints`
            # never do): tested first, it spares the other headings the regex.
            if line.startswith("###") and _OPENS_TASK.fullmatch(line) is not None:
                in_task, label = True, None
            continue
        if not in_task or label is not None:
            continue
        field = _STATUS_FIELD.fullmatch(line)
        if field is not None:
            # STATUS_VALUE's second group: the value without a leading `[c]` mark.
            value = field[1].strip()
            if len(value) >= 3 and value[0] == "[" and value[2] == "]":
                value = value[3:].lstrip()
            label = value
    if in_task:
        statuses.append(LABELS.get(label or "", TaskStatus.PENDING))
    return statuses
