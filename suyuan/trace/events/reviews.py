"""The seller's copy of a delivery's review token (`GET /v1/items/{key}/review-token`).

The server keeps only SHA-256 digests of review tokens, so the token a
delivery answered to the courier cannot be shown again. Rather than derive
tokens from a server secret (whoever holds that secret could review as any
shopper, and a leaked secret would expose every token), the seller's fetch
issues a second random token for the same delivery. Both tokens point at one
`deliveries` row, which holds the allowance: one review, one follow-up and
one complaint per delivery, whichever token is used. The courier's token can
go on the delivery slip, the seller's through the platform's order page; the
shopper needs only one. The fetch is answered once per delivery, so a token
leaves the server at most twice: once to the courier, once to the seller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote

from sqlalchemy import Engine, select, update

from suyuan.errors import Forbidden, InputError, NotFound, RuleViolation
from suyuan.trace.events import lifecycle, rules
from suyuan.trace.events.tokens import deliveries_t, new_token, tokens_t
from suyuan.trace.goods.registry import item_row, key_ref
from suyuan.trace.parties.registry import PartyView

UTC = timezone.utc


@dataclass(frozen=True)
class HandedOut:
    key: str
    review_token: str
    delivered: datetime

    def review_url(self, resolver_url: str) -> str:
        """The scan page with the review form filled in: what a QR code on a delivery slip carries."""
        return f"{resolver_url.rstrip('/')}/{self.key}?review_token={quote(self.review_token)}"


def hand_out(engine: Engine, party: PartyView, key: str, now: datetime | None = None) -> HandedOut:
    """Issue the seller's review token for the latest delivery of item `key`, once.

    Requires the item's seller (the party that recorded its sale); anyone else
    is Forbidden. NotFound for an unregistered item, `no_delivery` before
    delivery, `token_handed_out` on a second fetch for the same delivery.
    """
    now = now or datetime.now(UTC)
    ref = key_ref(key)
    if ref.kind != "item":
        raise InputError(f"Invalid key {key!r}: expected an item key (01/<GTIN>[/10/<lot>]/21/<serial>), "
                         f"got a {ref.kind} key.", field="key")
    with engine.begin() as conn:
        item = item_row(conn, ref.key, lock=True)  # serialises with the item's reviews and other fetches
        if item is None:
            raise NotFound(f"No item is registered under {ref.key}: expected the key of a delivered item.")
        delivery = conn.execute(select(deliveries_t).where(deliveries_t.c.item_key == ref.key)
                                .order_by(deliveries_t.c.delivered.desc()).limit(1)).first()
        seller = delivery.seller if delivery is not None else item.seller
        if seller != party.id:
            raise Forbidden(f"Not your sale: item {ref.key} was sold by party {seller}, got party {party.id}; "
                            "only its seller fetches its review token.")
        rules.require(delivery is not None and item.state in lifecycle.allowed("review", "item"),
                      f"Item {ref.key} is {item.state}, not delivered: its review token is issued at "
                      "delivery; fetch it after the courier records the delivery.", "no_delivery", "key")
        if delivery.handed_out_at is not None:
            raise RuleViolation(
                f"The review token of this delivery of {ref.key} was already handed out "
                f"({delivery.handed_out_at.isoformat(timespec='seconds')}): it is answered "
                "once per delivery.", rule="token_handed_out", field="key")
        token, digest = new_token()
        conn.execute(tokens_t.insert().values(digest=digest, item_key=ref.key, delivery=delivery.id))
        conn.execute(update(deliveries_t).where(deliveries_t.c.id == delivery.id).values(handed_out_at=now))
    return HandedOut(ref.key, token, delivery.delivered)
