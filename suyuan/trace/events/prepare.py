"""One event inside capture's transaction: check it, apply its rules and state, then finish it.

`prepare` checks the statement, the caller and the payload, locks the
subject's state row, answers a retry of a recorded statement id with the
original entry (without running the rules again), and otherwise runs the
event type's handler. `finish` runs what needs the appended entry: hooks
and the soft flags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from sqlalchemy import Connection

from suyuan.timestamps import parse_time
from suyuan.config import Settings
from suyuan.errors import Conflict, SuyuanError
from suyuan.ledger.chain import Appended, as_retry, find_retry, statement_digest
from suyuan.ledger.verify.entry import canonical, check_statement
from suyuan.codes.gs1 import validate_key
from suyuan.trace.credit import chainkey
from suyuan.trace.events import payloads as ev
from suyuan.trace.events import rules
from suyuan.trace.events.caller import Lookups, check_caller
from suyuan.trace.events.context import Ctx
from suyuan.trace.events.handlers import HANDLERS
from suyuan.trace.events.handlers.epcis import epcis_ref
from suyuan.trace.events.models import Flag
from suyuan.trace.goods.registry import KeyRef, batch_row, item_row, key_ref, parcel_row, product_row
from suyuan.trace.parties.registry import PartyView
from suyuan.trace.privacy import people

flags_t = Flag.__table__
UTC = timezone.utc
_REPEAT = object()  # a statement id prepared before in the same batch, with the same statement


@dataclass
class Captured:
    """An event as recorded, with the flags it raised and the review tokens delivery issued."""

    appended: Appended
    flags: list[rules.Signal] = field(default_factory=list)
    review_tokens: dict[str, str] = field(default_factory=dict)

    @property
    def hash(self) -> bytes:
        return self.appended.hash

    @property
    def created(self) -> bool:
        return self.appended.created


@dataclass
class BatchResult:
    index: int
    id: str | None
    captured: Captured | None = None
    error: SuyuanError | None = None
    skipped: bool = False  # atomic mode: not written because another statement failed


@dataclass
class Prepared:
    """An event whose rules passed and whose state is written, waiting for its ledger entry."""

    statement: dict[str, Any]
    sig: str | None
    now: datetime
    ctx: Ctx | None  # None: a repeat, within one batch, of a statement prepared before


class Shared(Lookups, Protocol):
    """What the events of one atomic batch share (`suyuan.trace.events.atomic.Batch`)."""

    locked: set[str]  # keys whose state rows are locked already
    recorded: dict[str, Any]  # statement id -> its recorded entry, looked up at once
    prepared: dict[str, bytes]  # statement id -> digest, prepared in this batch


def event_time(value: str) -> datetime:
    return parse_time(value)


def prepare(conn: Connection, settings: Settings, statement: dict[str, Any], sig: str | None, *,
            party: PartyView | None = None, review_token: str | None = None,
            now: datetime | None = None, batch: Shared | None = None) -> Captured | Prepared:
    """Check and apply one event's rules and state; a retry answers with the original entry."""
    now = now or datetime.now(UTC)
    check_statement(statement)
    message = canonical(statement)  # refuses floats and huge integers, naming the field; a sig signs these bytes
    spec, ref = _subject(statement)
    statement, digest = check_caller(conn, spec, statement, sig, party, review_token, batch, message)
    payload = ev.parse_payload(spec, ref.kind, statement["data"])
    found = _retry(conn, ref, statement, sig, batch)
    if found is _REPEAT:
        return Prepared(statement, sig, now, None)
    if found is not None:
        return Captured(found)
    ctx = Ctx(conn, settings, statement, ref, spec, payload, party, digest, event_time(statement["time"]), now)
    ctx.signals += rules.time_signals(ref.key, ctx.when, now, settings)
    HANDLERS[spec.name](ctx)
    ctx.after += people.name_people(conn, ctx.actor, spec.name, ref, payload)  # vault: commitments only
    if batch is not None:
        batch.prepared[statement["id"]] = statement_digest(statement, sig)
    return Prepared(statement, sig, now, ctx)


def _subject(statement: dict[str, Any]) -> tuple[ev.EventType, KeyRef]:
    """The event type and what its key names; a generic `epcis` event may name any GS1 key."""
    if statement["type"] == "epcis":
        return ev.event_type("epcis"), epcis_ref(statement["key"])
    if isinstance(statement["key"], str) and statement["key"].startswith(chainkey.PARTY_AI + "/"):
        chainkey.check_party_key(statement["key"])
        return ev.event_type(statement["type"]), KeyRef(statement["key"], "party")
    validate_key(statement["key"])
    return ev.event_type(statement["type"]), key_ref(statement["key"])


def _retry(conn: Connection, ref: KeyRef, statement: dict[str, Any], sig: str | None,
           batch: Shared | None) -> Any:
    """Lock the subject; then: the recorded entry of a retry, `_REPEAT` for a statement prepared before
    in this batch, or None for a new statement."""
    if batch is None:
        lock(conn, ref)
        return find_retry(conn, statement, sig)
    if ref.key not in batch.locked:
        lock(conn, ref)
    found = as_retry(batch.recorded.get(statement["id"]), statement, sig)
    if found is None and statement["id"] in batch.prepared:
        if batch.prepared[statement["id"]] != statement_digest(statement, sig):
            raise Conflict(f"Statement id {statement['id']} appears twice in this batch with "
                           "different statements; send a new id for a new statement.")
        return _REPEAT
    return found


def finish(prepared: Prepared, appended: Appended) -> Captured:
    """Run what needs the entry (hooks, flags) once it is appended."""
    ctx = prepared.ctx
    if ctx is None:
        return Captured(appended)
    for hook in ctx.after:
        hook(appended)
    if ctx.signals:
        ctx.conn.execute(flags_t.insert(), [
            {"entry_hash": appended.hash, "key": s.key, "code": s.code, "detail": s.detail[:500]}
            for s in ctx.signals
        ])  # fmt: skip
    return Captured(appended, ctx.signals, ctx.tokens)


def lock(conn: Connection, ref: KeyRef) -> None:
    """Lock the state row of the event's subject (FOR UPDATE; SQLite's BEGIN IMMEDIATE holds all rows)."""
    if ref.kind == "item":
        item_row(conn, ref.key, lock=True)
    elif ref.kind == "parcel":
        parcel_row(conn, ref.key, lock=True)
    elif ref.kind == "batch":
        batch_row(conn, ref.key, lock=True)
    elif ref.kind == "product":
        product_row(conn, ref.gtin, lock=True)
    elif ref.kind == "party":
        chainkey.party_of_key(conn, ref.key, lock=True)
