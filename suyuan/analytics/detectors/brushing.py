"""Detectors of `brushing` findings: sales faked to climb a shop's ranking (恶意刷单).

A brushed order is paid for by the shop (or its hired hands) and shipped to
nobody, or to a few addresses used again and again. The subject is the
merchant whose sales are faked. Each signal is a pattern over many orders,
never one order: honest shoppers buy from many shops (over weeks, not in a
day), honest returns are one-off and honest promotions bring buyers who shop
elsewhere too. The functions that find the orders (`person_bursts`,
`fake_legs`, `cycling_items`, `new_buyer_bursts`) are public, and `Marks`
answers which of a merchant's items they mark, for `fake_review`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Iterator

from suyuan.analytics.candidates import DETECTORS, Candidate, clamp, detector, short
from suyuan.analytics.detectors.empty_parcel import weight_below_net
from suyuan.analytics.facts import Dirty, Ev, Facts
from suyuan.analytics.windows import bursts, distinct_bursts, prefix
from suyuan.codes.provinces import distance_km
from suyuan.config import Settings

UNTRACKED = "delivered far away with no transit scan"
NAMED = 20  # at most this many orders are named in one finding's evidence (the count says how many in all)


def merchants(facts: Facts, dirty: Dirty) -> list[str]:
    """The dirty parties that sell: every event of a sale's journey makes its seller dirty (`Facts`)."""
    return sorted(p for p in dirty.parties if p in facts.sales_by_seller)


def _evidence(evs: Iterable[Ev]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(e.hash for e in sorted(evs, key=lambda e: e.id)))


# --- one_recipient_many_shops -------------------------------------------------------------


@dataclass(frozen=True)
class Order:
    """One order to a person: a sale naming them as buyer, or a shipment (dispatch, delivery) naming them."""

    ev: Ev
    merchant: str | None
    items: tuple[str, ...]


def orders_of(facts: Facts, person: str) -> list[Order]:
    """A person's orders by event time; a shipment of goods already sold to them is the same order."""
    seen: set[str] = set()
    out = []
    for ev in sorted(facts.by_person.get(person, ()), key=lambda e: (e.time, e.id)):
        if ev.type not in ("sell", "dispatch", "deliver"):
            continue  # transit scans name nobody new
        items = (ev.key,) if ev.type == "sell" else tuple(facts.inside(ev.key, ev)) or (ev.key,)
        if seen.intersection(items):
            continue
        seen.update(items)
        out.append(Order(ev, ev.actor if ev.type == "sell" else facts.merchant_of(ev.key), items))
    return out


def person_bursts(facts: Facts, person: str, settings: Settings) -> list[list[Order]]:
    """Windows in which one person received orders from many shops."""
    if len(facts.by_person.get(person, ())) < settings.analytics_brush_min_orders:
        return []  # each order is at least one event of theirs
    orders = orders_of(facts, person)
    if len(orders) < settings.analytics_brush_min_orders:
        return []
    found = distinct_bursts([o.ev.time for o in orders], [o.merchant for o in orders],
                            settings.analytics_brush_window_minutes, settings.analytics_brush_min_shops)
    return [orders[i:j] for i, j in found if j - i >= settings.analytics_brush_min_orders]


