"""A listing shared by concurrent requests: never older than the request, run once for all
the requests that came while another run was under way."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from core.server.projects import ProjectRegistry
from core.server.shared_call import SharedCall

WAIT_S = 10.0


class GatedRuns:
    """A function whose runs are numbered and each held until the test lets it end."""

    def __init__(self, fail_run: int | None = None) -> None:
        self.started = 0
        self.fail_run = fail_run
        self._lock = threading.Lock()
        self._gates: dict[int, threading.Event] = {}
        self._begun: dict[int, threading.Event] = {}

    def _event(self, table: dict[int, threading.Event], number: int) -> threading.Event:
        with self._lock:
            return table.setdefault(number, threading.Event())

    def __call__(self) -> int:
        with self._lock:
            self.started += 1
            number = self.started
        self._event(self._begun, number).set()
        assert self._event(self._gates, number).wait(WAIT_S), f"run {number} was never let go"
        if number == self.fail_run:
            raise OSError(f"run {number} failed")
        return number

    def wait_begun(self, number: int) -> None:
        assert self._event(self._begun, number).wait(WAIT_S), f"run {number} never began"

    def let_go(self, number: int) -> None:
        self._event(self._gates, number).set()


class Callers:
    """Threads that each call the shared call once and keep what they got."""

    def __init__(self, call: Callable[[], int]) -> None:
        self.call = call
        self.got: list[int | BaseException] = []
        self._threads: list[threading.Thread] = []

    def start(self, count: int) -> None:
        for _ in range(count):
            thread = threading.Thread(target=self._one)
            thread.start()
            self._threads.append(thread)

    def _one(self) -> None:
        try:
            self.got.append(self.call())
        except Exception as error:
            self.got.append(error)

    def join(self) -> list[int | BaseException]:
        for thread in self._threads:
            thread.join(WAIT_S)
            assert not thread.is_alive()
        return self.got


def wait_until_waiting(shared: SharedCall[int], count: int) -> None:
    deadline = time.monotonic() + WAIT_S
    while shared.waiting < count:
        assert time.monotonic() < deadline, f"{shared.waiting} of {count} callers waiting"
        time.sleep(0.001)


def calls_during_run_1(runs: GatedRuns, count: int) -> tuple[SharedCall[int], Callers, Callers]:
    """One caller in run 1 (held), and `count` more callers waiting meanwhile."""
    shared = SharedCall(runs)
    first, later = Callers(shared), Callers(shared)
    first.start(1)
    runs.wait_begun(1)
    later.start(count)
    wait_until_waiting(shared, count)
    return shared, first, later


def test_a_call_with_no_run_under_way_runs_at_once() -> None:
    runs = GatedRuns()
    runs.let_go(1)
    assert SharedCall(runs)() == 1


def test_calls_made_during_a_run_share_one_next_run() -> None:
    runs = GatedRuns()
    _, first, later = calls_during_run_1(runs, 5)
    runs.let_go(1)
    runs.wait_begun(2)
    runs.let_go(2)
    assert first.join() == [1]
    assert later.join() == [2] * 5
    assert runs.started == 2


def test_a_call_never_gets_a_run_that_started_before_it() -> None:
    runs = GatedRuns()
    _, first, later = calls_during_run_1(runs, 1)
    runs.let_go(1)
    assert first.join() == [1]
    runs.wait_begun(2)  # run 1 ended, yet the later call started a run of its own
    runs.let_go(2)
    assert later.join() == [2]


def test_a_call_after_a_run_ended_runs_again() -> None:
    runs = GatedRuns()
    shared = SharedCall(runs)
    runs.let_go(1)
    runs.let_go(2)
    assert [shared(), shared()] == [1, 2]


def test_a_failed_run_fails_every_call_sharing_it_and_the_next_call_runs_again() -> None:
    runs = GatedRuns(fail_run=2)
    shared, first, later = calls_during_run_1(runs, 3)
    runs.let_go(1)
    runs.wait_begun(2)
    runs.let_go(2)
    assert first.join() == [1]
    assert [str(error) for error in later.join()] == ["run 2 failed"] * 3
    runs.let_go(3)
    assert shared() == 3


def test_the_registry_shares_one_call_per_key(tmp_path: Path) -> None:
    registry = ProjectRegistry(tmp_path)
    active = registry.shared(("acme", "web", "changes", "active"), lambda: 1)
    assert registry.shared(("acme", "web", "changes", "active"), lambda: 2) is active
    assert registry.shared(("acme", "web", "changes", "all"), lambda: 3) is not active
    assert registry.shared(("acme", "api", "changes", "active"), lambda: 4) is not active


@pytest.mark.parametrize("count", [1, 8])
def test_every_caller_gets_an_answer_when_runs_are_instant(count: int) -> None:
    calls = 0
    lock = threading.Lock()

    def run() -> int:
        nonlocal calls
        with lock:
            calls += 1
            return calls

    callers = Callers(SharedCall(run))
    callers.start(count)
    got = callers.join()
    assert len(got) == count
    assert all(isinstance(number, int) and 1 <= number <= calls for number in got)
