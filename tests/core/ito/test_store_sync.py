"""A backend store serving its own workspace: pull, push, revisions, conflicts (FORMATS.md §2)."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from core.ito import ItoWorkspace
from core.ito.revisions import next_revision
from core.models.errors import ChangeArchived, InvalidInput, RevisionConflict
from core.models.sync import ArtifactBundle, PushResult

if TYPE_CHECKING:
    from tests.core.ito.conftest import Builder

PINNED_REVISION = "2026-11-22T10:00:00.123456Z"


def push_bundle(revision: str, proposal: str = "# Pushed\n") -> ArtifactBundle:
    return ArtifactBundle(change_id="024-01_x", proposal=proposal, revision=revision)


def test_a_pull_carries_the_stored_revision(build: Builder) -> None:
    path = build.change("024-01_x", proposal="P\n")
    (path / ".backend-revision").write_text("2026-01-01T00:00:00.000000Z\n")
    pulled = build.workspace().store_pull("024-01_x")
    assert (pulled.proposal, pulled.revision) == ("P\n", "2026-01-01T00:00:00.000000Z")


def test_a_never_pushed_change_has_its_last_modified_time_as_revision(build: Builder) -> None:
    path = build.change("024-01_x")
    for file in [*path.rglob("*"), path]:
        build.set_mtime(file, datetime(2026, 4, 5, 6, 7, 8, tzinfo=UTC))
    assert build.workspace().store_pull("024-01_x").revision == "2026-04-05T06:07:08Z"


def test_an_archived_change_can_be_pulled(build: Builder) -> None:
    build.change("024-01_x", archived=True, folder="2026-01-01-024-01_x", proposal="Old\n")
    assert build.workspace().store_pull("024-01_x").proposal == "Old\n"


def test_a_push_from_the_current_revision_writes_and_returns_a_new_one(build: Builder) -> None:
    path = build.change("024-01_x")
    (path / ".backend-revision").write_text("2026-01-01T00:00:00.000000Z")
    result = build.workspace().store_push("024-01_x", push_bundle("2026-01-01T00:00:00.000000Z"))
    assert result == PushResult(change_id="024-01_x", new_revision=PINNED_REVISION)
    assert (path / "proposal.md").read_text() == "# Pushed\n"
    assert (path / ".backend-revision").read_text() == PINNED_REVISION


def test_a_push_without_a_revision_is_not_checked(build: Builder) -> None:
    build.change("024-01_x")
    assert build.workspace().store_push("024-01_x", push_bundle("")).new_revision == PINNED_REVISION


def test_a_push_from_a_stale_revision_is_a_conflict(build: Builder) -> None:
    path = build.change("024-01_x", proposal="server copy\n")
    (path / ".backend-revision").write_text("r2")
    with pytest.raises(RevisionConflict) as caught:
        build.workspace().store_push("024-01_x", push_bundle("r1"))
    assert (caught.value.local_revision, caught.value.server_revision) == ("r1", "r2")
    assert str(caught.value) == "revision conflict for '024-01_x': local=r1, server=r2"
    assert (path / "proposal.md").read_text() == "server copy\n"


def test_a_push_to_an_archived_change_is_refused(build: Builder) -> None:
    build.change("024-01_x", archived=True, folder="2026-01-01-024-01_x")
    with pytest.raises(ChangeArchived):
        build.workspace().store_push("024-01_x", push_bundle(""))


def test_a_push_creates_a_change_that_does_not_exist_yet(build: Builder) -> None:
    build.workspace().store_push("024-01_x", push_bundle(""))
    path = build.ito_dir / "changes" / "024-01_x"
    assert (path / "proposal.md").read_text() == "# Pushed\n"
    assert (path / ".ito.yaml").is_file()


def test_a_push_creating_a_change_needs_a_valid_id(build: Builder) -> None:
    with pytest.raises(InvalidInput):
        build.workspace().store_push("bad id", push_bundle(""))


def test_a_push_with_a_revision_onto_a_missing_change_is_a_conflict(build: Builder) -> None:
    with pytest.raises(RevisionConflict) as caught:
        build.workspace().store_push("024-01_x", push_bundle("r1"))
    assert caught.value.server_revision == ""


def test_two_pushes_in_one_clock_tick_get_different_revisions(build: Builder) -> None:
    build.change("024-01_x")
    workspace = build.workspace()
    first = workspace.store_push("024-01_x", push_bundle("")).new_revision
    second = workspace.store_push("024-01_x", push_bundle(first)).new_revision
    assert (first, second) == (PINNED_REVISION, "2026-11-22T10:00:00.123457Z")


def test_a_new_revision_is_later_than_the_old_one_even_if_the_clock_is_behind() -> None:
    assert next_revision("2030-01-01T00:00:00.000000Z", datetime(2026, 1, 1, tzinfo=UTC)) == (
        "2030-01-01T00:00:00.000001Z"
    )


def test_an_opaque_previous_revision_is_simply_replaced() -> None:
    assert next_revision("rev-abc", datetime(2026, 1, 1, tzinfo=UTC)) == (
        "2026-01-01T00:00:00.000000Z"
    )


def test_a_pushed_revision_is_what_the_next_pull_reports(build: Builder) -> None:
    build.change("024-01_x")
    workspace = build.workspace()
    pushed = workspace.store_push("024-01_x", push_bundle("")).new_revision
    assert workspace.store_pull("024-01_x").revision == pushed


def _race(workspace: ItoWorkspace, base: str, count: int) -> list[str]:
    """`count` pushes from the same base revision at once; each one's outcome."""
    barrier = threading.Barrier(count)
    outcomes: list[str] = []

    def push(n: int) -> None:
        barrier.wait()
        try:
            workspace.store_push("024-01_x", push_bundle(base, proposal=f"writer {n}\n"))
            outcomes.append("ok")
        except RevisionConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=push, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_of_two_threads_pushing_the_same_base_exactly_one_wins(build: Builder) -> None:
    path = build.change("024-01_x")
    (path / ".backend-revision").write_text("base")
    outcomes = _race(ItoWorkspace(build.ito_dir), "base", 2)
    assert sorted(outcomes) == ["conflict", "ok"]


def _push_in_child(ito_dir: str, start: float, results: multiprocessing.Queue[str]) -> None:
    import time

    time.sleep(max(0.0, start - time.time()))
    try:
        ItoWorkspace(Path(ito_dir)).store_push("024-01_x", push_bundle("base"))
        results.put("ok")
    except RevisionConflict:
        results.put("conflict")


@pytest.mark.slow
def test_of_four_processes_pushing_the_same_base_exactly_one_wins(build: Builder) -> None:
    import time

    path = build.change("024-01_x")
    (path / ".backend-revision").write_text("base")
    context = multiprocessing.get_context("fork")
    results: multiprocessing.Queue[str] = context.Queue()
    start = time.time() + 0.3
    workers = [
        context.Process(target=_push_in_child, args=(str(build.ito_dir), start, results))
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=10)
    assert sorted(results.get(timeout=5) for _ in workers) == ["conflict"] * 3 + ["ok"]
