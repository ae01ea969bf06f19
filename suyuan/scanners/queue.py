"""The courier scanner's local queue: scans waiting for the server, and scans it refused.

A plain SQLite file owned by one scanner client (stdlib `sqlite3`; it is not
the server's schema and never migrates with it). Every scan is written here
first, with its statement id (a UUID made by the client), the scan time and
the client id, so nothing is lost when the process dies or the network is
down. Uploading is idempotent because the server answers a statement id it
has already recorded with the original entry: a scan sent twice (the client
was killed after the server committed but before the queue was settled) is
reported as already recorded and settled, never recorded twice.

Rows leave `pending` only in `settle`, in one local transaction, after the
server has answered for them.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pending (
    n INTEGER PRIMARY KEY AUTOINCREMENT,  -- scan order: the server sees scans in the order made
    id TEXT NOT NULL UNIQUE,              -- statement id (UUID): the server's idempotency key
    client_id TEXT NOT NULL,
    code TEXT NOT NULL,                   -- what the scanner sent
    statement TEXT NOT NULL,              -- JSON {key, type, time, actor, data, id}
    scanned TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rejected (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    code TEXT NOT NULL,
    statement TEXT NOT NULL,
    scanned TEXT NOT NULL,
    status INTEGER NOT NULL,
    rule TEXT,
    reason TEXT NOT NULL,
    rejected_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class Queued:
    n: int
    id: str
    client_id: str
    code: str
    statement: dict[str, Any]
    scanned: str


@dataclass(frozen=True)
class Rejected:
    id: str
    code: str
    statement: dict[str, Any]
    scanned: str
    status: int
    rule: str | None
    reason: str
    rejected_at: str


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ScanQueue:
    """The queue file at `path`, created on first use with a fresh client id."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # autocommit mode; every write below opens its own transaction explicitly.
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a scan acknowledged on screen survives power loss
        self._db.executescript(_SCHEMA)
        row = self._db.execute("SELECT value FROM meta WHERE name = 'client_id'").fetchone()
        if row is None:
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('client_id', ?)", (str(uuid.uuid4()),))
            row = self._db.execute("SELECT value FROM meta WHERE name = 'client_id'").fetchone()
        self.client_id: str = row[0]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ScanQueue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing ----------------------------------------------------------------

    def add(self, code: str, statement: dict[str, Any]) -> Queued:
        return self.add_many([(code, statement)])[0]

    def add_many(self, scans: Iterable[tuple[str, dict[str, Any]]]) -> list[Queued]:
        """Queue scans in one transaction; each statement must carry its id."""
        scanned = _now()
        made = []
        with self._tx():
            for code, statement in scans:
                cur = self._db.execute(
                    "INSERT INTO pending (id, client_id, code, statement, scanned) VALUES (?, ?, ?, ?, ?)",
                    (statement["id"], self.client_id, code, json.dumps(statement, ensure_ascii=False), scanned),
                )
                made.append(Queued(cur.lastrowid, statement["id"], self.client_id, code, statement, scanned))
        return made

    def settle(self, done: Iterable[str], rejected: Iterable[tuple[str, int, str | None, str]]) -> None:
        """Remove answered scans: `done` ids were recorded; `rejected` are (id, status, rule, reason)."""
        done, rejected = list(done), list(rejected)
        at = _now()
        with self._tx():
            for sid, status, rule, reason in rejected:
                self._db.execute(
                    "INSERT OR REPLACE INTO rejected (id, client_id, code, statement, scanned, status, rule, "
                    "reason, rejected_at) SELECT id, client_id, code, statement, scanned, ?, ?, ?, ? "
                    "FROM pending WHERE id = ?",
                    (status, rule, reason, at, sid),
                )
            ids = done + [r[0] for r in rejected]
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                self._db.execute(f"DELETE FROM pending WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            self._bump("recorded", len(done))

    def clear_rejected(self) -> int:
        with self._tx():
            return self._db.execute("DELETE FROM rejected").rowcount

    # --- reading ----------------------------------------------------------------

    def peek(self, limit: int) -> list[Queued]:
        """The oldest `limit` pending scans, in scan order."""
        rows = self._db.execute(
            "SELECT n, id, client_id, code, statement, scanned FROM pending ORDER BY n LIMIT ?", (limit,)
        ).fetchall()
        return [Queued(n, i, c, code, json.loads(st), s) for n, i, c, code, st, s in rows]

    def pending_count(self) -> int:
        return self._db.execute("SELECT count(*) FROM pending").fetchone()[0]

    def rejected(self) -> list[Rejected]:
        rows = self._db.execute(
            "SELECT id, code, statement, scanned, status, rule, reason, rejected_at FROM rejected "
            "ORDER BY rejected_at, id"
        ).fetchall()
        return [Rejected(i, c, json.loads(st), s, status, rule, reason, at)
                for i, c, st, s, status, rule, reason, at in rows]

    def recorded_count(self) -> int:
        row = self._db.execute("SELECT value FROM counters WHERE name = 'recorded'").fetchone()
        return row[0] if row else 0

    # --- internals --------------------------------------------------------------

    def _bump(self, name: str, by: int) -> None:
        self._db.execute(
            "INSERT INTO counters VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
            (name, by),
        )

    def _tx(self):  # noqa: ANN202
        db = self._db

        class _Tx:
            def __enter__(self) -> None:
                db.execute("BEGIN IMMEDIATE")

            def __exit__(self, kind, *_: object) -> None:  # noqa: ANN001
                db.execute("COMMIT" if kind is None else "ROLLBACK")

        return _Tx()
