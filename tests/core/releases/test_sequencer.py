from __future__ import annotations

import hashlib
import json
import shlex
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from core.models.errors import InvalidInput, InvalidTransition
from core.models.releases import (
    ReleaseRequest,
    RunProgress,
    RunStatus,
    RunSummary,
)
from core.releases.graph import ReleaseGraph
from core.releases.plan import build_plan
from core.releases.releaser import CommandReleaser
from core.releases.sequencer import Sequencer
from core.store.ledger import ReleaseLedger
from core.timeutil import Clock, parse_rfc3339

Release = Callable[[str], ReleaseRequest]
# Builds conftest's RecordingReleaser: fail=<repos> makes those releases fail.
ReleaserFactory = Callable[..., Any]
RUN_EVENTS_EXAMPLE = Path(__file__).parent / "run_events.example.json"


@pytest.fixture
def plan_abc(ledger: ReleaseLedger, graph_abc: ReleaseGraph, release: Release) -> str:
    plan = build_plan(graph_abc, [release("A"), release("B"), release("C")], "run-0")
    ledger.save_plan(plan, "2026-02-24T12:00:00.000Z")
    return plan.plan_id


def states(progress: RunProgress) -> dict[str, str]:
    return {item.repo_id: item.status.state.value for item in progress.items}


def test_execute_plan_skips_downstream_on_upstream_failure(
    graph_abc: ReleaseGraph, ledger: ReleaseLedger, plan_abc: str, releaser_factory: ReleaserFactory
) -> None:
    sequencer = Sequencer(graph_abc, ledger, releaser_factory(fail={"A"}))

    outcome = sequencer.run_to_end(plan_abc)

    assert not outcome.overall_success
    assert [repo for repo, _ in outcome.failed] == ["A"]
    assert outcome.skipped == ["B", "C"]


def test_execute_plan_all_succeed(
    graph_abc: ReleaseGraph, ledger: ReleaseLedger, plan_abc: str, releaser_factory: ReleaserFactory
) -> None:
    releaser = releaser_factory()

    outcome = Sequencer(graph_abc, ledger, releaser).run_to_end(plan_abc)

    assert outcome.overall_success
    assert outcome.succeeded == ["A", "B", "C"]
    assert outcome.skipped == []
    assert releaser.released == ["A", "B", "C"]


def test_a_failing_first_repo_records_aivcs_events(
    graph_abc: ReleaseGraph,
    ledger: ReleaseLedger,
    plan_abc: str,
    releaser_factory: ReleaserFactory,
    clock: Clock,
) -> None:
    example = json.loads(RUN_EVENTS_EXAMPLE.read_text())
    outcome = Sequencer(graph_abc, ledger, releaser_factory(fail={"A"}), clock).run_to_end(plan_abc)

    progress = ledger.get_run(outcome.run_id)
    assert [(e.seq, e.kind.value, e.payload) for e in progress.events] == [
        (e["seq"], e["kind"], e["payload"]) for e in example["events"]
    ]
    assert progress.run.summary == RunSummary.model_validate(example["summary_via_fail_run"])
    assert progress.run.status is RunStatus.FAILED
    expected_metadata = {k: example["run_metadata"][k] for k in ("git_sha", "agent_name")}
    assert progress.run.metadata.model_dump(include={"git_sha", "agent_name"}) == (
        expected_metadata
    )
    assert progress.run.metadata.tags == {"plan_id": plan_abc}
    assert progress.run.spec_digest == hashlib.sha256(b"sequence:run-0").hexdigest()
    assert states(progress) == {"A": "failed", "B": "skipped", "C": "skipped"}


def test_a_successful_run_records_entered_and_exited_per_repo(
    graph_abc: ReleaseGraph,
    ledger: ReleaseLedger,
    plan_abc: str,
    releaser_factory: ReleaserFactory,
    clock: Clock,
) -> None:
    outcome = Sequencer(graph_abc, ledger, releaser_factory(), clock).run_to_end(plan_abc)

    progress = ledger.get_run(outcome.run_id)
    assert [(e.seq, e.kind.value, e.payload["node_id"]) for e in progress.events] == [
        (1, "NodeEntered", "A"),
        (2, "NodeExited", "A"),
        (3, "NodeEntered", "B"),
        (4, "NodeExited", "B"),
        (5, "NodeEntered", "C"),
        (6, "NodeExited", "C"),
    ]
    assert progress.events[1].payload == {"node_id": "A", "run_id": "run-A"}
    assert progress.run.status is RunStatus.COMPLETED
    assert progress.run.summary == RunSummary(total_events=6, success=True)


