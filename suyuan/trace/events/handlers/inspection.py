"""Handlers of the inspector's events (and a producer's own inspections): inspect, recall,
recall_lifted, hide_review."""

from __future__ import annotations

from sqlalchemy import select, update

from suyuan.ledger.models import Entry
from suyuan.trace.credit import marks
from suyuan.trace.events import lifecycle, rules
from suyuan.trace.events.context import Ctx, need, touch_item
from suyuan.trace.goods.registry import batch_row, batches_t, forget_row, item_row, product_row

entries_t = Entry.__table__


def inspect(ctx: Ctx) -> None:
    ref, conn = ctx.ref, ctx.conn
    if ref.kind == "product":
        row = need(product_row(conn, ref.gtin), "product", ref.key)
    elif ref.kind == "batch":
        row = need(batch_row(conn, ref.key), "batch", ref.key)
    else:
        row = need(item_row(conn, ref.key), "item", ref.key)
    if not ctx.party.has("inspector"):
        rules.require_party(row.owner, ctx.actor, f"{ref.kind} {ref.key}", "producers inspect only their own goods")
    if ref.kind == "item":
        touch_item(ctx, row)
    if ctx.data.result == "fail":  # a failed inspection weighs on the producer's credit
        ctx.after.append(lambda a: marks.add(conn, ctx.settings, row.owner, "inspection", "medium", a.hash,
                                             ref.key, ctx.when))


def _set_recalled(ctx: Ctx) -> None:
    row = need(batch_row(ctx.conn, ctx.ref.key), "batch", ctx.ref.key)
    state = lifecycle.check(ctx.spec.name, "batch", lifecycle.batch_state(row), row.key)
    recalled = state == lifecycle.BatchState.RECALLED
    ctx.conn.execute(update(batches_t).where(batches_t.c.key == row.key).values(recalled=recalled))
    forget_row(ctx.conn, batches_t, row.key)


def recall(ctx: Ctx) -> None:
    _set_recalled(ctx)
    owner = batch_row(ctx.conn, ctx.ref.key).owner  # a recall weighs on the producer's credit
    ctx.after.append(lambda a: marks.add(ctx.conn, ctx.settings, owner, "recall", "high", a.hash, ctx.ref.key,
                                         ctx.when))


def recall_lifted(ctx: Ctx) -> None:
    _set_recalled(ctx)


def hide_review(ctx: Ctx) -> None:
    need(item_row(ctx.conn, ctx.ref.key), "item", ctx.ref.key)
    where = "data.review"
    row = ctx.conn.execute(
        select(entries_t.c.key, entries_t.c.type).where(entries_t.c.hash == bytes.fromhex(ctx.data.review))
    ).first()
    rules.require(row is not None and row.key == ctx.ref.key and row.type == "review",
                  f"Invalid {where}: expected the hash of a review of {ctx.ref.key}, got {ctx.data.review}.",
                  "not_a_review", where)
