"""The service layer for typed events: one transaction per capture.

`capture` checks the statement, the caller and the rules, updates the domain
state tables and appends to the ledger (`suyuan.ledger.chain.append_in`) in
the same transaction, so the entry, the state and the flags land whole or not
at all. The subject's state row is locked first (`FOR UPDATE` in PostgreSQL;
SQLite's `BEGIN IMMEDIATE` serialises writers), then a retry of an already
recorded statement id is answered with the original entry, without running
the rules again.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import IntegrityError

from suyuan.config import Settings
from suyuan.timestamps import parse_time
from suyuan.errors import Conflict, Forbidden, InputError, RuleViolation, SuyuanError, Unauthorized
from suyuan.ledger.chain import (
    Appended,
    append_batch_in,
    append_in,
    as_retry,
    find_retry,
    recorded_ids,
    statement_digest,
)
from suyuan.ledger.verify.entry import canonical, check_statement
from suyuan.ledger.models import Entry
from suyuan.codes.gs1 import make_key, validate_key
from suyuan.trace.events import payloads as ev
from suyuan.trace.privacy import people
from suyuan.trace.events import rules
from suyuan.trace.goods.registry import PENDING, ROW_CACHE, cache_rows, flush_writes, forget_row, write_row, KeyRef, batch_row, batches_t, contents_t, item_row, items_t, key_ref, parcel_items, parcel_row, parcels_t, product_row, products_t
from suyuan.trace.events.models import Delivery, Flag, ReviewToken
from suyuan.trace.parties.registry import PartyView, get_party_in
from suyuan.trace.parties.keys import check_signature, party_public_keys

flags_t = Flag.__table__
tokens_t = ReviewToken.__table__
deliveries_t = Delivery.__table__
entries_t = Entry.__table__
UTC = timezone.utc
REVIEW_TOKEN_PREFIX = "rv_"


@dataclass
class Captured:
    """An event as recorded, with the flags it raised and the review tokens delivery issued."""

    appended: Appended
    flags: list[rules.Signal] = field(default_factory=list)
    review_tokens: dict[str, str] = field(default_factory=dict)

    @property
    def hash(self) -> bytes:
        return self.appended.hash

    @property
    def created(self) -> bool:
        return self.appended.created


@dataclass
class BatchResult:
    index: int
    id: str | None
    captured: Captured | None = None
    error: SuyuanError | None = None
    skipped: bool = False  # atomic mode: not written because another statement failed


class _Abort(Exception):
    """Leaves an atomic batch's transaction so that it rolls back."""


@dataclass
class _Ctx:
    conn: Connection
    settings: Settings
    statement: dict[str, Any]
    ref: KeyRef
    spec: ev.EventType
    data: Any
    party: PartyView | None
    token_digest: bytes | None
    when: datetime
    now: datetime
    signals: list[rules.Signal] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)
    after: list[Callable[[Appended], None]] = field(default_factory=list)

    @property
    def actor(self) -> str:
        return self.statement["actor"]


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def new_token() -> tuple[str, bytes]:
    """A fresh review token (256 random bits after `rv_`) and the digest that is all the server keeps."""
    token = REVIEW_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, token_digest(token)


def consumer_actor(digest: bytes) -> str:
    """A consumer's pseudonymous actor: no personal data, stable per review token."""
    return "consumer:" + digest[:8].hex()


def _event_time(value: str) -> datetime:
    return parse_time(value)


# --- entry points ------------------------------------------------------------------------


def capture(engine: Engine, settings: Settings, statement: dict[str, Any], sig: str | None = None, *,
            party: PartyView | None = None, review_token: str | None = None,
            now: datetime | None = None) -> Captured:
    """Capture one typed event in its own transaction (see module doc)."""
    try:
        with engine.begin() as conn:
            return capture_in(conn, settings, statement, sig, party=party,
                              review_token=review_token, now=now)
    except IntegrityError:
        # A concurrent transaction recorded the same statement id first:
        # answer as a retry is answered, or let the error stand.
        with engine.connect() as conn:
            found = find_retry(conn, statement, sig)
        if found is None:
            # Two requests created the same goods at once; the other won.
            raise Conflict(
                f"Another request recorded {statement.get('key')} at the same time: "
                "read its state and retry this statement if it still applies."
            ) from None
        return Captured(found)


