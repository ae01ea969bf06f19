"""The write path: append statements to per-key hash chains and enqueue them.

Appends to one key are serialised by a lock on the key's `chains` row
(`SELECT ... FOR UPDATE` in PostgreSQL, taken in key order so batches never
deadlock; SQLite's `BEGIN IMMEDIATE` serialises every writer). The unique `(key, seq)` is the backstop that forbids forks.
Appends to different keys lock different rows and never wait on each other.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import Connection, Engine, bindparam, func, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from suyuan.errors import Conflict, InputError
from suyuan.ledger.verify.entry import MAX_ENTRY_BYTES, ZERO_HASH, canonical, check_statement, leaf_hash, make_entry
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
    """Fingerprint telling a retry from a different statement under the same id.

    Only compared with itself, never published, so sorted-key JSON suffices;
    the RFC 8785 pass is spent once, on the entry.
    """
    text = json.dumps([statement, sig], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _recorded(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# Built once: constructing statements per call costs more than running them.
_BY_IDS = (
    select(entries_t.c.canonical, entries_t.c.hash, entries_t.c.key, entries_t.c.seq,
           entries_t.c.statement_id, entries_t.c.statement_digest, leaves_t.c.idx)
    .outerjoin(leaves_t, leaves_t.c.entry_id == entries_t.c.id)
    .where(entries_t.c.statement_id.in_(bindparam("ids", expanding=True)))
)
_LAST_SEQ = (
    select(entries_t.c.key, func.max(entries_t.c.seq).label("seq"))
    .where(entries_t.c.key.in_(bindparam("keys", expanding=True)))
    .group_by(entries_t.c.key)
    .subquery()
)
_HEADS = select(entries_t.c.key, entries_t.c.seq, entries_t.c.hash).join(
    _LAST_SEQ, (entries_t.c.key == _LAST_SEQ.c.key) & (entries_t.c.seq == _LAST_SEQ.c.seq))
_LOCK_PG = (
    select(chains_t.c.key).where(chains_t.c.key.in_(bindparam("keys", expanding=True)))
    .order_by(chains_t.c.key).with_for_update()
)
# One statement for any number of new chains (PostgreSQL takes the keys as an
# array, in order, so concurrent batches create rows in the same order).
_NEW_CHAINS_PG = text(
    "INSERT INTO chains (key) SELECT unnest(CAST(:keys AS text[])) ON CONFLICT DO NOTHING"
)
_NEW_CHAIN_SQLITE = sqlite_insert(chains_t).on_conflict_do_nothing()
_CHUNK = 1000  # parameters per IN list, under every engine's limit


def _chunks(values: list[str]):  # noqa: ANN202
    return (values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK))


def _by_statement_ids(conn: Connection, ids: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for part in _chunks(ids):
        for row in conn.execute(_BY_IDS, {"ids": part}):
            found[row.statement_id] = row
    return found


def _lock_chains(conn: Connection, keys: list[str]) -> None:
    """Create missing chain rows and lock them, always in key order (no deadlocks)."""
    if conn.dialect.name == "postgresql":
        conn.execute(_NEW_CHAINS_PG, {"keys": keys})
        for part in _chunks(keys):
            conn.execute(_LOCK_PG, {"keys": part}).all()
    else:  # BEGIN IMMEDIATE already holds the database's one write lock
        conn.execute(_NEW_CHAIN_SQLITE, [{"key": k} for k in keys])


def _heads(conn: Connection, keys: list[str]) -> dict[str, tuple[int, str]]:
    """Next seq and prev hash of each key's chain."""
    heads = {k: (0, ZERO_HASH) for k in keys}
    for part in _chunks(keys):
        for row in conn.execute(_HEADS, {"keys": part}):
            heads[row.key] = (row.seq + 1, bytes(row.hash).hex())
    return heads


def _existing(row, digest: bytes, statement_id: str) -> Appended:  # noqa: ANN001
    if row.statement_digest != digest:
        raise Conflict(
            f"Statement id {statement_id} was already used for a different statement; "
            "send a new id for a new statement."
        )
    return Appended(bytes(row.canonical), bytes(row.hash), row.key, row.seq, row.idx, created=False)


