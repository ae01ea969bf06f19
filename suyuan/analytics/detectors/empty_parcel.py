"""Detectors of `empty_parcel` findings: parcels that carry less than the sale they stand for.

Empty parcels (空包裹) are dispatched to make fake sales look delivered. The
subject is the merchant who packed the parcel (or sold the item shipped
alone); the anchor is the parcel's (or item's) key.
"""

from __future__ import annotations

from typing import Iterator

from suyuan.analytics.candidates import Candidate, clamp, detector, short
from suyuan.analytics.facts import Dirty, Facts
from suyuan.config import Settings


def _dispatched(facts: Facts, dirty: Dirty) -> Iterator[tuple[str, list]]:
    """Dirty keys with their dispatch events (parcels, and items shipped alone)."""
    for key in dirty.keys:
        dispatches = facts.events(key, "dispatch")
        if dispatches:
            yield key, dispatches


@detector("empty_parcel", "weight_below_net")
def weight_below_net(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """A dispatch declaring far less weight than the net weight of the goods it carries."""
    for key, dispatches in _dispatched(facts, dirty):
        for ev in dispatches:
            items = facts.inside(key, ev)
            weights = [facts.products[facts.items[i].gtin].net_weight_g or 0 for i in items
                       if i in facts.items and facts.items[i].gtin in facts.products]
            net, declared = sum(weights), ev.data.get("weight_g") or 0
            if net < settings.analytics_weight_min_net_g or declared >= net * settings.analytics_weight_ratio:
                continue
            packs = [s.packed.hash for s in facts.packings.get(key, ()) if s.item in items]
            evidence = tuple(dict.fromkeys([*packs, ev.hash]))
            yield Candidate(
                "empty_parcel", "weight_below_net", clamp(1000 * (1 - declared / net)), facts.merchant_of(key),
                (key, *items), evidence,
                f"{key} was dispatched declaring {declared} g while its {len(items)} item(s) weigh {net} g net "
                f"(entries {short(evidence)}).", anchor=f"{key}@{ev.hash}")
