"""Finding one change and reading it whole (FORMATS.md §2 `GET /changes/{id}`, `/tasks`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from core.models.changes import Lifecycle, Progress, SpecDelta
from core.models.errors import InvalidInput, NotFound, ParseError

if TYPE_CHECKING:
    from tests.core.ito.conftest import Builder


def test_an_active_change_is_found_before_an_archived_one(build: Builder) -> None:
    active = build.change("001-01_a")
    build.change("001-01_a", archived=True, folder="2026-01-01-001-01_a")
    assert build.workspace().find_change("001-01_a") == (active, Lifecycle.ACTIVE)


def test_an_archived_change_is_found_in_its_latest_folder(build: Builder) -> None:
    build.change("001-01_a", archived=True, folder="2026-01-01-001-01_a")
    latest = build.change("001-01_a", archived=True, folder="2026-02-01-001-01_a")
    assert build.workspace().find_change("001-01_a") == (latest, Lifecycle.ARCHIVED)


def test_an_unknown_change_is_not_found(build: Builder) -> None:
    with pytest.raises(NotFound) as caught:
        build.workspace().find_change("001-09_missing")
    assert (caught.value.what, caught.value.ident) == ("change", "001-09_missing")


@pytest.mark.parametrize("bad", ["../specs", "a/b", "..", "", "archive", ".hidden"])
def test_an_id_that_is_not_a_change_folder_name_is_refused(build: Builder, bad: str) -> None:
    with pytest.raises(InvalidInput):
        build.workspace().find_change(bad)


def test_a_change_detail_holds_its_documents(build: Builder) -> None:
    build.change("024-01_x", proposal="# Change: Title\n", design="# Design\n")
    detail = build.workspace().get_change("024-01_x")
    assert (detail.proposal, detail.design, detail.title, detail.module_id) == (
        "# Change: Title\n",
        "# Design\n",
        "Title",
        "024",
    )


def test_a_missing_design_is_none(build: Builder) -> None:
    build.change("024-01_x")
    assert build.workspace().get_change("024-01_x").design is None


def test_delta_specs_come_sorted_by_capability(build: Builder) -> None:
    build.change("024-01_x", specs={"zeta": "Z\n", "alpha": "A\n"})
    assert build.workspace().get_change("024-01_x").specs == [
        SpecDelta(name="alpha", content="A\n"),
        SpecDelta(name="zeta", content="Z\n"),
    ]


def test_a_change_detail_carries_task_progress(build: Builder) -> None:
    build.change("024-01_x", tasks="- [x] a\n- [ ] b\n")
    assert build.workspace().get_change("024-01_x").progress == Progress(
        total=2, complete=1, pending=1, remaining=1
    )


def test_an_archived_change_can_be_read(build: Builder) -> None:
    build.change("024-01_x", archived=True, folder="2026-01-01-024-01_x", proposal="# Old\n")
    detail = build.workspace().get_change("024-01_x")
    assert (detail.lifecycle, detail.title) == (Lifecycle.ARCHIVED, "Old")


def test_a_proposal_that_is_not_utf8_is_a_parse_error(build: Builder) -> None:
    path = build.change("024-01_x")
    (path / "proposal.md").write_bytes(b"# T\n\xfe\n")
    with pytest.raises(ParseError, match=r"proposal\.md:2"):
        build.workspace().get_change("024-01_x")


def test_the_task_list_has_tasks_waves_and_format(build: Builder) -> None:
    build.ready_change("030-01_x")
    tasks = build.workspace().get_tasks("030-01_x")
    assert (tasks.change_id, tasks.format, len(tasks.tasks), len(tasks.waves)) == (
        "030-01_x",
        "enhanced",
        5,
        3,
    )
    assert tasks.progress.pending == 5


def test_the_task_list_carries_the_parse_diagnostics(build: Builder) -> None:
    build.change("024-01_x", tasks="## Wave 1\n- **Depends On**: None\n### Task 1.1: X\n")
    [diagnostic] = build.workspace().get_tasks("024-01_x").diagnostics
    assert diagnostic.path.endswith("024-01_x/tasks.md")
    assert (diagnostic.line, diagnostic.message) == (
        3,
        "task 1.1: no Status line; counted as pending",
    )


def test_a_change_without_tasks_md_has_an_empty_task_list(build: Builder) -> None:
    build.change("024-01_x")
    tasks = build.workspace().get_tasks("024-01_x")
    assert (tasks.tasks, tasks.progress, tasks.format) == ([], Progress(), "checkbox")
