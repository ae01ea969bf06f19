"""Shops that cheat: empty parcels, brushing (fake orders) and fake reviews.

How each reason is written, within what capture allows:

- empty_parcel `weight_below_net`: real orders dispatched with a declared
  weight of a few percent of the goods' net weight (capture flags
  `weight_below_contents` and accepts).
- empty_parcel `unsold_items`: capture refuses to dispatch goods that are not
  sold, and a return needs a delivery first, so the sale is "returned at
  once" by backdating: sold, dispatched, delivered, and then a return whose
  event time is minutes after the sale, before the dispatch (recorded after
  the delivery; capture accepts the earlier time and flags `out_of_order`).
  In event time the parcel leaves after its sale was returned.
- empty_parcel `waybill_reused`: two orders' dispatches carry one waybill.
- empty_parcel `nothing_packed`: capture refuses to dispatch an empty SSCC,
  so the shop records the shipment as an EPCIS-kept event (`epcis`, a
  shipping ObjectEvent naming the order) on an SSCC nothing was packed into,
  and the courier its delivery the same way (a receiving ObjectEvent); the
  sold item itself never moves.
- brushing: a ring of shops sends many orders to two shared recipients
  (`one_recipient_many_shops`); fake orders from invented buyers go out as
  empty parcels (`fake_courier_leg`, also `empty_parcel`); a few items are
  sold, delivered and returned again and again (`sell_return_cycles`);
  bursts of sales come from invented buyers with no other activity
  (`burst_from_new_buyers`).
- fake_review: a burst of five-star reviews on the shop's older deliveries
  (`review_burst`); reviews minutes after delivery on many orders
  (`reviews_right_after_delivery`); five stars on its burst of brushing
  orders (`five_star_brushing`); paid reviewers ordering from a ring of shops
  and reviewing each (`one_reviewer_many_shops`, also brushing).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from suyuan.demo.world import journeys as j
from suyuan.demo.world.cast import Merchant, Product, Shopper
from suyuan.demo.world.epcis_kept import empty_shipment

if TYPE_CHECKING:
    from suyuan.demo.world.state import World


def heavy_product(w: World, m: Merchant) -> Product:
    """The shop's heaviest product, adding a heavy one from the catalogue when all it sells is light."""
    best = max(m.products, key=lambda p: p.net_g)
    if best.net_g >= 300:
        return best
    heavy = [p for p in w.cast.products if p.net_g >= 500 and p.category != "aquatic"] or [best]
    m.products.append(heavy[0])
    return heavy[0]


def fake_order(w: World, m: Merchant, buyer: Shopper, when: datetime, *, product: Product | None = None,
               courier: int | None = None, leg: j.Leg | None = None, n_items: int = 1) -> j.Order:
    tl = w.tl
    product = product or tl.rng.choice(m.products)
    stock = [w.goods.stock(m, product, when) for _ in range(n_items)]
    courier = courier if courier is not None else w.honest_courier(m)
    order = j.sell(tl, m, buyer, w.cast.couriers[courier], courier, stock, when)
    w.orders += 1
    j.ship(tl, order, w.cast.couriers[courier], leg or j.honest_leg(tl, m.city, buyer.city))
    return order


def _real_buyer(w: World) -> Shopper:
    return w.tl.rng.choice(w.regulars)


# --- empty parcels --------------------------------------------------------------------------


def weight_below_net(w: World, m: Merchant) -> None:
    tl = w.tl
    product = heavy_product(w, m)
    for _ in range(tl.rng.randint(15, 30)):
        buyer = _real_buyer(w)
        leg = j.honest_leg(tl, m.city, buyer.city)
        leg.weight_g = max(10, int(product.net_g * tl.rng.uniform(0.02, 0.12)))
        fake_order(w, m, buyer, w.some_time(), product=product, leg=leg)


def unsold_items(w: World, m: Merchant) -> None:
    tl = w.tl
    for _ in range(tl.rng.randint(8, 15)):
        buyer = _real_buyer(w)
        leg = j.honest_leg(tl, m.city, buyer.city)
        leg.pickup = tl.hours(1, 4)
        order = fake_order(w, m, buyer, w.some_time(), leg=leg)
        if order.delivered is not None:
            j.give_back(tl, order, order.sold + tl.minutes(2, 25))


def waybill_reused(w: World, m: Merchant) -> None:
    tl = w.tl
    for _ in range(tl.rng.randint(4, 8)):
        when = w.some_time()
        waybill = tl.waybill(99)
        for k in range(2):
            buyer = _real_buyer(w)
            leg = j.honest_leg(tl, m.city, buyer.city)
            leg.waybill = waybill
            fake_order(w, m, buyer, when + tl.hours(0, 30) * k, leg=leg)