def capture_many(engine: Engine, settings: Settings, items: Iterable[tuple[dict[str, Any], str | None]], *,
                 party: PartyView | None = None, review_token: str | None = None, mode: str = "atomic",
                 now: datetime | None = None,
                 refused: dict[int, SuyuanError] | None = None) -> list[BatchResult]:
    """Capture several events in one transaction.

    `atomic` (EPCIS capture's default): the first refusal rolls everything
    back; the failing statement carries its error and the others are marked
    skipped. `per_event`: each statement runs in a savepoint, refused ones are
    rolled back alone and the rest are kept. `refused` holds errors found
    before capture (malformed shapes), by index. With a `review_token` the
    batch is a consumer's (its reviews and complaints), and the token's
    allowance holds across the batch as across requests.
    """
    refused = refused or {}
    if mode not in ("atomic", "per_event"):
        raise InputError(f"Invalid mode {mode!r}: expected atomic or per_event.", field="mode")
    items = list(items)
    results = [BatchResult(i, st.get("id") if isinstance(st, dict) else None) for i, (st, _) in enumerate(items)]
    try:
        with engine.begin() as conn:
            if mode == "atomic":
                _capture_atomic(conn, settings, items, results, party, review_token, now, refused)
            else:
                for result, (st, sig) in zip(results, items):
                    try:
                        if result.index in refused:
                            raise refused[result.index]
                        with conn.begin_nested():
                            result.captured = capture_in(conn, settings, st, sig, party=party,
                                                         review_token=review_token, now=now)
                    except SuyuanError as exc:
                        result.error = exc
    except _Abort:
        for other in results:
            if other.error is None:
                other.captured, other.skipped = None, True
    except IntegrityError:
        # A concurrent request created some of the same goods first; nothing of this batch was kept.
        raise Conflict(
            "Another request recorded some of these goods at the same time: nothing was written; "
            "retry the batch (recorded statement ids answer as retries)."
        ) from None
    return results


def capture_in(conn: Connection, settings: Settings, statement: dict[str, Any], sig: str | None = None, *,
               party: PartyView | None = None, review_token: str | None = None,
               now: datetime | None = None) -> Captured:
    """Capture one typed event inside the caller's transaction."""
    prepared = _prepare(conn, settings, statement, sig, party=party, review_token=review_token, now=now)
    if isinstance(prepared, Captured):
        return prepared
    return _finish(prepared, append_in(conn, prepared.statement, sig, prepared.now))


@dataclass
class _Prepared:
    """An event whose rules passed and whose state is written, waiting for its ledger entry."""

    statement: dict[str, Any]
    sig: str | None
    now: datetime
    ctx: _Ctx | None  # None: a repeat, within one batch, of a statement prepared before


class _Batch:
    """What the events of one atomic batch share, so each costs fewer round trips.

    Every subject is locked up front, in key order (so concurrent batches
    cannot deadlock); then retried statement ids are looked up at once, and
    parties and their keys are read once.
    """

    def __init__(self, conn: Connection, refs: list[KeyRef]):
        self.locked = _lock_all(conn, refs)
        self.recorded: dict[str, Any] = {}
        self.prepared: dict[str, bytes] = {}  # statement id -> digest, prepared in this batch
        self._parties: dict[str, PartyView] = {}
        self._keys: dict[str, list[str]] = {}

    def party(self, conn: Connection, party_id: str) -> PartyView:
        if party_id not in self._parties:
            self._parties[party_id] = get_party_in(conn, party_id)
        return self._parties[party_id]

    def keys(self, conn: Connection, party_id: str) -> list[str]:
        if party_id not in self._keys:
            self._keys[party_id] = party_public_keys(conn, party_id)
        return self._keys[party_id]


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


def _capture_atomic(conn: Connection, settings: Settings, items: list[tuple[dict[str, Any], str | None]],
                    results: list[BatchResult], party: PartyView | None, review_token: str | None,
                    now: datetime | None, refused: dict[int, SuyuanError]) -> None:
    """All or nothing: prepare every event, append all entries in one go, then finish each."""
    conn.info[ROW_CACHE], conn.info[PENDING] = {}, {}
    try:
        _capture_atomic_in(conn, settings, items, results, party, review_token, now, refused)
    finally:
        conn.info.pop(ROW_CACHE, None)
        conn.info.pop(PENDING, None)


