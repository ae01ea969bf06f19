"""Tracing a batch forward and an item backward, for inspectors (来源可查、去向可追).

Forward: from a batch to every item, its parcels (those of its journey,
`suyuan.trace.journey.chains`), its merchant, the region it was delivered to
and where it stands now. Large batches are paged by item key, ascending
(keyset pagination: `after` is the `next` of the previous page, the last key
it held), so a page costs the same on the first and the hundredth call.

Backward: from an item to its batch (origin, catch or farm record, dates,
certificates), its product and the producer's real-name identity and
licences, plus the inspections and recalls recorded on the chains of its
journey (a parcel's only while the item was packed in it). suyuan
has no transformation events, so an item's inputs are what its batch record
names: the origin and the certificates (by their SHA-256).

Privacy (个人信息保护): buyers appear only as the coarse region of delivery
(prefecture level: the first four digits of the GB/T 2260 code); recipients
and order references are never read.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from sqlalchemy import Connection, Engine, func, select

from suyuan.errors import InputError, NotFound
from suyuan.ledger.models import Entry
from suyuan.codes.gs1 import make_key
from suyuan.trace.goods.registry import batch_row, contents_t, item_row, items_t, key_ref, product_row
from suyuan.trace.journey.chains import journey_chains
from suyuan.trace.parties.models import Party

entries_t = Entry.__table__
parties_t = Party.__table__

DEFAULT_PAGE = 1000
MAX_PAGE = 10000
DELIVERED = ("delivered", "returned")


def coarse_region(code: str | None) -> str | None:
    """Prefecture level of a GB/T 2260 code (310104 -> 310100): where, but not whose door."""
    return code[:4] + "00" if code else None


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _names(conn: Connection, ids: set[str | None]) -> dict[str, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(conn.execute(select(parties_t.c.id, parties_t.c.name).where(parties_t.c.id.in_(sorted(ids)))).all())


def _batch_key(key: str) -> str:
    ref = key_ref(key)
    if ref.kind != "batch":
        raise InputError(f"Invalid key {key!r}: expected a batch key like 01/<gtin>/10/<lot>, got a "
                         f"{ref.kind} key.", field="key")
    return key


def _page_args(limit: int, after: str | None) -> None:
    if not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InputError(f"Invalid limit: expected 1 to {MAX_PAGE}, got {limit!r}; page with after.",
                         field="limit")
    if after is not None and (not after or len(after) > 200):
        raise InputError("Invalid after: expected the next of the previous page.", field="after")


def trace_forward(engine: Engine, batch_key: str, *, limit: int = DEFAULT_PAGE,
                  after: str | None = None) -> dict[str, Any]:
    """One page of a batch's forward trace (see module doc); `next` is None on the last page.

    `next_cursor` repeats `next` for clients of the first version, which paged with `cursor`.
    """
    _batch_key(batch_key)
    _page_args(limit, after)
    cursor = after
    with engine.connect() as conn:
        batch = batch_row(conn, batch_key)
        if batch is None:
            raise NotFound(f"No batch is registered under {batch_key}.")
        product = product_row(conn, batch.gtin)
        by_state = dict(conn.execute(
            select(items_t.c.state, func.count()).where(items_t.c.batch_key == batch_key).group_by(items_t.c.state)
        ).all())
        page = (select(items_t.c.key, items_t.c.serial, items_t.c.state, items_t.c.seller, items_t.c.courier,
                       items_t.c.parcel_key, items_t.c.last_time, items_t.c.last_region)
                .where(items_t.c.batch_key == batch_key).order_by(items_t.c.key).limit(limit + 1))
        if cursor is not None:
            page = page.where(items_t.c.key > cursor)
        rows, parcels = _page_with_parcels(conn, page.subquery())
        more = len(rows) > limit
        rows = rows[:limit]
        names = _names(conn, {batch.owner} | {r[3] for r in rows} | {r[4] for r in rows})
    # Plain tuple unpacking and inlined helpers: this loop is the cost of a 10,000-item page.
    items = []
    no_parcels: list[str] = []
    for key, serial, state, seller, courier, parcel_key, last_time, last_region in rows:
        region = last_region[:4] + "00" if last_region else None
        items.append({
            "key": key, "serial": serial, "state": state, "seller": seller, "courier": courier,
            "parcel": parcel_key, "parcels": parcels.get(key, no_parcels), "region": region,
            "buyer_region": region if state in DELIVERED else None, "last_time": _iso(last_time),
        })  # fmt: skip
    return {
        "batch": {"key": batch.key, "gtin": batch.gtin, "lot": batch.lot, "recalled": bool(batch.recalled),
                  "production_date": _iso(batch.production_date), "expiry_date": _iso(batch.expiry_date),
                  "origin_region": batch.origin_region, "producer": batch.owner,
                  "product": product.name if product else None},
        "totals": {"items": sum(by_state.values()), "by_state": by_state},
        "parties": names,
        "items": items,
        "next": rows[-1][0] if more else None,
        "next_cursor": rows[-1][0] if more else None,
    }


def _page_with_parcels(conn: Connection, page: Any) -> tuple[list[Any], dict[str, list[str]]]:
    """A page of items and the parcels each travelled in (first packed first, as `parcels_of` orders them),
    in one round trip: the page joined to its parcel contents, one row per item and parcel."""
    rows = conn.execute(
        select(*page.c, contents_t.c.parcel_key.label("packed_in"))
        .select_from(page.outerjoin(contents_t, contents_t.c.item_key == page.c.key))
        .order_by(page.c.key, contents_t.c.packed_at, contents_t.c.parcel_key)
    ).all()
    items: list[Any] = []
    parcels: dict[str, list[str]] = {}
    last = None
    for row in rows:
        key, packed_in = row[0], row[-1]
        if key != last:
            items.append(row[:-1])
            last = key
        if packed_in is not None:
            found = parcels.setdefault(key, [])
            if packed_in not in found:
                found.append(packed_in)
    return items, parcels


def trace_forward_json(engine: Engine, batch_key: str, **kwargs: Any) -> bytes:
    """`trace_forward` encoded once, straight to bytes with orjson (a 10,000-item page is the hot case)."""
    return orjson.dumps(trace_forward(engine, batch_key, **kwargs))


def _register_data(conn: Connection, key: str) -> dict[str, Any]:
    raw = conn.execute(select(entries_t.c.canonical).where(entries_t.c.key == key, entries_t.c.seq == 0)).scalar()
    if raw is None:
        return {}
    return json.loads(raw)["statement"].get("data", {})


def trace_backward(engine: Engine, item_key: str) -> dict[str, Any]:
    """Where an item came from: batch, product, producer (real name, licences), inputs, inspections, recalls."""
    with engine.connect() as conn:
        journey = journey_chains(conn, item_key)  # InputError for another kind of key, NotFound if unregistered
        item = item_row(conn, item_key)
        product = product_row(conn, item.gtin)
        batch = batch_row(conn, item.batch_key) if item.batch_key else None
        product_key = make_key(gtin=item.gtin)
        producer = conn.execute(select(parties_t).where(parties_t.c.id == product.owner)).first()
        batch_data = _register_data(conn, item.batch_key) if item.batch_key else {}
        product_data = _register_data(conn, product_key)
        events = [e for e in conn.execute(
            select(entries_t.c.key, entries_t.c.seq, entries_t.c.hash, entries_t.c.type, entries_t.c.canonical)
            .where(entries_t.c.key.in_(journey.keys), entries_t.c.type.in_(("inspect", "recall", "recall_lifted")))
            .order_by(entries_t.c.id)
        ) if journey.includes(e.key, e.seq)]
        names = _names(conn, {item.seller} | {json.loads(e.canonical)["statement"].get("actor") for e in events})
    inspections, recalls = [], []
    for e in events:
        st = json.loads(e.canonical)["statement"]
        base = {"key": e.key, "time": st["time"], "actor": st.get("actor"),
                "actor_name": names.get(st.get("actor")), "entry": bytes(e.hash).hex()}
        if e.type == "inspect":
            inspections.append(base | {k: st["data"].get(k) for k in ("result", "sampling", "lab_report_sha256",
                                                                       "note")})
        else:
            recalls.append(base | {"type": e.type, "reason": st["data"].get("reason")})
    origin = batch_data.get("origin")
    return {
        "item": {"key": item.key, "serial": item.serial, "state": item.state, "seller": item.seller,
                 "seller_name": names.get(item.seller), "registered": _iso(item.created)},
        "batch": None if batch is None else {
            "key": batch.key, "lot": batch.lot, "recalled": bool(batch.recalled),
            "production_date": _iso(batch.production_date), "expiry_date": _iso(batch.expiry_date),
            "origin": origin, "seafood": batch_data.get("seafood"),
            "certificates": batch_data.get("certificates", []), "quantity": batch_data.get("quantity"),
        },
        "product": {"key": product_key, "gtin": product.gtin, "name": product.name, "category": product.category,
                    "priority": bool(product.priority), "brand": product_data.get("brand"),
                    "net_weight_g": product.net_weight_g},
        "producer": None if producer is None else {
            "id": producer.id, "kind": producer.kind, "name": producer.name, "uscc": producer.uscc,
            "status": producer.status, "licences": producer.licences or [],
        },
        "inputs": {"origin": origin, "seafood": batch_data.get("seafood"),
                   "certificates": batch_data.get("certificates", [])},
        "inspections": inspections,
        "recalls": recalls,
    }
