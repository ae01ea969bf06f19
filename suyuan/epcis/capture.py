"""EPCIS capture: a document's events checked, mapped and written through suyuan's own capture.

The events go through `suyuan.trace.events.capture.capture_many`, the path of
`POST /v1/events:batch`, as the capturing party: its roles, the ownership of
goods and every rule apply exactly as they do to suyuan's own events
(`suyuan.epcis.mapping` decides which typed event each one is). Error
behaviour (EPCIS 2.0 REST binding, `GS1-Capture-Error-Behaviour`):

- `rollback` (default): one transaction; the first refused event fails the
  capture and nothing of it is written.
- `proceed`: every event that can be written is; each refused event is
  reported on its own and none is written in part (an event recorded on
  several chains lands on all of them or none).

Written events are indexed for queries right after (`suyuan.epcis.index`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, select

from suyuan.config import Settings
from suyuan.epcis import index, schema
from suyuan.epcis.eventhash import event_hash
from suyuan.epcis.kept import prefixes
from suyuan.epcis.mapping import Parsed, index_fields, parse_event, statements
from suyuan.epcis.render import GENERIC, formatted
from suyuan.errors import Conflict, InputError, SuyuanError
from suyuan.ledger.chain import Appended
from suyuan.trace.events.capture import capture_many
from suyuan.trace.goods.models import Parcel, Product
from suyuan.trace.parties.registry import PartyView

BEHAVIOURS = ("rollback", "proceed")
EPC_FORMATS = ("No_Preference", "Always_GS1_Digital_Link", "Always_EPC_URN")
_RECORDED = re.compile(rb'"recorded":"([^"]+)"')
UTC = timezone.utc


@dataclass
class EventResult:
    """How one event of a capture went: written (new or a retry of what was recorded), or refused."""

    index: int
    event_id: str | None
    error: SuyuanError | None = None
    created: bool = False
    written: list[tuple[dict[str, Any], Appended]] = field(default_factory=list)


def tracked_keys(engine: Engine, keys: set[str]) -> set[str]:
    """The keys that name goods suyuan tracks: a GTIN whose product is registered, a parcel packed here."""
    gtins = sorted({k.split("/")[1] for k in keys if k.startswith("01/")})
    ssccs = sorted(k for k in keys if k.startswith("00/"))
    found_gtins, found_parcels = set(), set()
    with engine.connect() as conn:
        for i in range(0, len(gtins), 1000):
            found_gtins |= set(conn.execute(select(Product.gtin).where(Product.gtin.in_(gtins[i:i + 1000]))).scalars())
        for i in range(0, len(ssccs), 1000):
            found_parcels |= set(conn.execute(select(Parcel.key).where(Parcel.key.in_(ssccs[i:i + 1000]))).scalars())
    return {k for k in keys if (k.startswith("01/") and k.split("/")[1] in found_gtins) or k in found_parcels}


def _parse_all(events: list[Any], declared: dict[str, str], epc_format: str,
               results: list[EventResult]) -> dict[int, Parsed]:
    parsed: dict[int, Parsed] = {}
    for i, event in enumerate(events):
        try:
            if epc_format != "No_Preference":
                event = formatted(event, epc_format)
            names = declared | prefixes(event.get("@context")) if "@context" in event else declared
            parsed[i] = parse_event(event, names, lambda e, names=names: event_hash(e, names))
            results[i].event_id = parsed[i].event_id
        except SuyuanError as exc:
            results[i].error = exc
    return parsed


def _hint(exc: SuyuanError, statement: dict[str, Any]) -> SuyuanError:
    """Say where a typed event's missing or wrong data goes in EPCIS."""
    where = getattr(exc, "field", None) or ""
    if statement["type"] != GENERIC and where.startswith("data") and exc.args:
        exc.args = (f"{exc.args[0].rstrip('.')} (the event is a suyuan `{statement['type']}` of "
                    f"{statement['key']}: give its data in the `suyuan:data` extension).",)
    return exc


