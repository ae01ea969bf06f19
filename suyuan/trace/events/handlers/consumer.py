"""Handlers of the shopper's events, appended with a review token: review, complain.

A delivery allows one review, one follow-up review and one complaint,
whichever of its review tokens is used (`suyuan.trace.events.reviews`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from suyuan.errors import RuleViolation
from suyuan.trace.credit import complaints, marks
from suyuan.trace.events import lifecycle, rules
from suyuan.trace.events.context import Ctx, later, set_item
from suyuan.trace.events.tokens import deliveries_t, tokens_t
from suyuan.trace.goods.registry import item_row


def _token_delivery(ctx: Ctx) -> Any:
    """The delivery of this item that the caller's review token belongs to; refused otherwise.

    The token row names its item: a token issued for one item never reviews
    another, even one that was delivered too.
    """
    row = item_row(ctx.conn, ctx.ref.key)
    token = ctx.conn.execute(select(tokens_t.c.item_key, tokens_t.c.delivery)
                             .where(tokens_t.c.digest == ctx.token_digest)).first()
    # A token of another delivery is refused as an undelivered item is: one code, one message for both.
    refusal = lifecycle.transition(ctx.spec.name, "item")
    rules.require(row is not None and token is not None and token.item_key == ctx.ref.key,
                  refusal.detail.format(key=ctx.ref.key), refusal.rule, "key")
    lifecycle.check(ctx.spec.name, "item", row.state, ctx.ref.key)
    # The item row is locked (capture locks the subject first), so uses of one delivery are serialised.
    set_item(ctx.conn, row.key, last_time=later(row.last_time, ctx.when))
    return ctx.conn.execute(select(deliveries_t).where(deliveries_t.c.id == token.delivery)).one()


def _used(ctx: Ctx, when: datetime, what: str, allowed: str) -> None:
    raise RuleViolation(
        f"This review token's delivery of {ctx.ref.key} already has its {what} "
        f"(recorded {when.isoformat(timespec='seconds')}): {allowed}; nothing was written.",
        rule="token_used", field="authorization")


def _use(ctx: Ctx, delivery: Any, **values: Any) -> None:
    ctx.conn.execute(update(deliveries_t).where(deliveries_t.c.id == delivery.id).values(**values))


def review(ctx: Ctx) -> None:
    delivery = _token_delivery(ctx)
    if not ctx.data.follow_up_to:
        if delivery.reviewed_at is not None:
            _used(ctx, delivery.reviewed_at, "review",
                  "a delivery allows one review, and one follow-up through data.follow_up_to")
        _use(ctx, delivery, reviewed_at=ctx.now)
        # The first review's hash, for its follow-up: known once the entry is appended.
        ctx.after.append(lambda appended: _use(ctx, delivery, review=appended.hash))
        return
    _follow_up(ctx, delivery)


def _follow_up(ctx: Ctx, delivery: Any) -> None:
    follow_up = ctx.data.follow_up_to
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


def complain(ctx: Ctx) -> None:
    delivery = _token_delivery(ctx)
    if delivery.complained_at is not None:
        _used(ctx, delivery.complained_at, "complaint", "a delivery allows one complaint")
    _use(ctx, delivery, complained_at=ctx.now)
    # A shopper's complaint is taken in like a hotline's, about the item's seller (else its producer).
    party = complaints.subject_of_key(ctx.conn, ctx.ref.key, "key")
    marks.ensure_party(ctx.conn, ctx.settings, party)
    ctx.after.append(lambda a: complaints.file(ctx.conn, party, a.hash, complaints.SHOPPER, ctx.data.category,
                                               None, ctx.ref.key, ctx.when))
