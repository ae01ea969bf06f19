"""Detectors of `fake_logistics` findings: courier legs that could not have happened as recorded.

A leg is one key a courier dispatched (a parcel, or an item shipped alone)
with its transit scans and delivery. Each reason judges a leg by event times
only: couriers' offline scans are recorded hours late and out of order, so the
record's order says nothing about the journey. A single odd leg can be an
honest scanner's slip, so the subject, the courier, is named for a reason
once at least `analytics_logistics_min_legs` of its legs show it and they are
at least `analytics_logistics_min_share` of all its legs. Then one finding per
(courier, reason), anchored `courier@reason`, names its worst legs (up to
`analytics_logistics_evidence_legs`) and is refreshed as more are found.

Regions are GB/T 2260 codes: the province is digits 1-2, the prefecture-level
city digits 1-4 (`suyuan.codes.regions.coarse`).

The verdicts per leg are kept between runs of one `Facts` (`_RECORDS`), so an
incremental run judges only the legs its feed touched and still counts the
courier's whole record. `odd_legs` answers one key's odd legs by reason, for
detectors of other types (an order whose courier leg is fake).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Iterator
from weakref import WeakKeyDictionary, ref

from suyuan.analytics.candidates import Candidate, clamp, detector, short
from suyuan.analytics.facts import Dirty, Ev, Facts
from suyuan.config import Settings

TYPE = "fake_logistics"


@dataclass(frozen=True)
class Leg:
    """One dispatch of a key and what followed it: the transit scans (in event-time order), the delivery."""

    key: str
    dispatch: Ev
    transits: list[Ev]
    deliver: Ev | None


@dataclass(frozen=True)
class Odd:
    """A leg showing a reason: how bad (0-1), the entries that show it, and what they say."""

    badness: float
    entries: tuple[Ev, ...]
    says: str


@dataclass
class _Record:
    """What is known of the couriers for one reason: their legs, and the odd ones by key."""

    legs: dict[str, set[str]] = field(default_factory=dict)  # courier -> its dispatches' hashes
    odd: dict[str, dict[str, tuple[str, Odd]]] = field(default_factory=dict)  # courier -> dispatch -> (key, odd)


_RECORDS: WeakKeyDictionary[Facts, dict[str, _Record]] = WeakKeyDictionary()
# The dirty legs of the latest run, shared by the five reasons: (that run's Dirty, facts.count, legs).
_LATEST: WeakKeyDictionary[Facts, tuple[ref[Dirty], int, list[Leg]]] = WeakKeyDictionary()


def province(region: str | None) -> str | None:
    return region[:2] if isinstance(region, str) and len(region) == 6 else None


def city(region: str | None) -> str | None:
    return region[:4] if isinstance(region, str) and len(region) == 6 else None


def minutes(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 60


def legs(facts: Facts, key: str) -> Iterator[Leg]:
    """The key's journeys: each dispatch with the transits and delivery recorded after it (before the next)."""
    events = facts.by_key.get(key, ())
    starts = [i for i, e in enumerate(events) if e.type == "dispatch"]
    for n, start in enumerate(starts):
        span = events[start + 1:starts[n + 1] if n + 1 < len(starts) else len(events)]
        transits = sorted((e for e in span if e.type == "transit"), key=lambda e: (e.time, e.id))
        yield Leg(key, events[start], transits, next((e for e in span if e.type == "deliver"), None))


# --- the courier's record ------------------------------------------------------------------


Judge = Callable[[Facts, Leg, Settings], "Odd | None"]


def _dirty_legs(facts: Facts, dirty: Dirty) -> list[Leg]:
    """The legs of the dirty keys, read once per run of the detectors however many reasons ask."""
    latest = _LATEST.get(facts)
    if latest is not None and latest[0]() is dirty and latest[1] == facts.count:
        return latest[2]
    found = [leg for key in sorted(dirty.keys) for leg in legs(facts, key)]
    _LATEST[facts] = (ref(dirty), facts.count, found)
    return found


def _judged(facts: Facts, dirty: Dirty, settings: Settings, reason: str) -> Iterator[Candidate]:
    """Judge the dirty legs for `reason`, then answer the couriers they belong to who are over the bar."""
    judge = JUDGES[reason]
    record = _RECORDS.setdefault(facts, {}).setdefault(reason, _Record())
    touched: set[str] = set()
    for found in _dirty_legs(facts, dirty):
        courier, start = found.dispatch.actor, found.dispatch.hash
        if not courier:
            continue
        touched.add(courier)
        record.legs.setdefault(courier, set()).add(start)
        odd = record.odd.setdefault(courier, {})
        verdict = judge(facts, found, settings)
        if verdict is None:
            odd.pop(start, None)
        else:
            odd[start] = (found.key, verdict)
    for courier in sorted(touched):
        named = _named(facts, settings, reason, courier, record)
        if named is not None:
            yield named


def _named(facts: Facts, settings: Settings, reason: str, courier: str, record: _Record) -> Candidate | None:
    odd, count = record.odd.get(courier, {}), len(record.legs.get(courier, ()))
    share = len(odd) / max(1, count)
    if len(odd) < settings.analytics_logistics_min_legs or share < settings.analytics_logistics_min_share:
        return None
    worst = sorted(odd.values(), key=lambda ko: (-ko[1].badness, ko[1].entries[0].id))
    worst = sorted(worst[:settings.analytics_logistics_evidence_legs], key=lambda ko: ko[1].entries[0].id)
    entries = sorted({e.id: e for _, o in worst for e in o.entries}.values(), key=lambda e: e.id)
    evidence = tuple(e.hash for e in entries)
    badness = sum(o.badness for _, o in worst) / len(worst)
    score = clamp(1000 * (0.5 + 0.25 * badness + 0.25 * min(1.0, share * 10)))
    key, example = max(worst, key=lambda ko: ko[1].badness)
    return Candidate(
        TYPE, reason, score, courier, tuple(dict.fromkeys(key for key, _ in worst)), evidence,
        f"{len(odd)} of courier {courier}'s {count} legs show {reason.replace('_', ' ')}, e.g. {key} "
        f"{example.says} (entries {short(evidence)}).",
        anchor=f"{courier}@{reason}")


