"""Detectors of `unsafe_goods` findings: goods sold or shipped when they were not fit to be.

One finding per (batch, selling merchant, reason): the subject is the merchant
who sold (or whose goods were dispatched), `subject_keys` start with the batch
key and then name the offending items (up to `analytics_unsafe_evidence_items`),
and the anchor is the batch key, so the finding grows as more of the batch is
found. Evidence starts with the batch's registration (its dates) or the
inspection concerned.

- `sold_after_expiry`: capture refuses a sale or dispatch whose event time is
  after the batch's expiry date, so a sale of expired goods is a backdated one:
  recorded after the expiry day ended (beyond a grace), or a dispatch recorded
  so, or a delivery (event time) long after it.
- `failed_inspection`: a sale or dispatch (event time) after an inspection of
  the batch failed, with no passing inspection between.
- `aquatic_shelf_life`: seafood (product category `aquatic`) whose time from
  dispatch to delivery (event times) is longer than its shelf life, the
  batch's expiry date minus its production date -- the journey alone outlasts
  the goods, whenever they were sold. Seafood with a short shelf life that
  arrives within it is not judged.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from datetime import datetime, time, timedelta, timezone
from typing import Callable, Iterable, Iterator
from weakref import WeakKeyDictionary

from suyuan.analytics.candidates import Candidate, clamp, detector, short
from suyuan.analytics.facts import Batch, Dirty, Ev, Facts
from suyuan.config import Settings

TYPE = "unsafe_goods"
UTC = timezone.utc
Found = tuple[str, str, list[Ev]]  # (seller, item, the entries that show it)
_KEPT: WeakKeyDictionary[Facts, dict[str, dict[str, dict[str, list[Found]]]]] = WeakKeyDictionary()


def _touched(facts: Facts, dirty: Dirty) -> dict[str, set[str]]:
    """The items to judge again, by batch: a dirty batch's every item, dirty items, the items of dirty parcels."""
    out: dict[str, set[str]] = defaultdict(set)
    for key in dirty.keys:
        if key in facts.batches:
            out[key].update(facts.items_by_batch.get(key, ()))
            continue
        for i in [key] if key in facts.items else [s.item for s in facts.packings.get(key, ())]:
            item = facts.items.get(i)
            if item is not None and item.batch_key in facts.batches:
                out[item.batch_key].add(i)
    return out


# How one reason judges a batch: (judge of one of its items, the entry heading the evidence, what they did),
# or None when nothing of the batch can show the reason.
Judge = Callable[[str], Iterable["Found"]]
Plan = Callable[[Facts, Settings, Batch], "tuple[Judge, Ev | None, str] | None"]


def _run(facts: Facts, dirty: Dirty, settings: Settings, reason: str, plan: Plan) -> Iterator[Candidate]:
    """Judge the touched items of each touched batch, keep the verdicts, answer each batch's candidates.

    The verdicts are kept between runs of one `Facts` (`_KEPT`), so an
    incremental run judges only what its feed touched and still names every
    offending item of the batch.
    """
    kept = _KEPT.setdefault(facts, {}).setdefault(reason, {})
    for batch_key, items in sorted(_touched(facts, dirty).items()):
        batch = facts.batches[batch_key]
        planned = plan(facts, settings, batch)
        if planned is None:
            kept.pop(batch_key, None)
            continue
        judge, head, says = planned
        found = kept.setdefault(batch_key, {})
        for item in items:
            verdicts = [f for f in judge(item) if f[0]]
            if verdicts:
                found[item] = verdicts
            else:
                found.pop(item, None)
        yield from _candidates(facts, settings, reason, batch, head, [f for fs in found.values() for f in fs], says)


def journeys(facts: Facts, item: str) -> Iterator[tuple[Ev, Ev | None]]:
    """Each (dispatch, delivery) that moved `item`, alone or in a parcel."""
    for key in [item, *facts.parcels_of.get(item, ())]:
        events = facts.by_key.get(key, ())
        for d in (e for e in events if e.type == "dispatch"):
            if key == item or item in facts.inside(key, d):
                yield d, next((e for e in events if e.type == "deliver" and e.id > d.id), None)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _candidates(facts: Facts, settings: Settings, reason: str, batch: Batch, head: Ev | None,
                found: Iterable[Found], says: str) -> Iterator[Candidate]:
    """One candidate per seller: the batch and its worst items, the entries, one sentence."""
    by_seller: dict[str, dict[str, list[Ev]]] = defaultdict(dict)
    for seller, item, entries in found:
        by_seller[seller].setdefault(item, []).extend(entries)
    cap = settings.analytics_unsafe_evidence_items
    for seller in sorted(by_seller):
        items = sorted(by_seller[seller].items(), key=lambda kv: min(e.id for e in kv[1]))
        shown = items[:cap]
        entries = ([head] if head else []) + sorted({e.id: e for _, es in shown for e in es}.values(),
                                                    key=lambda e: e.id)
        evidence = tuple(dict.fromkeys(e.hash for e in entries))
        yield Candidate(
            TYPE, reason, clamp(700 + 30 * len(items)), seller, (batch.key, *(i for i, _ in shown)), evidence,
            f"{len(items)} item(s) of batch {batch.key} {says} (entries {short(evidence)}).", anchor=batch.key)


