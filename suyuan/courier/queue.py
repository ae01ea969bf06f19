"""The courier scanner's local queue: scans waiting for the server, scans it refused, and its answers.

A plain SQLite file owned by one scanner client (stdlib `sqlite3`; not the
server's schema: the file migrates its own, counted by `PRAGMA user_version`,
when opened). Every scan is written here first, with its statement id (a
UUID made by the client), the scan time and the client id, so nothing is
lost when the process dies or the network is down. Uploading is idempotent because the server answers a statement id it
has already recorded with the original entry: a scan sent twice (the client
was killed after the server committed but before the queue was settled) is
reported as already recorded and settled, never recorded twice.

Rows leave `pending` only in `settle`, in one local transaction, after the
server has answered for them; the review tokens of a delivery and the flags
of any scan are kept in that same transaction. Review tokens are the
shoppers' secrets, so the file (and its -wal and -shm companions) is mode
0600. The server answers a retried statement with its entry only, so the
tokens of a delivery whose answer was lost (the client died between the
server's commit and `settle`) never reach this queue: the seller has to
fetch those from the server.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from suyuan.errors import SuyuanError

# The queue file migrates its own schema, counted by SQLite's `user_version`
# (0: the first release, which had no version). Each step runs once, in order,
# inside one transaction with the version bump, so a file is never half-migrated.
_V0 = (
    """CREATE TABLE IF NOT EXISTS meta (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS pending (
        n INTEGER PRIMARY KEY AUTOINCREMENT,  -- scan order: the server sees scans in the order made
        id TEXT NOT NULL UNIQUE,              -- statement id (UUID): the server's idempotency key
        client_id TEXT NOT NULL,
        code TEXT NOT NULL,                   -- what the scanner sent
        statement TEXT NOT NULL,              -- JSON {key, type, time, actor, data, id}
        scanned TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS rejected (
        id TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        code TEXT NOT NULL,
        statement TEXT NOT NULL,
        scanned TEXT NOT NULL,
        status INTEGER NOT NULL,
        rule TEXT,
        reason TEXT NOT NULL,
        rejected_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS counters (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    )""",
)
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: what the server answers for a recorded scan. Review tokens are the
    # shoppers' (one per delivered item, shown by the server once); flags are
    # kept so each is shown once, however often its scan is uploaded.
    (
        """CREATE TABLE review_tokens (
            n INTEGER PRIMARY KEY AUTOINCREMENT,  -- delivery order
            item_key TEXT NOT NULL,
            token TEXT NOT NULL UNIQUE,           -- rv_...: a secret, hence the file's mode 0600
            statement_id TEXT NOT NULL,           -- the deliver scan that earned it
            delivered_key TEXT NOT NULL,          -- what was scanned: the item or its parcel
            received TEXT NOT NULL
        )""",
        """CREATE TABLE flags (
            statement_id TEXT NOT NULL,
            key TEXT NOT NULL,                    -- the item or parcel flagged (an item of a scanned parcel)
            code TEXT NOT NULL,
            detail TEXT NOT NULL,
            received TEXT NOT NULL,
            PRIMARY KEY (statement_id, key, code)
        )""",
    ),
)
SCHEMA_VERSION = len(_MIGRATIONS)


class QueueError(SuyuanError):
    """The queue file cannot be used: unreadable, not a scan queue, or from a newer suyuan."""


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


@dataclass(frozen=True)
class ReviewToken:
    """A shopper's review token for one delivered item, as the server answered it."""

    item_key: str
    token: str
    statement_id: str
    delivered_key: str
    received: str


@dataclass(frozen=True)
class Flag:
    """A soft signal the server raised on a recorded scan, about the scanned key or an item in it."""

    statement_id: str
    key: str
    code: str
    detail: str


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ScanQueue:
    """The queue file at `path`, created on first use (mode 0600) with a fresh client id.

    A file made by an older suyuan is migrated in place when opened; one made
    by a newer suyuan, or a file that is not a scan queue, is refused with
    `QueueError`.
    """

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None
        try:
            self._db = self._open()
            self.client_id: str = self._migrate()
        except BaseException as exc:
            if self._db is not None:
                self._db.close()
            if isinstance(exc, sqlite3.Error):
                raise QueueError(f"Cannot use the scan queue {self.path}: {exc}; expected a queue file made by "
                                 "suyuan scan, or a new path (--queue).") from None
            if isinstance(exc, OSError):
                raise QueueError(f"Cannot open the scan queue {self.path}: {exc.strerror or exc}; expected a "
                                 "writable file path (--queue).") from None
            raise

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _private(self.path)
        # autocommit mode; every write below opens its own transaction explicitly.
        db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")  # SQLite gives -wal and -shm the database file's mode
            db.execute("PRAGMA synchronous=FULL")  # a scan acknowledged on screen survives power loss
        except sqlite3.Error:
            db.close()
            raise
        return db

    def _migrate(self) -> str:
        """Bring the file's schema to SCHEMA_VERSION; returns the client id."""
        db = self._db
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version < SCHEMA_VERSION:
            with self._tx():
                version = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have won
                if version == 0:
                    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                    if tables and "pending" not in tables:
                        raise QueueError(f"Cannot use {self.path} as the scan queue: expected a queue file made "
                                         f"by suyuan scan, got a database with tables {', '.join(sorted(tables))}.")
                    for sql in _V0:
                        db.execute(sql)
                for step in _MIGRATIONS[version:]:
                    for sql in step:
                        db.execute(sql)
                if version < SCHEMA_VERSION:
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        elif version > SCHEMA_VERSION:
            raise QueueError(f"Cannot use the scan queue {self.path}: expected schema version {SCHEMA_VERSION} "
                             f"or older, got {version} (made by a newer suyuan; upgrade suyuan to use it).")
        row = db.execute("SELECT value FROM meta WHERE name = 'client_id'").fetchone()
        if row is None:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('client_id', ?)", (str(uuid.uuid4()),))
            row = db.execute("SELECT value FROM meta WHERE name = 'client_id'").fetchone()
        return row[0]

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

    def settle(self, done: Iterable[str], rejected: Iterable[tuple[str, int, str | None, str]], *,
               tokens: Iterable[ReviewToken] = (), flags: Iterable[Flag] = ()) -> list[Flag]:
        """Remove answered scans and keep what the server answered for them, in one transaction.

        `done` ids were recorded; `rejected` are (id, status, rule, reason);
        `tokens` and `flags` came with recorded scans. Returns the flags not
        kept before: a scan uploaded again (the client died before this
        commit) shows its flags once.
        """
        done, rejected = list(done), list(rejected)
        at = _now()
        new: list[Flag] = []
        with self._tx():
            for sid, status, rule, reason in rejected:
                self._db.execute(
                    "INSERT OR REPLACE INTO rejected (id, client_id, code, statement, scanned, status, rule, "
                    "reason, rejected_at) SELECT id, client_id, code, statement, scanned, ?, ?, ?, ? "
                    "FROM pending WHERE id = ?",
                    (status, rule, reason, at, sid),
                )
            for t in tokens:
                self._db.execute(
                    "INSERT OR IGNORE INTO review_tokens (item_key, token, statement_id, delivered_key, received) "
                    "VALUES (?, ?, ?, ?, ?)", (t.item_key, t.token, t.statement_id, t.delivered_key, at))
            for f in flags:
                cur = self._db.execute(
                    "INSERT OR IGNORE INTO flags (statement_id, key, code, detail, received) VALUES (?, ?, ?, ?, ?)",
                    (f.statement_id, f.key, f.code, f.detail, at))
                if cur.rowcount:
                    new.append(f)
            ids = done + [r[0] for r in rejected]
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                self._db.execute(f"DELETE FROM pending WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            self._bump("recorded", len(done))
        return new

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

    def review_tokens(self) -> list[ReviewToken]:
        """Every review token the server answered to this client's deliveries, in delivery order."""
        rows = self._db.execute(
            "SELECT item_key, token, statement_id, delivered_key, received FROM review_tokens ORDER BY n"
        ).fetchall()
        return [ReviewToken(*row) for row in rows]

    def flags(self) -> list[Flag]:
        rows = self._db.execute(
            "SELECT statement_id, key, code, detail FROM flags ORDER BY received, statement_id, key, code"
        ).fetchall()
        return [Flag(*row) for row in rows]

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


def _private(path: Path) -> None:
    """The queue holds review tokens, which are secrets: owner-only, also for files an older suyuan made."""
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            mode = file.stat().st_mode
            if stat.S_ISREG(mode) and stat.S_IMODE(mode) & 0o077:
                file.chmod(0o600)
        except (FileNotFoundError, PermissionError):
            pass  # gone, or another user's file: SQLite says what is wrong with it
