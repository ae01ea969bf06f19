"""EPCIS 2.0 documents out: query answers and journey exports.

A document's `@context` is the standard's, then one object declaring the
namespace prefixes its events' extensions use, `suyuan:` among them; an event
whose prefix means something else than the same prefix in another event
carries its own `@context`. The export of an item's or a batch's journey
(`journey_document`) holds every event of the journey's chains, whole (an
event recorded on several chains is read from all of them), each with
`suyuan:entries`: the ledger key, entry hash and log index of each entry that
records it, so a receiver can fetch its receipt (`GET /v1/events/{hash}/receipt`).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from suyuan.epcis import index
from suyuan.epcis.index import entries_t, event_entries_t, events_t, leaves_t
from suyuan.epcis.kept import SUYUAN_NS
from suyuan.epcis.query import load
from suyuan.errors import InputError, NotFound
from suyuan.trace.goods.registry import batch_row, contents_t, items_t, key_ref, product_row
from suyuan.trace.journey.chains import Journey, journey_chains

STANDARD_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
MAX_EXPORT_ENTRIES = 20000
UTC = timezone.utc


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def with_context(events: list[tuple[dict[str, Any], dict[str, str]]]) -> tuple[list[Any], dict[str, str]]:
    """The events, and the prefixes the document declares (an event that disagrees keeps its own)."""
    declared = {"suyuan": SUYUAN_NS}
    out = []
    for event, context in events:
        clash = {p: iri for p, iri in context.items() if declared.get(p, iri) != iri}
        declared.update({p: iri for p, iri in context.items() if p not in declared})
        out.append({"@context": [clash], **event} if clash else event)
    return out, declared


def query_document(events: list[tuple[dict[str, Any], dict[str, str]]], query_name: str = "SimpleEventQuery") \
        -> dict[str, Any]:
    listed, declared = with_context(events)
    return {"@context": [STANDARD_CONTEXT, declared], "type": "EPCISQueryDocument", "schemaVersion": "2.0",
            "creationDate": _now(),
            "epcisBody": {"queryResults": {"queryName": query_name, "resultsBody": {"eventList": listed}}}}


def epcis_document(events: list[tuple[dict[str, Any], dict[str, str]]]) -> dict[str, Any]:
    listed, declared = with_context(events)
    return {"@context": [STANDARD_CONTEXT, declared], "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": _now(), "epcisBody": {"eventList": listed}}


# --- journeys ---------------------------------------------------------------------------


def batch_keys(conn: Connection, batch_key: str) -> list[str]:
    """The chains of a batch's journey: the batch, its product, its items and the parcels they were in."""
    ref = key_ref(batch_key)
    if ref.kind != "batch":
        raise InputError(f"Invalid key {batch_key!r}: expected a batch key like 01/<gtin>/10/<lot>, "
                         f"got a {ref.kind} key.", field="key")
    if batch_row(conn, batch_key) is None:
        raise NotFound(f"No batch is registered under {batch_key}: check the code.")
    items = list(conn.execute(select(items_t.c.key).where(items_t.c.batch_key == batch_key)
                              .order_by(items_t.c.key)).scalars())
    parcels = set()
    for i in range(0, len(items), 1000):
        parcels |= set(conn.execute(select(contents_t.c.parcel_key).where(
            contents_t.c.item_key.in_(items[i:i + 1000]))).scalars())
    product = f"01/{ref.gtin}"
    return [batch_key] + ([product] if product_row(conn, ref.gtin) is not None else []) + items + sorted(parcels)


def _index_rows(conn: Connection, keys: list[str], journey: Journey | None = None) -> list[Any]:
    """The index rows of every event recorded on the chains `keys`, in the order they were recorded.

    With an item's `journey`, only events with an entry that is a step of it: a
    parcel's events count only while the item was packed in it.
    """
    total = 0
    for i in range(0, len(keys), 1000):
        total += conn.execute(select(func.count()).select_from(entries_t)
                              .where(entries_t.c.key.in_(keys[i:i + 1000]))).scalar()
    if total > MAX_EXPORT_ENTRIES:
        raise InputError(f"Journey too large to export: expected at most {MAX_EXPORT_ENTRIES} entries, got "
                         f"{total}; query GET /epcis/events with MATCH_anyEPC or MATCH_epcClass instead.",
                         field="key")
    first: dict[int, int] = {}
    for i in range(0, len(keys), 1000):
        for event, entry_id, key, seq in conn.execute(
            select(event_entries_t.c.event, entries_t.c.id, entries_t.c.key, entries_t.c.seq)
            .join(entries_t, entries_t.c.hash == event_entries_t.c.entry_hash)
            .where(entries_t.c.key.in_(keys[i:i + 1000]))
        ):
            if journey is None or journey.includes(key, seq):
                first[event] = min(entry_id, first.get(event, entry_id))
    ids = sorted(first, key=first.get)
    rows = {}
    for i in range(0, len(ids), 1000):
        rows.update({r.id: r for r in conn.execute(select(events_t).where(events_t.c.id.in_(ids[i:i + 1000])))})
    return [rows[i] for i in ids]


def _pending(conn: Connection, keys: list[str]) -> bytes | None:
    """The hash of the newest entry on `keys` that is not in the log yet, if any."""
    newest = None
    for i in range(0, len(keys), 1000):
        row = conn.execute(select(entries_t.c.id, entries_t.c.hash)
                           .outerjoin(leaves_t, leaves_t.c.entry_id == entries_t.c.id)
                           .where(entries_t.c.key.in_(keys[i:i + 1000]), leaves_t.c.idx.is_(None))
                           .order_by(entries_t.c.id.desc()).limit(1)).first()
        if row is not None and (newest is None or row.id > newest.id):
            newest = row
    return bytes(newest.hash) if newest is not None else None


def index_now(engine: Engine, ledger: Any, keys: list[str], wait: float = 5.0) -> None:
    """Bring the index up to the journey's entries: wait (a while) for them to reach the log, index it."""
    with engine.connect() as conn:
        pending = _pending(conn, keys)
    if pending is not None:
        ledger.wait_for_checkpoint(pending, timeout=wait)  # integration is in order: the newest is enough
    while index.catch_up(engine) == 5000:
        pass


def journey_document(engine: Engine, ledger: Any, key: str, *, batch: bool = False,
                     epc_format: str = "No_Preference") -> dict[str, Any]:
    """An item's (or a batch's) journey as an EPCIS document (see module doc)."""
    with engine.connect() as conn:
        journey = None if batch else journey_chains(conn, key)
        keys = batch_keys(conn, key) if batch else journey.keys
    index_now(engine, ledger, keys)
    with engine.connect() as conn:
        rows = _index_rows(conn, keys, journey)
        events = load(conn, rows, epc_format)
    return epcis_document(events)

