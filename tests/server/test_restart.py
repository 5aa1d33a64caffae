"""The server killed (SIGKILL) and restarted on the same port and data dir mid-session.

While it is down a client says so, naming the request, after its configured retries; once
it is back the same client object works again; and a kill in the middle of writes never
leaves a half-written file, an invalid journal, an unreadable backlog or a lost claim.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
import tomllib
from collections.abc import Iterator
from contextlib import closing, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from core.backends.remote import RemoteBackend
from core.backups.files import load_journal
from core.backups.validation import validate_journal
from core.models.backlog import Decision
from core.models.backups import (
    REQUIRED_COMPLETION_FIELD,
    CompletionFields,
    OperationState,
    ReceiptOutcome,
)
from core.models.errors import BackendUnavailable, JournalLocked, QuarterdeckError
from tests.server.conftest import Project, open_project
from tests.server.live_server import LiveServer, project_token
from tests.server.workspaces import add_change

pytestmark = pytest.mark.slow

HAND = ["007-01_first-pushed", "007-02_second-pushed"]
HOLDER = "writer@restart-test"


@pytest.fixture(scope="module")
def restartable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of this module's own: its tests kill it (and start it again)."""
    with LiveServer(tmp_path_factory.mktemp("restart") / "data") as live:
        yield live


@pytest.fixture
def project(restartable: LiveServer, template: Path) -> Iterator[Project]:
    """A project on this module's server (not the session's)."""
    opened = open_project(restartable, template)
    yield opened
    opened.http.close()


def client(
    server: LiveServer, project: Project, sleeps: list[float] | None = None
) -> RemoteBackend:
    """A client that retries an idempotent request once."""
    return RemoteBackend(
        server.url,
        project.org,
        project.repo,
        token=project_token(project.org, project.repo),
        timeout_s=10,
        max_retries=1,
        sleep=sleeps.append if sleeps is not None else time.sleep,
    )


# --- while it is down, and after --------------------------------------------------------


def test_a_read_while_the_server_is_down_names_the_request_after_one_retry(
    restartable: LiveServer, project: Project
) -> None:
    sleeps: list[float] = []
    backend = client(restartable, project, sleeps)
    restartable.kill()
    try:
        with pytest.raises(BackendUnavailable) as error:
            backend.list_changes()
    finally:
        restartable.start()
        backend.close()
    request = f"GET /projects/acme/{project.repo}/changes"
    assert error.value.request == request
    assert str(error.value) == (
        f"backend unavailable ({request}): cannot connect (is the server running?)"
    )
    assert len(sleeps) == 1  # one backoff: the request was tried twice


def test_a_claim_while_the_server_is_down_is_not_retried(
    restartable: LiveServer, project: Project
) -> None:
    sleeps: list[float] = []
    backend = client(restartable, project, sleeps)
    restartable.kill()
    try:
        with pytest.raises(BackendUnavailable) as error:
            backend.claim("001-04_streaming-change-index", HOLDER, 600)
    finally:
        restartable.start()
        backend.close()
    assert error.value.request == (
        f"POST /projects/acme/{project.repo}/changes/001-04_streaming-change-index/lease"
    )
    assert sleeps == []


def test_the_same_client_works_again_once_the_server_is_back(
    restartable: LiveServer, project: Project
) -> None:
    backend = client(restartable, project)
    before = backend.list_changes()
    restartable.kill()
    with pytest.raises(BackendUnavailable):
        backend.list_changes()
    restartable.start()
    try:
        assert backend.list_changes() == before
        assert backend.claim("001-04_streaming-change-index", HOLDER, 600).holder == HOLDER
    finally:
        backend.close()


# --- kills in the middle of writes -------------------------------------------------------


@dataclass
class Writes:
    """What the writer sent and what the server acknowledged."""

    sent: dict[str, set[str]] = field(default_factory=dict)  # file in the project -> texts
    claims: set[str] = field(default_factory=set)
    acknowledged: int = 0
    untyped: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)


def push_round(backend: RemoteBackend, writes: Writes, n: int) -> None:
    change_id = HAND[n % len(HAND)]
    bundle = backend.pull_bundle(change_id)
    # Big enough that a kill can land inside a write.
    tasks = f"## 1. Round {n}\n\n" + f"- [ ] 1.{n} Push round {n}\n" * 2000
    proposal = f"# Change: round {n}\n\n" + f"Round {n} of pushes.\n" * 2000
    folder = f".ito/changes/{change_id}"
    writes.sent[f"{folder}/tasks.md"].add(tasks)
    writes.sent[f"{folder}/proposal.md"].add(proposal)
    backend.push_bundle(change_id, bundle.model_copy(update={"tasks": tasks, "proposal": proposal}))


