"""Unsafe goods and cloned codes.

- unsafe_goods `sold_after_expiry`: capture refuses a sale or dispatch dated
  after the batch's expiry, so the shop backdates: the sales are recorded
  one to six days after the expiry date, with event times on the expiry day
  (the dispatch too, recorded after the sale; the delivery is dated when it
  happens). The entries' recorded times give it away.
- unsafe_goods `failed_inspection`: an inspector's sampling fails the batch
  (`inspect` with result fail blocks nothing) and the shop goes on selling it.
- unsafe_goods `aquatic_shelf_life`: seafood from a batch with a two-day
  shelf life, sent on routes that take three to four days.
- cloned_code (no party: counterfeiters are outside the system), consumer
  checks through `suyuan.trace.journey.scanlog.record_scan`: a real item's
  code checked in distant provinces within the hour (`distant_regions`); by
  dozens of different checkers within hours (`too_many_checks`); codes never
  registered under a real GTIN and lot (`unregistered_serial`).

Honest look-alikes: batches that expire during the world, sold promptly up to
their last day; a batch that fails its inspection and is not sold again.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Callable

from suyuan.codes.gs1 import make_key
from suyuan.demo.world import journeys as j
from suyuan.demo.world.cast import Merchant, Product, Shopper
from suyuan.demo.world.geo import CITIES, km
from suyuan.demo.world.goods import Batch

if TYPE_CHECKING:
    from suyuan.demo.world.state import World

UTC = timezone.utc


def _product(w: World, m: Merchant, category: str | None = None) -> Product:
    found = [p for p in m.products if (p.category == category if category else p.category != "aquatic")]
    if found:
        return found[0]
    extra = next(p for p in w.cast.products if (p.category == category if category else p.category != "aquatic"))
    m.products.append(extra)
    return extra


def _lot(w: World, m: Merchant, p: Product, tag: str, produced: datetime, shelf_days: int) -> Batch:
    n = len(w.goods.batches) + len(w.special)
    batch = w.goods.new_batch(m, p, f"M{m.index:03d}{tag}{n:04d}", produced.date(),
                              max(produced, w.tl.start + timedelta(hours=1)), shelf_days)
    w.special.append(batch)
    return batch


def _sales(w: World, m: Merchant, batch: Batch, times: list[datetime], *, delay: timedelta | None = None,
           leg: Callable[[Shopper], j.Leg] | None = None, buyers: list[Shopper] | None = None) -> list[j.Order]:
    """Orders of the batch's goods at `times`, to `buyers` (default: regular shoppers)."""
    tl, out = w.tl, []
    for when in times:
        when = max(when, batch.rec + timedelta(hours=1))
        buyer = tl.rng.choice(buyers or w.regulars)
        stock = [w.goods.stock(m, batch.product, when, batch=batch)]
        courier = w.honest_courier(m)
        order = j.sell(tl, m, buyer, w.cast.couriers[courier], courier, stock, when, delay=delay)
        w.orders += 1
        j.ship(tl, order, w.cast.couriers[courier], leg(buyer) if leg else j.honest_leg(tl, m.city, buyer.city))
        out.append(order)
    return out


