"""The honest world: shops selling to shoppers over the days, with the noise that looks like fraud.

Sales follow the hours of the day; heavy shoppers buy from many shops over
weeks (never in bursts); some shops run a promotion day, with many real
orders at once and reviews spread over the following days; a few percent of
orders come back, and some returned items are listed and sold again;
inspectors sample batches, which pass; delivered items are checked by their
owners, sometimes again from another province hours later on a journey.
Couriers that commit fake logistics do it on some of the honest orders they
carry (`frauds_courier`).
"""

from __future__ import annotations

import bisect
import itertools
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from suyuan.demo.world import frauds_courier
from suyuan.demo.world import journeys as j
from suyuan.demo.world.geo import CITIES

if TYPE_CHECKING:
    from suyuan.demo.world.state import World

HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 7, 7, 7, 7, 7, 8, 9, 10, 10, 8, 4)
RETURN_SHARE = 0.03
REVIEW_SHARE = 0.25
PROMOTION_REGULARS = 0.5  # share of a promotion's orders from shoppers who bought at the shop before


def sale_times(w: World, n: int) -> list[datetime]:
    """`n` sale times over the world's days, following the hours of the day, sorted."""
    rng, start = w.tl.rng, w.tl.start
    days = max(1, w.params.days - 1)
    out = []
    for _ in range(n):
        day = rng.uniform(0.5, days)
        base = (start + timedelta(days=day)).replace(minute=0, second=0, microsecond=0)
        hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
        out.append(base.replace(hour=hour) + timedelta(minutes=rng.uniform(0, 60)))
    return sorted(t for t in out if t < w.tl.end - timedelta(hours=2))


def honest_orders(w: World, n: int) -> None:
    rng = w.tl.rng
    merchants = w.cast.merchants
    m_cum = list(itertools.accumulate(m.daily_weight for m in merchants))
    shoppers = [s for s in w.cast.shoppers if not s.fresh]
    s_cum = list(itertools.accumulate(s.weight for s in shoppers))
    promos = _promotions(w)
    times = sale_times(w, n - sum(count for _, _, count in promos))
    for when, m_index in _promotion_sales(w, promos):
        times.append(when)
        w.forced[when] = m_index
    times.sort()
    for when in times:
        m_index = w.forced.pop(when, None)
        m = merchants[m_index] if m_index is not None else merchants[bisect.bisect(m_cum, rng.random() * m_cum[-1])]
        shopper = shoppers[min(len(shoppers) - 1, bisect.bisect(s_cum, rng.random() * s_cum[-1]))]
        past = w.by_merchant.get(m.index, []) if m_index is not None else []
        if past and rng.random() < PROMOTION_REGULARS:  # a promotion brings the shop's customers back
            shopper = rng.choice(past).shopper
        honest_order(w, m, shopper, when)


def _promotions(w: World) -> list[tuple[int, datetime, int]]:
    """A tenth of the honest shops run one promotion evening, with many real orders."""
    rng = w.tl.rng
    honest = [m.index for m in w.cast.merchants if not w.roster.merchants.get(m.index)]
    chosen = rng.sample(honest, k=max(1, len(honest) // 10)) if honest else []
    out = []
    for m in chosen:
        day = rng.uniform(2, max(3, w.params.days - 8))
        start = (w.tl.start + timedelta(days=day)).replace(hour=20, minute=0, second=0, microsecond=0)
        out.append((m, start, rng.randint(15, 40)))
    return out


def _promotion_sales(w: World, promos: list[tuple[int, datetime, int]]) -> list[tuple[datetime, int]]:
    return [(start + w.tl.minutes(0, 180), m) for m, start, count in promos for _ in range(count)]


def honest_order(w: World, m, shopper, when: datetime) -> j.Order | None:  # noqa: ANN001
    tl, rng = w.tl, w.tl.rng
    product = rng.choice(m.products)
    n_items = 1 if rng.random() < 0.9 else rng.randint(2, 3)
    stock = [w.goods.stock(m, product, when) for _ in range(n_items)]
    courier_index = rng.choice(m.couriers)
    courier = w.cast.couriers[courier_index]
    order = j.sell(tl, m, shopper, courier, courier_index, stock, when)
    w.orders += 1
    w.by_merchant.setdefault(m.index, []).append(order)
    leg, _ = frauds_courier.leg(w, order)
    if j.ship(tl, order, courier, leg) is None:
        return order
    if rng.random() < RETURN_SHARE:
        back = j.give_back(tl, order, order.delivered + tl.hours(20, 160))
        for s in back:
            if rng.random() < 0.5:
                w.goods.relist(m, s, s.floor + tl.hours(2, 48))
        return order
    if rng.random() < REVIEW_SHARE:
        j.honest_review(tl, order)
    if rng.random() < 0.15:
        owner_checks(w, order)
    return order


def owner_checks(w: World, order: j.Order) -> None:
    """The owner checks the code after delivery; sometimes again days or hours later from a journey."""
    tl, rng = w.tl, w.tl.rng
    me = tl.checker()
    at = order.delivered + tl.hours(0.5, 48)
    for key in order.keys:
        if at < tl.end:
            tl.check(at, key, order.shopper.city.code, me)
        if rng.random() < 0.3:  # a reload, or a family member's phone
            again = at + tl.minutes(1, 600)
            if again < tl.end:
                tl.check(again, key, order.shopper.city.code, me if rng.random() < 0.5 else tl.checker())
        if rng.random() < 0.15:  # a travelling shopper: another province, hours later (plausible)
            away = rng.choice([c for c in CITIES if c.province != order.shopper.city.province])
            later = at + tl.hours(5, 30)
            if later < tl.end:
                tl.check(later, key, away.code, tl.checker())


def inspections(w: World) -> None:
    """Inspectors sample a share of the batches, and they pass."""
    tl, rng = w.tl, w.tl.rng
    for batch in list(w.goods.batches.values()):
        if rng.random() < 0.15:
            at = batch.rec + tl.hours(6, 72)
            if at < tl.end:
                tl.add(at, batch.key, "inspect", at, rng.choice(w.cast.inspectors),
                       {"result": "pass", "sampling": True, "note": "监督抽检合格"})
