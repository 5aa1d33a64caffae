"""Per-workspace advisory locks under `.ito/.state/locks/` (fcntl.flock).

flock locks belong to an open file description, so two threads that each open the lock
file exclude each other just as two processes do; no separate in-process lock is needed.
The kernel drops the lock when its holder dies, so a crash never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def exclusive_lock(lock_path: Path) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
