from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from core.models.errors import InvalidInput, InvalidTransition, NotFound
from core.models.releases import (
    ItemState,
    ReleaseRequest,
    ReleaseStatus,
    RunEventKind,
    RunStatus,
    RunSummary,
    SequencePlan,
)
from core.releases.graph import ReleaseGraph
from core.releases.plan import build_plan
from core.store.db import StateStore
from core.store.ledger import ReleaseLedger

Release = Callable[[str], ReleaseRequest]
T0 = "2026-02-24T12:00:00.000Z"


@pytest.fixture
def plan(graph_abc: ReleaseGraph, release: Release) -> SequencePlan:
    return build_plan(graph_abc, [release("A"), release("B")], "run-0", plan_id="seq-1a2b3c4d")


@pytest.fixture
def saved_plan(ledger: ReleaseLedger, plan: SequencePlan) -> SequencePlan:
    ledger.save_plan(plan, T0)
    return plan


def entered(node: str) -> dict[str, str]:
    return {"node_id": node, "version": f"v1-{node}"}


def test_a_saved_plan_reads_back_equal(ledger: ReleaseLedger, saved_plan: SequencePlan) -> None:
    assert ledger.get_plan(saved_plan.plan_id) == saved_plan


def test_an_unknown_plan_is_not_found(ledger: ReleaseLedger) -> None:
    with pytest.raises(NotFound, match="release plan not found: seq-00000000"):
        ledger.get_plan("seq-00000000")


def test_saving_a_plan_id_twice_is_refused(ledger: ReleaseLedger, saved_plan: SequencePlan) -> None:
    with pytest.raises(InvalidInput, match="release plan already exists: seq-1a2b3c4d"):
        ledger.save_plan(saved_plan, T0)


def test_plans_are_listed_newest_first_with_their_creation_time(
    ledger: ReleaseLedger, graph_abc: ReleaseGraph
) -> None:
    older = build_plan(graph_abc, [], "r1", plan_id="seq-00000001")
    newer = build_plan(graph_abc, [], "r2", plan_id="seq-00000002")
    ledger.save_plan(newer, "2026-02-24T12:00:05.000Z")
    ledger.save_plan(older, "2026-02-24T12:00:01.000Z")

    assert [(plan.plan_id, at) for plan, at in ledger.list_plans()] == [
        ("seq-00000002", "2026-02-24T12:00:05.000Z"),
        ("seq-00000001", "2026-02-24T12:00:01.000Z"),
    ]


def test_a_new_run_is_running_with_the_plans_items(
    ledger: ReleaseLedger, saved_plan: SequencePlan
) -> None:
    run = ledger.create_run(saved_plan, "manual", "digest", T0)

    progress = ledger.get_run(run.run_id)
    assert progress.run == run
    assert (run.status, run.mode, run.plan_id, run.metadata.agent_name) == (
        RunStatus.RUNNING,
        "manual",
        "seq-1a2b3c4d",
        "release-sequencer",
    )
    assert progress.items == saved_plan.items
    assert progress.events == []


def test_a_run_of_an_unsaved_plan_is_refused(ledger: ReleaseLedger, plan: SequencePlan) -> None:
    with pytest.raises(NotFound, match="release plan not found"):
        ledger.create_run(plan, "command", "digest", T0)


def test_an_unknown_run_is_not_found(ledger: ReleaseLedger) -> None:
    with pytest.raises(NotFound, match="release run not found: nope"):
        ledger.get_run("nope")


def test_runs_are_listed_newest_first_and_by_plan(
    ledger: ReleaseLedger, saved_plan: SequencePlan, graph_abc: ReleaseGraph
) -> None:
    other = build_plan(graph_abc, [], "r9", plan_id="seq-99999999")
    ledger.save_plan(other, T0)
    first = ledger.create_run(saved_plan, "command", "d", "2026-02-24T12:00:01.000Z")
    second = ledger.create_run(other, "command", "d", "2026-02-24T12:00:02.000Z")
    third = ledger.create_run(saved_plan, "manual", "d", "2026-02-24T12:00:03.000Z")

    assert [r.run_id for r in ledger.list_runs()] == [third.run_id, second.run_id, first.run_id]
    assert [r.run_id for r in ledger.list_runs("seq-1a2b3c4d")] == [third.run_id, first.run_id]


def test_events_are_numbered_from_one(ledger: ReleaseLedger, saved_plan: SequencePlan) -> None:
    run = ledger.create_run(saved_plan, "command", "d", T0)

    first = ledger.append_event(run.run_id, RunEventKind.NODE_ENTERED, entered("A"), T0)
    second = ledger.append_event(
        run.run_id, RunEventKind.NODE_EXITED, {"node_id": "A", "run_id": "run-A"}, T0
    )

    assert (first.seq, second.seq) == (1, 2)
    assert ledger.get_run(run.run_id).events == [first, second]


def test_each_run_numbers_its_own_events(ledger: ReleaseLedger, saved_plan: SequencePlan) -> None:
    one = ledger.create_run(saved_plan, "command", "d", T0)
    two = ledger.create_run(saved_plan, "command", "d", T0)
    ledger.append_event(one.run_id, RunEventKind.NODE_ENTERED, entered("A"), T0)

    assert ledger.append_event(two.run_id, RunEventKind.NODE_ENTERED, entered("A"), T0).seq == 1


def test_no_event_is_appended_to_a_finished_run(
    ledger: ReleaseLedger, saved_plan: SequencePlan
) -> None:
    run = ledger.create_run(saved_plan, "command", "d", T0)
    ledger.finish_run(run.run_id, RunStatus.COMPLETED, RunSummary(success=True), T0)

    with pytest.raises(InvalidTransition, match=f"run {run.run_id} is finished"):
        ledger.append_event(run.run_id, RunEventKind.NODE_ENTERED, entered("A"), T0)

    assert ledger.get_run(run.run_id).events == []


