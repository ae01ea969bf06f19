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
from typing import Iterable, Iterator

from suyuan.analytics.candidates import Candidate, clamp, detector, short
from suyuan.analytics.facts import Batch, Dirty, Ev, Facts
from suyuan.config import Settings

TYPE = "unsafe_goods"
UTC = timezone.utc
Found = tuple[str, str, list[Ev]]  # (seller, item, the entries that show it)


def _batches(facts: Facts, dirty: Dirty) -> list[Batch]:
    """The batches a feed touched: batches themselves, items' batches, and those of the items in parcels."""
    keys = set()
    for key in dirty.keys:
        if key in facts.batches:
            keys.add(key)
            continue
        items = [key] if key in facts.items else [s.item for s in facts.packings.get(key, ())]
        keys.update(facts.items[i].batch_key for i in items if i in facts.items)
    return [facts.batches[k] for k in sorted(k for k in keys if k in facts.batches)]


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


@detector(TYPE, "sold_after_expiry")
def sold_after_expiry(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """Sales, dispatches or deliveries of a batch's items after its expiry date (backdated to pass capture)."""
    for batch in _batches(facts, dirty):
        if batch.expiry is None:
            continue
        found = [f for item in facts.items_by_batch.get(batch.key, ())
                 for f in _after_expiry(facts, settings, batch, item) if f[0]]
        head = facts.by_hash.get(batch.entry or "")
        yield from _candidates(facts, settings, "sold_after_expiry", batch, head, found,
                               f"were sold or shipped after it expired on {batch.expiry.isoformat()}")


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


@detector(TYPE, "failed_inspection")
def failed_inspection(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """Sales or dispatches of a batch after an inspection failed it, with no later pass before them."""
    for batch in _batches(facts, dirty):
        if not any(e.data.get("result") == "fail" for e in batch.inspections):
            continue
        times, done = _failing(batch)
        found: list[Found] = []
        for item in facts.items_by_batch.get(batch.key, ()):
            seller = facts.seller_of(item) or ""
            moves = [(s.actor or seller, s) for s in facts.events(item, "sell")]
            moves += [(seller, d) for d, _ in journeys(facts, item)]
            for who, ev in moves:
                fail = _under_fail(times, done, ev)
                if fail is not None and who:
                    found.append((who, item, [fail, ev]))
        first_fail = next(e for e in done if e.data.get("result") == "fail")
        yield from _candidates(facts, settings, "failed_inspection", batch, first_fail, found,
                               "were sold or dispatched after an inspection failed the batch")


# --- aquatic_shelf_life ---------------------------------------------------------------------


@detector(TYPE, "aquatic_shelf_life")
def aquatic_shelf_life(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """Seafood whose dispatch-to-delivery time outlasts its shelf life (expiry minus production date)."""
    for batch in _batches(facts, dirty):
        product = facts.products.get(batch.gtin)
        if product is None or product.category != "aquatic" or batch.expiry is None or batch.produced is None:
            continue
        shelf = timedelta(days=(batch.expiry - batch.produced).days) * settings.analytics_aquatic_transit_share
        found: list[Found] = []
        for item in facts.items_by_batch.get(batch.key, ()):
            seller = facts.seller_of(item)
            for d, v in journeys(facts, item):
                if seller and v is not None and v.time - d.time > shelf:
                    found.append((seller, item, [d, v]))
        head = facts.by_hash.get(batch.entry or "")
        days = (batch.expiry - batch.produced).days
        yield from _candidates(facts, settings, "aquatic_shelf_life", batch, head, found,
                               f"travelled longer than their {days}-day shelf life")
