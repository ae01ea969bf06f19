"""Detectors of `empty_parcel` findings: parcels that carry less than the sale they stand for.

Empty parcels (空包裹) are dispatched to make fake sales look delivered. The
subject is the merchant who packed the parcel (or sold the item shipped
alone); the anchor is the parcel's (or item's) key and the dispatch (or the
waybill) concerned. Reasons: `weight_below_net`, `unsold_items`,
`waybill_reused`, `nothing_packed`.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Iterator

from suyuan.analytics.candidates import Candidate, clamp, detector, short
from suyuan.analytics.facts import Dirty, Ev, Facts
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


# --- unsold_items -------------------------------------------------------------------------


def _legs_of(facts: Facts, keys: set[str]) -> set[str]:
    """The dispatched keys a dirty key concerns: itself, and every parcel an item was packed in."""
    legs = {k for k in keys if facts.events(k, "dispatch")}
    for key in keys:
        legs.update(p for p in facts.parcels_of.get(key, ()) if facts.events(p, "dispatch"))
    return legs


def _undone(facts: Facts, item: str, dispatch: Ev, settings: Settings) -> tuple[Ev | None, Ev | None] | None:
    """(sale, return) when `item` was not sold as `dispatch` left: no sale, or a sale returned at once."""
    sale = facts.last(item, "sell", before=dispatch)
    if sale is None:
        return None, None
    at_once = timedelta(minutes=settings.analytics_unsold_return_minutes)
    for ret in facts.events(item, "return"):
        if ret.id > sale.id and (ret.time <= dispatch.time or ret.time - sale.time <= at_once):
            return sale, ret
    return None


@detector("empty_parcel", "unsold_items")
def unsold_items(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """A dispatch of goods not sold: never sold, or their sale returned at once (by event time).

    Capture refuses to dispatch an item that is not sold by the record's order,
    so what it accepts is a return recorded after the delivery whose event time
    says the goods were back before they left, or minutes after the sale: the
    parcel travelled for a sale that no longer stood. (EPCIS-kept shipping of
    unsold goods is not judged: producers ship stock to shops that way.)
    """
    for key in sorted(_legs_of(facts, dirty.keys)):
        for ev in facts.events(key, "dispatch"):
            undone = {i: u for i in facts.inside(key, ev) if (u := _undone(facts, i, ev, settings)) is not None}
            if not undone:
                continue
            proof = [e for pair in undone.values() for e in pair if e is not None] + [ev]
            evidence = tuple(dict.fromkeys(e.hash for e in sorted(proof, key=lambda e: e.id)))
            share = len(undone) / len(facts.inside(key, ev))
            yield Candidate(
                "empty_parcel", "unsold_items", clamp(500 + 500 * share), facts.merchant_of(key),
                (key, *sorted(undone)), evidence,
                f"{key} was dispatched carrying {len(undone)} item(s) whose sale was never made or was returned "
                f"at once (entries {short(evidence)}).", anchor=f"{key}@{ev.hash}")


# --- waybill_reused -----------------------------------------------------------------------


@detector("empty_parcel", "waybill_reused")
def waybill_reused(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """One waybill on two parcels (or items shipped alone): the later dispatch's packer reused it.

    "Later" is by event time (then record order), so a courier's scan recorded
    late does not make the honest first parcel the suspect.
    """
    waybills = {ev.data["waybill"] for key in dirty.keys for ev in facts.events(key, "dispatch")
                if ev.data.get("waybill")}
    for waybill in sorted(waybills):
        dispatches = sorted(facts.waybills.get(waybill, ()), key=lambda e: (e.time, e.id))
        if len({e.key for e in dispatches}) < 2:
            continue
        first = dispatches[0]
        for ev in dispatches[1:]:
            if ev.key == first.key:
                continue
            evidence = tuple(e.hash for e in sorted((first, ev), key=lambda e: e.id))
            yield Candidate(
                "empty_parcel", "waybill_reused", 900, facts.merchant_of(ev.key), (ev.key, first.key), evidence,
                f"Waybill {waybill} of {first.key} was used again for {ev.key} (entries {short(evidence)}).",
                anchor=f"{ev.key}@{waybill}")


# --- nothing_packed -----------------------------------------------------------------------

# EPCIS journey steps (CBV bizStep, last word) and suyuan's typed names for them.
_JOURNEY = {"shipping": "dispatch", "departing": "transit", "arriving": "transit", "in_transit": "transit",
            "receiving": "deliver", "dispatch": "dispatch", "transit": "transit", "deliver": "deliver"}


def _step(ev: Ev) -> str | None:
    """What a kept EPCIS event on a parcel claims happened to it: dispatch, transit, deliver, or None."""
    event = ev.data.get("event")
    if not isinstance(event, dict):
        return None
    value = event.get("suyuan:type") or event.get("bizStep")
    return _JOURNEY.get(re.split(r"[:/-]", value)[-1].lower()) if isinstance(value, str) else None


def _epcis_journey(facts: Facts, key: str) -> Candidate | None:
    """An SSCC nobody packed here that a seller's EPCIS event says it shipped.

    Only a shipping by a seller is judged: a shop's EPCIS receiving of an
    SSCC it did not pack is stock coming in from its supplier.
    """
    journey = [ev for ev in facts.events(key, "epcis") if _step(ev)]
    if not journey or facts.packings.get(key):
        return None
    merchant = next((ev.actor for ev in journey if _step(ev) == "dispatch" and ev.actor in facts.sales_by_seller),
                    None)
    if merchant is None:
        return None
    steps = {_step(ev) for ev in journey}
    evidence = tuple(ev.hash for ev in journey)
    return Candidate(
        "empty_parcel", "nothing_packed", 900 if "deliver" in steps else 700, merchant, (key,), evidence,
        f"{key} was recorded as {', '.join(sorted(steps))} by EPCIS events though nothing was ever packed into "
        f"it (entries {short(evidence)}).", anchor=f"{key}@{journey[0].hash}")


def _emptied(facts: Facts, key: str) -> Iterator[Candidate]:
    """A packed parcel whose every item was unpacked (by event time) before it was dispatched."""
    stays = facts.packings.get(key, ())
    for ev in facts.events(key, "dispatch"):
        held = [s for s in stays if s.packed.id < ev.id]
        if not held or any(s.unpacked is None or s.unpacked.type != "unpack" or s.unpacked.time > ev.time
                           for s in held):
            continue
        proof = sorted({e.id: e for s in held for e in (s.packed, s.unpacked)}.values(), key=lambda e: e.id)
        evidence = tuple(e.hash for e in [*proof, ev, *facts.events(key, "deliver")])
        yield Candidate(
            "empty_parcel", "nothing_packed", 900, facts.merchant_of(key), (key, *(s.item for s in held)),
            evidence, f"{key} was dispatched after all {len(held)} item(s) packed into it were taken out "
            f"(entries {short(evidence)}).", anchor=f"{key}@{ev.hash}")


@detector("empty_parcel", "nothing_packed")
def nothing_packed(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """A parcel that travelled with nothing the seller packed in it.

    Capture refuses a typed dispatch of an empty parcel, so two shapes remain:
    an EPCIS event (kept as `epcis`) by a seller saying it shipped an SSCC
    nobody packed here (with, often, a courier's EPCIS receiving of it after);
    and a parcel whose items were
    all unpacked -- the unpack recorded after the delivery, its event time
    before the dispatch.
    """
    for key in sorted(k for k in dirty.keys if k.startswith("00/")):
        found = _epcis_journey(facts, key)
        if found is not None:
            yield found
        yield from _emptied(facts, key)