def test_a_run_cannot_finish_twice(ledger: ReleaseLedger, saved_plan: SequencePlan) -> None:
    run = ledger.create_run(saved_plan, "command", "d", T0)
    ledger.finish_run(run.run_id, RunStatus.FAILED, RunSummary(total_events=0), T0)

    with pytest.raises(InvalidTransition):
        ledger.finish_run(run.run_id, RunStatus.COMPLETED, RunSummary(success=True), T0)


def test_finishing_records_status_summary_and_time(
    ledger: ReleaseLedger, saved_plan: SequencePlan
) -> None:
    run = ledger.create_run(saved_plan, "command", "d", T0)
    summary = RunSummary(total_events=4, duration_ms=1500, success=True)

    ledger.finish_run(run.run_id, RunStatus.COMPLETED, summary, "2026-02-24T12:00:01.500Z")

    stored = ledger.get_run(run.run_id).run
    assert (stored.status, stored.summary, stored.finished_at) == (
        RunStatus.COMPLETED,
        summary,
        "2026-02-24T12:00:01.500Z",
    )


def test_a_write_based_on_a_stale_view_is_refused(
    ledger: ReleaseLedger, saved_plan: SequencePlan
) -> None:
    run = ledger.create_run(saved_plan, "command", "d", T0)
    ledger.append_event(run.run_id, RunEventKind.NODE_ENTERED, entered("A"), T0, expected_seq=0)

    with pytest.raises(InvalidTransition, match="has moved on"):
        ledger.append_event(run.run_id, RunEventKind.NODE_ENTERED, entered("A"), T0, expected_seq=0)


def test_updated_items_are_stored(ledger: ReleaseLedger, saved_plan: SequencePlan) -> None:
    run = ledger.create_run(saved_plan, "command", "d", T0)
    items = [
        item.model_copy(update={"status": ReleaseStatus(state=ItemState.IN_PROGRESS)})
        for item in saved_plan.items
    ]

    ledger.update_items(run.run_id, items)

    assert ledger.get_run(run.run_id).items == items


def test_a_running_runs_items_show_what_its_events_record(
    ledger: ReleaseLedger, saved_plan: SequencePlan
) -> None:
    run = ledger.create_run(saved_plan, "command", "d", T0)
    ledger.append_event(run.run_id, RunEventKind.NODE_ENTERED, entered("A"), T0)
    ledger.append_event(
        run.run_id, RunEventKind.NODE_EXITED, {"node_id": "A", "run_id": "run-A"}, T0
    )
    ledger.append_event(run.run_id, RunEventKind.NODE_ENTERED, entered("B"), T0)

    items = ledger.get_run(run.run_id).items

    assert [item.status for item in items] == [
        ReleaseStatus(state=ItemState.SUCCEEDED, run_id="run-A"),
        ReleaseStatus(state=ItemState.IN_PROGRESS),
        ReleaseStatus(state=ItemState.SKIPPED),
    ]


def test_a_finished_runs_items_are_the_ones_it_finished_with(
    ledger: ReleaseLedger, saved_plan: SequencePlan
) -> None:
    run = ledger.create_run(saved_plan, "command", "d", T0)
    ledger.append_event(run.run_id, RunEventKind.NODE_ENTERED, entered("A"), T0)
    final = [
        item.model_copy(update={"status": ReleaseStatus(state=ItemState.SKIPPED)})
        for item in saved_plan.items
    ]

    ledger.finish_run(run.run_id, RunStatus.CANCELLED, RunSummary(total_events=1), T0, items=final)

    assert ledger.get_run(run.run_id).items == final


def test_eight_threads_appending_get_unique_increasing_numbers(
    tmp_path: Path, saved_plan: SequencePlan, ledger: ReleaseLedger
) -> None:
    run = ledger.create_run(saved_plan, "command", "d", T0)
    seen: list[list[int]] = [[] for _ in range(8)]

    def append_many(worker: int) -> None:
        # A store of its own per thread, as a separate process would have.
        own_store = StateStore(tmp_path / ".quarterdeck" / "state.db")
        own = ReleaseLedger(own_store)
        for _ in range(25):
            event = own.append_event(run.run_id, RunEventKind.NODE_ENTERED, entered("A"), T0)
            seen[worker].append(event.seq)
        own_store.close()

    threads = [threading.Thread(target=append_many, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(seq for worker in seen for seq in worker) == list(range(1, 201))
    assert all(worker == sorted(worker) for worker in seen)
    assert [e.seq for e in ledger.get_run(run.run_id).events] == list(range(1, 201))


def _append_from_process(db: Path, run_id: str, count: int) -> None:
    store = StateStore(db)
    ledger = ReleaseLedger(store)
    for _ in range(count):
        ledger.append_event(run_id, RunEventKind.NODE_ENTERED, entered("A"), T0)
    store.close()


@pytest.mark.slow
def test_four_processes_appending_get_unique_increasing_numbers(
    tmp_path: Path, saved_plan: SequencePlan, ledger: ReleaseLedger
) -> None:
    run = ledger.create_run(saved_plan, "command", "d", T0)
    db = tmp_path / ".quarterdeck" / "state.db"
    fork = multiprocessing.get_context("fork")
    workers = [
        fork.Process(target=_append_from_process, args=(db, run.run_id, 30)) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    assert [e.seq for e in ledger.get_run(run.run_id).events] == list(range(1, 121))
