"""`quarterdeck changes list|show` and `demo`: stdout is data, stderr is narration."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

Runner = Callable[..., Any]

# ito's `GET /changes` item (FORMATS.md §2); every demo change has a module.
ITO_LIST_KEYS = {
    "id",
    "module_id",
    "completed_tasks",
    "shelved_tasks",
    "in_progress_tasks",
    "pending_tasks",
    "total_tasks",
    "has_proposal",
    "has_design",
    "has_specs",
    "has_tasks",
    "work_status",
    "last_modified",
}
BROKEN_TASKS = "003-06_help-overlay"  # the demo's tasks.md with an unknown status, line 42


def test_changes_list_json_items_have_exactly_itos_list_keys(qd: Runner, shared_demo: Path) -> None:
    result = qd("changes", "list", "--json", "--workspace", shared_demo)
    assert result.code == 0
    items = result.json()
    assert len(items) >= 30
    assert [set(item) for item in items if set(item) != ITO_LIST_KEYS] == []


def test_changes_list_json_writes_nothing_to_stderr(qd: Runner, shared_demo: Path) -> None:
    result = qd("--workspace", shared_demo, "--json", "changes", "list")
    assert (result.code, result.err) == (0, "")


def test_changes_list_prints_a_table_with_holders(cli: Runner, shared_demo: Path) -> None:
    result = cli("changes", "list", "--workspace", shared_demo)
    lines = result.out.splitlines()
    assert lines[0].split() == ["ID", "STATUS", "TASKS", "HOLDER", "LIFECYCLE", "TITLE"]
    assert any(
        line.startswith("002-03_lease-heartbeats") and "agent-claude-7@ci-runner-3" in line
        for line in lines
    )


def test_changes_list_of_archived_changes_lists_only_archived_ones(
    cli: Runner, shared_demo: Path
) -> None:
    result = cli("changes", "list", "--lifecycle", "archived", "--json", "--workspace", shared_demo)
    ids = [item["id"] for item in result.json()]
    assert len(ids) >= 10
    assert "001-00_initial-scaffold" in ids
    assert "001-05_workspace-discovery" not in ids


def test_changes_show_prints_the_diagnostic_of_a_malformed_tasks_file(
    qd: Runner, shared_demo: Path
) -> None:
    result = qd("changes", "show", BROKEN_TASKS, "--workspace", shared_demo)
    tasks_md = shared_demo / ".ito" / "changes" / BROKEN_TASKS / "tasks.md"
    assert result.code == 0
    assert f"! {tasks_md}:42: task 1.3: unknown status 'waiting'" in result.out


def test_changes_list_still_lists_a_change_with_a_malformed_tasks_file(
    cli: Runner, shared_demo: Path
) -> None:
    result = cli("changes", "list", "--json", "--workspace", shared_demo)
    assert BROKEN_TASKS in [item["id"] for item in result.json()]


def test_changes_show_of_a_tasks_file_that_is_not_utf8_names_the_file_and_line(
    cli: Runner, demo: Path
) -> None:
    tasks_md = demo / ".ito" / "changes" / "001-05_workspace-discovery" / "tasks.md"
    tasks_md.write_bytes(b"- [ ] 1.1 fine\n- [ ] 1.2 caf\xe9\n")
    result = cli("changes", "show", "001-05_workspace-discovery", "--workspace", demo)
    assert result.code == 5
    assert result.err.startswith(f"quarterdeck: {tasks_md}:2: not valid UTF-8")


def test_changes_list_still_lists_a_change_whose_tasks_file_is_not_utf8(
    cli: Runner, demo: Path
) -> None:
    tasks_md = demo / ".ito" / "changes" / "001-05_workspace-discovery" / "tasks.md"
    tasks_md.write_bytes(b"\xff\xfe- [ ] 1.1 bad\n")
    result = cli("changes", "list", "--json", "--workspace", demo)
    assert "001-05_workspace-discovery" in [item["id"] for item in result.json()]


def test_changes_show_json_carries_the_detail_tasks_and_lease(
    cli: Runner, shared_demo: Path
) -> None:
    result = cli("changes", "show", "002-03_lease-heartbeats", "--json", "--workspace", shared_demo)
    shown = result.json()
    assert (shown["id"], shown["lifecycle"], shown["lease"]["holder"]) == (
        "002-03_lease-heartbeats",
        "active",
        "agent-claude-7@ci-runner-3",
    )
    assert shown["tasks"]["format"] == "enhanced"
    assert set(shown["progress"]) == {
        "total",
        "complete",
        "shelved",
        "in_progress",
        "pending",
        "remaining",
    }


def test_demo_narrates_on_stderr_and_prints_no_data(qd: Runner, tmp_path: Path) -> None:
    result = qd("demo", tmp_path / "fresh", "--no-tui")
    assert (result.code, result.out) == (0, "")
    assert result.err == f"demo workspace ready at {tmp_path / 'fresh'}\n"
