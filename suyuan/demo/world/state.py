"""What the planners of a world share: its parameters, timeline, cast, fraud roster and goods, and what
the patterns leave for each other (orders by shop, bad batches, cloned keys)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from suyuan.demo.world import journeys
from suyuan.demo.world.cast import Cast, Merchant, Shopper, invent_shopper
from suyuan.demo.world.geo import CITIES, City
from suyuan.demo.world.goods import Batch, Goods
from suyuan.demo.world.params import Roster, WorldParams
from suyuan.demo.world.timeline import Timeline


@dataclass
class World:
    params: WorldParams
    tl: Timeline
    cast: Cast
    roster: Roster
    goods: Goods
    orders: int = 0
    by_merchant: dict[int, list[journeys.Order]] = field(default_factory=dict)
    forced: dict[datetime, int] = field(default_factory=dict)
    courier_turns: dict[int, int] = field(default_factory=dict)
    faked: dict[tuple[int, str], int] = field(default_factory=dict)
    special: list[Batch] = field(default_factory=list)
    bad_batches: list[tuple[Batch, Merchant, str]] = field(default_factory=list)
    clone_keys: list[tuple[str, str]] = field(default_factory=list)
    regulars: list[Shopper] = field(default_factory=list)
    cities: tuple[City, ...] = CITIES

    def honest_courier(self, m: Merchant) -> int:
        """One of the shop's couriers that fakes nothing (any honest courier if it has none)."""
        fakes = set(self.roster.of_kind("fake_logistics"))
        mine = [c for c in m.couriers if c not in fakes]
        return self.tl.rng.choice(mine or [c for c in range(len(self.cast.couriers)) if c not in fakes])

    def fresh_shopper(self, city: City | None = None) -> Shopper:
        """An invented buyer with no other activity."""
        shopper = invent_shopper(self.tl.rng, len(self.cast.shoppers), fresh=True, city=city)
        self.cast.shoppers.append(shopper)
        return shopper

    def some_time(self, early_margin_days: float = 3, late_margin_days: float = 5) -> datetime:
        days = self.params.days
        lo, hi = min(early_margin_days, days / 3), max(days - late_margin_days, days / 2)
        return self.tl.start + timedelta(days=self.tl.rng.uniform(lo, max(lo + 0.5, hi)))
