"""The rules that keep the record honest.

Hard rules raise before anything is written: `Forbidden` (403) for a wrong
role or someone else's goods, `RuleViolation` (409) when the recorded state
does not allow the event. Which states allow which event is the lifecycle
table (`suyuan.trace.events.lifecycle`); the other rules are guards here and
in the handlers. Every rule code is in `RULES`, with what it refuses: the
README's rules table is tested against it. Soft signals never refuse: they
return `Signal`s that capture stores as flags for inspectors (`GET /v1/flags`).

Flag codes: time_future, time_stale, out_of_order, delivery_too_fast,
weight_below_contents, serial_far_apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from suyuan.config import Settings
from suyuan.errors import Forbidden, RuleViolation
from suyuan.trace.events import lifecycle

UTC = timezone.utc


@dataclass(frozen=True)
class Rule:
    """A stable rule code (`RuleViolation.rule`), its HTTP status, and when it refuses.

    `formerly`: the code these refusals answered with before issue 9 gave them
    their own; that old code keeps its other meanings.
    """

    code: str
    refuses: str
    formerly: str | None = None
    status: int = 409


RULES: dict[str, Rule] = {r.code: r for r in (
    Rule("not_registered", "the goods the event is about (or a batch or item it names) are not registered"),
    Rule("already_registered", "a product, batch or item (serial) is registered a second time"),
    Rule("not_listed", "`sell` of an item that is not listed"),
    Rule("already_sold", "`sell` of an item already sold, dispatched or delivered; `list` of an item not "
         "registered, listed or returned; `assign` of an item neither registered nor listed"),
    Rule("not_sold", "`dispatch` of an item (alone or in the parcel) that is not sold"),
    Rule("empty_parcel", "`dispatch` of a parcel with nothing packed"),
    Rule("item_packed", "`pack` of an item already in a parcel; `dispatch` of an item packed in a parcel; "
         "`transit`/`deliver` on an item whose parcel is in transit (record it on the parcel)"),
    Rule("item_not_packable", "`pack` of an item not registered, listed or sold", formerly="parcel_closed"),
    Rule("parcel_closed", "`pack` into, or `dispatch` of, a parcel that is not open; `unpack` of a parcel "
         "in transit"),
    Rule("not_in_parcel", "`unpack` names an item that is not in the parcel", formerly="not_registered"),
    Rule("not_dispatched", "`transit` or `deliver` before `dispatch`"),
    Rule("not_delivered", "`return` of an item not delivered", formerly="not_dispatched"),
    Rule("batch_recalled", "`list`, `sell` or `dispatch` of an item whose batch is under recall"),
    Rule("batch_expired", "`list`, `sell` or `dispatch` after the batch's expiry date"),
    Rule("already_recalled", "`recall` of a batch already recalled"),
    Rule("not_recalled", "`recall_lifted` of a batch not recalled"),
    Rule("no_delivery", "`review` or `complain` whose review token was not issued for this item's "
         "delivery, or the item is not delivered or returned; `GET /v1/items/{key}/review-token` before "
         "the item is delivered"),
    Rule("not_a_review", "`review` `data.follow_up_to` is not the hash of the first review made under this "
         "delivery's tokens; `hide_review` `data.review` is not the hash of a review of this item"),
    Rule("token_used", "a second `review` (or a second follow-up) or a second `complain` for one delivery, "
         "with any of its review tokens"),
    Rule("follow_up_too_early", "a follow-up `review` sooner than `SUYUAN_FOLLOW_UP_MIN_HOURS` (24) after "
         "the delivery's first review, server time"),
    Rule("token_handed_out", "`GET /v1/items/{key}/review-token` a second time for the same delivery"),
    Rule("bad_party", "`data.seller` or `data.courier` is not an active party with the merchant/platform "
         "or courier role"),
    Rule("person_erased", "`data.buyer` or `data.recipient` is the commitment of an erased person"),
    Rule("dishonest_listed", "any write by a party on the dishonesty list but its `repair_requested`", status=403),
    Rule("already_listed", "`dishonest_listed` of a party already on the list"),
    Rule("not_listed_dishonest", "`dishonest_delisted` of a party not on the list"),
    Rule("complaint_resolved", "`complaint_resolved` of a complaint already upheld or rejected"),
    Rule("repair_decided", "`repair_decided` of a repair request already accepted or rejected"),
    Rule("finding_decided", "`finding_decided` (`POST /v1/findings/{id}/decision`) of a finding already upheld, "
         "dismissed or resolved"),
    Rule("uscc_registered", "`POST /v1/parties` or `PATCH /v1/parties/{id}` with a USCC another party holds"),
    Rule("already_recorded", "any write the database itself refused for a unique or foreign-key constraint "
         "(two requests racing past the checks); the detail names the constraint"),
)}  # fmt: skip
assert {t.rule for t in lifecycle.TRANSITIONS} <= set(RULES)


def rules_table_rows() -> list[tuple[str, str, str]]:
    """The rules as the README's table shows them: code, status, when it refuses."""
    return [(f"`{r.code}`", str(r.status), r.refuses + (f" (formerly `{r.formerly}`)" if r.formerly else ""))
            for r in RULES.values()]


def markdown_table() -> str:
    lines = ["| rule | status | refused when |", "|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rules_table_rows()]
    return "\n".join(lines)


@dataclass(frozen=True)
class Signal:
    """A soft flag: accepted, but worth an inspector's look."""

    key: str
    code: str
    detail: str


# --- hard rules ----------------------------------------------------------------------


def require(condition: bool, message: str, rule: str, field: str | None = None) -> None:
    """Refuse with rule code `rule` (one of `RULES`) unless `condition` holds."""
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
    lifecycle.check(event, "batch", lifecycle.batch_state(batch), batch.key)
    expiry: date | None = batch.expiry_date
    if expiry is not None and when.date() > expiry:  # the message is built only for a refusal
        require(False,
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
