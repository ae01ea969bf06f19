"""What a handler sees of the event it applies, and the helpers handlers share.

A handler (`suyuan.trace.events.handlers`) gets a `Ctx`: the connection of
capture's transaction, the checked statement and payload, the caller, and
lists to fill: soft signals, review tokens to answer, and hooks that need the
entry once it is appended. State rows are read and written through
`suyuan.trace.goods.registry`, so an atomic batch sees its own unsent writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import Connection

from suyuan.config import Settings
from suyuan.errors import NotFound
from suyuan.ledger.chain import Appended
from suyuan.trace.events import payloads as ev
from suyuan.trace.events import rules
from suyuan.trace.goods.registry import (
    KeyRef,
    batch_row,
    item_row,
    items_t,
    parcel_items,
    parcel_row,
    parcels_t,
    write_row,
)
from suyuan.trace.parties.registry import PartyView, get_party_in


@dataclass
class Ctx:
    conn: Connection
    settings: Settings
    statement: dict[str, Any]
    ref: KeyRef
    spec: ev.EventType
    data: Any
    party: PartyView | None
    token_digest: bytes | None
    when: datetime
    now: datetime
    signals: list[rules.Signal] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)
    after: list[Callable[[Appended], None]] = field(default_factory=list)

    @property
    def actor(self) -> str:
        return self.statement["actor"]


def need(row: Any, ref_kind: str, key: str) -> Any:
    """`row`, or `not_registered` when the goods it should be are not recorded."""
    rules.require(row is not None, f"No {ref_kind} is registered under {key}: register it first.",
                  "not_registered", "key")
    return row


def party_with_role(conn: Connection, party_id: str, roles: tuple[str, ...], field_name: str) -> None:
    """`bad_party` unless `party_id` (named in `data.<field_name>`) is active and has one of `roles`."""
    try:
        other = get_party_in(conn, party_id)
    except NotFound:
        other = None
    rules.require(other is not None and other.active and other.has(*roles),
                  f"Invalid {field_name}: expected an active {' or '.join(roles)} party id, got {party_id!r}.",
                  "bad_party", f"data.{field_name}")


def set_item(conn: Connection, key: str, **values: Any) -> None:
    write_row(conn, items_t, key, **values)


def set_parcel(conn: Connection, key: str, **values: Any) -> None:
    write_row(conn, parcels_t, key, **values)


def later(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b > a else a


def batch_of(ctx: Ctx, item: Any) -> Any:
    return batch_row(ctx.conn, item.batch_key) if item.batch_key else None


def moving(ctx: Ctx) -> tuple[Any, list[Any]]:
    """The item or parcel a courier event is about, and the items it carries."""
    conn, ref = ctx.conn, ctx.ref
    if ref.kind == "item":
        row = need(item_row(conn, ref.key), "item", ref.key)
        rules.require(row.parcel_key is None or ctx.spec.name != "dispatch",
                      f"Item {ref.key} is packed in parcel {row.parcel_key}: dispatch the parcel instead.",
                      "item_packed", "key")
        return row, [row]
    row = need(parcel_row(conn, ref.key), "parcel", ref.key)
    return row, parcel_items(conn, ref.key, lock=True)


def track(ctx: Ctx, subject: Any, items: list[Any], region: str | None, **values: Any) -> None:
    """Record time and place on the subject and its items, raising order and region signals."""
    ctx.signals += rules.order_signal(ctx.ref.key, subject.last_time, ctx.when)
    setter = set_item if ctx.ref.kind == "item" else set_parcel
    common: dict[str, Any] = {"last_time": later(subject.last_time, ctx.when)}
    if region:
        common |= {"last_region": region, "last_region_time": ctx.when}
    setter(ctx.conn, ctx.ref.key, **common, **values)
    if ctx.ref.kind == "parcel":
        for item in items:
            if region:
                ctx.signals += rules.region_signal(item.key, item.last_region, item.last_region_time,
                                                   region, ctx.when, ctx.settings)
            set_item(ctx.conn, item.key, **{k: v for k, v in common.items()},
                     **{k: v for k, v in values.items() if k != "declared_weight_g"})
    elif region:
        ctx.signals += rules.region_signal(subject.key, subject.last_region, subject.last_region_time,
                                           region, ctx.when, ctx.settings)


def touch_item(ctx: Ctx, row: Any, **values: Any) -> None:
    """Record the event's time on an item (and `values`), raising an out-of-order signal."""
    ctx.signals += rules.order_signal(ctx.ref.key, row.last_time, ctx.when)
    set_item(ctx.conn, row.key, last_time=later(row.last_time, ctx.when), **values)
