"""The legacy checkbox tasks.md format (FORMATS.md §1 "tasks.md")."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from core.ito.tasks import parse_tasks
from core.models.changes import TaskStatus

if TYPE_CHECKING:
    from tests.core.ito.conftest import Builder


def test_the_024_example_has_48_complete_tasks(build: Builder) -> None:
    parsed = parse_tasks(build.fixture("example_tasks_checkbox_024-01.md"), "tasks.md")
    assert parsed.format == "checkbox"
    assert len(parsed.tasks) == 48
    assert {t.status for t in parsed.tasks} == {TaskStatus.COMPLETE}
    assert parsed.tasks[-1].id == "11.5"


def test_the_id_prefix_is_split_from_the_name(build: Builder) -> None:
    first = parse_tasks(build.fixture("example_tasks_checkbox_024-01.md"), "t.md").tasks[0]
    assert first.id == "1.1"
    assert first.name == (
        "Create `ito-rs/crates/ito-backend/` directory structure with `src/lib.rs` and `Cargo.toml`"
    )


def test_a_task_carries_the_nearest_preceding_section_heading(build: Builder) -> None:
    tasks = parse_tasks(build.fixture("example_tasks_checkbox_024-01.md"), "t.md").tasks
    assert tasks[0].section == "1. Scaffold ito-backend crate"
    assert tasks[5].section == "2. Implement shared application state"


def test_a_task_before_any_section_has_none() -> None:
    assert parse_tasks("- [ ] first\n## Later\n", "t.md").tasks[0].section is None


def test_a_task_line_is_its_one_based_line() -> None:
    assert parse_tasks("# Title\n\n- [ ] one\n", "t.md").tasks[0].line == 3


@pytest.mark.parametrize(
    "marker, status",
    [
        (" ", TaskStatus.PENDING),
        ("x", TaskStatus.COMPLETE),
        ("X", TaskStatus.COMPLETE),
        ("~", TaskStatus.IN_PROGRESS),
        (">", TaskStatus.IN_PROGRESS),
    ],
)
def test_each_marker_maps_to_its_status(marker: str, status: TaskStatus) -> None:
    assert parse_tasks(f"- [{marker}] work\n", "t.md").tasks[0].status == status


@pytest.mark.parametrize(
    "line", ["- [-] shelved?", "- [x]", "-[x] tight", "+ [x] plus", "- (x) round"]
)
def test_other_list_lines_are_not_tasks(line: str) -> None:
    assert parse_tasks(line + "\n", "t.md").tasks == []


def test_star_bullets_and_indented_items_are_tasks() -> None:
    tasks = parse_tasks("* [x] star\n    - [ ] nested\n", "t.md").tasks
    assert [(t.name, t.status) for t in tasks] == [
        ("star", TaskStatus.COMPLETE),
        ("nested", TaskStatus.PENDING),
    ]


@pytest.mark.parametrize("label", ["1.1 Do it", "1.1: Do it", "1.1. Do it"])
def test_an_id_prefix_may_end_in_a_colon_or_dot(label: str) -> None:
    first = parse_tasks(f"- [ ] {label}\n", "t.md").tasks[0]
    assert (first.id, first.name) == ("1.1", "Do it")


def test_tasks_without_ids_are_numbered_from_one() -> None:
    tasks = parse_tasks("- [ ] first\n- [ ] second\n", "t.md").tasks
    assert [(t.id, t.name) for t in tasks] == [("1", "first"), ("2", "second")]


def test_numbering_counts_every_task_so_far_with_or_without_an_id() -> None:
    tasks = parse_tasks("- [ ] 1.1 explicit\n- [ ] 1.2 explicit\n- [ ] anonymous\n", "t.md").tasks
    assert [t.id for t in tasks] == ["1.1", "1.2", "3"]


def test_a_number_colliding_with_an_explicit_id_is_reported() -> None:
    parsed = parse_tasks("- [ ] 2 explicit\n- [ ] anonymous\n", "t.md")
    assert [t.id for t in parsed.tasks] == ["2", "2"]
    assert parsed.diagnostics[0].message == "duplicate task id 2 (first at line 1)"


def test_a_token_that_is_not_an_id_stays_in_the_name() -> None:
    first = parse_tasks("- [ ] v2.0 release notes\n", "t.md").tasks[0]
    assert (first.id, first.name) == ("1", "v2.0 release notes")


def test_checkbox_lines_inside_a_code_block_are_not_tasks() -> None:
    text = "- [ ] real\n```\n- [ ] example only\n```\n- [x] also real\n"
    assert [t.name for t in parse_tasks(text, "t.md").tasks] == ["real", "also real"]


def test_ito_markers_around_a_checkbox_list_are_ignored() -> None:
    text = "<!-- ITO:START -->\n- [x] done\n<!-- ITO:END -->\n"
    assert [t.name for t in parse_tasks(text, "t.md").tasks] == ["done"]


def test_checkbox_tasks_have_no_wave_and_no_fields() -> None:
    first = parse_tasks("- [ ] one\n", "t.md").tasks[0]
    assert (first.wave, first.fields, first.kind) == (None, {}, "task")