def test_a_failure_skips_only_its_dependents(
    ledger: ReleaseLedger, release: Release, releaser_factory: ReleaserFactory
) -> None:
    graph = ReleaseGraph()
    for repo in ("A", "B", "X"):
        graph.add_repo(repo)
    graph.add_dependency("B", "A")
    plan = build_plan(graph, [release("A"), release("B"), release("X")], "run-1")
    ledger.save_plan(plan, "2026-02-24T12:00:00.000Z")
    releaser = releaser_factory(fail={"A"})

    outcome = Sequencer(graph, ledger, releaser).run_to_end(plan.plan_id)

    assert (outcome.succeeded, outcome.skipped) == (["X"], ["B"])
    assert releaser.released == ["A", "X"]


def test_repos_without_a_requested_release_are_not_released(
    graph_abc: ReleaseGraph,
    ledger: ReleaseLedger,
    release: Release,
    releaser_factory: ReleaserFactory,
    clock: Clock,
) -> None:
    plan = build_plan(graph_abc, [release("A"), release("C")], "run-2")
    ledger.save_plan(plan, "2026-02-24T12:00:00.000Z")
    releaser = releaser_factory()

    outcome = Sequencer(graph_abc, ledger, releaser, clock).run_to_end(plan.plan_id)

    assert releaser.released == ["A", "C"]
    assert (outcome.succeeded, outcome.skipped) == (["A", "C"], ["B"])
    assert ledger.get_run(outcome.run_id).run.summary == RunSummary(total_events=4, success=True)


def test_the_failure_reason_names_the_repo_and_the_releasers_reason(
    graph_abc: ReleaseGraph, ledger: ReleaseLedger, plan_abc: str, releaser_factory: ReleaserFactory
) -> None:
    outcome = Sequencer(graph_abc, ledger, releaser_factory(fail={"A"})).run_to_end(plan_abc)

    assert outcome.failed == [("A", "release sequencing failed for repo A: intentional failure")]


def test_each_step_is_reported_while_the_run_goes(
    graph_abc: ReleaseGraph, ledger: ReleaseLedger, plan_abc: str, releaser_factory: ReleaserFactory
) -> None:
    seen: list[tuple[str, dict[str, str]]] = []

    Sequencer(graph_abc, ledger, releaser_factory()).run_to_end(
        plan_abc, on_progress=lambda p: seen.append((p.run.status.value, states(p)))
    )

    assert seen == [
        ("RUNNING", {"A": "pending", "B": "pending", "C": "pending"}),
        ("RUNNING", {"A": "succeeded", "B": "pending", "C": "pending"}),
        ("RUNNING", {"A": "succeeded", "B": "succeeded", "C": "pending"}),
        ("COMPLETED", {"A": "succeeded", "B": "succeeded", "C": "succeeded"}),
    ]


def test_advance_stores_each_step_before_the_next(
    graph_abc: ReleaseGraph, ledger: ReleaseLedger, plan_abc: str, releaser_factory: ReleaserFactory
) -> None:
    sequencer = Sequencer(graph_abc, ledger, releaser_factory())
    run_id = sequencer.start_run(plan_abc, "command").run.run_id

    sequencer.advance(run_id)

    stored = ledger.get_run(run_id)
    assert states(stored) == {"A": "succeeded", "B": "pending", "C": "pending"}
    assert len(stored.events) == 2
    assert stored.run.status is RunStatus.RUNNING


def test_command_mode_without_a_releaser_is_refused(
    graph_abc: ReleaseGraph, ledger: ReleaseLedger, plan_abc: str
) -> None:
    with pytest.raises(InvalidInput, match="no release_command configured; use manual mode"):
        Sequencer(graph_abc, ledger).start_run(plan_abc, "command")


def test_a_plan_with_nothing_to_release_completes_at_once(
    graph_abc: ReleaseGraph, ledger: ReleaseLedger, clock: Clock
) -> None:
    plan = build_plan(graph_abc, [], "run-3")
    ledger.save_plan(plan, "2026-02-24T12:00:00.000Z")

    progress = Sequencer(graph_abc, ledger, clock=clock).start_run(plan.plan_id, "manual")

    assert progress.run.status is RunStatus.COMPLETED
    assert ledger.get_run(progress.run.run_id).run.summary == RunSummary(success=True)


