"""`quarterdeck backlog list|decide` over aristo's deferred items (FORMATS.md §4)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

Runner = Callable[..., Any]

REQUIRED = {"kind", "item_ref", "deferred_at", "deferred_from_session"}
OPTIONAL = {"note", "data"}


def test_backlog_list_json_items_have_aristos_fields(qd: Runner, shared_demo: Path) -> None:
    result = qd("backlog", "list", "--json", "--workspace", shared_demo)
    items = result.json()
    assert (result.code, len(items)) == (0, 8)
    assert [item for item in items if not REQUIRED <= set(item) <= REQUIRED | OPTIONAL] == []


def test_backlog_list_json_omits_a_missing_note_and_data(cli: Runner, shared_demo: Path) -> None:
    items = cli("backlog", "list", "--json", "--workspace", shared_demo).json()
    (bare,) = [item for item in items if item["item_ref"] == "open#0"]
    assert set(bare) == REQUIRED


def test_backlog_list_filters_by_kind(cli: Runner, shared_demo: Path) -> None:
    result = cli("backlog", "list", "--kind", "proof-review", "--json", "--workspace", shared_demo)
    assert {item["kind"] for item in result.json()} == {"proof-review"}


def test_backlog_list_prints_a_table(cli: Runner, shared_demo: Path) -> None:
    lines = cli("backlog", "list", "--workspace", shared_demo).out.splitlines()
    assert lines[0].split() == ["KIND", "ITEM", "DEFERRED", "AT", "SESSION", "NOTE"]
    assert len(lines) == 1 + 8


def test_deciding_an_item_takes_it_off_the_backlog(cli: Runner, demo: Path) -> None:
    decide = ["backlog", "decide", "critique-review", "lease-heartbeats#1", "accept"]
    result = cli(*decide, "--note", "agreed", "--workspace", demo)
    assert (result.code, result.out) == (
        0,
        "accept: critique-review lease-heartbeats#1 (recorded)\n",
    )
    refs = [
        item["item_ref"] for item in cli("backlog", "list", "--json", "--workspace", demo).json()
    ]
    assert "lease-heartbeats#1" not in refs


def test_a_decision_json_records_who_decided(cli: Runner, demo: Path) -> None:
    decide = ["backlog", "decide", "proof-review", "lease_single_holder#1", "reject"]
    result = cli(*decide, "--json", "--workspace", demo)
    record = result.json()
    assert (record["decision"], record["decided_by"], record["item"]["item_ref"]) == (
        "reject",
        "you@quarterdeck-demo",
        "lease_single_holder#1",
    )


def test_deciding_an_unknown_item_is_not_found(cli: Runner, demo: Path) -> None:
    result = cli("backlog", "decide", "critique-review", "nope#9", "accept", "--workspace", demo)
    assert result.code == 3


def test_backlog_list_is_empty_without_an_aristo_workspace(cli: Runner, tmp_path: Path) -> None:
    (tmp_path / ".ito").mkdir()
    result = cli("backlog", "list", "--json", "--workspace", tmp_path)
    assert (result.code, result.json()) == (0, [])


def test_deciding_without_an_aristo_workspace_is_refused(cli: Runner, tmp_path: Path) -> None:
    (tmp_path / ".ito").mkdir()
    result = cli("backlog", "decide", "critique-review", "x#1", "accept", "--workspace", tmp_path)
    assert result.code == 8
    assert "no aristo workspace found" in result.err
