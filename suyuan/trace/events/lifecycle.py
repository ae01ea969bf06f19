"""The lifecycle of goods as data: which event may move which state where.

Items, parcels and batches each have a state (`ItemState`, `ParcelState`,
`BatchState`). `TRANSITIONS` says, for each event type and the kind of goods
whose state it checks, the states it is allowed from, the state it leaves
behind, and the rule code (`RuleViolation.rule`) it is refused with
otherwise; `check` is the one function that applies it. The state checked is
that of the event's key, or of goods the event names: `pack` checks each item
it packs, a parcel's `dispatch` each item inside, and `list`, `sell` and
`dispatch` the batch of the item. `None` stands for goods not recorded yet
(`register`, and `pack` of a new SSCC, which opens the parcel).

Rules that are not about a state (ownership, roles, an item already in a
parcel, an empty parcel, an item not in the parcel, expiry, review tokens)
are guards in the handlers; every code is listed in `rules.RULES`. The
README's lifecycle table is tested against this one
(tests/trace/events/test_lifecycle.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from suyuan.errors import RuleViolation


class ItemState(StrEnum):
    REGISTERED = "registered"
    LISTED = "listed"
    SOLD = "sold"
    DISPATCHED = "dispatched"
    DELIVERED = "delivered"
    RETURNED = "returned"


class ParcelState(StrEnum):
    OPEN = "open"
    DISPATCHED = "dispatched"
    DELIVERED = "delivered"


class BatchState(StrEnum):
    """A batch's state is its `recalled` flag: `active` while not under recall."""

    ACTIVE = "active"
    RECALLED = "recalled"


class PartyState(StrEnum):
    """A party's standing on the dishonesty list (`suyuan.trace.credit.dishonesty`)."""

    GOOD = "good"
    LISTED = "listed"


State = ItemState | ParcelState | BatchState | PartyState
KINDS: dict[str, type[StrEnum]] = {"item": ItemState, "parcel": ParcelState, "batch": BatchState,
                                   "party": PartyState}


@dataclass(frozen=True)
class Refusal:
    """A refusal with its own code for some of the disallowed states (`sell` of a sold item)."""

    states: tuple[State, ...]
    rule: str
    detail: str


@dataclass(frozen=True)
class Transition:
    """`event` on goods of `kind` in one of `allowed` leaves them `new` (None: unchanged).

    Refused with `rule` and `detail` (a template over `What`, `key`, `state`
    and `expected`), or with the first of `refusals` naming the state.
    """

    event: str
    kind: str
    allowed: tuple[State | None, ...]
    new: State | None
    rule: str
    detail: str
    refusals: tuple[Refusal, ...] = ()


I, P, B, S = ItemState, ParcelState, BatchState, PartyState
_RECALLED = ("Batch {key} is recalled: expected a batch not under recall to {event}, wait for an inspector "
             "to lift the recall.")
_MOVING = "{What} {key} is {state}: expected {expected} before {purpose}."
_NO_DELIVERY = ("No delivered purchase of {key} matches this review token: expected the token issued when "
                "the item was delivered.")


def _t(event: str, kind: str, allowed: tuple[State | None, ...], new: State | None, rule: str, detail: str,
       *refusals: Refusal) -> Transition:
    return Transition(event, kind, allowed, new, rule, detail, refusals)


