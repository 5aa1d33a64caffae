"""Listing changes and their summaries (FORMATS.md §1 "Listing")."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from core.ito import ItoWorkspace
from core.ito.summary import folder_signature, read_change_folder, summarize_change_dir
from core.models.changes import ChangeSummary, Lifecycle, LifecycleFilter, WorkStatus
from core.models.errors import ParseError

if TYPE_CHECKING:
    from tests.core.ito.conftest import Builder


def ids(rows: list[ChangeSummary]) -> list[str]:
    return [row.id for row in rows]


def test_active_changes_are_the_sub_folders_of_changes_sorted_by_id(build: Builder) -> None:
    build.change("024-02_b")
    build.change("001-01_a")
    build.change("024-01_c")
    assert ids(build.workspace().list_changes()) == ["001-01_a", "024-01_c", "024-02_b"]


def test_the_archive_folder_is_not_an_active_change(build: Builder) -> None:
    build.change("001-01_a")
    build.change("001-02_b", archived=True, folder="2026-01-01-001-02_b")
    assert ids(build.workspace().list_changes()) == ["001-01_a"]


def test_hidden_folders_and_plain_files_are_not_changes(build: Builder) -> None:
    build.change("001-01_a")
    (build.ito_dir / "changes" / ".git-keep").mkdir()
    (build.ito_dir / "changes" / "README.md").write_text("hi")
    assert ids(build.workspace().list_changes()) == ["001-01_a"]


def test_an_active_folder_need_not_be_a_valid_id(build: Builder) -> None:
    build.change("scratch-idea")
    [row] = build.workspace().list_changes()
    assert (row.id, row.module_id) == ("scratch-idea", None)


def test_a_workspace_without_changes_lists_nothing(tmp_path: Path) -> None:
    assert ItoWorkspace(tmp_path / ".ito").list_changes(LifecycleFilter.ALL) == []


def test_archived_changes_are_dated_folders_or_bare_ids(build: Builder) -> None:
    build.change("024-01_a", archived=True, folder="2026-02-28-024-01_a")
    build.change("024-02_b", archived=True)
    rows = build.workspace().list_changes(LifecycleFilter.ARCHIVED)
    assert [(r.id, r.archived_on, r.lifecycle) for r in rows] == [
        ("024-01_a", "2026-02-28", Lifecycle.ARCHIVED),
        ("024-02_b", None, Lifecycle.ARCHIVED),
    ]


def test_archive_folders_without_a_valid_id_are_not_changes(build: Builder) -> None:
    build.change("legacy", archived=True, folder="2025-01-11-add-update-command")
    build.change("junk", archived=True, folder="old-stuff")
    assert build.workspace().list_changes(LifecycleFilter.ARCHIVED) == []


def test_an_id_archived_twice_is_listed_once_from_its_latest_folder(build: Builder) -> None:
    build.change("024-01_a", archived=True, folder="2026-01-01-024-01_a", proposal="# Old\n")
    build.change("024-01_a", archived=True, folder="2026-03-01-024-01_a", proposal="# New\n")
    build.change("024-01_a", archived=True, proposal="# Bare\n")
    [row] = build.workspace().list_changes(LifecycleFilter.ARCHIVED)
    assert (row.title, row.archived_on) == ("New", "2026-03-01")


def test_all_lists_active_then_archived(build: Builder) -> None:
    build.change("002-01_z")
    build.change("001-01_a", archived=True, folder="2026-01-01-001-01_a")
    rows = build.workspace().list_changes(LifecycleFilter.ALL)
    assert [(r.id, r.lifecycle) for r in rows] == [
        ("002-01_z", Lifecycle.ACTIVE),
        ("001-01_a", Lifecycle.ARCHIVED),
    ]


def test_a_summary_counts_tasks_by_status(build: Builder) -> None:
    build.change("001-01_a", tasks="- [x] a\n- [~] b\n- [ ] c\n- [ ] d\n")
    [row] = build.workspace().list_changes()
    assert (row.total_tasks, row.completed_tasks, row.in_progress_tasks, row.pending_tasks) == (
        4,
        1,
        1,
        2,
    )


def test_a_tasks_file_longer_than_one_read_is_counted_whole(build: Builder) -> None:
    # 9,000 checkbox lines: 108 KB, more than one 64 KiB read.
    build.change("001-01_a", tasks="- [ ] pending task\n" * 8999 + "- [x] the last one\n")
    [row] = build.workspace().list_changes()
    assert (row.total_tasks, row.completed_tasks) == (9000, 1)


def test_a_summary_counts_shelved_tasks(build: Builder) -> None:
    build.change("001-01_a", tasks="## Wave 1\n### Task 1.1: X\n- **Status**: [-] shelved\n")
    assert build.workspace().list_changes()[0].shelved_tasks == 1


def test_file_flags_say_which_artifacts_exist(build: Builder) -> None:
    build.change("001-01_a", proposal="# P\n", design="# D\n", specs={"auth": "## ADDED\n"})
    row = build.workspace().list_changes()[0]
    assert (row.has_proposal, row.has_design, row.has_specs) == (True, True, True)


def test_missing_artifacts_are_flagged_false(build: Builder) -> None:
    build.change("001-01_a", proposal=None)
    row = build.workspace().list_changes()[0]
    assert (row.has_proposal, row.has_design, row.has_specs, row.has_tasks) == (
        False,
        False,
        False,
        False,
    )


def test_a_capability_folder_without_spec_md_is_not_a_spec(build: Builder) -> None:
    path = build.change("001-01_a")
    (path / "specs" / "auth").mkdir(parents=True)
    (path / "specs" / "auth" / "notes.md").write_text("x")
    assert build.workspace().list_changes()[0].has_specs is False


def test_a_tasks_file_without_tasks_does_not_count_as_having_tasks(build: Builder) -> None:
    build.change("001-01_a", tasks="# Tasks\n\nNothing yet.\n")
    assert build.workspace().list_changes()[0].has_tasks is False


def test_the_module_id_is_the_ids_prefix(build: Builder) -> None:
    build.change("024.01-03_add-jwt")
    assert build.workspace().list_changes()[0].module_id == "024"


def test_the_work_status_is_derived_for_each_row(build: Builder) -> None:
    build.ready_change("030-01_machine-readable-capabilities")
    build.change("030-02_draft")
    rows = build.workspace().list_changes()
    assert [r.work_status for r in rows] == [WorkStatus.READY, WorkStatus.DRAFT]


def test_last_modified_is_the_newest_file_anywhere_in_the_folder(build: Builder) -> None:
    path = build.change("001-01_a", specs={"auth": "x"})
    for file in [*path.rglob("*"), path]:
        build.set_mtime(file, datetime(2026, 1, 1, tzinfo=UTC))
    build.set_mtime(path / "specs" / "auth" / "spec.md", datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC))
    assert build.workspace().list_changes()[0].last_modified == "2026-03-04T05:06:07Z"


def test_the_title_is_the_proposal_heading_without_change_prefix(build: Builder) -> None:
    build.change(
        "024-01_add-shared-state-api", proposal=build.fixture("example_proposal_024-01.md")
    )
    assert build.workspace().list_changes()[0].title == "Add Shared State API"


def test_a_heading_without_the_prefix_is_kept_whole(build: Builder) -> None:
    build.change("001-01_a", proposal="Intro\n\n# Better caching\n")
    assert build.workspace().list_changes()[0].title == "Better caching"


@pytest.mark.parametrize("proposal", [None, "No heading here.\n"])
def test_without_a_proposal_heading_the_title_comes_from_the_id(
    build: Builder, proposal: str | None
) -> None:
    build.change("024-01_add-shared-state-api", proposal=proposal)
    assert build.workspace().list_changes()[0].title == "Add shared state api"


def test_a_tasks_file_that_is_not_utf8_still_lists_with_no_tasks(build: Builder) -> None:
    build.change("001-01_a", tasks=b"- [x] ok\n- [ ] \xff\n")
    build.change("001-02_b", tasks="- [x] fine\n")
    rows = build.workspace().list_changes()
    assert [(r.id, r.total_tasks) for r in rows] == [("001-01_a", 0), ("001-02_b", 1)]


def test_that_tasks_file_raises_when_its_tasks_are_opened(build: Builder) -> None:
    build.change("001-01_a", tasks=b"- [x] ok\n- [ ] \xff\n")
    with pytest.raises(ParseError) as caught:
        build.workspace().get_tasks("001-01_a")
    assert caught.value.line == 2
    assert caught.value.path.endswith("001-01_a/tasks.md")


def test_summarize_change_dir_needs_only_the_folder(build: Builder) -> None:
    path = build.ready_change("030-01_x", folder="somewhere-else", archived=True)
    row = summarize_change_dir(path, "030-01_x", Lifecycle.ARCHIVED, date(2026, 5, 1))
    assert (row.id, row.total_tasks, row.work_status, row.archived_on, row.lifecycle) == (
        "030-01_x",
        5,
        WorkStatus.READY,
        "2026-05-01",
        Lifecycle.ARCHIVED,
    )


def test_a_hidden_capability_folder_is_not_a_spec(build: Builder) -> None:
    build.change("001-01_a", specs={".draft": "x"})
    assert build.workspace().list_changes()[0].has_specs is False


def _signs_as_folder_signature_does(path: Path, change_id: str) -> None:
    signature, _row = read_change_folder(str(path), change_id, Lifecycle.ACTIVE, None)
    # A listing compares the two: any difference would re-read the folder every time.
    assert signature == folder_signature(path)


@pytest.mark.parametrize(
    "shape",
    [
        {},
        {"proposal": None},
        {"design": "# Design\n", "tasks": "- [x] 1.1 a\n- [ ] 1.2 b\n"},
        {"tasks": b"- [x] ok\n- [ ] \xff\n"},
        {"specs": {"backend-auth": "## ADDED Requirements\n", ".draft": "x"}},
        {"specs": {"a": "x", "b": "y"}, "tasks": "## Wave 1\n"},
    ],
)
def test_reading_a_folder_signs_it_as_folder_signature_does(
    build: Builder, shape: dict[str, Any]
) -> None:
    _signs_as_folder_signature_does(build.change("001-01_a", **shape), "001-01_a")


def test_reading_signs_a_capability_without_spec_md_and_stray_files_the_same(
    build: Builder,
) -> None:
    path = build.change("001-01_a", specs={"a": "x"})
    (path / "specs" / "empty").mkdir()
    (path / "specs" / "notes.txt").write_text("not a capability")
    (path / "scratch" / "deep").mkdir(parents=True)
    (path / "scratch" / "deep" / "file.md").write_text("x")
    _signs_as_folder_signature_does(path, "001-01_a")


def test_reading_a_missing_folder_signs_it_missing(tmp_path: Path) -> None:
    _signs_as_folder_signature_does(tmp_path / "gone", "001-01_gone")
