"""`quarterdeck release ...`: aivcs's graph, plans and runs (FORMATS.md §5).

The demo's release command (`scripts/release.py`) fails for acme/storage.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

Runner = Callable[..., Any]

ITEM_KEYS = {"repo_id", "version_label", "spec_digest", "promoted_by", "status"}


def plan(cli: Runner, workspace: Path, *requests: str) -> str:
    result = cli("release", "plan", *requests, "--json", "--workspace", workspace)
    assert result.code == 0, result.err
    plan_id: str = result.json()["plan_id"]
    return plan_id


def test_release_graph_json_has_repos_dependencies_and_order(qd: Runner, shared_demo: Path) -> None:
    result = qd("release", "graph", "--json", "--workspace", shared_demo)
    graph = result.json()
    assert (result.code, set(graph)) == (0, {"repos", "dependencies", "order"})
    assert (len(graph["repos"]), graph["order"][0], graph["order"][-1]) == (
        12,
        "acme/proto",
        "acme/deploy",
    )
    assert graph["dependencies"][0] == {
        "dependent": {"name": "acme/core-lib"},
        "dependency": {"name": "acme/proto"},
    }


def test_release_graph_prints_the_numbered_order(cli: Runner, shared_demo: Path) -> None:
    lines = cli("release", "graph", "--workspace", shared_demo).out.splitlines()
    assert lines[:2] == ["   1  acme/proto", "   2  acme/core-lib"]


def test_release_plan_json_has_aivcs_plan_shape(qd: Runner, demo: Path) -> None:
    result = qd("release", "plan", "acme/core-lib=3.2.0", "--json", "--workspace", demo)
    built = result.json()
    assert (result.code, set(built)) == (0, {"plan_id", "originating_run_id", "items"})
    assert [set(item) for item in built["items"] if set(item) != ITEM_KEYS] == []
    statuses = {item["repo_id"]: item["status"] for item in built["items"]}
    assert statuses["acme/core-lib"] == "pending"
    assert set(statuses.values()) == {"pending", "skipped"}


def test_release_plan_is_promoted_by_the_configured_holder(cli: Runner, demo: Path) -> None:
    result = cli("release", "plan", "acme/core-lib=3.2.0", "--json", "--workspace", demo)
    (item,) = [i for i in result.json()["items"] if i["repo_id"] == "acme/core-lib"]
    assert item["promoted_by"] == "you@quarterdeck-demo"


def test_release_plan_of_an_unknown_repo_is_invalid_input(cli: Runner, demo: Path) -> None:
    result = cli("release", "plan", "acme/nope=1.0", "--workspace", demo)
    assert (result.code, result.err) == (5, "quarterdeck: repo not found in graph: acme/nope\n")


def test_release_plan_without_a_version_is_invalid_input(cli: Runner, demo: Path) -> None:
    result = cli("release", "plan", "acme/proto", "--workspace", demo)
    assert (result.code, result.err) == (
        5,
        "quarterdeck: expected REPO=VERSION, got 'acme/proto'\n",
    )


def test_release_run_of_a_failing_plan_exits_1_and_lists_the_failure(
    qd: Runner, cli: Runner, demo: Path
) -> None:
    plan_id = plan(cli, demo, "acme/storage=2.9.0", "acme/api=5.1.0")
    result = qd("release", "run", plan_id, "--workspace", demo)
    assert result.code == 1
    assert result.out.startswith("run ")
    assert ": 0 succeeded, 1 failed, 11 skipped\n  failed acme/storage: " in result.out
    assert "integration tests failed: 3 of 412" in result.out
    assert "NodeFailed" in result.err


def test_release_run_json_lists_succeeded_failed_and_skipped(cli: Runner, demo: Path) -> None:
    plan_id = plan(cli, demo, "acme/storage=2.9.0", "acme/api=5.1.0")
    result = cli("release", "run", plan_id, "--json", "--workspace", demo)
    outcome = result.json()
    assert (outcome["success"], outcome["succeeded"], [f[0] for f in outcome["failed"]]) == (
        False,
        [],
        ["acme/storage"],
    )
    assert "acme/api" in outcome["skipped"]


def test_a_failed_run_is_in_the_run_ledger(cli: Runner, demo: Path) -> None:
    plan_id = plan(cli, demo, "acme/storage=2.9.0")
    cli("release", "run", plan_id, "--workspace", demo)
    runs = cli("release", "runs", "--plan", plan_id, "--json", "--workspace", demo).json()
    assert [(run["metadata"]["tags"]["plan_id"], run["status"]) for run in runs] == [
        (plan_id, "FAILED")
    ]


def test_release_runs_lists_the_demos_failed_run(cli: Runner, shared_demo: Path) -> None:
    runs = cli("release", "runs", "--json", "--workspace", shared_demo).json()
    assert [run["status"] for run in runs] == ["FAILED"]


def test_a_manual_run_completes_when_its_repo_is_marked_succeeded(cli: Runner, demo: Path) -> None:
    plan_id = plan(cli, demo, "acme/proto=4.3.0")
    started = cli("release", "run", plan_id, "--manual", "--json", "--workspace", demo)
    run_id = started.json()["run"]["run_id"]
    assert f"manual run {run_id} started" in started.err
    marked = cli(
        "release", "mark", run_id, "acme/proto", "succeeded", "--json", "--workspace", demo
    )
    assert marked.json()["run"]["status"] == "COMPLETED"


def test_release_show_of_an_unknown_run_is_not_found(cli: Runner, shared_demo: Path) -> None:
    assert cli("release", "show", "no-such-run", "--workspace", shared_demo).code == 3