# --- sold_after_expiry ----------------------------------------------------------------------


def _after_expiry(facts: Facts, settings: Settings, batch: Batch, item: str) -> Iterator[Found]:
    end = datetime.combine(batch.expiry + timedelta(days=1), time(0), UTC)  # type: ignore[operator]
    sale_by = end + timedelta(hours=settings.analytics_expiry_sale_grace_hours)
    dispatch_by = end + timedelta(hours=settings.analytics_expiry_dispatch_grace_hours)
    deliver_by = end + timedelta(hours=settings.analytics_expiry_delivery_grace_hours)
    seller = facts.seller_of(item)
    for sale in facts.events(item, "sell"):
        if max(_utc(sale.time), _utc(sale.recorded)) > sale_by:
            yield sale.actor or seller or "", item, [sale]
    for d, v in journeys(facts, item):
        if max(_utc(d.time), _utc(d.recorded)) > dispatch_by:
            yield seller or "", item, [d]
        elif v is not None and _utc(v.time) > deliver_by:
            yield seller or "", item, [d, v]


def _expiry_plan(facts: Facts, settings: Settings, batch: Batch) -> tuple[Judge, Ev | None, str] | None:
    if batch.expiry is None:
        return None
    return (lambda item: _after_expiry(facts, settings, batch, item), facts.by_hash.get(batch.entry or ""),
            f"were sold or shipped after it expired on {batch.expiry.isoformat()}")


@detector(TYPE, "sold_after_expiry")
def sold_after_expiry(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """Sales, dispatches or deliveries of a batch's items after its expiry date (backdated to pass capture)."""
    return _run(facts, dirty, settings, "sold_after_expiry", _expiry_plan)


# --- failed_inspection ----------------------------------------------------------------------


def _failing(batch: Batch) -> tuple[list[datetime], list[Ev]]:
    """The batch's inspections in event-time order (times, events)."""
    done = sorted(batch.inspections, key=lambda e: (e.time, e.id))
    return [e.time for e in done], done


def _under_fail(times: list[datetime], done: list[Ev], ev: Ev) -> Ev | None:
    """The failed inspection in force at `ev`'s event time (the latest inspection before it failed)."""
    at = bisect_right(times, ev.time)
    latest = done[at - 1] if at else None
    return latest if latest is not None and latest.data.get("result") == "fail" else None


def _inspection_plan(facts: Facts, settings: Settings, batch: Batch) -> tuple[Judge, Ev | None, str] | None:
    times, done = _failing(batch)
    first_fail = next((e for e in done if e.data.get("result") == "fail"), None)
    if first_fail is None:
        return None

    def judge(item: str) -> Iterator[Found]:
        seller = facts.seller_of(item) or ""
        moves = [(s.actor or seller, s) for s in facts.events(item, "sell")]
        moves += [(seller, d) for d, _ in journeys(facts, item)]
        for who, ev in moves:
            fail = _under_fail(times, done, ev)
            if fail is not None:
                yield who, item, [fail, ev]
    return judge, first_fail, "were sold or dispatched after an inspection failed the batch"


@detector(TYPE, "failed_inspection")
def failed_inspection(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """Sales or dispatches of a batch after an inspection failed it, with no later pass before them."""
    return _run(facts, dirty, settings, "failed_inspection", _inspection_plan)


# --- aquatic_shelf_life ---------------------------------------------------------------------


def _shelf_plan(facts: Facts, settings: Settings, batch: Batch) -> tuple[Judge, Ev | None, str] | None:
    product = facts.products.get(batch.gtin)
    if product is None or product.category != "aquatic" or batch.expiry is None or batch.produced is None:
        return None
    days = (batch.expiry - batch.produced).days
    shelf = timedelta(days=days) * settings.analytics_aquatic_transit_share

    def judge(item: str) -> Iterator[Found]:
        seller = facts.seller_of(item) or ""
        for d, v in journeys(facts, item):
            if v is not None and v.time - d.time > shelf:
                yield seller, item, [d, v]
    return judge, facts.by_hash.get(batch.entry or ""), f"travelled longer than their {days}-day shelf life"


@detector(TYPE, "aquatic_shelf_life")
def aquatic_shelf_life(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """Seafood whose dispatch-to-delivery time outlasts its shelf life (expiry minus production date)."""
    return _run(facts, dirty, settings, "aquatic_shelf_life", _shelf_plan)