def test_the_run_duration_is_measured_from_its_start(
    graph_abc: ReleaseGraph, ledger: ReleaseLedger, plan_abc: str, releaser_factory: ReleaserFactory
) -> None:
    outcome = Sequencer(graph_abc, ledger, releaser_factory(), ticking_clock()).run_to_end(plan_abc)

    summary = ledger.get_run(outcome.run_id).run.summary
    assert summary is not None
    # The clock is read at the start, once per event (six), then for the summary.
    assert summary.duration_ms == 7 * 250


def test_an_item_left_in_progress_is_failed_not_released_again(
    graph_abc: ReleaseGraph, ledger: ReleaseLedger, plan_abc: str, releaser_factory: ReleaserFactory
) -> None:
    class DiesMidRelease:
        def release(self, repo_id: str, version: str, digest: str, by: str) -> str:
            raise RuntimeError("the process died here")

    dying = Sequencer(graph_abc, ledger, DiesMidRelease())
    run_id = dying.start_run(plan_abc, "command").run.run_id
    with pytest.raises(RuntimeError):
        dying.advance(run_id)
    assert states(ledger.get_run(run_id))["A"] == "in_progress"
    releaser = releaser_factory()

    progress = Sequencer(graph_abc, ledger, releaser).advance(run_id)

    assert releaser.released == []
    assert progress.items[0].status.reason == "interrupted: no result was recorded"
    assert states(progress) == {"A": "failed", "B": "skipped", "C": "skipped"}
    assert progress.run.status is RunStatus.FAILED
    assert [e.kind.value for e in progress.events] == ["NodeEntered", "NodeFailed"]


def test_an_item_left_in_progress_can_be_marked_by_hand_in_command_mode(
    graph_abc: ReleaseGraph, ledger: ReleaseLedger, plan_abc: str, releaser_factory: ReleaserFactory
) -> None:
    class DiesMidRelease:
        def release(self, repo_id: str, version: str, digest: str, by: str) -> str:
            raise RuntimeError("the process died here")

    sequencer = Sequencer(graph_abc, ledger, DiesMidRelease())
    run_id = sequencer.start_run(plan_abc, "command").run.run_id
    with pytest.raises(RuntimeError):
        sequencer.advance(run_id)

    progress = sequencer.mark(run_id, "A", succeeded=True, release_ref="ci-123")

    assert progress.items[0].status.run_id == "ci-123"
    assert [e.kind.value for e in progress.events] == ["NodeEntered", "NodeExited"]


def test_marking_by_hand_records_entered_then_exited(
    graph_abc: ReleaseGraph, ledger: ReleaseLedger, plan_abc: str
) -> None:
    sequencer = Sequencer(graph_abc, ledger)
    run_id = sequencer.start_run(plan_abc, "manual").run.run_id

    progress = sequencer.mark(run_id, "A", succeeded=True, release_ref="gh-run-77")

    assert [(e.seq, e.kind.value, e.payload) for e in progress.events] == [
        (1, "NodeEntered", {"node_id": "A", "version": "v1-A"}),
        (2, "NodeExited", {"node_id": "A", "run_id": "gh-run-77"}),
    ]
    assert ledger.get_run(run_id).events == progress.events


def test_marking_a_repo_out_of_order_is_refused(
    graph_abc: ReleaseGraph, ledger: ReleaseLedger, plan_abc: str
) -> None:
    sequencer = Sequencer(graph_abc, ledger)
    run_id = sequencer.start_run(plan_abc, "manual").run.run_id

    with pytest.raises(InvalidTransition, match="the next repo to mark is A, not B"):
        sequencer.mark(run_id, "B", succeeded=True)

    assert ledger.get_run(run_id).events == []


def test_marking_a_failure_needs_a_reason(
    graph_abc: ReleaseGraph, ledger: ReleaseLedger, plan_abc: str
) -> None:
    sequencer = Sequencer(graph_abc, ledger)
    run_id = sequencer.start_run(plan_abc, "manual").run.run_id

    with pytest.raises(InvalidInput, match="needs a reason"):
        sequencer.mark(run_id, "A", succeeded=False)


def test_marking_the_last_repo_finishes_the_run(
    graph_abc: ReleaseGraph, ledger: ReleaseLedger, plan_abc: str
) -> None:
    sequencer = Sequencer(graph_abc, ledger)
    run_id = sequencer.start_run(plan_abc, "manual").run.run_id
    sequencer.mark(run_id, "A", succeeded=True)
    sequencer.mark(run_id, "B", succeeded=True)

    progress = sequencer.mark(run_id, "C", succeeded=False, reason="tests red")

    assert progress.run.status is RunStatus.FAILED
    assert ledger.get_run(run_id).run.status is RunStatus.FAILED
    assert sequencer.outcome(progress).failed == [("C", "tests red")]


