"""Detectors of `fake_review` findings: reviews written to lift a shop, not by its shoppers (恶意评价).

A review is a `review` entry on an item key, appended with the review token
its delivery issued; its merchant (the subject) is the item's seller, and
its delivery is the item's (or its parcel's) last `deliver` before it, whose
recipient is the reviewer. Honest shops get bursts of reviews too, after a
promotion, but of real deliveries and spread over days, with ratings and
texts of every kind; the signals here want many reviews and a pattern in them.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from suyuan.analytics.candidates import Candidate, clamp, detector, short
from suyuan.analytics.detectors.brushing import Marks
from suyuan.analytics.facts import Dirty, Ev, Facts
from suyuan.analytics.windows import bursts, distinct_bursts, prefix
from suyuan.config import Settings

NAMED = 20  # at most this many reviews are named in one finding's evidence


def delivery_of(facts: Facts, review: Ev) -> Ev | None:
    """The delivery a review answers: the last `deliver` of the item, or of its parcel, before the review."""
    own = facts.last(review.key, "deliver", review)
    parcel = facts.parcel_of.get(review.key)
    boxed = facts.last(parcel, "deliver", review) if parcel else None
    return max((d for d in (own, boxed) if d is not None), key=lambda d: d.id, default=None)


def recipient_of(facts: Facts, deliver: Ev | None) -> str | None:
    """Who a delivery went to: its recipient, or the recipient its dispatch named."""
    if deliver is None:
        return None
    dispatch = facts.last(deliver.key, "dispatch", deliver)
    return deliver.data.get("recipient") or (dispatch.data.get("recipient") if dispatch else None)


def reviews(facts: Facts, merchant: str) -> list[Ev]:
    """A merchant's first reviews (follow-ups are the same reviewer again), by event time."""
    found = [r for r in facts.reviews_by_seller.get(merchant, ()) if not r.data.get("follow_up_to")]
    return sorted(found, key=lambda r: (r.time, r.id))


def reviewed(facts: Facts, dirty: Dirty) -> list[str]:
    return sorted(p for p in dirty.parties if p in facts.reviews_by_seller)


def _evidence(evs: Iterable[Ev]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(e.hash for e in sorted(evs, key=lambda e: e.id)))


def _keys(evs: Iterable[Ev]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(e.key for e in evs))


# --- review_burst -------------------------------------------------------------------------


def _suspicious(review: Ev) -> bool:
    """Five stars: in a burst of hours honest opinions vary (about 60% are five-star); paid ones do not.

    Paid reviews copy real ones' words and come from real orders' tokens, so neither the text's length
    nor the reviewer's history tells them apart; the rating within the burst does.
    """
    return review.data.get("rating") == 5