@detector("brushing", "one_recipient_many_shops")
def one_recipient_many_shops(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """Many orders from several shops to one buyer or recipient within a short window: each shop is named."""
    minutes = settings.analytics_brush_window_minutes
    for person in sorted(dirty.people):
        for burst in person_bursts(facts, person, settings):
            shops = sorted({o.merchant for o in burst if o.merchant})
            for shop in shops:
                mine = [o for o in burst if o.merchant == shop]
                evidence = _evidence(o.ev for o in mine[:NAMED])
                keys = tuple(dict.fromkeys(i for o in mine for i in o.items))
                yield Candidate(
                    "brushing", "one_recipient_many_shops",
                    clamp(500 + 100 * (len(shops) - settings.analytics_brush_min_shops) + 20 * len(burst)),
                    shop, keys, evidence,
                    f"{len(burst)} orders from {len(shops)} shops went to one person ({person[:24]}...) within "
                    f"{minutes} minutes, {len(mine)} of them from this shop (entries {short(evidence)}).",
                    anchor=f"{shop}@{person}@{burst[0].ev.hash}")


# --- fake_courier_leg ---------------------------------------------------------------------


@dataclass(frozen=True)
class Leg:
    """A shipment whose courier leg is empty or faked: its dispatch, its delivery and why."""

    key: str
    dispatch: Ev
    deliver: Ev | None
    why: str


def shipments(facts: Facts, merchant: str) -> list[str]:
    """The keys a merchant shipped: the parcels it packed, and its sold items dispatched alone."""
    parcels = [e.key for e in facts.by_actor.get(merchant, ()) if e.type == "pack"]
    alone = [s.key for s in facts.sales_by_seller.get(merchant, ()) if s.key not in facts.packings]
    return [k for k in dict.fromkeys(parcels + alone) if facts.events(k, "dispatch")]


def _delivery(facts: Facts, key: str, dispatch: Ev) -> Ev | None:
    return next((e for e in facts.by_key[key] if e.type == "deliver" and e.id > dispatch.id), None)


def _untracked(facts: Facts, key: str, dispatch: Ev, deliver: Ev | None, settings: Settings) -> bool:
    """Delivered far away with no transit scan between (by event time: late scans are recorded late)."""
    if deliver is None:
        return False
    route = distance_km(dispatch.data.get("from_region"), deliver.data.get("region"))
    if route is None or route < settings.analytics_fake_leg_min_km:
        return False
    return not any(e.type == "transit" and dispatch.time <= e.time <= deliver.time for e in facts.by_key[key])


class CourierLegs:
    """Per courier, its shipments and untracked legs by merchant, counted once per courier and run.

    A courier that skips the scans of other merchants' parcels answers for its
    legs (`fake_logistics`); a merchant answers for those only when they are
    its own pattern.
    """

    def __init__(self, facts: Facts, settings: Settings) -> None:
        self.facts, self.settings = facts, settings
        self._counted: dict[str, tuple[Counter, Counter]] = {}

    def fakes_for_others(self, courier: str | None, merchant: str) -> bool:
        if courier is None:
            return False
        # Any untracked leg of another merchant's puts the courier in question (fake_logistics judges it):
        # a merchant cannot make a courier skip its scans, so only a courier that tracks everyone else's
        # parcels leaves the merchant to answer for its own untracked ones.
        total, fake = self._count(courier)
        return sum(fake.values()) - fake[merchant] >= 1

    def _count(self, courier: str) -> tuple[Counter, Counter]:
        if courier not in self._counted:
            total, fake = Counter(), Counter()
            for d in self.facts.by_actor.get(courier, ()):
                if d.type == "dispatch":
                    merchant = self.facts.merchant_of(d.key)
                    total[merchant] += 1
                    fake[merchant] += _untracked(self.facts, d.key, d, _delivery(self.facts, d.key, d), self.settings)
            self._counted[courier] = (total, fake)
        return self._counted[courier]


def _leg(facts: Facts, key: str, dispatch: Ev, light: set[str], settings: Settings) -> Leg | None:
    deliver = _delivery(facts, key, dispatch)
    if dispatch.hash in light:
        return Leg(key, dispatch, deliver, "declared far below the goods' net weight")
    if deliver is None:
        return None
    if key in facts.packings and not facts.inside(key, deliver):
        return Leg(key, dispatch, deliver, "delivered with nothing packed in it")
    if _untracked(facts, key, dispatch, deliver, settings):
        return Leg(key, dispatch, deliver, UNTRACKED)
    return None


def fake_legs(facts: Facts, merchant: str, settings: Settings,
              couriers: CourierLegs | None = None) -> tuple[list[Leg], int]:
    """A merchant's shipments with an empty or faked courier leg, and how many shipments it has.

    Untracked legs of a courier that leaves other merchants' parcels as untracked are not counted.
    """
    couriers = couriers or CourierLegs(facts, settings)
    keys = shipments(facts, merchant)
    # The dispatches empty_parcel finds underweight (its evidence names each dispatch entry).
    light = {h for c in weight_below_net(facts, Dirty(keys=set(keys)), settings) for h in c.evidence}
    legs = [leg for key in keys for d in facts.events(key, "dispatch")
            if (leg := _leg(facts, key, d, light, settings)) is not None]
    legs = [leg for leg in legs if leg.why != UNTRACKED or not couriers.fakes_for_others(leg.dispatch.actor, merchant)]
    legs += _other_empty_parcels(facts, merchant, {leg.key for leg in legs}, settings)
    return sorted(legs, key=lambda leg: leg.dispatch.id), len(keys)


def _other_empty_parcels(facts: Facts, merchant: str, known: set[str], settings: Settings) -> list[Leg]:
    """The merchant's shipments the other empty_parcel reasons find (an unsold item shipped, a waybill on
    two parcels, a parcel shipped with nothing packed): an order shipped empty is a fake order too."""
    mine = {e.key for e in facts.by_actor.get(merchant, ())}
    dirty = Dirty(keys=mine)
    legs = []
    for d in DETECTORS:
        if d.type != "empty_parcel" or d.reason == "weight_below_net":
            continue
        for c in d.run(facts, dirty, settings):
            key = c.subject_keys[0] if c.subject_keys else None
            first = facts.by_hash.get(c.evidence[0]) if c.evidence else None
            if c.subject_party == merchant and key and key not in known and first is not None:
                known.add(key)
                legs.append(Leg(key, first, None, f"an empty parcel ({c.reason})"))
    return legs


@detector("brushing", "fake_courier_leg")
def fake_courier_leg(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """Several of a merchant's shipments, and a share of them, went with an empty or faked courier leg."""
    couriers = CourierLegs(facts, settings)
    for shop in merchants(facts, dirty):
        legs, total = fake_legs(facts, shop, settings, couriers)
        # The merchant's own deeds (parcels shipped empty or underweight) count whatever its honest volume;
        # untracked legs, which a courier may have caused, only as a share of its shipments.
        deeds = sum(leg.why != UNTRACKED for leg in legs)
        if deeds < settings.analytics_fake_leg_min and (
                len(legs) < settings.analytics_fake_leg_min or len(legs) < total * settings.analytics_fake_leg_share):
            continue
        named = legs[:NAMED]
        evidence = _evidence([e for leg in named for e in (leg.dispatch, leg.deliver) if e is not None])
        whys = sorted({leg.why for leg in legs})
        yield Candidate(
            "brushing", "fake_courier_leg", clamp(400 + 1000 * len(legs) / max(total, 1)), shop,
            tuple(dict.fromkeys(leg.key for leg in named)), evidence,
            f"{len(legs)} of this shop's {total} shipments had an empty or faked courier leg ({'; '.join(whys)}), "
            f"first {len(named)} in entries {short(evidence)}.", anchor=f"{shop}@{legs[0].dispatch.hash}")


# --- sell_return_cycles -------------------------------------------------------------------


def cycling_items(facts: Facts, merchant: str, settings: Settings) -> list[tuple[str, list[Ev]]]:
    """Items the merchant sold and took back again and again: each with its sales and returns, in order."""
    found = []
    for key in dict.fromkeys(s.key for s in facts.sales_by_seller.get(merchant, ())):
        seller, trail, returns = None, [], 0
        for ev in facts.by_key[key]:
            if ev.type == "sell":
                seller = ev.actor
                if seller == merchant:
                    trail.append(ev)
            elif ev.type == "return" and seller == merchant:
                trail.append(ev)
                returns += 1
        if returns >= settings.analytics_cycle_min_returns:
            found.append((key, trail))
    # Ordered by when the item began to cycle, so the first one stays first as more are found.
    nth = settings.analytics_cycle_min_returns
    return sorted(found, key=lambda kt: [e.id for e in kt[1] if e.type == "return"][nth - 1])


@detector("brushing", "sell_return_cycles")
def sell_return_cycles(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """The same items sold, delivered and returned repeatedly: repeat returns of cycling items over the minimum."""
    for shop in merchants(facts, dirty):
        cycling = cycling_items(facts, shop, settings)
        returns = sum(1 for _, trail in cycling for e in trail if e.type == "return")
        if not cycling or returns - len(cycling) < settings.analytics_cycle_min_cycles:
            continue  # an honest return now and then, even of one item twice, is not a cycle
        named = cycling[: NAMED // 2]
        evidence = _evidence(e for _, trail in named for e in trail)[:2 * NAMED]  # detail holds 1000 characters
        yield Candidate(
            "brushing", "sell_return_cycles", clamp(400 + 60 * returns), shop, tuple(k for k, _ in named),
            evidence, f"{len(cycling)} item(s) of this shop were sold and returned {returns} times in all, "
            f"each at least {settings.analytics_cycle_min_returns} times (entries {short(evidence)}).",
            anchor=f"{shop}@{cycling[0][0]}")


# --- burst_from_new_buyers ----------------------------------------------------------------


def _only_here(facts: Facts, buyer: str, merchant: str, settings: Settings) -> bool:
    """Whether everything the buyer did was with this merchant, its purchases within one burst window."""
    evs = facts.by_person.get(buyer, ())
    if any((e.actor if e.type == "sell" else facts.merchant_of(e.key)) != merchant for e in evs):
        return False
    times = [e.time for e in evs if e.type in ("sell", "dispatch")] or [e.time for e in evs]
    return (max(times) - min(times)).total_seconds() <= settings.analytics_burst_window_minutes * 60


def _recipients(facts: Facts, sale: Ev) -> set[str]:
    """Who the sold item was shipped to: the recipients named by dispatches of it, or of parcels it was in."""
    keys = [sale.key, *facts.parcels_of.get(sale.key, ())]
    return {d.data["recipient"] for k in keys for d in facts.events(k, "dispatch")
            if d.data.get("recipient") and d.id > sale.id}


def _new_buyer(facts: Facts, sale: Ev, merchant: str, settings: Settings) -> bool:
    """A buyer with no other activity: neither the buyer's commitment nor the parcel's recipient is seen
    with anyone else (a shopper new to one shop is often known to the courier from other orders)."""
    buyer = sale.data.get("buyer")
    return bool(buyer) and all(_only_here(facts, person, merchant, settings)
                               for person in (buyer, *_recipients(facts, sale)))


def new_buyer_bursts(facts: Facts, merchant: str, settings: Settings) -> list[list[Ev]]:
    """Windows of the merchant's sales mostly to buyers seen nowhere else: the sales to those buyers."""
    sales = sorted(facts.sales_by_seller.get(merchant, ()), key=lambda e: (e.time, e.id))
    if len(sales) < settings.analytics_burst_min_sales:
        return []
    fresh = [_new_buyer(facts, s, merchant, settings) for s in sales]
    counts = prefix(fresh)

    def ok(i: int, j: int) -> bool:
        n = counts[j] - counts[i]
        return n >= settings.analytics_burst_min_sales and n >= (j - i) * settings.analytics_burst_new_share

    found = bursts([s.time for s in sales], settings.analytics_burst_window_minutes, ok)
    return [[s for s, f in zip(sales[i:j], fresh[i:j]) if f] for i, j in found]


@detector("brushing", "burst_from_new_buyers")
def burst_from_new_buyers(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """A merchant's sales clustered in a burst from buyers with no other activity."""
    minutes = settings.analytics_burst_window_minutes
    for shop in merchants(facts, dirty):
        for burst in new_buyer_bursts(facts, shop, settings):
            evidence = _evidence(burst[:NAMED])
            yield Candidate(
                "brushing", "burst_from_new_buyers", clamp(500 + 25 * len(burst)), shop,
                tuple(dict.fromkeys(s.key for s in burst[:NAMED])), evidence,
                f"{len(burst)} sales within {minutes} minutes went to buyers seen in no other order or shop "
                f"(entries {short(evidence)}).", anchor=f"{shop}@{burst[0].hash}")


class Marks:
    """Which of a merchant's items are in orders a brushing signal marks (for `fake_review.five_star_brushing`).

    One per detector run: a person's bursts and a courier's legs are worked out once, however many
    merchants ask.
    """

    def __init__(self, facts: Facts, settings: Settings) -> None:
        self.facts, self.settings = facts, settings
        self.couriers = CourierLegs(facts, settings)
        self._bursts: dict[str, list[list[Order]]] = {}

    def _person(self, person: str) -> list[list[Order]]:
        if person not in self._bursts:
            self._bursts[person] = person_bursts(self.facts, person, self.settings)
        return self._bursts[person]

    def items(self, merchant: str) -> set[str]:
        facts, settings = self.facts, self.settings
        items: set[str] = set()
        people = {s.data.get("buyer") for s in facts.sales_by_seller.get(merchant, ())}
        people |= {d.data.get("recipient") for k in shipments(facts, merchant) for d in facts.events(k, "dispatch")}
        for person in sorted(p for p in people if p):
            for burst in self._person(person):
                items.update(i for o in burst if o.merchant == merchant for i in o.items)
        legs, _ = fake_legs(facts, merchant, settings, self.couriers)
        for leg in legs:
            items.update(facts.inside(leg.key, leg.dispatch) or [leg.key])
        items.update(k for k, _ in cycling_items(facts, merchant, settings))
        items.update(s.key for burst in new_buyer_bursts(facts, merchant, settings) for s in burst)
        return items