def test_a_manual_failure_skips_the_dependents_and_finishes(
    graph_abc: ReleaseGraph, ledger: ReleaseLedger, plan_abc: str
) -> None:
    sequencer = Sequencer(graph_abc, ledger)
    run_id = sequencer.start_run(plan_abc, "manual").run.run_id

    progress = sequencer.mark(run_id, "A", succeeded=False, reason="build broke")

    assert states(progress) == {"A": "failed", "B": "skipped", "C": "skipped"}
    assert progress.run.status is RunStatus.FAILED


def test_a_manual_run_cannot_be_advanced(
    graph_abc: ReleaseGraph, ledger: ReleaseLedger, plan_abc: str, releaser_factory: ReleaserFactory
) -> None:
    sequencer = Sequencer(graph_abc, ledger, releaser_factory())
    run_id = sequencer.start_run(plan_abc, "manual").run.run_id

    with pytest.raises(InvalidTransition, match="manual mode: mark A"):
        sequencer.advance(run_id)


def test_a_pending_repo_of_a_command_run_cannot_be_marked_by_hand(
    graph_abc: ReleaseGraph, ledger: ReleaseLedger, plan_abc: str, releaser_factory: ReleaserFactory
) -> None:
    sequencer = Sequencer(graph_abc, ledger, releaser_factory())
    run_id = sequencer.start_run(plan_abc, "command").run.run_id

    with pytest.raises(InvalidTransition, match="only a repo in progress"):
        sequencer.mark(run_id, "A", succeeded=True)


def test_cancelling_skips_what_is_left_and_stops_the_run(
    graph_abc: ReleaseGraph,
    ledger: ReleaseLedger,
    plan_abc: str,
    releaser_factory: ReleaserFactory,
    clock: Clock,
) -> None:
    sequencer = Sequencer(graph_abc, ledger, releaser_factory(), clock)
    run_id = sequencer.start_run(plan_abc, "command").run.run_id
    sequencer.advance(run_id)

    progress = sequencer.cancel(run_id)

    stored = ledger.get_run(run_id)
    assert stored.run.status is RunStatus.CANCELLED
    assert states(stored) == {"A": "succeeded", "B": "skipped", "C": "skipped"}
    assert stored == progress
    assert stored.run.summary == RunSummary(total_events=2, success=False)


def test_a_cancelled_run_takes_no_more_steps(
    graph_abc: ReleaseGraph, ledger: ReleaseLedger, plan_abc: str, releaser_factory: ReleaserFactory
) -> None:
    sequencer = Sequencer(graph_abc, ledger, releaser_factory())
    run_id = sequencer.start_run(plan_abc, "command").run.run_id
    sequencer.cancel(run_id)

    with pytest.raises(InvalidTransition, match="is finished"):
        sequencer.advance(run_id)
    with pytest.raises(InvalidTransition, match="is finished"):
        sequencer.cancel(run_id)
    assert ledger.get_run(run_id).events == []


def test_a_run_of_a_plan_naming_a_repo_the_graph_lacks_is_refused(
    graph_abc: ReleaseGraph, ledger: ReleaseLedger, plan_abc: str
) -> None:
    smaller = ReleaseGraph()
    smaller.add_repo("A")

    with pytest.raises(InvalidInput, match="repo not found in graph: B"):
        Sequencer(smaller, ledger).start_run(plan_abc, "manual")


def ticking_clock() -> Clock:
    """Each reading is 250 ms after the previous one."""
    ticks: Iterator[int] = iter(range(1000))
    start = parse_rfc3339("2026-02-24T12:00:00Z")
    return lambda: start + timedelta(milliseconds=250 * next(ticks))


def test_a_failing_release_command_fails_its_repo_with_the_commands_reason(
    tmp_path: Path, graph_abc: ReleaseGraph, ledger: ReleaseLedger, plan_abc: str
) -> None:
    (tmp_path / "release.py").write_text(
        "import sys\nif sys.argv[1] == 'B':\n    sys.exit('registry refused B')\nprint('ok-1')\n"
    )
    command = CommandReleaser(f"{shlex.quote(sys.executable)} release.py {{repo}}", tmp_path)

    outcome = Sequencer(graph_abc, ledger, command).run_to_end(plan_abc)

    assert outcome.succeeded == ["A"]
    assert outcome.skipped == ["C"]
    ((repo, reason),) = outcome.failed
    assert repo == "B"
    assert reason.startswith("release sequencing failed for repo B: `")
    assert reason.endswith("release.py B` exited with status 1: registry refused B")
