"""Many agents racing for the same changes through one real server: a change is never held
by two holders, and every call either succeeds or says, with a typed error, why not."""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

import pytest

from core.backends.remote import RemoteBackend
from core.models.errors import LeaseConflict, QuarterdeckError
from core.models.leases import Lease
from tests.server.conftest import open_project
from tests.server.live_server import LiveServer, project_token
from tests.server.workspaces import add_change

pytestmark = pytest.mark.slow

CLIENTS = 32
CHANGES = [f"001-{number:02d}_change-{number}" for number in range(1, 41)]
DURATION_S = 4.0
TTL = 3600  # nothing expires during the race: every win must still hold at the end


@dataclass
class Tally:
    wins: list[tuple[str, str]] = field(default_factory=list)
    typed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    untyped: list[str] = field(default_factory=list)
    calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def won(self, lease: Lease | None) -> None:
        with self.lock:
            self.calls += 1
            if lease is not None:
                self.wins.append((lease.change_id, lease.holder))

    def refused(self, error: Exception) -> None:
        with self.lock:
            self.calls += 1
            if isinstance(error, QuarterdeckError):
                self.typed[type(error).__name__] += 1
            else:
                self.untyped.append(repr(error))


def agent(backend: RemoteBackend, number: int, deadline: float, tally: Tally) -> None:
    """Allocate without a key, allocate with a key (sometimes a repeated one), or claim a
    random change, until the deadline."""
    rng = random.Random(number)
    holder = f"agent-{number}"
    while time.monotonic() < deadline:
        roll = rng.random()
        try:
            if roll < 0.3:
                lease = backend.allocate(holder, TTL).claim
            elif roll < 0.5:
                key = f"{holder}-{rng.randrange(4)}"
                lease = backend.allocate(holder, TTL, idempotency_key=key).claim
            else:
                lease = backend.claim(rng.choice(CHANGES), holder, TTL)
        except Exception as error:  # the test is that none of these is untyped
            tally.refused(error)
        else:
            tally.won(lease)


@pytest.fixture(scope="module")
def race(server: LiveServer) -> tuple[Tally, dict[str, str]]:
    """Run the race once; the tests below look at its outcome."""
    project = open_project(server, None)
    project.http.close()
    for change_id in CHANGES:
        add_change(project.root, change_id)
    backends = [
        RemoteBackend(
            server.url,
            project.org,
            project.repo,
            token=project_token(project.org, project.repo),
            timeout_s=60,
            max_retries=0,
        )
        for _ in range(CLIENTS)
    ]
    tally = Tally()
    deadline = time.monotonic() + DURATION_S
    threads = [
        threading.Thread(target=agent, args=(backend, number, deadline, tally))
        for number, backend in enumerate(backends)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = {lease.change_id: lease.holder for lease in backends[0].list_leases()}
    for backend in backends:
        backend.close()
    return tally, final


def test_every_call_either_succeeds_or_is_refused_as_a_lease_conflict(
    race: tuple[Tally, dict[str, str]],
) -> None:
    tally, _ = race
    assert tally.untyped == []
    assert set(tally.typed) <= {LeaseConflict.__name__}
    assert tally.calls >= CLIENTS  # every agent got at least one call in


def test_each_change_is_won_by_exactly_one_holder_who_still_holds_it(
    race: tuple[Tally, dict[str, str]],
) -> None:
    tally, final = race
    winners: dict[str, set[str]] = defaultdict(set)
    for change_id, holder in tally.wins:
        winners[change_id].add(holder)
    assert {change: len(holders) for change, holders in winners.items()} == dict.fromkeys(
        CHANGES, 1
    )
    assert final == {change: holders.pop() for change, holders in winners.items()}
