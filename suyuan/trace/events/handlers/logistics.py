"""Handlers of the journey's events: pack, unpack, dispatch, transit, deliver, return."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import update

from suyuan.errors import Forbidden, InputError
from suyuan.trace.events import lifecycle, rules
from suyuan.trace.events.context import (
    Ctx,
    batch_of,
    later,
    moving,
    need,
    party_with_role,
    set_item,
    set_parcel,
    touch_item,
    track,
)
from suyuan.trace.events.tokens import deliveries_t, new_token, tokens_t
from suyuan.trace.goods.registry import (
    contents_t,
    item_row,
    key_ref,
    parcel_items,
    parcel_row,
    parcels_t,
    product_row,
)

COURIER = ("courier",)


def pack(ctx: Ctx) -> None:
    conn, key = ctx.conn, ctx.ref.key
    parcel = parcel_row(conn, key)
    before = parcel.state if parcel is not None else None
    if parcel is None:  # packing into a new SSCC opens the parcel
        conn.execute(parcels_t.insert().values(key=key, owner=ctx.actor, state=lifecycle.ParcelState.OPEN,
                                               last_time=ctx.when))
        parcel = parcel_row(conn, key)
    rules.require_party(parcel.owner, ctx.actor, f"parcel {key}", "only the party that packed it adds to it")
    lifecycle.check("pack", "parcel", before, key)
    if ctx.data.courier:
        party_with_role(conn, ctx.data.courier, COURIER, "courier")
    if len(set(ctx.data.items)) != len(ctx.data.items):
        raise InputError("Invalid data.items: expected each item once.", field="data.items")
    for i, item_key in enumerate(ctx.data.items):
        _pack_item(ctx, item_key, f"data.items.{i}")
    values: dict[str, Any] = {"last_time": later(parcel.last_time, ctx.when)}
    if ctx.data.courier:
        values["courier"] = ctx.data.courier
    set_parcel(conn, key, **values)


def _pack_item(ctx: Ctx, item_key: str, where: str) -> None:
    conn = ctx.conn
    try:
        ref = key_ref(item_key)
    except InputError as exc:
        raise InputError(f"Invalid {where}: {exc}", field=where) from None
    if ref.kind != "item":
        raise InputError(f"Invalid {where}: expected an item key, got a {ref.kind} key.", field=where)
    item = need(item_row(conn, item_key, lock=True), "item", item_key)
    if ctx.actor not in (item.owner, item.seller):
        raise Forbidden(f"Not your goods: item {item_key} belongs to party {item.owner}, "
                        f"got party {ctx.actor}; only its producer or seller packs it.", field=where)
    rules.require(item.parcel_key is None, f"Item {item_key} is already in parcel {item.parcel_key}: "
                  "unpack it first.", "item_packed", where)
    lifecycle.check("pack", "item", item.state, item_key, where)
    set_item(conn, item_key, parcel_key=ctx.ref.key)
    conn.execute(contents_t.insert().values(parcel_key=ctx.ref.key, item_key=item_key, packed_at=ctx.when))


def unpack(ctx: Ctx) -> None:
    conn, key = ctx.conn, ctx.ref.key
    parcel = need(parcel_row(conn, key), "parcel", key)
    rules.require_party(parcel.owner, ctx.actor, f"parcel {key}", "only the party that packed it unpacks it")
    lifecycle.check("unpack", "parcel", parcel.state, key)
    inside = {r.key for r in parcel_items(conn, key, lock=True)}
    targets = ctx.data.items if ctx.data.items is not None else sorted(inside)
    for i, item_key in enumerate(targets):
        rules.require(item_key in inside, f"Item {item_key} is not in parcel {key}: expected one of its "
                      f"{len(inside)} items.", "not_in_parcel", f"data.items.{i}")
        set_item(conn, item_key, parcel_key=None)
        conn.execute(update(contents_t).where(contents_t.c.parcel_key == key, contents_t.c.item_key == item_key,
                                              contents_t.c.unpacked_at.is_(None)).values(unpacked_at=ctx.when))
    set_parcel(conn, key, last_time=later(parcel.last_time, ctx.when))


def dispatch(ctx: Ctx) -> None:
    subject, items = moving(ctx)
    kind, key = ctx.ref.kind, ctx.ref.key
    rules.require_party(subject.courier, ctx.actor, f"{kind} {key}",
                        "the seller names the courier when selling or packing")
    if kind == "parcel":
        rules.require(bool(items), f"Parcel {key} is empty: expected at least one packed item to "
                      "dispatch.", "empty_parcel", "key")
        state = lifecycle.check("dispatch", "parcel", subject.state, key)
    for item in items:
        # The items a parcel carries leave dispatched too (`track` writes the state on them).
        moved = lifecycle.check("dispatch", "item", item.state, item.key)
        rules.require_sellable(batch_of(ctx, item), ctx.when, "dispatch")
    if kind == "item":
        state = moved
    net = sum(product_row(ctx.conn, item.gtin).net_weight_g or 0 for item in items)
    ctx.signals += rules.weight_signal(key, ctx.data.weight_g, net)
    values = {"state": state, "dispatched_at": ctx.when, "dispatch_from": ctx.data.from_region}
    if kind == "parcel":
        values["declared_weight_g"] = ctx.data.weight_g
    track(ctx, subject, items, ctx.data.from_region, **values)
    if kind == "parcel":
        for item in items:
            set_item(ctx.conn, item.key, courier=ctx.actor)


def _in_transit(ctx: Ctx, event: str) -> tuple[Any, list[Any], lifecycle.State | None]:
    subject, items = moving(ctx)
    if ctx.ref.kind == "item" and subject.parcel_key is not None:
        parcel = parcel_row(ctx.conn, subject.parcel_key)
        rules.require(parcel is None or parcel.state != lifecycle.ParcelState.DISPATCHED,
                      f"Item {subject.key} travels in parcel {subject.parcel_key}: record {event} on the parcel.",
                      "item_packed", "key")
    rules.require_party(subject.courier, ctx.actor, f"{ctx.ref.kind} {ctx.ref.key}",
                        "the seller names the courier when selling or packing")
    return subject, items, lifecycle.check(ctx.spec.name, ctx.ref.kind, subject.state, ctx.ref.key)


def transit(ctx: Ctx) -> None:
    subject, items, _ = _in_transit(ctx, "transit")
    track(ctx, subject, items, ctx.data.region)


def deliver(ctx: Ctx) -> None:
    subject, items, state = _in_transit(ctx, "delivery")
    ctx.signals += rules.delivery_signal(ctx.ref.key, subject.dispatched_at, subject.dispatch_from,
                                         ctx.data.region, ctx.when, ctx.settings)
    track(ctx, subject, items, ctx.data.region, state=state)
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


def return_(ctx: Ctx) -> None:
    row = need(item_row(ctx.conn, ctx.ref.key), "item", ctx.ref.key)
    rules.require_party(row.seller, ctx.actor, f"item {row.key}", "returns are accepted by the seller")
    state = lifecycle.check("return", "item", row.state, row.key)
    touch_item(ctx, row, state=state, parcel_key=None, courier=None)
    ctx.conn.execute(update(contents_t).where(contents_t.c.item_key == row.key, contents_t.c.unpacked_at.is_(None))
                     .values(unpacked_at=ctx.when))
