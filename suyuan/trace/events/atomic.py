"""An atomic batch: all of its events or none, in one transaction and few round trips.

Every subject is locked up front, in key order (so concurrent batches cannot
deadlock); retried statement ids are looked up at once, parties and their
keys read once; state writes wait in the connection's row cache
(`suyuan.trace.goods.registry`) and go out in bulk before the entries are
appended in one go.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from suyuan.config import Settings
from suyuan.errors import Conflict, SuyuanError
from suyuan.trace.credit import dishonesty
from suyuan.ledger.chain import append_batch_in, recorded_ids
from suyuan.trace.events.prepare import BatchResult, Captured, Prepared, finish, prepare
from suyuan.trace.goods.registry import (
    PENDING,
    ROW_CACHE,
    KeyRef,
    batches_t,
    cache_rows,
    flush_writes,
    items_t,
    key_ref,
    parcels_t,
    products_t,
)
from suyuan.trace.parties.keys import party_public_keys
from suyuan.trace.parties.registry import PartyView, get_party_in

Items = list[tuple[dict[str, Any], str | None]]


class Abort(Exception):
    """Leaves an atomic batch's transaction so that it rolls back."""


class Batch:
    """What the events of one atomic batch share (see the module doc)."""

    def __init__(self, conn: Connection, refs: list[KeyRef]):
        self.locked = _lock_all(conn, refs)
        self.recorded: dict[str, Any] = {}
        self.prepared: dict[str, bytes] = {}  # statement id -> digest, prepared in this batch
        self._parties: dict[str, PartyView] = {}
        self._keys: dict[str, list[str]] = {}
        self._listings: dict[str, Any] = {}

    def party(self, conn: Connection, party_id: str) -> PartyView:
        if party_id not in self._parties:
            self._parties[party_id] = get_party_in(conn, party_id)
        return self._parties[party_id]

    def keys(self, conn: Connection, party_id: str) -> list[str]:
        if party_id not in self._keys:
            self._keys[party_id] = party_public_keys(conn, party_id)
        return self._keys[party_id]

    def listing(self, conn: Connection, party_id: str) -> Any:
        if party_id not in self._listings:
            self._listings[party_id] = dishonesty.listing_of(conn, party_id)
        return self._listings[party_id]


def _lock_all(conn: Connection, refs: list[KeyRef]) -> set[str]:
    """Read and lock the state rows of every subject, in key order, into the batch's row cache."""
    by_kind: dict[str, set[str]] = {}
    for r in refs:
        by_kind.setdefault(r.kind, set()).add(r.gtin if r.kind == "product" else r.key)
    tables = {"product": (products_t, products_t.c.gtin), "batch": (batches_t, batches_t.c.key),
              "item": (items_t, items_t.c.key), "parcel": (parcels_t, parcels_t.c.key)}
    for kind in ("product", "batch", "item", "parcel"):
        values = sorted(by_kind.get(kind, ()))
        table, column = tables[kind]
        for i in range(0, len(values), 1000):
            query = select(table).where(column.in_(values[i:i + 1000])).order_by(column)
            if conn.dialect.name == "postgresql":  # SQLite: BEGIN IMMEDIATE serialises writers
                query = query.with_for_update()
            cache_rows(conn, table, conn.execute(query).all())
    return {r.key for r in refs}


def capture_atomic(conn: Connection, settings: Settings, items: Items, results: list[BatchResult],
                   party: PartyView | None, review_token: str | None, now: datetime | None,
                   refused: dict[int, SuyuanError]) -> None:
    """All or nothing: prepare every event, append all entries in one go, then finish each.

    The first refusal is set on its result and raises `Abort`, for the caller
    to roll the transaction back.
    """
    conn.info[ROW_CACHE], conn.info[PENDING] = {}, {}
    try:
        _capture_atomic_in(conn, settings, items, results, party, review_token, now, refused)
    finally:
        conn.info.pop(ROW_CACHE, None)
        conn.info.pop(PENDING, None)


def _capture_atomic_in(conn: Connection, settings: Settings, items: Items, results: list[BatchResult],
                       party: PartyView | None, review_token: str | None, now: datetime | None,
                       refused: dict[int, SuyuanError]) -> None:
    prepared: list[tuple[BatchResult, Prepared]] = []
    batch: Batch | None = None
    for result, (st, sig) in zip(results, items):
        try:
            if result.index in refused:
                raise refused[result.index]
            if batch is None:
                batch = _start(conn, items, refused)
            out = prepare(conn, settings, st, sig, party=party, review_token=review_token, now=now, batch=batch)
        except SuyuanError as exc:
            result.error = exc
            raise Abort() from exc
        if isinstance(out, Captured):
            result.captured = out
        else:
            prepared.append((result, out))
    flush_writes(conn)
    if not prepared:
        return
    appended = append_batch_in(conn, [(p.statement, p.sig) for _, p in prepared], prepared[0][1].now)
    for (result, p), entry in zip(prepared, appended):
        if p.ctx is not None and not entry.created:
            # Recorded by a concurrent request after our look-up: our state
            # changes must not stand without their entry.
            raise Conflict(f"Statement id {p.statement['id']} was recorded concurrently; retry the batch.")
        result.captured = finish(p, entry)


def _start(conn: Connection, items: Items, refused: dict[int, SuyuanError]) -> Batch:
    """Lock every subject and look up every statement id the batch may be retrying."""
    batch = Batch(conn, _refs(items, refused))
    batch.recorded = recorded_ids(conn, [s["id"] for i, (s, _) in enumerate(items)
                                         if i not in refused and isinstance(s.get("id"), str)])
    return batch


def _refs(items: Items, refused: dict[int, SuyuanError]) -> list[KeyRef]:
    refs = []
    for i, (st, _) in enumerate(items):
        try:
            if i not in refused:
                refs.append(key_ref(st["key"]))
        except (SuyuanError, KeyError, TypeError):
            pass  # refused properly when that statement is prepared
    return refs