def _capture_atomic_in(conn: Connection, settings: Settings, items: list[tuple[dict[str, Any], str | None]],
                       results: list[BatchResult], party: PartyView | None, review_token: str | None,
                       now: datetime | None, refused: dict[int, SuyuanError]) -> None:
    prepared: list[tuple[BatchResult, _Prepared]] = []
    batch: _Batch | None = None
    for result, (st, sig) in zip(results, items):
        try:
            if result.index in refused:
                raise refused[result.index]
            if batch is None:
                batch = _Batch(conn, _refs(items, refused))
                batch.recorded = recorded_ids(conn, [s["id"] for i, (s, _) in enumerate(items)
                                                      if i not in refused and isinstance(s.get("id"), str)])
            out = _prepare(conn, settings, st, sig, party=party, review_token=review_token, now=now, batch=batch)
        except SuyuanError as exc:
            result.error = exc
            raise _Abort() from exc
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
        result.captured = _finish(p, entry)


def _refs(items: list[tuple[dict[str, Any], str | None]], refused: dict[int, SuyuanError]) -> list[KeyRef]:
    refs = []
    for i, (st, _) in enumerate(items):
        try:
            if i not in refused:
                refs.append(key_ref(st["key"]))
        except (SuyuanError, KeyError, TypeError):
            pass  # refused properly when that statement is prepared
    return refs


def _prepare(conn: Connection, settings: Settings, statement: dict[str, Any], sig: str | None, *,
             party: PartyView | None = None, review_token: str | None = None,
             now: datetime | None = None, batch: _Batch | None = None) -> Captured | _Prepared:
    """Check and apply one event's rules and state; a retry answers with the original entry."""
    now = now or datetime.now(UTC)
    check_statement(statement)
    canonical(statement)  # refuses floats and huge integers, naming the field
    validate_key(statement["key"])
    spec = ev.event_type(statement["type"])
    ref = key_ref(statement["key"])
    statement, digest = _caller(conn, spec, statement, sig, party, review_token, batch)
    payload = ev.parse_payload(spec, ref.kind, statement["data"])
    if batch is None:
        _lock(conn, ref)
        found = find_retry(conn, statement, sig)
    else:
        if ref.key not in batch.locked:
            _lock(conn, ref)
        found = as_retry(batch.recorded.get(statement["id"]), statement, sig)
        if found is None and statement["id"] in batch.prepared:
            if batch.prepared[statement["id"]] != statement_digest(statement, sig):
                raise Conflict(f"Statement id {statement['id']} appears twice in this batch with "
                               "different statements; send a new id for a new statement.")
            return _Prepared(statement, sig, now, None)
    if found is not None:
        return Captured(found)
    ctx = _Ctx(conn, settings, statement, ref, spec, payload, party, digest,
               _event_time(statement["time"]), now)
    ctx.signals += rules.time_signals(ref.key, ctx.when, now, settings)
    HANDLERS[spec.name](ctx)
    ctx.after += people.name_people(conn, ctx.actor, spec.name, ref, payload)  # vault: commitments only
    if batch is not None:
        batch.prepared[statement["id"]] = statement_digest(statement, sig)
    return _Prepared(statement, sig, now, ctx)


def _finish(prepared: _Prepared, appended: Appended) -> Captured:
    """Run what needs the entry (hooks, flags) once it is appended."""
    ctx = prepared.ctx
    if ctx is None:
        return Captured(appended)
    for hook in ctx.after:
        hook(appended)
    if ctx.signals:
        ctx.conn.execute(flags_t.insert(), [
            {"entry_hash": appended.hash, "key": s.key, "code": s.code, "detail": s.detail[:500]}
            for s in ctx.signals
        ])  # fmt: skip
    return Captured(appended, ctx.signals, ctx.tokens)


def _caller(conn: Connection, spec: ev.EventType, statement: dict[str, Any], sig: str | None,
            party: PartyView | None, review_token: str | None,
            batch: _Batch | None = None) -> tuple[dict[str, Any], bytes | None]:
    """Check who is appending; fill in a missing actor. Returns the statement and any token digest."""
    if spec.roles == (ev.TOKEN_HOLDER,):
        if not review_token:
            raise Unauthorized(
                f"Missing review token: a {spec.name} needs 'Authorization: Bearer rv_...' "
                "with the token issued at delivery."
            )
        digest = token_digest(review_token)
        actor = consumer_actor(digest)
        expected_actor = actor
    else:
        if review_token is not None:
            raise Unauthorized(
                f"Invalid credentials for {spec.name}: a review token only reviews or complains; "
                "expected a party's API key."
            )
        if party is None:
            raise Unauthorized("Missing credentials: expected an 'Authorization: Bearer <API key>' header.")
        # The state may have changed since the caller authenticated (suspension).
        party = batch.party(conn, party.id) if batch else get_party_in(conn, party.id)
        if not party.active:
            raise Forbidden(f"Party {party.id} is suspended: expected an active party to write.")
        rules.require_role(party.roles, spec.roles, spec.name)
        digest, expected_actor = None, party.id
    if statement.get("actor") is None:
        if sig is not None:
            raise InputError("Missing actor: a signed statement must name its actor.", field="actor")
        statement = {**statement, "actor": expected_actor}
    elif statement["actor"] != expected_actor:
        raise Forbidden(
            f"Invalid actor: expected {expected_actor} (the authenticated caller), got {statement['actor']}.",
            field="actor",
        )
    if party is not None:
        check_signature(conn, party.id, statement, sig, batch.keys(conn, party.id) if batch else None)
    return statement, digest


