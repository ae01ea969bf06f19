"""The rules that keep the record honest.

Hard rules raise before anything is written: `Forbidden` (403) for a wrong
role or someone else's goods, `RuleViolation` (409) when the recorded state
does not allow the event. Soft signals never refuse: they return `Signal`s
that capture stores as flags for inspectors (`GET /v1/flags`).

Rule codes (stable, in `RuleViolation.rule`): not_registered,
already_registered, not_listed, already_sold, not_sold, empty_parcel,
item_packed, parcel_closed, not_dispatched, batch_recalled, batch_expired,
not_recalled, already_recalled, no_delivery, not_a_review, bad_party,
token_used, follow_up_too_early, token_handed_out.

Flag codes: time_future, time_stale, out_of_order, delivery_too_fast,
weight_below_contents, serial_far_apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from suyuan.config import Settings
from suyuan.errors import Forbidden, RuleViolation

UTC = timezone.utc


@dataclass(frozen=True)
class Signal:
    """A soft flag: accepted, but worth an inspector's look."""

    key: str
    code: str
    detail: str


# --- hard rules ----------------------------------------------------------------------


def require(condition: bool, message: str, rule: str, field: str | None = None) -> None:
    if not condition:
        raise RuleViolation(message, rule=rule, field=field)


def require_role(party_roles: tuple[str, ...], allowed: tuple[str, ...], event: str) -> None:
    if not any(r in party_roles for r in allowed):
        raise Forbidden(
            f"Role not allowed to {event}: expected {' or '.join(allowed)}, got {', '.join(party_roles)}.",
            field="type",
        )


def require_party(expected: str | None, actual: str, what: str, how: str) -> None:
    """Ownership: the acting party must be the one the goods belong or were handed to."""
    if expected != actual:
        holder = f"party {expected}" if expected else "no one yet"
        raise Forbidden(
            f"Not your goods: {what} belongs to {holder}, got party {actual}; {how}.", field="key"
        )


def require_sellable(batch: Any, when: datetime, event: str) -> None:
    """A recalled or expired batch cannot be listed, sold or dispatched."""
    if batch is None:
        return
    require(not batch.recalled,
            f"Batch {batch.key} is recalled: expected a batch not under recall to {event}, "
            "wait for an inspector to lift the recall.", "batch_recalled", "key")
    expiry: date | None = batch.expiry_date
    if expiry is not None:
        require(when.date() <= expiry,
                f"Batch {batch.key} expired on {expiry.isoformat()}: expected an unexpired batch to "
                f"{event}, got event date {when.date().isoformat()}.", "batch_expired", "key")


# --- soft signals --------------------------------------------------------------------


def time_signals(key: str, when: datetime, now: datetime, settings: Settings) -> list[Signal]:
    if when > now + timedelta(seconds=settings.clock_skew_seconds):
        return [Signal(key, "time_future", f"event time {when.isoformat()} is ahead of server time "
                       f"{now.isoformat(timespec='seconds')}")]
    if when < now - timedelta(days=settings.stale_event_days):
        return [Signal(key, "time_stale", f"event time {when.isoformat()} is more than "
                       f"{settings.stale_event_days} days before server time")]
    return []


def order_signal(key: str, last: datetime | None, when: datetime) -> list[Signal]:
    if last is not None and when < last:
        return [Signal(key, "out_of_order", f"event time {when.isoformat()} is before the previous "
                       f"event at {last.isoformat()}")]
    return []


def delivery_signal(key: str, dispatched_at: datetime | None, from_region: str | None,
                    to_region: str, when: datetime, settings: Settings) -> list[Signal]:
    if dispatched_at is None or from_region is None:
        return []
    pair = f"{from_region[:2]}-{to_region[:2]}"
    minimum = settings.min_delivery_minutes_by_pair.get(pair, settings.min_delivery_minutes)
    took = (when - dispatched_at).total_seconds() / 60
    if took < minimum:
        return [Signal(key, "delivery_too_fast", f"delivered {int(took)} minutes after dispatch for "
                       f"region pair {pair}: expected at least {minimum}")]
    return []


def weight_signal(key: str, declared_g: int, contents_g: int) -> list[Signal]:
    if declared_g < contents_g:
        return [Signal(key, "weight_below_contents", f"declared weight {declared_g} g is below the "
                       f"net weight of the contents, {contents_g} g")]
    return []


def region_signal(key: str, last_region: str | None, last_time: datetime | None, region: str,
                  when: datetime, settings: Settings) -> list[Signal]:
    """The same serial in two provinces within the window: a cloned code, or a scanner lying."""
    if last_region is None or last_time is None or last_region[:2] == region[:2]:
        return []
    window = timedelta(minutes=settings.serial_region_window_minutes)
    if abs(when - last_time) <= window:
        return [Signal(key, "serial_far_apart", f"seen in region {last_region} at "
                       f"{last_time.isoformat()} and in region {region} at {when.isoformat()}")]
    return []