TRANSITIONS: tuple[Transition, ...] = (
    _t("register", "item", (None,), I.REGISTERED, "already_registered",
       "Item {key} is already registered: each serial is registered once."),
    _t("register", "batch", (None,), B.ACTIVE, "already_registered",
       "Batch {key} is already registered: register each lot once."),
    _t("assign", "item", (I.REGISTERED, I.LISTED), None, "already_sold",
       "Item {key} is {state}: expected {expected} to assign a seller."),
    _t("list", "item", (I.REGISTERED, I.LISTED, I.RETURNED), I.LISTED, "already_sold",
       "Item {key} is {state}: expected {expected} to list it."),
    _t("list", "batch", (B.ACTIVE,), None, "batch_recalled", _RECALLED.replace("{event}", "list")),
    _t("sell", "item", (I.LISTED,), I.SOLD, "not_listed",
       "Item {key} is {state}: expected {expected} before it is sold.",
       Refusal((I.SOLD, I.DISPATCHED, I.DELIVERED), "already_sold",
               "Item {key} is already sold (state {state}): a serial is sold once.")),
    _t("sell", "batch", (B.ACTIVE,), None, "batch_recalled", _RECALLED.replace("{event}", "sell")),
    _t("pack", "parcel", (None, P.OPEN), P.OPEN, "parcel_closed",
       "Parcel {key} is {state}: expected an open parcel to pack."),
    _t("pack", "item", (I.REGISTERED, I.LISTED, I.SOLD), None, "item_not_packable",
       "Item {key} is {state}: expected {expected} to pack it."),
    _t("unpack", "parcel", (P.OPEN, P.DELIVERED), None, "parcel_closed",
       "Parcel {key} is in transit: expected it {expected} to unpack."),
    _t("dispatch", "parcel", (P.OPEN,), P.DISPATCHED, "parcel_closed",
       "Parcel {key} is {state}: expected {expected} to dispatch."),
    _t("dispatch", "item", (I.SOLD,), I.DISPATCHED, "not_sold",
       "Item {key} is {state}: expected {expected} before it is dispatched."),
    _t("dispatch", "batch", (B.ACTIVE,), None, "batch_recalled", _RECALLED.replace("{event}", "dispatch")),
    _t("transit", "item", (I.DISPATCHED,), None, "not_dispatched", _MOVING.replace("{purpose}", "transit")),
    _t("transit", "parcel", (P.DISPATCHED,), None, "not_dispatched", _MOVING.replace("{purpose}", "transit")),
    _t("deliver", "item", (I.DISPATCHED,), I.DELIVERED, "not_dispatched", _MOVING.replace("{purpose}", "delivery")),
    _t("deliver", "parcel", (P.DISPATCHED,), P.DELIVERED, "not_dispatched",
       _MOVING.replace("{purpose}", "delivery")),
    _t("review", "item", (I.DELIVERED, I.RETURNED), None, "no_delivery", _NO_DELIVERY),
    _t("complain", "item", (I.DELIVERED, I.RETURNED), None, "no_delivery", _NO_DELIVERY),
    _t("return", "item", (I.DELIVERED,), I.RETURNED, "not_delivered",
       "Item {key} is {state}: expected {expected} before a return."),
    _t("recall", "batch", (B.ACTIVE,), B.RECALLED, "already_recalled", "Batch {key} is already recalled."),
    _t("recall_lifted", "batch", (B.RECALLED,), B.ACTIVE, "not_recalled",
       "Batch {key} is not recalled: expected a recalled batch to lift."),
    _t("dishonest_listed", "party", (S.GOOD,), S.LISTED, "already_listed",
       "Party chain {key} is already on the dishonesty list: delist it first."),
    _t("dishonest_delisted", "party", (S.LISTED,), S.GOOD, "not_listed_dishonest",
       "Party chain {key} is {state}: expected {expected} to delist."),
)  # fmt: skip
# Events that check no state and change none: allowed on goods in any state, and on goods not recorded
# (a generic EPCIS event, `suyuan.trace.events.handlers.epcis`; an inspector's decision on a finding about
# goods, `suyuan.trace.events.handlers.findings`, which may be a serial never registered).
STATELESS: tuple[str, ...] = ("epcis", "finding_decided")
_BY_EVENT: dict[tuple[str, str], Transition] = {(t.event, t.kind): t for t in TRANSITIONS}
assert len(_BY_EVENT) == len(TRANSITIONS), "one transition per event and kind"


def transition(event: str, kind: str) -> Transition:
    """The transition of `event` for goods of `kind`; KeyError if the lifecycle has none."""
    return _BY_EVENT[(event, kind)]


def allowed(event: str, kind: str) -> tuple[State | None, ...]:
    return transition(event, kind).allowed


def _or(words: list[str]) -> str:
    if not words:
        return "not recorded"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def check(event: str, kind: str, state: str | None, key: str, field: str | None = "key") -> State | None:
    """The state `event` leaves goods `key` (of `kind`, now in `state`) in; RuleViolation if not allowed.

    `state` None: the goods are not recorded yet. An allowed event that does
    not change the state answers the state it found.
    """
    t = transition(event, kind)
    current = None if state is None else KINDS[kind](state)
    if current in t.allowed:
        return t.new if t.new is not None else current
    rule, detail = t.rule, t.detail
    for refusal in t.refusals:
        if current in refusal.states:
            rule, detail = refusal.rule, refusal.detail
            break
    expected = _or([str(s) for s in t.allowed if s is not None])
    raise RuleViolation(detail.format(What=kind.capitalize(), key=key, state=current, expected=expected),
                        rule=rule, field=field)


def batch_state(batch: Any) -> BatchState:
    """The state of a batch row (its `recalled` flag)."""
    return BatchState.RECALLED if batch.recalled else BatchState.ACTIVE


# --- the README's lifecycle table -----------------------------------------------------------

NOT_RECORDED = "(none)"
UNCHANGED = "—"


def table_rows() -> list[tuple[str, str, str, str, str]]:
    """The lifecycle as the README shows it: event, goods checked, from, to, refused with."""
    rows = []
    for t in TRANSITIONS:
        states = ", ".join(f"`{s}`" if s is not None else NOT_RECORDED for s in t.allowed)
        new = f"`{t.new}`" if t.new is not None else UNCHANGED
        refused = f"`{t.rule}`" + "".join(
            f" (`{r.rule}` when {', '.join(f'`{s}`' for s in r.states)})" for r in t.refusals)
        rows.append((f"`{t.event}`", t.kind, states, new, refused))
    rows += [(f"`{event}`", "any", f"any, {NOT_RECORDED}", UNCHANGED, "never") for event in STATELESS]
    return rows


def markdown_table() -> str:
    lines = ["| event | goods checked | allowed from | leaves it | refused with |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows()]
    return "\n".join(lines)
