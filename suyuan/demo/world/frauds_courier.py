"""Fake logistics: a courier that makes up some of the journeys it records.

On a share of the parcels it carries (`FAKE_SHARE`), the courier writes one
of its reasons, taken in turn, skipping those the route cannot show (a short
route cannot lack its long-route scans):

- `no_transit_scans`: a route of 600 km or more delivered with no scan at all;
- `too_fast`: another province delivered within minutes of dispatch;
- `signed_elsewhere`: signed in another province than the dispatch's `to_region`;
- `pickup_before_sale`: the dispatch's event time hours before the sale's
  (capture checks states in recorded order, so it accepts the earlier time
  and flags `out_of_order`);
- `transit_jump`: two scans in distant provinces minutes apart.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from suyuan.demo.world import journeys as j
from suyuan.demo.world.geo import CITIES, km

if TYPE_CHECKING:
    from suyuan.demo.world.state import World

FAKE_SHARE = 0.35
LONG_ROUTE_KM = 600


def _applies(reason: str, src, dst) -> bool:  # noqa: ANN001
    if reason == "no_transit_scans":
        return km(src, dst) >= LONG_ROUTE_KM
    if reason == "too_fast":
        return src.province != dst.province
    return True


def leg(w: World, order: j.Order) -> tuple[j.Leg, str | None]:
    """The order's leg, and the fake-logistics reason it shows (None: honest)."""
    tl = w.tl
    src, dst = order.merchant.city, order.shopper.city
    reasons = w.roster.reasons("fake_logistics", order.courier)
    if not reasons or tl.rng.random() >= FAKE_SHARE:
        return j.honest_leg(tl, src, dst), None
    turn = w.courier_turns.get(order.courier, 0)
    for k in range(len(reasons)):
        reason = reasons[(turn + k) % len(reasons)]
        if _applies(reason, src, dst):
            w.courier_turns[order.courier] = turn + k + 1
            w.faked[(order.courier, reason)] = w.faked.get((order.courier, reason), 0) + 1
            return FAKES[reason](w, src, dst), reason
    return j.honest_leg(tl, src, dst), None


def _no_scans(w: World, src, dst) -> j.Leg:  # noqa: ANN001
    honest = j.honest_leg(w.tl, src, dst)
    return j.Leg(honest.pickup, honest.duration)


def _too_fast(w: World, src, dst) -> j.Leg:  # noqa: ANN001
    return j.Leg(w.tl.hours(0.5, 6), w.tl.minutes(12, 50))


def _elsewhere(w: World, src, dst) -> j.Leg:  # noqa: ANN001
    honest = j.honest_leg(w.tl, src, dst)
    other = w.tl.rng.choice([c for c in CITIES if c.province != dst.province])
    honest.signed_region = other.code
    return honest


def _before_sale(w: World, src, dst) -> j.Leg:  # noqa: ANN001
    honest = j.honest_leg(w.tl, src, dst)
    honest.pickup = -w.tl.hours(1.5, 8)
    return honest


def _jump(w: World, src, dst) -> j.Leg:  # noqa: ANN001
    tl = w.tl
    honest = j.honest_leg(tl, src, dst)
    far = tl.rng.choice([c for c in CITIES if c.province != src.province and km(src, c) >= 800])
    depart = tl.hours(0.5, 2)
    honest.scans = [(depart, src, "depart", tl.minutes(0.2, 5)),
                    (depart + tl.minutes(8, 40), far, "arrive", tl.minutes(0.2, 5))]
    honest.duration = max(honest.duration, depart + timedelta(hours=4))
    return honest


FAKES = {"no_transit_scans": _no_scans, "too_fast": _too_fast, "signed_elsewhere": _elsewhere,
         "pickup_before_sale": _before_sale, "transit_jump": _jump}