@detector("fake_review", "review_burst")
def review_burst(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """Many reviews of one merchant within hours, nearly all of them five-star."""
    minutes = settings.analytics_review_burst_minutes
    for shop in reviewed(facts, dirty):
        evs = reviews(facts, shop)
        if len(evs) < settings.analytics_review_burst_min:
            continue
        flags = [_suspicious(r) for r in evs]
        counts = prefix(flags)

        def ok(i: int, j: int) -> bool:
            return (j - i >= settings.analytics_review_burst_min
                    and counts[j] - counts[i] >= (j - i) * settings.analytics_review_burst_share)

        for i, j in bursts([r.time for r in evs], minutes, ok):
            burst, n = evs[i:j], counts[j] - counts[i]
            evidence = _evidence(burst[:NAMED])
            yield Candidate(
                "fake_review", "review_burst", clamp(400 + 30 * len(burst) + 300 * n / len(burst)), shop,
                _keys(burst[:NAMED]), evidence,
                f"{len(burst)} reviews of this shop within {minutes} minutes, {n} of them five-star "
                f"(entries {short(evidence)}).", anchor=f"{shop}@{burst[0].hash}")


# --- reviews_right_after_delivery ---------------------------------------------------------


@detector("fake_review", "reviews_right_after_delivery")
def reviews_right_after_delivery(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """A share of a merchant's reviews written minutes after their delivery, over a minimum count."""
    limit = settings.analytics_review_fast_minutes * 60
    for shop in reviewed(facts, dirty):
        evs = reviews(facts, shop)
        if len(evs) < settings.analytics_review_fast_min:
            continue
        fast = []
        for r in evs:
            d = delivery_of(facts, r)
            if d is not None and 0 <= (r.time - d.time).total_seconds() <= limit:
                fast.append((d, r))
        if len(fast) < max(settings.analytics_review_fast_min, len(evs) * settings.analytics_review_fast_share):
            continue
        fast.sort(key=lambda dr: dr[1].id)
        named = fast[: NAMED // 2]
        evidence = _evidence(e for pair in named for e in pair)
        yield Candidate(
            "fake_review", "reviews_right_after_delivery", clamp(400 + 600 * len(fast) / len(evs)), shop,
            _keys(r for _, r in named), evidence,
            f"{len(fast)} of this shop's {len(evs)} reviews came within {settings.analytics_review_fast_minutes} "
            f"minutes of their delivery (deliveries and reviews: entries {short(evidence)}).",
            anchor=f"{shop}@{fast[0][1].hash}")


# --- five_star_brushing -------------------------------------------------------------------


@detector("fake_review", "five_star_brushing")
def five_star_brushing(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """Five-star reviews through the review tokens of orders the brushing signals mark."""
    least, marks = settings.analytics_review_brushed_min, Marks(facts, settings)
    for shop in reviewed(facts, dirty):
        five = [r for r in reviews(facts, shop) if r.data.get("rating") == 5]
        if len(five) < least:
            continue
        brushed = marks.items(shop)
        hits = sorted((r for r in five if r.key in brushed), key=lambda r: r.id)
        if len(hits) < least:
            continue
        evidence = _evidence(hits[:NAMED])
        yield Candidate(
            "fake_review", "five_star_brushing", clamp(500 + 50 * len(hits)), shop, _keys(hits[:NAMED]), evidence,
            f"{len(hits)} five-star reviews of this shop came from orders marked as brushing "
            f"(reviews: entries {short(evidence)}).", anchor=f"{shop}@{hits[0].hash}")


# --- one_reviewer_many_shops --------------------------------------------------------------


def reviews_by(facts: Facts, person: str) -> list[Ev]:
    """The reviews of deliveries to one recipient, by event time."""
    found: dict[str, Ev] = {}
    for ev in facts.by_person.get(person, ()):
        if ev.type not in ("dispatch", "deliver"):
            continue
        for item in facts.inside(ev.key, ev) or [ev.key]:
            for r in facts.events(item, "review"):
                if r.id > ev.id and not r.data.get("follow_up_to") and r.hash not in found \
                        and recipient_of(facts, delivery_of(facts, r)) == person:
                    found[r.hash] = r
    return sorted(found.values(), key=lambda r: (r.time, r.id))


def _reviewers(facts: Facts, dirty: Dirty) -> set[str]:
    people = set(dirty.people)
    for key in dirty.keys:
        for r in facts.events(key, "review") if key in facts.items else ():
            person = recipient_of(facts, delivery_of(facts, r))
            if person:
                people.add(person)
    return people


@detector("fake_review", "one_reviewer_many_shops")
def one_reviewer_many_shops(facts: Facts, dirty: Dirty, settings: Settings) -> Iterator[Candidate]:
    """One recipient reviewing many shops within a window: each shop reviewed is named."""
    minutes = settings.analytics_reviewer_window_minutes
    for person in sorted(_reviewers(facts, dirty)):
        evs = reviews_by(facts, person)
        if len(evs) < settings.analytics_reviewer_min_shops:
            continue
        shops_of = [facts.seller_of(r.key) for r in evs]
        for i, j in distinct_bursts([r.time for r in evs], shops_of, minutes, settings.analytics_reviewer_min_shops):
            shops = sorted({s for s in shops_of[i:j] if s})
            for shop in shops:
                mine = [r for r, s in zip(evs[i:j], shops_of[i:j]) if s == shop]
                evidence = _evidence(mine[:NAMED])
                yield Candidate(
                    "fake_review", "one_reviewer_many_shops",
                    clamp(500 + 80 * (len(shops) - settings.analytics_reviewer_min_shops) + 40 * len(mine)), shop,
                    _keys(mine[:NAMED]), evidence,
                    f"one recipient ({person[:24]}...) reviewed {len(shops)} shops within {minutes} minutes, "
                    f"this one {len(mine)} time(s) (entries {short(evidence)}).",
                    anchor=f"{shop}@{person}@{evs[i].hash}")
