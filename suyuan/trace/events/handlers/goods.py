"""Handlers of the producer's and seller's events: register, assign, list, sell."""

from __future__ import annotations

from datetime import datetime, timedelta

from suyuan.codes.gs1 import make_key
from suyuan.errors import InputError
from suyuan.trace.events import lifecycle, rules
from suyuan.trace.events import payloads as ev
from suyuan.trace.events.context import Ctx, batch_of, need, party_with_role, touch_item
from suyuan.trace.goods.registry import batch_row, batches_t, item_row, items_t, product_row, products_t

SELLER_ROLES = ("merchant", "platform")


def register(ctx: Ctx) -> None:
    if ctx.ref.kind == "product":
        _register_product(ctx)
        return
    product = need(product_row(ctx.conn, ctx.ref.gtin), "product", make_key(gtin=ctx.ref.gtin))
    rules.require_party(product.owner, ctx.actor, f"product {ctx.ref.gtin}", "only its producer registers its goods")
    if ctx.ref.kind == "batch":
        _register_batch(ctx)
    else:
        _register_item(ctx)


def _register_product(ctx: Ctx) -> None:
    conn, ref, d = ctx.conn, ctx.ref, ctx.data
    existing = product_row(conn, ref.gtin)
    rules.require(existing is None, f"Product {ref.gtin} is already registered by party "
                  f"{existing.owner if existing else ''}: register each GTIN once.", "already_registered", "key")
    priority = d.priority if d.priority is not None else ev.CATEGORIES[d.category][1]
    conn.execute(products_t.insert().values(gtin=ref.gtin, owner=ctx.actor, name=d.name, category=d.category,
                                            priority=priority, net_weight_g=d.net_weight_g))


def _register_batch(ctx: Ctx) -> None:
    conn, ref, d = ctx.conn, ctx.ref, ctx.data
    existing = batch_row(conn, ref.key)
    lifecycle.check("register", "batch", lifecycle.batch_state(existing) if existing else None, ref.key)
    produced = datetime.fromisoformat(d.production_date).date()
    expiry = datetime.fromisoformat(d.expiry_date).date() if d.expiry_date else None
    if expiry is None and d.shelf_life_days:
        expiry = produced + timedelta(days=d.shelf_life_days)
    if expiry is not None and expiry < produced:
        raise InputError(f"Invalid data.expiry_date: expected on or after production_date "
                         f"{produced.isoformat()}, got {expiry.isoformat()}.", field="data.expiry_date")
    conn.execute(batches_t.insert().values(
        key=ref.key, gtin=ref.gtin, lot=ref.lot, owner=ctx.actor, production_date=produced,
        expiry_date=expiry, origin_region=d.origin.region, recalled=False))


def _register_item(ctx: Ctx) -> None:
    conn, ref, d = ctx.conn, ctx.ref, ctx.data
    existing = item_row(conn, ref.key)
    state = lifecycle.check("register", "item", existing.state if existing else None, ref.key)
    lot = ref.lot or d.lot
    if ref.lot and d.lot and d.lot != ref.lot:
        raise InputError(f"Invalid data.lot: expected the key's lot {ref.lot!r}, got {d.lot!r}.", field="data.lot")
    batch_key = None
    if lot:
        batch_key = make_key(gtin=ref.gtin, lot=lot)
        need(batch_row(conn, batch_key), "batch", batch_key)
    if d.seller:
        party_with_role(conn, d.seller, SELLER_ROLES, "seller")
    conn.execute(items_t.insert().values(
        key=ref.key, gtin=ref.gtin, batch_key=batch_key, serial=ref.serial, owner=ctx.actor,
        seller=d.seller, state=state, last_time=ctx.when))


def assign(ctx: Ctx) -> None:
    row = need(item_row(ctx.conn, ctx.ref.key), "item", ctx.ref.key)
    rules.require_party(row.owner, ctx.actor, f"item {row.key}", "only its producer assigns it")
    lifecycle.check("assign", "item", row.state, row.key)
    party_with_role(ctx.conn, ctx.data.seller, SELLER_ROLES, "seller")
    touch_item(ctx, row, seller=ctx.data.seller)


def list_(ctx: Ctx) -> None:
    row = need(item_row(ctx.conn, ctx.ref.key), "item", ctx.ref.key)
    rules.require_party(row.seller, ctx.actor, f"item {row.key}", "the producer assigns items to their seller")
    state = lifecycle.check("list", "item", row.state, row.key)
    rules.require_sellable(batch_of(ctx, row), ctx.when, "list")
    touch_item(ctx, row, state=state)


def sell(ctx: Ctx) -> None:
    row = need(item_row(ctx.conn, ctx.ref.key), "item", ctx.ref.key)
    rules.require_party(row.seller, ctx.actor, f"item {row.key}", "the producer assigns items to their seller")
    state = lifecycle.check("sell", "item", row.state, row.key)
    rules.require_sellable(batch_of(ctx, row), ctx.when, "sell")
    if ctx.data.courier:
        party_with_role(ctx.conn, ctx.data.courier, ("courier",), "courier")
    touch_item(ctx, row, state=state, courier=ctx.data.courier)
