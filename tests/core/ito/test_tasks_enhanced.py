"""The enhanced tasks.md format (FORMATS.md §1 "tasks.md", ito's parse.rs for the rest)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from core.ito.tasks import parse_tasks
from core.models.changes import TaskStatus

if TYPE_CHECKING:
    from tests.core.ito.conftest import Builder


def task(task_id: str, status: str | None = "pending", **fields: str) -> str:
    lines = [f"### Task {task_id}: Do {task_id}", ""]
    lines += [f"- **{key.replace('_', ' ')}**: {value}" for key, value in fields.items()]
    if status is not None:
        lines.append(f"- **Status**: [ ] {status}")
    return "\n".join(lines) + "\n\n"


def wave(number: int, depends: str | None = "None", title: str = "") -> str:
    heading = f"## Wave {number}{title}\n\n"
    return heading + (f"- **Depends On**: {depends}\n\n" if depends is not None else "")


def test_the_030_example_is_enhanced_with_five_tasks_in_three_waves(build: Builder) -> None:
    parsed = parse_tasks(build.fixture("example_tasks_enhanced_030-01.md"), "tasks.md")
    assert parsed.format == "enhanced"
    assert [(t.id, t.wave, t.status) for t in parsed.tasks] == [
        ("1.1", 1, TaskStatus.PENDING),
        ("1.2", 1, TaskStatus.PENDING),
        ("2.1", 2, TaskStatus.PENDING),
        ("2.2", 2, TaskStatus.PENDING),
        ("3.1", 3, TaskStatus.PENDING),
    ]
    assert parsed.diagnostics == []


def test_a_task_name_is_the_heading_text_after_the_colon(build: Builder) -> None:
    parsed = parse_tasks(build.fixture("example_tasks_enhanced_030-01.md"), "tasks.md")
    assert parsed.tasks[0].name == "Define capabilities JSON contract"


def test_a_task_line_is_the_one_based_line_of_its_heading(build: Builder) -> None:
    parsed = parse_tasks(build.fixture("example_tasks_enhanced_030-01.md"), "tasks.md")
    assert parsed.tasks[0].line == 23


def test_field_lines_are_collected_by_name(build: Builder) -> None:
    parsed = parse_tasks(build.fixture("example_tasks_enhanced_025-12.md"), "tasks.md")
    fields = parsed.tasks[0].fields
    assert fields["Files"] == "`ito-rs/crates/ito-core/src/git.rs`"
    assert fields["Dependencies"] == "None"
    assert fields["Verify"] == "`cargo test -p ito-core coordination_branch --lib`"
    assert fields["Requirements"] == "change-coordination-branch:empty-history-initialization"
    assert fields["Updated At"] == "2026-05-13"
    assert fields["Done When"].startswith("A missing coordination branch")
    assert "Status" not in fields


def test_ito_start_and_end_markers_are_ignored(build: Builder) -> None:
    parsed = parse_tasks(build.fixture("example_tasks_enhanced_025-12.md"), "tasks.md")
    assert [(t.id, t.status) for t in parsed.tasks] == [("1.1", TaskStatus.COMPLETE)]
    assert parsed.progress.complete == 1


def test_an_indented_line_continues_the_previous_field() -> None:
    text = wave(1) + "### Task 1.1: X\n\n- **Action**:\n  first step\n  second step\n"
    text += "- **Status**: [ ] pending\n"
    assert parse_tasks(text, "t.md").tasks[0].fields["Action"] == "first step\nsecond step"


@pytest.mark.parametrize(
    "label, status",
    [
        ("pending", TaskStatus.PENDING),
        ("in-progress", TaskStatus.IN_PROGRESS),
        ("complete", TaskStatus.COMPLETE),
        ("shelved", TaskStatus.SHELVED),
    ],
)
def test_each_status_label_maps_to_its_status(label: str, status: TaskStatus) -> None:
    parsed = parse_tasks(wave(1) + task("1.1", label), "t.md")
    assert parsed.tasks[0].status == status


def test_the_label_decides_not_the_marker() -> None:
    text = wave(1) + "### Task 1.1: X\n- **Status**: [x] pending\n"
    text += "### Task 1.2: Y\n- **Status**: [ ] complete\n"
    statuses = [t.status for t in parse_tasks(text, "t.md").tasks]
    assert statuses == [TaskStatus.PENDING, TaskStatus.COMPLETE]


def test_an_unknown_label_counts_as_pending_and_names_its_line() -> None:
    parsed = parse_tasks(wave(1) + task("1.1", "done"), "t.md")
    assert parsed.tasks[0].status == TaskStatus.PENDING
    [diagnostic] = parsed.diagnostics
    assert diagnostic.line == 7
    assert "unknown status 'done'" in diagnostic.message


def test_a_missing_status_counts_as_pending_and_names_the_heading() -> None:
    parsed = parse_tasks(wave(1) + task("1.1", None), "t.md")
    assert parsed.tasks[0].status == TaskStatus.PENDING
    [diagnostic] = parsed.diagnostics
    assert (diagnostic.line, diagnostic.path) == (5, "t.md")
    assert "no Status line" in diagnostic.message


def test_a_second_status_line_is_ignored_and_reported() -> None:
    text = wave(1) + "### Task 1.1: X\n- **Status**: [x] complete\n- **Status**: [ ] pending\n"
    parsed = parse_tasks(text, "t.md")
    assert parsed.tasks[0].status == TaskStatus.COMPLETE
    assert "repeated Status" in parsed.diagnostics[0].message


def test_a_duplicate_task_id_is_reported_and_both_tasks_kept() -> None:
    parsed = parse_tasks(wave(1) + task("1.1") + task("1.1"), "t.md")
    assert [t.id for t in parsed.tasks] == ["1.1", "1.1"]
    assert parsed.diagnostics[0].message == "duplicate task id 1.1 (first at line 5)"


def test_a_heading_without_the_word_task_is_a_task_in_an_enhanced_file() -> None:
    parsed = parse_tasks(wave(1) + "### 1.1: Bare id\n- **Status**: [ ] pending\n", "t.md")
    assert [(t.id, t.name) for t in parsed.tasks] == [("1.1", "Bare id")]


def test_checkpoints_get_ids_in_document_order() -> None:
    text = wave(1) + task("1.1") + "## Checkpoints\n\n### Checkpoint: Review\n"
    text += "- **Status**: [ ] pending\n\n### Checkpoint: Ship\n- **Status**: [x] complete\n"
    parsed = parse_tasks(text, "t.md")
    assert [(t.id, t.name, t.kind, t.wave) for t in parsed.tasks[1:]] == [
        ("checkpoint-1", "Review", "checkpoint", None),
        ("checkpoint-2", "Ship", "checkpoint", None),
    ]
    assert parsed.diagnostics == []


def test_a_task_typed_checkpoint_is_a_checkpoint_keeping_its_id() -> None:
    parsed = parse_tasks(wave(1) + task("1.9", Type="checkpoint (requires approval)"), "t.md")
    assert (parsed.tasks[0].id, parsed.tasks[0].kind) == ("1.9", "checkpoint")


def test_a_task_outside_any_wave_is_reported() -> None:
    parsed = parse_tasks("# Tasks for: x\n\n" + task("1.1"), "t.md")
    assert parsed.tasks[0].wave is None
    assert parsed.diagnostics[0].message == "task 1.1 is outside any wave"


def test_wave_titles_after_a_colon_or_dash_are_kept() -> None:
    parsed = parse_tasks(wave(1, title=": Foundations") + wave(2, "Wave 1", " - Build"), "t.md")
    assert [(w.number, w.title) for w in parsed.waves] == [(1, "Foundations"), (2, "Build")]


def test_wave_dependencies_are_read_from_depends_on() -> None:
    text = wave(1) + wave(2) + wave(3, "Wave 1, Wave 2")
    parsed = parse_tasks(text, "t.md")
    assert [(w.number, w.depends_on) for w in parsed.waves] == [(1, []), (2, []), (3, [1, 2])]


def test_bare_numbers_are_wave_dependencies_too() -> None:
    parsed = parse_tasks(wave(1) + wave(2, "1"), "t.md")
    assert parsed.waves[1].depends_on == [1]


def test_a_wave_records_its_heading_line() -> None:
    parsed = parse_tasks("# Tasks for: x\n\n" + wave(1), "t.md")
    assert parsed.waves[0].line == 3


def test_an_unreadable_wave_dependency_is_reported_on_its_line() -> None:
    parsed = parse_tasks(wave(1) + wave(2, "Wave 1, the first one"), "t.md")
    assert parsed.waves[1].depends_on == [1]
    [diagnostic] = parsed.diagnostics
    assert diagnostic.line == 7
    assert "cannot read Depends On entry 'the first one'" in diagnostic.message


def test_a_wave_without_depends_on_depends_on_all_earlier_waves() -> None:
    parsed = parse_tasks(wave(1) + wave(2) + wave(3, None), "t.md")
    assert parsed.waves[2].depends_on == [1, 2]
    assert "no Depends On line" in parsed.diagnostics[0].message


def test_a_dependency_on_a_missing_wave_is_reported() -> None:
    parsed = parse_tasks(wave(1, "Wave 7"), "t.md")
    assert "depends on missing Wave 7" in parsed.diagnostics[0].message


def test_an_invalid_updated_at_date_is_reported() -> None:
    parsed = parse_tasks(wave(1) + task("1.1", Updated_At="31/05/2026"), "t.md")
    assert "Updated At '31/05/2026' is not YYYY-MM-DD" in parsed.diagnostics[0].message


@pytest.mark.parametrize(
    "marker",
    [
        "# Tasks for: 001-01_x",
        "## Wave 1",
        "## Wave 2: Later",
        "### Task 1.1: X",
        "### Checkpoint: Y",
    ],
)
def test_any_one_enhanced_marker_makes_the_file_enhanced(marker: str) -> None:
    assert parse_tasks(f"{marker}\n- [x] 1 not a task here\n", "t.md").format == "enhanced"


def test_checkbox_lines_of_an_enhanced_file_without_tasks_are_reported() -> None:
    parsed = parse_tasks("# Tasks for: x\n\n- [ ] one\n- [x] two\n", "t.md")
    assert parsed.tasks == []
    assert parsed.diagnostics[0].line == 1
    assert "2 checkbox line(s) are not counted" in parsed.diagnostics[0].message


def test_headings_inside_a_code_block_are_not_tasks() -> None:
    text = (
        wave(1)
        + task("1.1")
        + "```markdown\n### Task 9.9: Example\n- **Status**: [x] complete\n```\n"
    )
    assert [t.id for t in parse_tasks(text, "t.md").tasks] == ["1.1"]


def test_a_code_block_does_not_make_a_file_enhanced() -> None:
    parsed = parse_tasks("```\n## Wave 1\n```\n- [ ] real task\n", "t.md")
    assert (parsed.format, len(parsed.tasks)) == ("checkbox", 1)


def test_a_code_block_left_open_is_reported() -> None:
    parsed = parse_tasks(wave(1) + "~~~~\n" + task("1.1"), "t.md")
    assert parsed.tasks == []
    assert parsed.diagnostics[-1].line == 5
    assert "never closed" in parsed.diagnostics[-1].message
