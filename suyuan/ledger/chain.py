"""The write path: append statements to per-key hash chains and enqueue them.

Appends to one key are serialised by a lock on the key's `chains` row
(`SELECT ... FOR UPDATE` in PostgreSQL; SQLite's `BEGIN IMMEDIATE` serialises
every writer). The unique `(key, seq)` is the backstop that forbids forks.
Appends to different keys lock different rows and never wait on each other.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import Connection, Engine, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from suyuan.errors import Conflict, InputError
from suyuan.ledger.entry import (
    MAX_ENTRY_BYTES,
    ZERO_HASH,
    canonical,
    check_statement,
    leaf_hash,
    make_entry,
)
from suyuan.ledger.models import Chain, Entry, Leaf, QueueItem

chains_t = Chain.__table__
entries_t = Entry.__table__
queue_t = QueueItem.__table__
leaves_t = Leaf.__table__


@dataclass(frozen=True)
class Appended:
    """An entry as recorded; `created` is False when a retry found the original."""

    entry: bytes
    hash: bytes
    key: str
    seq: int
    log_index: int | None
    created: bool


def statement_digest(statement: dict[str, Any], sig: str | None) -> bytes:
    return hashlib.sha256(canonical({"statement": statement, "sig": sig})).digest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _recorded(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def find_by_statement_id(conn: Connection, statement_id: str) -> Appended | None:
    row = conn.execute(
        select(entries_t.c.canonical, entries_t.c.hash, entries_t.c.key, entries_t.c.seq,
               entries_t.c.statement_digest, leaves_t.c.idx)
        .outerjoin(leaves_t, leaves_t.c.entry_id == entries_t.c.id)
        .where(entries_t.c.statement_id == statement_id)
    ).first()
    if row is None:
        return None
    return row


def _lock_chain(conn: Connection, key: str) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(pg_insert(chains_t).values(key=key).on_conflict_do_nothing())
        conn.execute(select(chains_t.c.key).where(chains_t.c.key == key).with_for_update())
    else:
        conn.execute(sqlite_insert(chains_t).values(key=key).on_conflict_do_nothing())


def _head(conn: Connection, key: str) -> tuple[int, str]:
    row = conn.execute(
        select(entries_t.c.seq, entries_t.c.hash)
        .where(entries_t.c.key == key)
        .order_by(entries_t.c.seq.desc())
        .limit(1)
    ).first()
    if row is None:
        return 0, ZERO_HASH
    return row.seq + 1, row.hash.hex()


def _existing(row, digest: bytes, statement_id: str) -> Appended:  # noqa: ANN001
    if row.statement_digest != digest:
        raise Conflict(
            f"Statement id {statement_id} was already used for a different statement; "
            "send a new id for a new statement."
        )
    return Appended(row.canonical, row.hash, row.key, row.seq, row.idx, created=False)


def append_in(conn: Connection, statement: dict[str, Any], sig: str | None = None,
              now: datetime | None = None) -> Appended:
    """Append one statement inside the caller's transaction (see module doc)."""
    check_statement(statement)
    digest = statement_digest(statement, sig)
    _lock_chain(conn, statement["key"])
    # Checked under the chain lock: a concurrent retry of the same statement
    # waits here and then finds the original instead of forking the chain.
    found = find_by_statement_id(conn, statement["id"])
    if found is not None:
        return _existing(found, digest, statement["id"])
    now = now or _now()
    seq, prev = _head(conn, statement["key"])
    raw = canonical(make_entry(statement, sig, seq, prev, _recorded(now)))
    if len(raw) > MAX_ENTRY_BYTES:
        raise InputError(
            f"Entry too large: expected at most {MAX_ENTRY_BYTES} canonical bytes, got {len(raw)}."
        )
    h = leaf_hash(raw)
    entry_id = conn.execute(
        entries_t.insert().values(
            hash=h, key=statement["key"], seq=seq, type=statement["type"],
            actor=statement.get("actor"), statement_id=statement["id"],
            statement_digest=digest, canonical=raw, recorded=now,
        ).returning(entries_t.c.id)
    ).scalar_one()
    conn.execute(queue_t.insert().values(entry_id=entry_id))
    return Appended(raw, h, statement["key"], seq, None, created=True)


def append(engine: Engine, statement: dict[str, Any], sig: str | None = None) -> Appended:
    """Append one statement in its own transaction; retries are idempotent by `id`."""
    check_statement(statement)
    try:
        with engine.begin() as conn:
            return append_in(conn, statement, sig)
    except IntegrityError:
        # Another transaction took this statement id for another key between
        # our check and our insert: answer as a retry would be answered.
        with engine.connect() as conn:
            found = find_by_statement_id(conn, statement["id"])
        if found is None:
            raise
        return _existing(found, statement_digest(statement, sig), statement["id"])


def append_many(engine: Engine, items: Iterable[tuple[dict[str, Any], str | None]]) -> list[Appended]:
    """Append several statements in one transaction: all land or none do."""
    with engine.begin() as conn:
        return [append_in(conn, st, sig) for st, sig in items]
