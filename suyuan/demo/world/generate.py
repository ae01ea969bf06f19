"""Building a world: the cast, the honest business, each fraudster's patterns, then the writing.

`generate` registers the parties, plans the whole timeline in memory (a seed
makes the same plan), seals the people, writes every statement through
capture, integrates the log and returns the truth (`suyuan.demo.world.truth`).
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TextIO

from sqlalchemy import Engine

from suyuan.config import Settings
from suyuan.demo.world import frauds_goods, frauds_shops, honest
from suyuan.demo.world.cast import build_cast
from suyuan.demo.world.geo import delivery_minimums
from suyuan.demo.world.goods import Goods
from suyuan.demo.world.params import WorldParams, assign
from suyuan.demo.world.state import World
from suyuan.demo.world.timeline import Timeline
from suyuan.demo.world.truth import truth_of, write_truth
from suyuan.demo.world.writer import Progress, Written, store_people, write

UTC = timezone.utc
SHOP_FRAUDS = {
    ("empty_parcel", "weight_below_net"): frauds_shops.weight_below_net,
    ("empty_parcel", "unsold_items"): frauds_shops.unsold_items,
    ("empty_parcel", "waybill_reused"): frauds_shops.waybill_reused,
    ("empty_parcel", "nothing_packed"): frauds_shops.nothing_packed,
    ("brushing", "fake_courier_leg"): frauds_shops.fake_courier_leg,
    ("brushing", "sell_return_cycles"): frauds_shops.sell_return_cycles,
    ("brushing", "burst_from_new_buyers"): frauds_shops.burst_from_new_buyers,
    ("fake_review", "review_burst"): frauds_shops.review_burst,
    ("fake_review", "reviews_right_after_delivery"): frauds_shops.reviews_right_after_delivery,
    ("unsafe_goods", "sold_after_expiry"): frauds_goods.sold_after_expiry,
    ("unsafe_goods", "failed_inspection"): frauds_goods.failed_inspection,
    ("unsafe_goods", "aquatic_shelf_life"): frauds_goods.aquatic_shelf_life,
}  # five_star_brushing rides on burst_from_new_buyers; the two ring reasons are written per ring


def world_settings(settings: Settings) -> Settings:
    """The settings the world is written with: history is not refused, delivery minimums by distance."""
    minimum, pairs = delivery_minimums()
    return settings.model_copy(update={"stale_event_days": 36500, "clock_skew_seconds": 3600,
                                       "min_delivery_minutes": minimum, "min_delivery_minutes_by_pair": pairs})


def plan(engine: Engine, params: WorldParams) -> World:
    """Register the parties and plan every event of the world (nothing of the timeline written yet)."""
    rng = random.Random(params.seed)
    # Ending at midnight (UTC) of today by default: a seed makes the same world all day.
    end = (params.end or datetime.now(UTC).replace(hour=0, minute=0, second=0)).astimezone(UTC).replace(microsecond=0)
    tl = Timeline(rng, end - timedelta(days=params.days), end)
    cast = build_cast(engine, params, rng)
    roster = assign(params, rng)
    w = World(params, tl, cast, roster, Goods(tl, cast))
    w.regulars = list(cast.shoppers)
    w.goods.register_products()
    frauds_orders = _fraud_patterns(w)
    honest.honest_orders(w, max(0, params.orders - frauds_orders))
    _fraud_reviews(w)
    frauds_goods.honest_lookalikes(w)
    honest.inspections(w)
    frauds_goods.cloned_codes(w)
    return w


def _fraud_patterns(w: World) -> int:
    """The order-making patterns of every fraudster; how many orders they made."""
    before = w.orders
    for (kind, reason), make in SHOP_FRAUDS.items():
        if kind == "fake_review":
            continue  # reviews need the honest orders first
        for index in w.roster.with_reason(kind, reason):
            make(w, w.cast.merchants[index])
    frauds_shops.ring_orders(w, w.roster.with_reason("brushing", "one_recipient_many_shops"), (10, 20),
                             reviews=False)
    frauds_shops.ring_orders(w, w.roster.with_reason("fake_review", "one_reviewer_many_shops"), (3, 6),
                             reviews=True)
    return w.orders - before


def _fraud_reviews(w: World) -> None:
    for (kind, reason), make in SHOP_FRAUDS.items():
        if kind == "fake_review":
            for index in w.roster.with_reason(kind, reason):
                make(w, w.cast.merchants[index])


def generate(engine: Engine, settings: Settings, params: WorldParams, *, truth_path: Path | None = None,
             progress: Progress | None = None, out: TextIO | None = None) -> dict:
    """Plan and write a world into `engine` (see the module doc); the truth, also written to `truth_path`."""
    started = time.perf_counter()
    settings = world_settings(settings)
    w = plan(engine, params)
    if out is not None:
        out.write(f"planned {len(w.tl.events)} events and checks, {w.orders} orders, "
                  f"{len(w.tl.people)} people in {time.perf_counter() - started:.1f} s\n")
    parties = {p.party.id: p.party for p in w.cast.merchants} | {c.id: c for c in w.cast.couriers}
    commitments = store_people(engine, settings, w.cast, w.tl.people, parties)
    written = write(engine, settings, w.tl, commitments, params.chunk, progress)
    written.people = len(commitments)
    truth = truth_of(w, written, time.perf_counter() - started)
    if truth_path is not None:
        write_truth(truth, truth_path)
    return truth


__all__ = ["World", "Written", "generate", "plan", "world_settings"]
