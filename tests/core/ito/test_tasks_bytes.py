"""tasks.md as raw bytes: encodings, line endings, and the list's status-only reading."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from core.ito.tasks import parse_tasks, parse_tasks_bytes, task_statuses_bytes
from core.models.changes import TaskStatus
from core.models.errors import ParseError

if TYPE_CHECKING:
    from tests.core.ito.conftest import Builder


def test_invalid_utf8_is_a_parse_error_naming_file_and_line() -> None:
    with pytest.raises(ParseError) as caught:
        parse_tasks_bytes(b"- [ ] one\n- [ ] two \xff\n", "changes/x/tasks.md")
    assert (caught.value.path, caught.value.line) == ("changes/x/tasks.md", 2)
    assert "not valid UTF-8" in caught.value.reason
    assert str(caught.value).startswith("changes/x/tasks.md:2:")


def test_a_utf8_byte_order_mark_is_allowed() -> None:
    parsed = parse_tasks_bytes(b"\xef\xbb\xbf# Tasks for: x\n## Wave 1\n", "t.md")
    assert parsed.format == "enhanced"
    assert parsed.waves[0].line == 2


def test_crlf_line_endings_parse_like_lf() -> None:
    parsed = parse_tasks_bytes(b"## 1. Part\r\n- [x] 1.1 done\r\n", "t.md")
    assert [(t.id, t.name, t.section) for t in parsed.tasks] == [("1.1", "done", "1. Part")]


def test_a_form_feed_does_not_shift_line_numbers() -> None:
    assert parse_tasks("a\x0cb\n- [ ] x\n", "t.md").tasks[0].line == 2


def test_an_empty_file_is_a_checkbox_file_without_tasks() -> None:
    parsed = parse_tasks_bytes(b"", "t.md")
    assert (parsed.format, parsed.tasks, parsed.diagnostics) == ("checkbox", [], [])


@pytest.mark.parametrize(
    "name",
    [
        "example_tasks_checkbox_024-01.md",
        "example_tasks_enhanced_025-12.md",
        "example_tasks_enhanced_030-01.md",
    ],
)
def test_the_status_only_reading_agrees_with_the_full_parse(build: Builder, name: str) -> None:
    data = (build.fixtures / name).read_bytes()
    full = [t.status for t in parse_tasks_bytes(data, name).tasks]
    assert task_statuses_bytes(data, name) == full


def test_the_status_only_reading_sees_statuses_behind_markers() -> None:
    data = b"<!-- ITO:START -->### Task 1.1: X\n- ** Status **: [x] complete\n"
    assert task_statuses_bytes(data, "t.md") == [TaskStatus.COMPLETE]


def test_the_status_only_reading_also_refuses_invalid_utf8() -> None:
    with pytest.raises(ParseError):
        task_statuses_bytes(b"\xc3", "t.md")