def _lock(conn: Connection, ref: KeyRef) -> None:
    if ref.kind == "item":
        item_row(conn, ref.key, lock=True)
    elif ref.kind == "parcel":
        parcel_row(conn, ref.key, lock=True)
    elif ref.kind == "batch":
        batch_row(conn, ref.key, lock=True)
    else:
        product_row(conn, ref.gtin, lock=True)


# --- helpers for handlers ------------------------------------------------------------------


def _need(row: Any, ref_kind: str, key: str) -> Any:
    rules.require(row is not None, f"No {ref_kind} is registered under {key}: register it first.",
                  "not_registered", "key")
    return row


def _party_with_role(conn: Connection, party_id: str, roles: tuple[str, ...], field_name: str) -> None:
    from suyuan.errors import NotFound

    try:
        other = get_party_in(conn, party_id)
    except NotFound:
        other = None
    rules.require(other is not None and other.active and other.has(*roles),
                  f"Invalid {field_name}: expected an active {' or '.join(roles)} party id, got {party_id!r}.",
                  "bad_party", f"data.{field_name}")


def _set_item(conn: Connection, key: str, **values: Any) -> None:
    write_row(conn, items_t, key, **values)


def _set_parcel(conn: Connection, key: str, **values: Any) -> None:
    write_row(conn, parcels_t, key, **values)