def claim_round(backend: RemoteBackend, writes: Writes, rng: random.Random) -> None:
    change = rng.choice([c.id for c in backend.list_changes() if c.work_status != "complete"])
    backend.claim(change, HOLDER, 3600)
    writes.claims.add(change)


def journal_round(backend: RemoteBackend, folder: str) -> None:
    journal = backend.backup_journal(folder)
    if not journal.preflight_accepted:
        backend.accept_preflight(folder, "preflight-restart")
        return
    pending = [op for op in journal.operations if op.state == OperationState.PENDING]
    if not pending:
        backend.start_next_operation(folder)
        return
    operation = pending[0]
    needed = REQUIRED_COMPLETION_FIELD.get(operation.kind)
    fields = CompletionFields.model_validate({needed: "value-1"} if needed else {})
    backend.record_operation(folder, operation.sequence, ReceiptOutcome.COMPLETED, fields)


def backlog_round(backend: RemoteBackend, n: int) -> None:
    items = backend.list_backlog("critique-review")
    if items:
        backend.decide_backlog(
            "critique-review", items[0].item_ref, Decision.DEFER, f"note {n}", HOLDER
        )


def write_until_stopped(backend: RemoteBackend, writes: Writes) -> None:
    rng = random.Random(7)
    folder = next(f.name for f in backend.list_backups() if f.layout_status == "dry-run")
    n = 0
    while not writes.stop.is_set():
        n += 1
        try:
            kind, turn = n % 4, n // 4
            if kind == 0:
                push_round(backend, writes, turn)
            elif kind == 1:
                claim_round(backend, writes, rng)
            elif kind == 2:
                journal_round(backend, folder)
            else:
                backlog_round(backend, n)
            writes.acknowledged += 1
        except JournalLocked as locked:
            # A kill while the server held the journal's lock: its process is gone.
            if locked.pid_alive is False:
                with suppress(QuarterdeckError):
                    backend.break_journal_lock(folder)
        except BackendUnavailable:
            time.sleep(0.02)
        except QuarterdeckError:
            pass  # e.g. a push whose answer was lost conflicts on retry: a typed refusal
        except Exception as error:
            writes.untyped.append(repr(error))


@pytest.fixture(scope="module")
def killed_while_writing(
    restartable: LiveServer, template: Path
) -> Iterator[tuple[Project, Writes]]:
    """A writer busy pushing, claiming, stepping a journal and deciding backlog items while
    the server is killed three times; then killed once more and left down for the checks."""
    project = open_project(restartable, template)
    project.http.close()
    writes = Writes()
    for change_id in HAND:
        add_change(project.root, change_id)
        for name in ("tasks.md", "proposal.md"):
            path = f".ito/changes/{change_id}/{name}"
            writes.sent[path] = {(project.root / path).read_text()}
    backend = client(restartable, project)
    writer = threading.Thread(target=write_until_stopped, args=(backend, writes))
    writer.start()
    rng = random.Random(11)
    try:
        for _ in range(3):
            time.sleep(rng.uniform(0.4, 0.9))
            restartable.kill()
            time.sleep(0.1)
            restartable.start()
        time.sleep(0.5)
        restartable.kill()
    finally:
        writes.stop.set()
        writer.join()
        backend.close()
    yield project, writes
    restartable.start()


def test_the_writer_only_ever_sees_typed_errors(
    killed_while_writing: tuple[Project, Writes],
) -> None:
    _, writes = killed_while_writing
    assert writes.untyped == []
    assert writes.acknowledged > 0


def test_every_pushed_artifact_is_one_whole_version(
    killed_while_writing: tuple[Project, Writes],
) -> None:
    project, writes = killed_while_writing
    torn = [
        path
        for path, texts in writes.sent.items()
        if (project.root / path).read_text() not in texts
    ]
    assert torn == []


def test_every_backup_journal_is_still_valid(killed_while_writing: tuple[Project, Writes]) -> None:
    project, _ = killed_while_writing
    journals = sorted((project.root / "backups").glob("*/backup-execution-journal.json"))
    assert len(journals) == 2
    for path in journals:
        validate_journal(load_journal(path))


def test_every_backlog_file_still_parses(killed_while_writing: tuple[Project, Writes]) -> None:
    project, _ = killed_while_writing
    files = sorted((project.root / ".aristo" / "sessions" / "backlog").glob("*.toml"))
    assert len(files) == 2
    for path in files:
        assert "items" in tomllib.loads(path.read_text())


def test_the_state_database_opens_and_holds_every_acknowledged_claim(
    killed_while_writing: tuple[Project, Writes],
) -> None:
    project, writes = killed_while_writing
    with closing(sqlite3.connect(project.root / ".quarterdeck" / "state.db")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        held = dict(db.execute("SELECT change_id, holder FROM leases").fetchall())
    assert {change: held.get(change) for change in writes.claims} == dict.fromkeys(
        writes.claims, HOLDER
    )