def nothing_packed(w: World, m: Merchant) -> None:
    tl = w.tl
    for _ in range(tl.rng.randint(5, 10)):
        buyer = _real_buyer(w)
        when = w.some_time()
        stock = [w.goods.stock(m, tl.rng.choice(m.products), when)]
        courier = w.honest_courier(m)
        order = j.sell(tl, m, buyer, w.cast.couriers[courier], courier, stock, when)
        w.orders += 1
        empty_shipment(w, order, w.cast.couriers[courier])


# --- brushing -------------------------------------------------------------------------------


def ring_orders(w: World, shops: list[int], per_shop: tuple[int, int], *, reviews: bool) -> None:
    """A ring of shops sending orders to two shared invented recipients through one courier."""
    tl = w.tl
    if not shops:
        return
    city = tl.rng.choice(w.cities)
    people = [w.fresh_shopper(city) for _ in range(2)]
    courier = w.honest_courier(w.cast.merchants[shops[0]])
    begin = w.some_time(late_margin_days=15)
    for index in shops:
        m = w.cast.merchants[index]
        for _ in range(tl.rng.randint(*per_shop)):
            buyer = tl.rng.choice(people)
            order = fake_order(w, m, buyer, begin + tl.hours(0, 24 * 12), courier=courier)
            if reviews and order.delivered is not None:
                j.review(tl, order, order.delivered + tl.hours(1, 12), 5)


def fake_courier_leg(w: World, m: Merchant) -> None:
    tl = w.tl
    product = heavy_product(w, m)
    for _ in range(tl.rng.randint(12, 25)):
        buyer = w.fresh_shopper()
        leg = j.honest_leg(tl, m.city, buyer.city)
        leg.weight_g = tl.rng.randint(15, 60)
        fake_order(w, m, buyer, w.some_time(), product=product, leg=leg)


def sell_return_cycles(w: World, m: Merchant) -> None:
    tl = w.tl
    for _ in range(tl.rng.randint(2, 4)):
        when = w.some_time(late_margin_days=25)
        stock = w.goods.stock(m, tl.rng.choice(m.products), when)
        for cycle in range(tl.rng.randint(3, 5)):
            buyer = w.fresh_shopper()
            courier = w.honest_courier(m)
            order = j.sell(tl, m, buyer, w.cast.couriers[courier], courier, [stock], when)
            w.orders += 1
            if j.ship(tl, order, w.cast.couriers[courier], j.honest_leg(tl, m.city, buyer.city)) is None:
                return
            back = j.give_back(tl, order, order.delivered + tl.hours(3, 30))
            if not back:
                return
            listed = w.goods.relist(m, back[0], back[0].floor + tl.hours(1, 10))
            if listed is None:
                return
            w.goods.pool[(m.index, listed.batch.product.gtin)].remove(listed)  # kept for the next cycle
            stock, when = listed, listed.floor + tl.hours(2, 30)


def burst_from_new_buyers(w: World, m: Merchant) -> None:
    tl = w.tl
    five_stars = "five_star_brushing" in w.roster.reasons("fake_review", m.index)
    for _ in range(tl.rng.randint(1, 3)):
        start = w.some_time()
        for _ in range(tl.rng.randint(15, 30)):
            order = fake_order(w, m, w.fresh_shopper(), start + tl.minutes(0, 100))
            if five_stars and order.delivered is not None:
                j.review(tl, order, order.delivered + tl.minutes(30, 300), 5)


# --- fake reviews ---------------------------------------------------------------------------


def _unreviewed(w: World, m: Merchant, before: datetime) -> list[j.Order]:
    return [o for o in w.by_merchant.get(m.index, []) if o.delivered is not None and not o.reviewed
            and not o.returned and o.delivered < before and o.chain.top < before]


def review_burst(w: World, m: Merchant) -> None:
    tl = w.tl
    for _ in range(tl.rng.randint(1, 2)):
        at = w.some_time(early_margin_days=max(5, w.params.days // 3), late_margin_days=1)
        candidates = _unreviewed(w, m, at)
        for order in tl.rng.sample(candidates, k=min(len(candidates), tl.rng.randint(15, 30))):
            j.review(tl, order, at + tl.minutes(0, 90), 5)


def reviews_right_after_delivery(w: World, m: Merchant) -> None:
    tl = w.tl
    candidates = [o for o in _unreviewed(w, m, w.tl.end) if o.chain.top <= o.delivered + timedelta(hours=1)]
    for order in tl.rng.sample(candidates, k=min(len(candidates), tl.rng.randint(20, 40))):
        j.review(tl, order, order.delivered + tl.minutes(2, 12), 5)
