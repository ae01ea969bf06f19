"""A detector's answer before it is stored: a candidate finding, and the registry of detectors.

A candidate names its `anchor`, what makes it the same finding however often it
is found again (a parcel's key, a merchant and the day of a burst): the stored
fingerprint is of (type, reason, subject party, anchor), so a rerun, or the
incremental run seeing more evidence of the same thing, updates the finding it
made before instead of adding a second. `detail` is the one sentence that
explains it, naming the entries (by the first 12 hex digits of their hashes).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

if TYPE_CHECKING:
    from suyuan.analytics.facts import Dirty, Facts
    from suyuan.config import Settings

# The stable type codes and their reason codes (the README's findings table lists them).
TYPES: dict[str, tuple[str, ...]] = {
    "empty_parcel": ("weight_below_net", "unsold_items", "waybill_reused", "nothing_packed"),
    "fake_logistics": ("no_transit_scans", "too_fast", "signed_elsewhere", "pickup_before_sale", "transit_jump"),
    "brushing": ("one_recipient_many_shops", "fake_courier_leg", "sell_return_cycles", "burst_from_new_buyers"),
    "fake_review": ("review_burst", "reviews_right_after_delivery", "five_star_brushing", "one_reviewer_many_shops"),
    "cloned_code": ("distant_regions", "too_many_checks", "unregistered_serial"),
    "unsafe_goods": ("sold_after_expiry", "failed_inspection", "aquatic_shelf_life"),
}


@dataclass(frozen=True)
class Candidate:
    type: str
    reason: str
    score: int  # 0-1000: how sure the detector is
    subject_party: str | None
    subject_keys: tuple[str, ...]
    evidence: tuple[str, ...]  # entry hashes, lowercase hex, oldest first
    detail: str
    anchor: str

    def fingerprint(self) -> bytes:
        return hashlib.sha256(json.dumps([self.type, self.reason, self.subject_party, self.anchor]).encode()).digest()


Detect = Callable[["Facts", "Dirty", "Settings"], Iterable[Candidate]]


@dataclass(frozen=True)
class Detector:
    type: str
    reason: str
    run: Detect


DETECTORS: list[Detector] = []


def detector(type: str, reason: str) -> Callable[[Detect], Detect]:
    """Register a detector of one (type, reason); the code must be in `TYPES`."""
    if reason not in TYPES.get(type, ()):
        raise ValueError(f"expected a reason of {type} in TYPES, got {type}/{reason}")

    def register(run: Detect) -> Detect:
        DETECTORS.append(Detector(type, reason, run))
        return run
    return register


def selected(types: Iterable[str] | None) -> Iterator[Detector]:
    wanted = set(types) if types else None
    return (d for d in DETECTORS if wanted is None or d.type in wanted)


def short(hashes: Iterable[str]) -> str:
    """Entry hashes as a sentence names them: the first 12 hex digits, comma-separated."""
    return ", ".join(h[:12] for h in hashes)


def clamp(score: float) -> int:
    return max(0, min(1000, round(score)))
