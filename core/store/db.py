"""Opening `.quarterdeck/state.db` and running short write transactions on it."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Each entry upgrades the schema by one version (PRAGMA user_version). Append, never edit.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE leases (
        change_id   TEXT PRIMARY KEY,
        holder      TEXT NOT NULL,
        expires_at  REAL NOT NULL,     -- unix seconds
        acquired_at REAL NOT NULL
    );
    CREATE TABLE allocations (
        idempotency_key TEXT PRIMARY KEY,
        holder          TEXT NOT NULL,
        change_id       TEXT,            -- NULL: the answer was "no work"
        expires_at      REAL,
        created_at      REAL NOT NULL
    );
    CREATE TABLE release_plans (
        plan_id            TEXT PRIMARY KEY,
        originating_run_id TEXT NOT NULL,
        items_json         TEXT NOT NULL,
        created_at         TEXT NOT NULL
    );
    CREATE TABLE release_runs (
        run_id        TEXT PRIMARY KEY,
        plan_id       TEXT NOT NULL REFERENCES release_plans(plan_id),
        spec_digest   TEXT NOT NULL,
        metadata_json TEXT NOT NULL,
        status        TEXT NOT NULL,
        mode          TEXT NOT NULL,
        items_json    TEXT NOT NULL,     -- per-repo statuses as this run has left them
        summary_json  TEXT,
        started_at    TEXT NOT NULL,
        finished_at   TEXT
    );
    CREATE INDEX release_runs_by_plan ON release_runs(plan_id, started_at);
    CREATE TABLE release_run_events (
        run_id       TEXT NOT NULL REFERENCES release_runs(run_id),
        seq          INTEGER NOT NULL,
        kind         TEXT NOT NULL,
        payload_json TEXT NOT NULL,
        timestamp    TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    );
    """,
    """
    CREATE TABLE change_index (
        folder            TEXT PRIMARY KEY,   -- relative to .ito/changes/
        signature         TEXT NOT NULL,      -- core.ito.summary.folder_signature
        id                TEXT NOT NULL,
        module_id         TEXT,
        completed_tasks   INTEGER NOT NULL,
        shelved_tasks     INTEGER NOT NULL,
        in_progress_tasks INTEGER NOT NULL,
        pending_tasks     INTEGER NOT NULL,
        total_tasks       INTEGER NOT NULL,
        has_proposal      INTEGER NOT NULL,
        has_design        INTEGER NOT NULL,
        has_specs         INTEGER NOT NULL,
        has_tasks         INTEGER NOT NULL,
        work_status       TEXT NOT NULL,
        last_modified     TEXT NOT NULL,
        title             TEXT NOT NULL,
        lifecycle         TEXT NOT NULL,
        archived_on       TEXT
    );
    """,
    # One blob per lifecycle instead of a row per change: a warm start at 100,000 changes
    # read the rows in about 1 s (and released the GIL on every row, so a busy UI thread
    # slowed it further); the blob loads in about 0.3 s.
    """
    DROP TABLE change_index;
    CREATE TABLE change_snapshots (
        lifecycle TEXT PRIMARY KEY,   -- 'active' or 'archived'
        format    INTEGER NOT NULL,   -- core.store.change_index.SNAPSHOT_FORMAT
        summaries BLOB NOT NULL,      -- marshal: [summary fields but the lifecycle]
        folders   BLOB NOT NULL       -- marshal: ([folder], [signature]), same order
    );
    """,
    # A big listing's first rows, apart: a warm start at 100,000 changes painted nothing
    # until all of them were decoded (~0.35 s). NULL in rows written before.
    """
    -- head, marshal: (rows in all, [the first rows' summaries])
    ALTER TABLE change_snapshots ADD COLUMN head BLOB
    """,
]

BUSY_TIMEOUT_MS = 15_000


class StateStore:
    """The database file plus one connection per thread (TUI workers run in threads)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._migrated = False
        self._migrate_lock = threading.Lock()

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            self._local.conn = conn
        if not self._migrated:
            with self._migrate_lock:
                if not self._migrated:
                    self._migrate(conn)
                    self._migrated = True
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the database's write lock up front.

        BEGIN IMMEDIATE serialises writers across processes, so a read-then-write (is the
        change free? then lease it) cannot interleave with another process's.
        """
        conn = self.connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def read(self) -> sqlite3.Connection:
        return self.connection()

    def close(self) -> None:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