def _atomic(engine: Engine, settings: Settings, party: PartyView, order: list[int],
            plans: dict[int, list[dict[str, Any]]], results: list[EventResult]) -> int | None:
    """Capture the events `order` in one transaction; the index of the refused event, or None."""
    items = [(st, None) for i in order for st in plans[i]]
    owner = [i for i in order for _ in plans[i]]
    if not items:
        return None
    done = capture_many(engine, settings, items, party=party, mode="atomic")
    failed = next((r for r in done if r.error is not None), None)
    if failed is not None:
        result = results[owner[failed.index]]
        error = failed.error
        if isinstance(error, Conflict) and "Statement id" in str(error):
            error = Conflict(f"Event {result.event_id} was captured before with other content, or by another "
                             "party: an eventID names one event; give a new event a new eventID.")
        result.error = _hint(error, items[failed.index][0])
        return owner[failed.index]
    for r in done:
        result = results[owner[r.index]]
        result.created |= r.captured.created
        result.written.append((items[r.index][0], r.captured.appended))
    return None


def _proceed(engine: Engine, settings: Settings, party: PartyView, order: list[int],
             plans: dict[int, list[dict[str, Any]]], results: list[EventResult]) -> None:
    """Write every event that can be: drop a refused one, write those before it, go on after it."""
    pending = order
    while pending:
        failed = _atomic(engine, settings, party, pending, plans, results)
        if failed is None:
            return
        at = pending.index(failed)
        before = pending[:at]
        again = _atomic(engine, settings, party, before, plans, results) if before else None
        pending = [i for i in before if i != again] + pending[at + 1:] if again is not None else pending[at + 1:]


def _recorded(appended: Appended) -> datetime:
    found = _RECORDED.search(appended.entry)
    return index.parse_time(found.group(1).decode()) if found else datetime.now(UTC)


def _describe(parsed: Parsed, statement: dict[str, Any], appended: Appended) -> index.Described:
    """The index rows of a statement just written, from the event it came from."""
    fields = index_fields(parsed)
    row = {k: fields[k] for k in ("event_id", "event_type", "action", "biz_step", "disposition")}
    row |= {"event_time": index.parse_time(parsed.event_time), "record_time": _recorded(appended),
            "read_point": index.place(fields["read_point"])[:1000] if isinstance(fields["read_point"], str) else None,
            "biz_location": index.place(fields["biz_location"])[:1000]
            if isinstance(fields["biz_location"], str) else None}
    own = [(name, key) for name, key in fields["epcs"] if key == statement["key"]]
    if statement["type"] in ("pack", "unpack"):
        own = fields["epcs"]  # one entry holds the whole aggregation
    return index.Described(appended.hash, row, own)


def _index(engine: Engine, results: list[EventResult], parsed: dict[int, Parsed]) -> None:
    described = [_describe(parsed[r.index], st, a) for r in results for st, a in r.written]
    if described:
        with engine.begin() as conn:
            index.index_entries(conn, described)


def capture_events(engine: Engine, settings: Settings, party: PartyView, events: list[Any],
                   declared: dict[str, str], *, behaviour: str = "rollback",
                   epc_format: str = "No_Preference") -> list[EventResult]:
    """Capture schema-valid events (see module doc); one result per event, in order."""
    if behaviour not in BEHAVIOURS:
        raise InputError(f"Invalid GS1-Capture-Error-Behaviour {behaviour!r}: expected rollback or proceed.",
                         field="GS1-Capture-Error-Behaviour")
    results = [EventResult(i, e.get("eventID") if isinstance(e, dict) else None) for i, e in enumerate(events)]
    parsed = _parse_all(events, declared, epc_format, results)
    tracked = tracked_keys(engine, {k for p in parsed.values() for k in p.keys})
    plans = {i: statements(p, tracked) for i, p in parsed.items()}
    order = [i for i in range(len(events)) if results[i].error is None]
    if behaviour == "rollback":
        if len(order) == len(events):
            _atomic(engine, settings, party, order, plans, results)
    else:
        _proceed(engine, settings, party, order, plans, results)
    if behaviour == "rollback" and any(r.error for r in results):
        for r in results:
            r.written, r.created = [], False
    _index(engine, results, parsed)
    return results


def capture_document(engine: Engine, settings: Settings, party: PartyView, document: Any, *,
                     behaviour: str = "rollback", epc_format: str = "No_Preference") -> list[EventResult]:
    """Validate an EPCIS document against the schema, then capture its events."""
    schema.check(document)
    return capture_events(engine, settings, party, document["epcisBody"]["eventList"],
                          prefixes(document.get("@context")), behaviour=behaviour, epc_format=epc_format)
