"""One order's journey: sale, packing, dispatch, courier scans, delivery, review and return.

`Leg` says how the parcel travels; an honest leg (`honest_leg`) follows the
route model of `geo`, with the noise honest couriers make: scanners that
sync hours late and out of order, same-city deliveries in under an hour, a
locker in the next district, a declared weight a little under the goods'
when the scale is off. Fraud patterns build their own legs (`suyuan.demo.world.frauds`).
Events after the world's end are not written: the parcel is still on its way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from suyuan.demo.world.cast import City, Merchant, Shopper, Who
from suyuan.demo.world.geo import BY_CODE, NEARBY, honest_hours
from suyuan.demo.world.goods import Stock
from suyuan.demo.world.timeline import Chain, Ev, Timeline
from suyuan.trace.parties.registry import PartyView

REVIEWS = {
    5: ("很好，五星好评！", "包装严实，物流快，扫码溯源信息齐全。", "第二次买了，品质稳定。", "和描述一致，推荐。"),
    4: ("不错，就是物流慢了点。", "质量可以，包装一般。"),
    3: ("一般般，凑合。",),
    2: ("和图片有差距。",),
    1: ("质量很差，不推荐。",),
}
SIGNERS = ("recipient", "agent", "locker")


@dataclass
class Leg:
    """How a parcel travels: times are offsets from the sale; scans are (offset, city, late delay)."""

    pickup: timedelta
    duration: timedelta  # dispatch to delivery
    scans: list[tuple[timedelta, City, str, timedelta]] = field(default_factory=list)  # after dispatch
    weight_g: int | None = None  # None: the goods' weight and packaging
    signed_region: str | None = None  # None: the dispatch's to_region
    waybill: str | None = None
    dispatch_delay: timedelta = timedelta(minutes=3)


@dataclass
class Order:
    merchant: Merchant
    shopper: Shopper
    courier: int
    stock: list[Stock]
    sold: datetime
    chain: Chain
    ref: str = ""  # the order commitment in its sale
    delivered: datetime | None = None
    delivery_id: str | None = None  # the deliver statement's id: its review tokens
    dispatched: datetime | None = None
    recipient: Who | None = None
    reviewed: bool = False
    returned: bool = False

    @property
    def keys(self) -> list[str]:
        return [s.key for s in self.stock]


def sell(tl: Timeline, m: Merchant, shopper: Shopper, courier: PartyView, courier_index: int,
         stock: list[Stock], when: datetime, delay: timedelta | None = None) -> Order:
    """The sale of `stock` to `shopper`, recorded minutes later (or `delay` later: a backdated sale)."""
    chain = Chain(max(s.floor for s in stock))
    buyer = Who(shopper.index, m.party.id, "consumer")
    ref = tl.order_ref()
    for i, s in enumerate(stock):
        at = when + timedelta(seconds=20 * i)
        rec = chain.step(at, delay if delay is not None else tl.minutes(0.2, 4))
        tl.add(rec, s.key, "sell", at, m.party, {"price": f"{s.batch.product.price}.00", "order": ref,
                                                  "courier": courier.id, "buyer": buyer})
    return Order(m, shopper, courier_index, stock, when, chain, ref)


def honest_leg(tl: Timeline, src: City, dst: City, *, express: bool = False) -> Leg:
    """The route model: pickup within the day, road freight between cities, late scans now and then."""
    rng = tl.rng
    if src.code == dst.code:
        if express or rng.random() < 0.3:  # same-city courier: under an hour, no scans
            return Leg(tl.hours(0.3, 2), tl.minutes(35, 58))
        return Leg(tl.hours(1, 12), tl.hours(2, 8), [(tl.hours(0.3, 1.5), src, "depart", _late(tl))])
    duration = timedelta(hours=honest_hours(src, dst) * rng.uniform(0.8, 1.5))
    depart = tl.hours(0.5, 3)
    arrive = duration - tl.hours(2, 7)
    scans = [(depart, src, "depart", _late(tl)), (max(arrive, depart + timedelta(hours=1)), dst, "arrive", _late(tl))]
    if rng.random() < 0.03:  # a scan lost: the parcel arrived anyway
        scans.pop(rng.randrange(2))
    return Leg(tl.hours(1, 20), duration, scans,
               dispatch_delay=tl.hours(1, 4) if rng.random() < 0.04 else tl.minutes(0.5, 12))


def _late(tl: Timeline) -> timedelta:
    """How long after the scan it is recorded: usually minutes, sometimes hours (an offline scanner)."""
    return tl.hours(1, 8) if tl.rng.random() < 0.1 else tl.minutes(0.2, 10)


def honest_weight(tl: Timeline, order: Order) -> int:
    net = sum(s.batch.product.net_g for s in order.stock)
    if tl.rng.random() < 0.06:  # the courier's scale, or the shop's label, a little off
        return max(10, int(net * tl.rng.uniform(0.85, 0.99)))
    return net + tl.rng.randint(20, 300)


def ship(tl: Timeline, order: Order, courier: PartyView, leg: Leg, dest: City | None = None) -> Ev | None:
    """Pack (several items), dispatch, scan and deliver along `leg`; the deliver event, or None if the
    world ends first."""
    m, dest = order.merchant, dest or order.shopper.city
    key = order.keys[0]
    if len(order.stock) > 1:
        key = tl.sscc()
        at = order.sold + timedelta(minutes=tl.rng.uniform(10, 50))
        tl.add(order.chain.step(at, tl.minutes(0.2, 3)), key, "pack", at, m.party,
               {"items": order.keys, "courier": courier.id})
    dispatched = order.sold + leg.pickup
    if dispatched + leg.dispatch_delay > tl.end:
        return None
    recipient = Who(order.shopper.index, courier.id, "recipient")
    tl.add(order.chain.step(dispatched, leg.dispatch_delay), key, "dispatch", dispatched, courier, {
        "waybill": leg.waybill or tl.waybill(order.courier), "weight_g": leg.weight_g or honest_weight(tl, order),
        "from_region": m.city.code, "to_region": dest.code, "recipient": recipient})
    order.dispatched, order.recipient = dispatched, recipient
    for offset, city, action, late in leg.scans:
        at = dispatched + offset
        if at + late > tl.end:
            return None
        tl.add(order.chain.scan(at, late), key, "transit", at, courier,
               {"hub": city.hub, "region": city.prefecture, "action": action})
    at = dispatched + leg.duration
    delay = tl.minutes(0.3, 15) if tl.rng.random() > 0.05 else tl.hours(1, 5)
    if at + delay > tl.end:
        return None
    region = leg.signed_region or (NEARBY.get(dest.code, dest.code) if tl.rng.random() < 0.05 else dest.code)
    ev = tl.add(order.chain.step(at, delay), key, "deliver", at, courier,
                {"signed_by": tl.rng.choice(SIGNERS), "region": region, "recipient": recipient})
    order.delivered, order.delivery_id = at, ev.id
    return ev


def review(tl: Timeline, order: Order, at: datetime, rating: int, delay: timedelta | None = None) -> bool:
    """The shopper reviews every item with the delivery's review token; False after the world's end."""
    delay = delay or tl.minutes(0.1, 2)
    if order.delivery_id is None or at + delay > tl.end:
        return False
    for key in order.keys:
        tl.add(order.chain.step(at, delay), key, "review", at, None,
               {"rating": rating, "text": tl.rng.choice(REVIEWS[rating])}, token_of=(order.delivery_id, key))
    order.reviewed = True
    return True


def honest_review(tl: Timeline, order: Order) -> None:
    if order.delivered is None:
        return
    rng = tl.rng
    after = tl.minutes(15, 60) if rng.random() < 0.02 else timedelta(hours=max(3.0, rng.lognormvariate(3.7, 0.9)))
    rating = rng.choices((5, 4, 3, 2, 1), (60, 22, 8, 5, 5))[0]
    review(tl, order, order.delivered + after, rating)


def give_back(tl: Timeline, order: Order, at: datetime) -> list[Stock]:
    """The shop accepts the return of every item; the returned stock, its floor the return's record."""
    back = []
    order.returned = True
    for s in order.stock:
        rec = order.chain.step(at, tl.minutes(1, 30))
        if rec > tl.end:
            return back
        tl.add(rec, s.key, "return", at, order.merchant.party, {"reason": "七天无理由退货"})
        back.append(Stock(s.key, s.batch, rec))
    return back


def city(code: str) -> City:
    return BY_CODE[code]
