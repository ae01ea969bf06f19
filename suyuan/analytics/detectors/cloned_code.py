"""Detectors of `cloned_code` findings: one serial on more than one box (克隆码、假码).

A serialised item is one physical thing, so its code is seen where that
thing is. A code seen in two distant provinces sooner than anyone could
travel between them, checked by more people than one box has, or checked
though it was never registered under a real product's GTIN, is printed on
goods that are not the registered item. The subject is the code: no party
(who printed it is not on the ledger), `subject_keys` start with the item's
key. Consumer checks (the scan log) are not entries, so the evidence is the
registration entries and courier scans, and `detail` describes the checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterator

from suyuan.analytics.candidates import Candidate, clamp, detector, short
from suyuan.analytics.facts import Dirty, Ev, Facts
from suyuan.analytics.windows import distinct_bursts
from suyuan.codes.provinces import distance_km
from suyuan.config import Settings
from suyuan.errors import InputError
from suyuan.trace.goods.registry import key_ref

LONGEST_KM = 4000  # farther than any two province capitals: bounds how far back a sighting is compared
NAMED = 20  # at most this many courier scans are named in one finding (its detail holds 1000 characters)
SCAN_REGION = {"dispatch": "from_region", "transit": "region", "deliver": "region"}


@dataclass(frozen=True)
class Sighting:
    """Where a code was seen: a consumer check (ev None) or a courier scan (its entry)."""

    time: datetime
    region: str | None
    who: str | None  # the checker pseudonym, or the courier
    ev: Ev | None

    def describe(self) -> str:
        what = f"courier scan {self.ev.hash[:12]}" if self.ev else "consumer check"
        return f"{what} in region {self.region} at {self.time.isoformat(timespec='minutes')}"


def _touched_items(facts: Facts, dirty: Dirty) -> list[str]:
    keys = {k for k in dirty.checked if k in facts.items}
    for key in dirty.keys:
        if key in facts.items:
            keys.add(key)
        elif key in facts.packings:
            keys.update(s.item for s in facts.packings[key])
    return sorted(keys)


def sightings(facts: Facts, key: str) -> list[Sighting]:
    """The item's consumer checks and the courier scans of it (or of the parcel it is in), by time."""
    seen = [Sighting(c.scanned, c.region, c.checker, None) for c in facts.checks.get(key, ())]
    for holder in filter(None, (key, facts.parcel_of.get(key))):
        for ev in facts.by_key.get(holder, ()):
            field = SCAN_REGION.get(ev.type)
            if field and (holder == key or key in facts.inside(holder, ev)):
                seen.append(Sighting(ev.time, ev.data.get(field), ev.actor, ev))
    return sorted(seen, key=lambda s: (s.time, s.ev.id if s.ev else 0))


def _too_far(a: Sighting, b: Sighting, settings: Settings) -> float | None:
    """The distance between two sightings if no one could have carried the item from one to the other."""
    if a.ev is not None and b.ev is not None and a.who == b.who:
        return None  # one courier's own scans jumping about: fake logistics, not a second box
    km = distance_km(a.region, b.region)
    if km is None or km < settings.analytics_clone_min_km:
        return None
    needed = settings.analytics_clone_overhead_minutes + km / settings.analytics_clone_speed_kmh * 60
    return km if abs((b.time - a.time).total_seconds()) < needed * 60 else None


def impossible_pairs(seen: list[Sighting], settings: Settings) -> list[tuple[Sighting, Sighting, float]]:
    """Pairs of sightings too far apart for their times, each later one against the earlier ones in reach."""
    reach = (settings.analytics_clone_overhead_minutes + LONGEST_KM / settings.analytics_clone_speed_kmh * 60) * 60
    pairs = []
    for j, b in enumerate(seen):
        i = j - 1
        while i >= 0 and (b.time - seen[i].time).total_seconds() < reach:
            km = _too_far(seen[i], b, settings)
            if km is not None:
                pairs.append((seen[i], b, km))
            i -= 1
    return pairs


@detector("cloned_code", "distant_regions")
def distant_regions(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """One serial seen in distant provinces sooner than the fastest trip between them."""
    for key in _touched_items(facts, dirty):
        pairs = impossible_pairs(sightings(facts, key), settings)
        if not pairs:
            continue
        scans = sorted({s.ev.id: s.ev for a, b, _ in pairs for s in (a, b) if s.ev}.values(), key=lambda e: e.id)
        evidence = tuple(dict.fromkeys([facts.items[key].entry, *(e.hash for e in scans[:NAMED])]))
        a, b, km = max(pairs, key=lambda p: p[2])
        yield Candidate(
            "cloned_code", "distant_regions", clamp(600 + 100 * len(pairs)), None, (key,), evidence,
            f"{key} (registered in entry {short(evidence[:1])}) was seen {round(km)} km apart too quickly: "
            f"{a.describe()} and {b.describe()}; {len(pairs)} such pair(s)"
            + (f", courier scan entries {short(evidence[1:])}." if len(evidence) > 1 else "."),
            anchor=key)


@detector("cloned_code", "too_many_checks")
def too_many_checks(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """More distinct consumers checked one serial within a window than one box has."""
    minutes, least = settings.analytics_checks_window_minutes, settings.analytics_checks_max
    for key in sorted(k for k in dirty.checked if k in facts.items):
        checks = sorted(facts.checks[key], key=lambda c: (c.scanned, c.id))
        found = distinct_bursts([c.scanned for c in checks], [c.checker for c in checks], minutes, least)
        if not found:
            continue
        i, j = found[0]
        window = checks[i:j]
        checkers = {c.checker for c in window if c.checker}
        regions = sorted({c.region for c in window if c.region})
        evidence = (facts.items[key].entry,)
        yield Candidate(
            "cloned_code", "too_many_checks", clamp(500 + 50 * (len(checkers) - least)), None, (key,), evidence,
            f"{key} (registered in entry {short(evidence)}) was checked by {len(checkers)} different consumers "
            f"within {minutes} minutes from {window[0].scanned.isoformat(timespec='minutes')}, in "
            f"{len(regions)} region(s) {', '.join(regions[:8])}; {len(checks)} consumer checks in all.",
            anchor=key)


@detector("cloned_code", "unregistered_serial")
def unregistered_serial(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """Consumer checks of a serial never registered, under a GTIN that is registered: a made-up code."""
    for key in sorted(k for k in dirty.checked if k not in facts.items):
        try:
            ref = key_ref(key)
        except InputError:
            continue
        product = facts.products.get(ref.gtin)
        checks = sorted(facts.checks[key], key=lambda c: (c.scanned, c.id))
        if ref.kind != "item" or product is None or product.entry is None:
            continue
        if len(checks) < settings.analytics_unregistered_min_checks:
            continue
        first, evidence = checks[0], (product.entry,)
        yield Candidate(
            "cloned_code", "unregistered_serial", clamp(700 + 50 * len(checks)), None, (key,), evidence,
            f"{key} was checked {len(checks)} time(s) by consumers, first at "
            f"{first.scanned.isoformat(timespec='minutes')} in region {first.region}, but serial {ref.serial} "
            f"was never registered under GTIN {ref.gtin} (the product's registration is entry {short(evidence)}).",
            anchor=key)