def append_batch_in(conn: Connection, items: list[tuple[dict[str, Any], str | None]],
                    now: datetime | None = None) -> list[Appended]:
    """Append statements, in order, inside the caller's transaction.

    Set-based, so a batch costs a handful of round trips whatever its size:
    lock the chains touched (in key order), look up retried ids and chain
    heads, then insert every new entry and its queue row. A statement id seen
    before answers with the original entry, or Conflict if the statement differs.
    """
    for statement, _ in items:
        check_statement(statement)
    digests = [statement_digest(st, sig) for st, sig in items]
    keys = sorted({st["key"] for st, _ in items})
    _lock_chains(conn, keys)
    # Looked up under the chain locks: a concurrent retry of the same statement
    # waits for the first and then finds it instead of forking the chain.
    seen = _by_statement_ids(conn, [st["id"] for st, _ in items])
    heads = _heads(conn, keys)
    recorded = _recorded(now or _now())
    recorded_at = now or _now()
    results: list[Appended | None] = []
    new_rows: list[dict[str, Any]] = []
    for (statement, sig), digest in zip(items, digests):
        sid = statement["id"]
        if sid in seen:
            results.append(_existing(seen[sid], digest, sid))
            continue
        seq, prev = heads[statement["key"]]
        raw = canonical(make_entry(statement, sig, seq, prev, recorded))
        if len(raw) > MAX_ENTRY_BYTES:
            raise InputError(
                f"Entry too large: expected at most {MAX_ENTRY_BYTES} canonical bytes, got {len(raw)}."
            )
        h = leaf_hash(raw)
        heads[statement["key"]] = (seq + 1, h.hex())
        row = {"hash": h, "key": statement["key"], "seq": seq, "type": statement["type"],
               "actor": statement.get("actor"), "statement_id": sid, "statement_digest": digest,
               "canonical": raw, "recorded": recorded_at}
        seen[sid] = _Row(row)
        new_rows.append(row)
        results.append(Appended(raw, h, statement["key"], seq, None, created=True))
    if new_rows:
        ids = conn.execute(
            entries_t.insert().returning(entries_t.c.id, sort_by_parameter_order=True), new_rows
        ).scalars().all()
        conn.execute(queue_t.insert(), [{"entry_id": i} for i in ids])
    return results  # type: ignore[return-value]


class _Row:
    """A just-built entry, shaped like a looked-up row, for repeats within one batch."""

    def __init__(self, row: dict[str, Any]):
        self.__dict__.update(row, idx=None)


def append_in(conn: Connection, statement: dict[str, Any], sig: str | None = None,
              now: datetime | None = None) -> Appended:
    """Append one statement inside the caller's transaction."""
    return append_batch_in(conn, [(statement, sig)], now)[0]


def append(engine: Engine, statement: dict[str, Any], sig: str | None = None) -> Appended:
    """Append one statement in its own transaction; retries are idempotent by `id`."""
    return append_many(engine, [(statement, sig)])[0]


def append_many(engine: Engine, items: Iterable[tuple[dict[str, Any], str | None]]) -> list[Appended]:
    """Append several statements in one transaction: all land or none do."""
    items = list(items)
    try:
        with engine.begin() as conn:
            return append_batch_in(conn, items)
    except IntegrityError:
        # Another transaction took one of these statement ids for another key
        # between our look-up and our insert: answer as a retry is answered.
        with engine.connect() as conn:
            seen = _by_statement_ids(conn, [st["id"] for st, _ in items])
        if len(seen) != len(items):
            raise
        return [_existing(seen[st["id"]], statement_digest(st, sig), st["id"]) for st, sig in items]


def find_retry(conn: Connection, statement: dict[str, Any], sig: str | None) -> Appended | None:
    """The recorded entry if this statement id was used before (Conflict if for another statement)."""
    return as_retry(recorded_ids(conn, [statement["id"]]).get(statement["id"]), statement, sig)


def recorded_ids(conn: Connection, ids: list[str]) -> dict[str, Any]:
    """Recorded entries by statement id, for answering many retries with one look-up."""
    return _by_statement_ids(conn, ids)


def as_retry(row: Any, statement: dict[str, Any], sig: str | None) -> Appended | None:
    """The original entry for a recorded row (None if none), or Conflict if the statement differs."""
    if row is None:
        return None
    return _existing(row, statement_digest(statement, sig), statement["id"])
