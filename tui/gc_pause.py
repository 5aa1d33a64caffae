"""Pausing Python's cyclic garbage collector while a screen loads its data."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Pauses:
    """How many pauses are under way, and whether the collector ran before the first."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.was_enabled = False


_pauses = _Pauses()


@contextmanager
def gc_paused() -> Iterator[None]:
    """No automatic cyclic collection until the last of the overlapping pauses ends.

    A load builds hundreds of thousands of short-lived objects (a 100,000-change listing's
    summaries, signatures, jobs, rows) and none of them in a cycle: reference counting frees
    them all. The collector does not know that and walks them again and again. Over a warm
    start at 100,000 changes its full collections held the GIL for 1.9 s in all, up to 0.44 s
    at a time, and the dashboard stood still meanwhile. Collections resume afterwards, with
    the garbage the UI made in the meantime.
    """
    with _pauses.lock:
        if _pauses.count == 0:
            _pauses.was_enabled = gc.isenabled()
            gc.disable()
        _pauses.count += 1
    try:
        yield
    finally:
        with _pauses.lock:
            _pauses.count -= 1
            if _pauses.count == 0 and _pauses.was_enabled:
                gc.enable()


@contextmanager
def imports_frozen() -> Iterator[None]:
    """Import without cyclic collection, then freeze what the imports built.

    Importing the CLI and Textual builds tens of thousands of tracked objects (classes,
    functions, their dicts) that live as long as the process: 92,000 are frozen once the
    dashboard is imported. The collector walked them 126 times while
    they were imported, once in full, for 45 ms of a 0.4 s start, and found nothing to free.
    Only pausing it is not enough: the first collection afterwards walks them all at once,
    as young objects. Frozen, no collection walks them again.
    """
    with gc_paused():
        yield
        gc.freeze()