def sold_after_expiry(w: World, m: Merchant) -> None:
    tl = w.tl
    expiry_at = w.some_time(early_margin_days=w.params.days // 3, late_margin_days=8)
    produced = expiry_at - timedelta(days=20)
    batch = _lot(w, m, _product(w, m), "X", produced, 20)
    last_day = datetime.combine(batch.expiry, time(10), tzinfo=UTC)

    def prompt_pickup(buyer: Shopper) -> j.Leg:  # dispatched the same (backdated) day
        leg = j.honest_leg(tl, m.city, buyer.city)
        leg.pickup = tl.hours(0.5, 4)
        return leg

    before = [min(last_day - timedelta(hours=12), produced + timedelta(hours=2) + (expiry_at - produced) *
                  tl.rng.random()) for _ in range(5)]
    _sales(w, m, batch, sorted(before), leg=prompt_pickup)

    for _ in range(tl.rng.randint(6, 12)):
        _sales(w, m, batch, [last_day + tl.hours(0, 8)], delay=tl.hours(38, 24 * 6), leg=prompt_pickup)
    w.bad_batches.append((batch, m, "sold_after_expiry"))


def failed_inspection(w: World, m: Merchant) -> None:
    tl = w.tl
    at = w.some_time(early_margin_days=w.params.days // 3, late_margin_days=10)
    batch = _lot(w, m, _product(w, m), "I", at - timedelta(days=12), 365)
    _sales(w, m, batch, sorted(batch_time(w, batch) + tl.hours(2, 24 * 10) for _ in range(4)))
    tl.add(at, batch.key, "inspect", at, tl.rng.choice(w.cast.inspectors),
           {"result": "fail", "sampling": True, "note": "监督抽检不合格"})
    _sales(w, m, batch, sorted(at + tl.hours(3, 24 * 7) for _ in range(tl.rng.randint(6, 12))))
    w.bad_batches.append((batch, m, "failed_inspection"))


def batch_time(w: World, batch: Batch) -> datetime:
    return batch.rec + timedelta(hours=1)


def aquatic_shelf_life(w: World, m: Merchant) -> None:
    tl = w.tl
    landed = w.some_time(early_margin_days=3, late_margin_days=6).replace(hour=5)
    batch = _lot(w, m, _product(w, m, "aquatic"), "A", landed, 2)
    far = [s for s in w.regulars if km(m.city, s.city) >= 1000] or w.regulars

    def slow(buyer: Shopper) -> j.Leg:  # ordinary freight, not the cold chain: three to four days
        leg = j.honest_leg(tl, m.city, buyer.city)
        leg.pickup, leg.duration = tl.hours(1, 6), tl.hours(72, 100)
        leg.scans = [(tl.hours(1, 3), m.city, "depart", tl.minutes(0.2, 5)),
                     (tl.hours(60, 70), buyer.city, "arrive", tl.minutes(0.2, 5))]
        return leg

    times = [landed + tl.hours(1, 10) for _ in range(tl.rng.randint(6, 10))]
    _sales(w, m, batch, sorted(times), leg=slow, buyers=far)
    w.bad_batches.append((batch, m, "aquatic_shelf_life"))


def honest_lookalikes(w: World) -> None:
    """Honest shops: a batch expiring during the world sold up to its last day, and a failed batch
    taken off sale."""
    tl = w.tl
    honest = [m for m in w.cast.merchants if not w.roster.merchants.get(m.index)]
    for m in tl.rng.sample(honest, k=min(len(honest), max(2, len(honest) // 20))):
        expiry_at = w.some_time(early_margin_days=w.params.days // 3, late_margin_days=5)
        batch = _lot(w, m, _product(w, m), "E", expiry_at - timedelta(days=15), 15)
        last = datetime.combine(batch.expiry, time(9), tzinfo=UTC)

        def prompt(buyer: Shopper, m: Merchant = m) -> j.Leg:  # picked up within hours, before the expiry
            leg = j.honest_leg(tl, m.city, buyer.city)
            leg.pickup = tl.hours(0.5, 4)
            return leg

        _sales(w, m, batch, sorted(last - tl.hours(0, 24 * 6) for _ in range(6)), leg=prompt)
    for m in tl.rng.sample(honest, k=min(len(honest), max(1, len(honest) // 40))):
        at = w.some_time(early_margin_days=w.params.days // 3, late_margin_days=5)
        batch = _lot(w, m, _product(w, m), "F", at - timedelta(days=10), 365)
        failed = at + timedelta(days=2)
        before = (min(failed - timedelta(hours=48), batch_time(w, batch) + tl.hours(2, 24 * 8)) for _ in range(5))
        _sales(w, m, batch, sorted(before))
        tl.add(failed, batch.key, "inspect", failed, tl.rng.choice(w.cast.inspectors),
               {"result": "fail", "sampling": True, "note": "监督抽检不合格，已下架"})


# --- cloned codes -------------------------------------------------------------------------


def cloned_codes(w: World) -> None:
    tl, n = w.tl, w.params.keys_per_reason
    delivered = [o for orders in w.by_merchant.values() for o in orders
                 if o.delivered is not None and o.delivered < tl.end - timedelta(days=3)]
    picks = tl.rng.sample(delivered, k=min(len(delivered), 2 * n))
    for order in picks[:n]:
        key = order.keys[0]
        a, b = tl.rng.choice([(x, y) for x in CITIES for y in CITIES if x.province != y.province and km(x, y) > 800])
        at = order.delivered + tl.hours(6, 48)
        tl.check(at, key, a.code, tl.checker())
        tl.check(at + tl.minutes(10, 90), key, b.code, tl.checker())
        w.clone_keys.append((key, "distant_regions"))
    for order in picks[n:]:
        key, city = order.keys[0], order.shopper.city
        at = order.delivered + tl.hours(6, 48)
        for _ in range(tl.rng.randint(30, 60)):
            tl.check(at + tl.minutes(0, 600), key, city.code, tl.checker())
        w.clone_keys.append((key, "too_many_checks"))
    batches = list(w.goods.batches.values())
    for _ in range(n):
        batch = tl.rng.choice(batches)
        key = make_key(gtin=batch.product.gtin, lot=batch.key.rsplit("/", 1)[1], serial=tl.serial("C"))
        city = tl.rng.choice(CITIES)
        at = w.some_time()
        for _ in range(tl.rng.randint(3, 8)):
            tl.check(at + tl.hours(0, 72), key, city.code, tl.checker())
        w.clone_keys.append((key, "unregistered_serial"))