# --- the reasons ----------------------------------------------------------------------------


def _no_transit(facts: Facts, found: Leg, settings: Settings) -> Odd | None:
    d, v = found.dispatch, found.deliver
    if v is None or found.transits:
        return None
    start, end = d.data.get("from_region"), v.data.get("region") or d.data.get("to_region")
    if province(start) is None or province(end) is None or province(start) == province(end):
        return None
    return Odd(1.0, (d, v), f"went from {start} to {end} with no transit scan")


def fastest(settings: Settings, start: str, end: str) -> int:
    """Fastest plausible dispatch-to-delivery minutes from region `start` to `end`."""
    if city(start) == city(end):
        return settings.analytics_too_fast_same_city_minutes
    if province(start) == province(end):
        return settings.min_delivery_minutes
    pair = f"{province(start)}-{province(end)}"
    return settings.min_delivery_minutes_by_pair.get(pair, settings.analytics_too_fast_provinces_minutes)


def _too_fast(facts: Facts, found: Leg, settings: Settings) -> Odd | None:
    d, v = found.dispatch, found.deliver
    start, end = d.data.get("from_region"), (v.data.get("region") if v else None) or d.data.get("to_region")
    if v is None or province(start) is None or province(end) is None:
        return None
    took, least = minutes(d.time, v.time), fastest(settings, start, end)
    if took >= least:
        return None
    return Odd(min(1.0, (least - took) / max(least, 1)), (d, v),
               f"was delivered {int(took)} minutes after dispatch from {start} to {end} (at least {least})")


def _signed_elsewhere(facts: Facts, found: Leg, settings: Settings) -> Odd | None:
    d, v = found.dispatch, found.deliver
    meant, signed = d.data.get("to_region"), v.data.get("region") if v else None
    if city(meant) is None or city(signed) is None or city(meant) == city(signed):
        return None  # a neighbouring district of the same city is the same delivery
    return Odd(1.0 if province(meant) != province(signed) else 0.7, (d, v),
               f"was signed for in {signed}, dispatched to {meant}")


def _pickup_before_sale(facts: Facts, found: Leg, settings: Settings) -> Odd | None:
    d = found.dispatch
    slack = timedelta(minutes=settings.analytics_pickup_before_sale_minutes)
    sales = [s for i in facts.inside(found.key, d) if (s := facts.last(i, "sell", before=d)) is not None]
    early = [s for s in sales if d.time + slack < s.time]
    if not early:
        return None
    first = min(early, key=lambda s: s.time)
    return Odd(min(1.0, minutes(d.time, first.time) / 1440), (*sorted(early, key=lambda s: s.id), d),
               f"was picked up {int(minutes(d.time, first.time))} minutes before its sale")


def _transit_jump(facts: Facts, found: Leg, settings: Settings) -> Odd | None:
    least = settings.analytics_transit_jump_minutes
    for a, b in zip(found.transits, found.transits[1:]):
        ra, rb = a.data.get("region"), b.data.get("region")
        if province(ra) is None or province(rb) is None or province(ra) == province(rb):
            continue
        took = minutes(a.time, b.time)
        if took < least:
            return Odd(min(1.0, (least - took) / max(least, 1)), (a, b),
                       f"was scanned in {ra} and {int(took)} minutes later in {rb}")
    return None


JUDGES: dict[str, Judge] = {
    "no_transit_scans": _no_transit, "too_fast": _too_fast, "signed_elsewhere": _signed_elsewhere,
    "pickup_before_sale": _pickup_before_sale, "transit_jump": _transit_jump,
}


def odd_legs(facts: Facts, key: str, settings: Settings) -> Iterator[tuple[Leg, str, Odd]]:
    """Each leg of `key` that shows a reason, with the reason and how (whatever the courier's record)."""
    for found in legs(facts, key):
        for reason, judge in JUDGES.items():
            verdict = judge(facts, found, settings)
            if verdict is not None:
                yield found, reason, verdict


@detector(TYPE, "no_transit_scans")
def no_transit_scans(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """Deliveries between two provinces with no transit scan in between."""
    return _judged(facts, dirty, settings, "no_transit_scans")


@detector(TYPE, "too_fast")
def too_fast(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """Deliveries faster than possible for the region pair (same-city deliveries have their own, low, bar)."""
    return _judged(facts, dirty, settings, "too_fast")


@detector(TYPE, "signed_elsewhere")
def signed_elsewhere(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """Deliveries signed for in another city than the dispatch's `to_region`."""
    return _judged(facts, dirty, settings, "signed_elsewhere")


@detector(TYPE, "pickup_before_sale")
def pickup_before_sale(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """Dispatches whose event time is before the sale of what they carry."""
    return _judged(facts, dirty, settings, "pickup_before_sale")


@detector(TYPE, "transit_jump")
def transit_jump(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """Consecutive transit scans (by event time) in two provinces, closer in time than any trip between them."""
    return _judged(facts, dirty, settings, "transit_jump")
