"""One expensive call shared by the request threads that want it at the same time."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class SharedCall(Generic[T]):
    """`run()` for many threads at once, each given a result no older than its own call.

    A caller that finds no run under way runs the function itself. A caller that arrives
    while a run is under way may not take that run's result: the run may have read the
    files before this caller's last edit. It waits for the next run instead, which the
    first such caller starts when the current one ends, and every caller that arrived in the
    meantime shares it. However many callers come, one run is under way at a time and at
    most one more is waited for.

    Why the server needs it: listing 100,000 changes checks every folder with both cores
    for seconds. Four clients listing at once each ran a check of their own, all four at
    the same time, and waited 22-25 s; sharing, the first waits 6 s and the rest 14-15 s
    (bench/bench_server.py).
    """

    def __init__(self, run: Callable[[], T]) -> None:
        self._run = run
        self._changed = threading.Condition()
        self._running: _Run[T] | None = None
        # The run that callers who came during `_running` share; its first caller starts it.
        self._queued: _Run[T] | None = None
        self._waiting = 0

    @property
    def waiting(self) -> int:
        """Callers waiting for a run to end."""
        with self._changed:
            return self._waiting

    def __call__(self) -> T:
        run: _Run[T]
        with self._changed:
            if self._running is None:
                run = self._running = _Run()
                ours = True
            elif self._queued is None:
                # The first caller during this run: it starts the next when this one ends.
                run = self._queued = _Run()
                ours = True
                self._wait_for(lambda: self._running is None)
                self._running, self._queued = run, None
            else:
                run, ours = self._queued, False
                self._wait_for(lambda: run.done)
        if ours:
            self._execute(run)
        if run.error is not None:
            raise run.error
        return run.result  # type: ignore[return-value]  # no error: the run returned a T

    def _wait_for(self, ready: Callable[[], bool]) -> None:
        self._waiting += 1
        self._changed.wait_for(ready)
        self._waiting -= 1

    def _execute(self, run: _Run[T]) -> None:
        try:
            run.result = self._run()
        except BaseException as error:  # every caller sharing the run gets to see it
            run.error = error
        with self._changed:
            run.done = True
            self._running = None
            self._changed.notify_all()


class _Run(Generic[T]):
    """One run's outcome, held by its callers only (a listing can be tens of MB)."""

    def __init__(self) -> None:
        self.done = False
        self.result: T | None = None
        self.error: BaseException | None = None
