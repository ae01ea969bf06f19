"""What a synthetic world is made of: its parameters, the fraud kinds with their reason codes, and who
commits which.

Each kind has a subject (a merchant, a courier, or an item key) and reasons,
the stable codes the detectors in `suyuan.analytics` report. `Roster.assign`
picks the fraudsters of each kind from the merchants and couriers so that
every reason of every kind is used by at least one of them (ring reasons,
which need several shops, by at least `RING_SIZE`).
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "empty_parcel": ("merchant", ("weight_below_net", "unsold_items", "waybill_reused", "nothing_packed")),
    "fake_logistics": ("courier", ("no_transit_scans", "too_fast", "signed_elsewhere", "pickup_before_sale",
                                   "transit_jump")),
    "brushing": ("merchant", ("one_recipient_many_shops", "fake_courier_leg", "sell_return_cycles",
                              "burst_from_new_buyers")),
    "fake_review": ("merchant", ("review_burst", "reviews_right_after_delivery", "five_star_brushing",
                                 "one_reviewer_many_shops")),
    "cloned_code": ("key", ("distant_regions", "too_many_checks", "unregistered_serial")),
    "unsafe_goods": ("merchant", ("sold_after_expiry", "failed_inspection", "aquatic_shelf_life")),
}  # fmt: skip
RING_REASONS = ("one_recipient_many_shops", "one_reviewer_many_shops")  # a ring of shops shares fake people
RING_SIZE = 3


@dataclass(frozen=True)
class WorldParams:
    merchants: int = 200
    couriers: int = 20
    producers: int = 20
    shoppers: int = 20_000
    orders: int = 50_000
    fraud_share: float = 0.05  # of merchants (or couriers) per kind
    min_fraudsters: int = 1  # per kind, whatever the share
    seed: int = 20261203
    days: int = 60
    clone_keys: int | None = None  # cloned-code keys per reason; default orders / 1000, at least 2
    end: datetime | None = None  # the world's last moment; default now
    chunk: int = 400  # statements per capture transaction

    @classmethod
    def small(cls, **changes: Any) -> WorldParams:
        """A world for tests: 20 merchants, 4 couriers, 2,000 orders, at least 2 fraudsters per kind."""
        base = dict(merchants=20, couriers=4, producers=4, shoppers=600, orders=2000, fraud_share=0.1,
                    min_fraudsters=2, days=30)
        return cls(**(base | changes))

    @classmethod
    def scaled(cls, orders: int, **changes: Any) -> WorldParams:
        """Defaults scaled from the number of orders (`suyuan demo --world N`): 50,000 is the default world."""
        f = orders / 50_000
        base = dict(orders=orders, merchants=max(20, round(200 * f)), couriers=max(4, round(20 * f)),
                    producers=max(4, round(20 * f)), shoppers=max(300, round(20_000 * f)),
                    min_fraudsters=2 if orders < 20_000 else 1)
        return cls(**(base | changes))

    @property
    def keys_per_reason(self) -> int:
        return self.clone_keys if self.clone_keys is not None else max(2, self.orders // 1000)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["end"] = self.end.isoformat() if self.end else None
        return d


@dataclass
class Roster:
    """Who commits which fraud: party index -> kind -> reasons (merchants and couriers by index)."""

    merchants: dict[int, dict[str, list[str]]] = field(default_factory=dict)
    couriers: dict[int, dict[str, list[str]]] = field(default_factory=dict)

    def reasons(self, kind: str, who: int) -> list[str]:
        table = self.couriers if KINDS[kind][0] == "courier" else self.merchants
        return table.get(who, {}).get(kind, [])

    def with_reason(self, kind: str, reason: str) -> list[int]:
        table = self.couriers if KINDS[kind][0] == "courier" else self.merchants
        return sorted(i for i, kinds in table.items() if reason in kinds.get(kind, []))

    def of_kind(self, kind: str) -> list[int]:
        table = self.couriers if KINDS[kind][0] == "courier" else self.merchants
        return sorted(i for i, kinds in table.items() if kinds.get(kind))

    def add(self, kind: str, who: int, reason: str) -> None:
        table = self.couriers if KINDS[kind][0] == "courier" else self.merchants
        reasons = table.setdefault(who, {}).setdefault(kind, [])
        if reason not in reasons:
            reasons.append(reason)


def _count(params: WorldParams, population: int) -> int:
    return min(population, max(params.min_fraudsters, round(params.fraud_share * population)))


def assign(params: WorldParams, rng: random.Random) -> Roster:
    """Disjoint fraudsters per kind (merchants and couriers), each reason used at least once."""
    roster = Roster()
    merchant_pool = list(range(params.merchants))
    rng.shuffle(merchant_pool)
    courier_pool = list(range(params.couriers))
    rng.shuffle(courier_pool)
    for kind, (subject, reasons) in KINDS.items():
        if subject == "key":
            continue
        pool = courier_pool if subject == "courier" else merchant_pool
        n = _count(params, params.couriers if subject == "courier" else params.merchants)
        chosen, pool[:] = pool[:n], pool[n:]
        for j, reason in enumerate(reasons):  # every reason at least once, spread round the fraudsters
            ring = RING_SIZE if reason in RING_REASONS else 1
            for k in range(min(n, ring)):
                roster.add(kind, chosen[(j + k) % n], reason)
        for who in chosen:  # some use a second reason of their kind
            if rng.random() < 0.3:
                roster.add(kind, who, rng.choice([r for r in reasons if r not in RING_REASONS]))
    _implied(roster)
    return roster


def _implied(roster: Roster) -> None:
    """Frauds that are also another: a brushing shop's empty courier leg is an empty parcel; five stars
    from brushing orders and a paid reviewer's orders across shops are brushing too."""
    for who in roster.with_reason("brushing", "fake_courier_leg"):
        roster.add("empty_parcel", who, "weight_below_net")
    for who in roster.with_reason("fake_review", "five_star_brushing"):
        roster.add("brushing", who, "burst_from_new_buyers")
    for who in roster.with_reason("fake_review", "one_reviewer_many_shops"):
        roster.add("brushing", who, "one_recipient_many_shops")