def _later(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b > a else a


def _moving(ctx: _Ctx) -> tuple[Any, list[Any]]:
    """The item or parcel a courier event is about, and the items it carries."""
    conn, ref = ctx.conn, ctx.ref
    if ref.kind == "item":
        row = _need(item_row(conn, ref.key), "item", ref.key)
        rules.require(row.parcel_key is None or ctx.spec.name != "dispatch",
                      f"Item {ref.key} is packed in parcel {row.parcel_key}: dispatch the parcel instead.",
                      "item_packed", "key")
        return row, [row]
    row = _need(parcel_row(conn, ref.key), "parcel", ref.key)
    return row, parcel_items(conn, ref.key, lock=True)


def _track(ctx: _Ctx, subject: Any, items: list[Any], region: str | None, **values: Any) -> None:
    """Record time and place on the subject and its items, raising order and region signals."""
    ctx.signals += rules.order_signal(ctx.ref.key, subject.last_time, ctx.when)
    setter = _set_item if ctx.ref.kind == "item" else _set_parcel
    common: dict[str, Any] = {"last_time": _later(subject.last_time, ctx.when)}
    if region:
        common |= {"last_region": region, "last_region_time": ctx.when}
    setter(ctx.conn, ctx.ref.key, **common, **values)
    if ctx.ref.kind == "parcel":
        for item in items:
            if region:
                ctx.signals += rules.region_signal(item.key, item.last_region, item.last_region_time,
                                                   region, ctx.when, ctx.settings)
            _set_item(ctx.conn, item.key, **{k: v for k, v in common.items()},
                      **{k: v for k, v in values.items() if k != "declared_weight_g"})
    elif region:
        ctx.signals += rules.region_signal(subject.key, subject.last_region, subject.last_region_time,
                                           region, ctx.when, ctx.settings)


def _touch_item(ctx: _Ctx, row: Any, **values: Any) -> None:
    ctx.signals += rules.order_signal(ctx.ref.key, row.last_time, ctx.when)
    _set_item(ctx.conn, row.key, last_time=_later(row.last_time, ctx.when), **values)


# --- handlers: one per event type ------------------------------------------------------------


def _register(ctx: _Ctx) -> None:
    conn, ref, d, actor = ctx.conn, ctx.ref, ctx.data, ctx.actor
    if ref.kind == "product":
        existing = product_row(conn, ref.gtin)
        rules.require(existing is None, f"Product {ref.gtin} is already registered by party "
                      f"{existing.owner if existing else ''}: register each GTIN once.", "already_registered", "key")
        priority = d.priority if d.priority is not None else ev.CATEGORIES[d.category][1]
        conn.execute(products_t.insert().values(gtin=ref.gtin, owner=actor, name=d.name, category=d.category,
                                                priority=priority, net_weight_g=d.net_weight_g))
        return
    product = _need(product_row(conn, ref.gtin), "product", make_key(gtin=ref.gtin))
    rules.require_party(product.owner, actor, f"product {ref.gtin}", "only its producer registers its goods")
    if ref.kind == "batch":
        rules.require(batch_row(conn, ref.key) is None, f"Batch {ref.key} is already registered: "
                      "register each lot once.", "already_registered", "key")
        produced = datetime.fromisoformat(d.production_date).date()
        expiry = datetime.fromisoformat(d.expiry_date).date() if d.expiry_date else None
        if expiry is None and d.shelf_life_days:
            expiry = produced + timedelta(days=d.shelf_life_days)
        if expiry is not None and expiry < produced:
            raise InputError(f"Invalid data.expiry_date: expected on or after production_date "
                             f"{produced.isoformat()}, got {expiry.isoformat()}.", field="data.expiry_date")
        conn.execute(batches_t.insert().values(
            key=ref.key, gtin=ref.gtin, lot=ref.lot, owner=actor, production_date=produced,
            expiry_date=expiry, origin_region=d.origin.region, recalled=False))
        return
    rules.require(item_row(conn, ref.key) is None, f"Item {ref.key} is already registered: "
                  "each serial is registered once.", "already_registered", "key")
    lot = ref.lot or d.lot
    if ref.lot and d.lot and d.lot != ref.lot:
        raise InputError(f"Invalid data.lot: expected the key's lot {ref.lot!r}, got {d.lot!r}.", field="data.lot")
    batch_key = None
    if lot:
        batch_key = make_key(gtin=ref.gtin, lot=lot)
        _need(batch_row(conn, batch_key), "batch", batch_key)
    if d.seller:
        _party_with_role(conn, d.seller, ("merchant", "platform"), "seller")
    conn.execute(items_t.insert().values(
        key=ref.key, gtin=ref.gtin, batch_key=batch_key, serial=ref.serial, owner=actor,
        seller=d.seller, state="registered", last_time=ctx.when))


def _assign(ctx: _Ctx) -> None:
    row = _need(item_row(ctx.conn, ctx.ref.key), "item", ctx.ref.key)
    rules.require_party(row.owner, ctx.actor, f"item {row.key}", "only its producer assigns it")
    rules.require(row.state in ("registered", "listed"), f"Item {row.key} is {row.state}: expected "
                  "registered or listed to assign a seller.", "already_sold", "key")
    _party_with_role(ctx.conn, ctx.data.seller, ("merchant", "platform"), "seller")
    _touch_item(ctx, row, seller=ctx.data.seller)


def _batch_of(ctx: _Ctx, item: Any) -> Any:
    return batch_row(ctx.conn, item.batch_key) if item.batch_key else None


def _list(ctx: _Ctx) -> None:
    row = _need(item_row(ctx.conn, ctx.ref.key), "item", ctx.ref.key)
    rules.require_party(row.seller, ctx.actor, f"item {row.key}", "the producer assigns items to their seller")
    rules.require(row.state in ("registered", "listed", "returned"),
                  f"Item {row.key} is {row.state}: expected registered, listed or returned to list it.",
                  "already_sold", "key")
    rules.require_sellable(_batch_of(ctx, row), ctx.when, "list")
    _touch_item(ctx, row, state="listed")


def _sell(ctx: _Ctx) -> None:
    row = _need(item_row(ctx.conn, ctx.ref.key), "item", ctx.ref.key)
    rules.require_party(row.seller, ctx.actor, f"item {row.key}", "the producer assigns items to their seller")
    rules.require(row.state not in ("sold", "dispatched", "delivered"),
                  f"Item {row.key} is already sold (state {row.state}): a serial is sold once.",
                  "already_sold", "key")
    rules.require(row.state == "listed", f"Item {row.key} is {row.state}: expected listed before it is sold.",
                  "not_listed", "key")
    rules.require_sellable(_batch_of(ctx, row), ctx.when, "sell")
    if ctx.data.courier:
        _party_with_role(ctx.conn, ctx.data.courier, ("courier",), "courier")
    _touch_item(ctx, row, state="sold", courier=ctx.data.courier)


def _pack(ctx: _Ctx) -> None:
    conn, key = ctx.conn, ctx.ref.key
    parcel = parcel_row(conn, key)
    if parcel is None:
        conn.execute(parcels_t.insert().values(key=key, owner=ctx.actor, state="open", last_time=ctx.when))
        parcel = parcel_row(conn, key)
    rules.require_party(parcel.owner, ctx.actor, f"parcel {key}", "only the party that packed it adds to it")
    rules.require(parcel.state == "open", f"Parcel {key} is {parcel.state}: expected an open parcel to pack.",
                  "parcel_closed", "key")
    if ctx.data.courier:
        _party_with_role(conn, ctx.data.courier, ("courier",), "courier")
    if len(set(ctx.data.items)) != len(ctx.data.items):
        raise InputError("Invalid data.items: expected each item once.", field="data.items")
    for i, item_key in enumerate(ctx.data.items):
        where = f"data.items.{i}"
        try:
            ref = key_ref(item_key)
        except InputError as exc:
            raise InputError(f"Invalid {where}: {exc}", field=where) from None
        if ref.kind != "item":
            raise InputError(f"Invalid {where}: expected an item key, got a {ref.kind} key.", field=where)
        item = _need(item_row(conn, item_key, lock=True), "item", item_key)
        if ctx.actor not in (item.owner, item.seller):
            raise Forbidden(f"Not your goods: item {item_key} belongs to party {item.owner}, "
                            f"got party {ctx.actor}; only its producer or seller packs it.", field=where)
        rules.require(item.parcel_key is None, f"Item {item_key} is already in parcel {item.parcel_key}: "
                      "unpack it first.", "item_packed", where)
        rules.require(item.state in ("registered", "listed", "sold"),
                      f"Item {item_key} is {item.state}: expected registered, listed or sold to pack it.",
                      "parcel_closed", where)
        _set_item(conn, item_key, parcel_key=key)
        conn.execute(contents_t.insert().values(parcel_key=key, item_key=item_key, packed_at=ctx.when))
    values: dict[str, Any] = {"last_time": _later(parcel.last_time, ctx.when)}
    if ctx.data.courier:
        values["courier"] = ctx.data.courier
    _set_parcel(conn, key, **values)


def _unpack(ctx: _Ctx) -> None:
    conn, key = ctx.conn, ctx.ref.key
    parcel = _need(parcel_row(conn, key), "parcel", key)
    rules.require_party(parcel.owner, ctx.actor, f"parcel {key}", "only the party that packed it unpacks it")
    rules.require(parcel.state != "dispatched", f"Parcel {key} is in transit: expected it open or "
                  "delivered to unpack.", "parcel_closed", "key")
    inside = {r.key for r in parcel_items(conn, key, lock=True)}
    targets = ctx.data.items if ctx.data.items is not None else sorted(inside)
    for i, item_key in enumerate(targets):
        rules.require(item_key in inside, f"Item {item_key} is not in parcel {key}: expected one of its "
                      f"{len(inside)} items.", "not_registered", f"data.items.{i}")
        _set_item(conn, item_key, parcel_key=None)
        conn.execute(update(contents_t).where(contents_t.c.parcel_key == key, contents_t.c.item_key == item_key,
                                              contents_t.c.unpacked_at.is_(None)).values(unpacked_at=ctx.when))
    _set_parcel(conn, key, last_time=_later(parcel.last_time, ctx.when))


def _dispatch(ctx: _Ctx) -> None:
    subject, items = _moving(ctx)
    what = f"{ctx.ref.kind} {ctx.ref.key}"
    rules.require_party(subject.courier, ctx.actor, what,
                        "the seller names the courier when selling or packing")
    if ctx.ref.kind == "parcel":
        rules.require(bool(items), f"Parcel {ctx.ref.key} is empty: expected at least one packed item to "
                      "dispatch.", "empty_parcel", "key")
        rules.require(subject.state == "open", f"Parcel {ctx.ref.key} is {subject.state}: expected open to "
                      "dispatch.", "parcel_closed", "key")
    for item in items:
        rules.require(item.state == "sold", f"Item {item.key} is {item.state}: expected sold before it is "
                      "dispatched.", "not_sold", "key")
        rules.require_sellable(_batch_of(ctx, item), ctx.when, "dispatch")
    net = 0
    for item in items:
        product = product_row(ctx.conn, item.gtin)
        net += product.net_weight_g or 0
    ctx.signals += rules.weight_signal(ctx.ref.key, ctx.data.weight_g, net)
    values = {"state": "dispatched", "dispatched_at": ctx.when, "dispatch_from": ctx.data.from_region}
    if ctx.ref.kind == "parcel":
        values["declared_weight_g"] = ctx.data.weight_g
    _track(ctx, subject, items, ctx.data.from_region, **values)
    if ctx.ref.kind == "parcel":
        for item in items:
            _set_item(ctx.conn, item.key, courier=ctx.actor)


def _in_transit(ctx: _Ctx, event: str) -> tuple[Any, list[Any]]:
    subject, items = _moving(ctx)
    if ctx.ref.kind == "item" and subject.parcel_key is not None:
        parcel = parcel_row(ctx.conn, subject.parcel_key)
        rules.require(parcel is None or parcel.state != "dispatched",
                      f"Item {subject.key} travels in parcel {subject.parcel_key}: record {event} on the parcel.",
                      "item_packed", "key")
    rules.require_party(subject.courier, ctx.actor, f"{ctx.ref.kind} {ctx.ref.key}",
                        "the seller names the courier when selling or packing")
    rules.require(subject.state == "dispatched", f"{ctx.ref.kind.capitalize()} {ctx.ref.key} is "
                  f"{subject.state}: expected dispatched before {event}.", "not_dispatched", "key")
    return subject, items


def _transit(ctx: _Ctx) -> None:
    subject, items = _in_transit(ctx, "transit")
    _track(ctx, subject, items, ctx.data.region)


def _deliver(ctx: _Ctx) -> None:
    subject, items = _in_transit(ctx, "delivery")
    ctx.signals += rules.delivery_signal(ctx.ref.key, subject.dispatched_at, subject.dispatch_from,
                                         ctx.data.region, ctx.when, ctx.settings)
    _track(ctx, subject, items, ctx.data.region, state="delivered")
    deliveries, tokens = [], []
    for item in items:
        delivery = str(uuid.uuid4())
        token, digest = new_token()
        deliveries.append({"id": delivery, "item_key": item.key, "statement_id": ctx.statement["id"],
                           "seller": item.seller, "delivered": ctx.now})
        tokens.append({"digest": digest, "item_key": item.key, "delivery": delivery})
        ctx.tokens[item.key] = token
    if deliveries:  # a parcel's items in two statements, whatever their number
        ctx.conn.execute(deliveries_t.insert(), deliveries)
        ctx.conn.execute(tokens_t.insert(), tokens)


def _token_delivery(ctx: _Ctx) -> Any:
    """The delivery of this item that the caller's review token belongs to; refused otherwise.

    The token row names its item: a token issued for one item never reviews
    another, even one that was delivered too.
    """
    row = item_row(ctx.conn, ctx.ref.key)
    token = ctx.conn.execute(select(tokens_t.c.item_key, tokens_t.c.delivery)
                             .where(tokens_t.c.digest == ctx.token_digest)).first()
    rules.require(row is not None and token is not None and token.item_key == ctx.ref.key
                  and row.state in ("delivered", "returned"),
                  f"No delivered purchase of {ctx.ref.key} matches this review token: expected the token "
                  "issued when the item was delivered.", "no_delivery", "key")
    # The item row is locked (capture locks the subject first), so uses of one delivery are serialised.
    _set_item(ctx.conn, row.key, last_time=_later(row.last_time, ctx.when))
    return ctx.conn.execute(select(deliveries_t).where(deliveries_t.c.id == token.delivery)).one()


def _used(ctx: _Ctx, when: datetime, what: str, allowed: str) -> None:
    raise RuleViolation(
        f"This review token's delivery of {ctx.ref.key} already has its {what} "
        f"(recorded {when.isoformat(timespec='seconds')}): {allowed}; nothing was written.",
        rule="token_used", field="authorization")


def _use(ctx: _Ctx, delivery: Any, **values: Any) -> None:
    ctx.conn.execute(update(deliveries_t).where(deliveries_t.c.id == delivery.id).values(**values))


def _review(ctx: _Ctx) -> None:
    delivery = _token_delivery(ctx)
    follow_up = ctx.data.follow_up_to
    if not follow_up:
        if delivery.reviewed_at is not None:
            _used(ctx, delivery.reviewed_at, "review",
                  "a delivery allows one review, and one follow-up through data.follow_up_to")
        _use(ctx, delivery, reviewed_at=ctx.now)
        # The first review's hash, for its follow-up: known once the entry is appended.
        ctx.after.append(lambda appended: _use(ctx, delivery, review=appended.hash))
        return
    if delivery.followed_up_at is not None:
        _used(ctx, delivery.followed_up_at, "follow-up review", "a delivery allows one follow-up")
    first = delivery.review.hex() if delivery.review is not None else None
    rules.require(follow_up == first,
                  f"Invalid data.follow_up_to: expected the hash of the first review under this delivery's "
                  f"review tokens ({first or 'none yet'}), got {follow_up}.", "not_a_review", "data.follow_up_to")
    allowed = delivery.reviewed_at + timedelta(hours=ctx.settings.follow_up_min_hours)
    rules.require(ctx.now >= allowed,
                  f"Follow-up too early: expected on or after {allowed.isoformat(timespec='seconds')} "
                  f"({ctx.settings.follow_up_min_hours} h after the first review), got "
                  f"{ctx.now.isoformat(timespec='seconds')}.", "follow_up_too_early", "data.follow_up_to")
    _use(ctx, delivery, followed_up_at=ctx.now)


def _complain(ctx: _Ctx) -> None:
    delivery = _token_delivery(ctx)
    if delivery.complained_at is not None:
        _used(ctx, delivery.complained_at, "complaint", "a delivery allows one complaint")
    _use(ctx, delivery, complained_at=ctx.now)


def _require_review_entry(ctx: _Ctx, hex_hash: str, where: str) -> None:
    row = ctx.conn.execute(
        select(entries_t.c.key, entries_t.c.type).where(entries_t.c.hash == bytes.fromhex(hex_hash))
    ).first()
    rules.require(row is not None and row.key == ctx.ref.key and row.type == "review",
                  f"Invalid {where}: expected the hash of a review of {ctx.ref.key}, got {hex_hash}.",
                  "not_a_review", where)


def _return(ctx: _Ctx) -> None:
    row = _need(item_row(ctx.conn, ctx.ref.key), "item", ctx.ref.key)
    rules.require_party(row.seller, ctx.actor, f"item {row.key}", "returns are accepted by the seller")
    rules.require(row.state == "delivered", f"Item {row.key} is {row.state}: expected delivered before a "
                  "return.", "not_dispatched", "key")
    _touch_item(ctx, row, state="returned", parcel_key=None, courier=None)
    ctx.conn.execute(update(contents_t).where(contents_t.c.item_key == row.key, contents_t.c.unpacked_at.is_(None))
                     .values(unpacked_at=ctx.when))


def _inspect(ctx: _Ctx) -> None:
    ref, conn = ctx.ref, ctx.conn
    if ref.kind == "product":
        row = _need(product_row(conn, ref.gtin), "product", ref.key)
    elif ref.kind == "batch":
        row = _need(batch_row(conn, ref.key), "batch", ref.key)
    else:
        row = _need(item_row(conn, ref.key), "item", ref.key)
    if not ctx.party.has("inspector"):
        rules.require_party(row.owner, ctx.actor, f"{ref.kind} {ref.key}", "producers inspect only their own goods")
    if ref.kind == "item":
        _touch_item(ctx, row)


def _recall(ctx: _Ctx) -> None:
    row = _need(batch_row(ctx.conn, ctx.ref.key), "batch", ctx.ref.key)
    rules.require(not row.recalled, f"Batch {row.key} is already recalled.", "already_recalled", "key")
    ctx.conn.execute(update(batches_t).where(batches_t.c.key == row.key).values(recalled=True))
    forget_row(ctx.conn, batches_t, row.key)


def _recall_lifted(ctx: _Ctx) -> None:
    row = _need(batch_row(ctx.conn, ctx.ref.key), "batch", ctx.ref.key)
    rules.require(row.recalled, f"Batch {row.key} is not recalled: expected a recalled batch to lift.",
                  "not_recalled", "key")
    ctx.conn.execute(update(batches_t).where(batches_t.c.key == row.key).values(recalled=False))
    forget_row(ctx.conn, batches_t, row.key)


def _hide_review(ctx: _Ctx) -> None:
    _need(item_row(ctx.conn, ctx.ref.key), "item", ctx.ref.key)
    _require_review_entry(ctx, ctx.data.review, "data.review")


HANDLERS: dict[str, Callable[[_Ctx], None]] = {
    "register": _register, "assign": _assign, "list": _list, "sell": _sell, "pack": _pack,
    "unpack": _unpack, "dispatch": _dispatch, "transit": _transit, "deliver": _deliver,
    "review": _review, "complain": _complain, "return": _return, "inspect": _inspect,
    "recall": _recall, "recall_lifted": _recall_lifted, "hide_review": _hide_review,
}  # fmt: skip
assert set(HANDLERS) == set(ev.EVENT_TYPES)
