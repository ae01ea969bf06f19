"""The query index: one row per EPCIS event in the ledger, with its entries and EPCs.

The ledger is the record; the index says where to find it. EPCIS capture
indexes its events just after they are written (`index_entries`); everything
else -- suyuan's own events (`POST /v1/events`), and anything a crash left out
-- is indexed from the log in leaf order by `catch_up`, which the query runs
first and the server runs in the background. Both are idempotent by entry
hash, so an event is indexed once however it gets there. An entry whose key is
no GS1 key has no EPCIS form and is passed over.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from suyuan.epcis import vocabulary
from suyuan.epcis.identifiers import maybe_epc, parse_epc
from suyuan.epcis.models import EpcisEvent, EpcisEventEntry, EpcisEventEpc, IndexState
from suyuan.epcis.render import QUANTITY_FIELDS, fragment
from suyuan.errors import SuyuanError
from suyuan.ledger.models import Entry, Leaf

events_t = EpcisEvent.__table__
event_entries_t = EpcisEventEntry.__table__
event_epcs_t = EpcisEventEpc.__table__
state_t = IndexState.__table__
entries_t = Entry.__table__
leaves_t = Leaf.__table__
UTC = timezone.utc
_CHUNK = 1000
CATCH_UP = "log"


@dataclass
class Described:
    """What the index holds of one entry's part of an EPCIS event."""

    entry_hash: bytes
    event: dict[str, Any]  # the events_t row, without id
    epcs: list[tuple[str, str]]  # (field, ledger key)


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00")).astimezone(UTC)


def describe(statement: dict[str, Any], entry_hash: bytes, recorded: datetime) -> Described | None:
    """The index rows of one statement, or None when it has no EPCIS form."""
    try:
        part = fragment(statement)
        epcs = []
        for field, _, value in part.epcs:
            raw = value.get("epcClass") if field in QUANTITY_FIELDS and isinstance(value, dict) else value
            epcs.append((field, parse_epc(raw).key))
        rest = part.rest
        row = {
            "event_id": rest["eventID"], "event_type": rest["type"], "event_time": parse_time(statement["time"]),
            "record_time": recorded, "action": rest.get("action"),
            "biz_step": vocabulary.short("bizStep", rest.get("bizStep")),
            "disposition": vocabulary.short("disposition", rest.get("disposition")),
            "read_point": _id(rest.get("readPoint")), "biz_location": _id(rest.get("bizLocation")),
        }
    except (SuyuanError, KeyError, TypeError, ValueError, AttributeError):
        return None
    return Described(entry_hash, row, epcs)


def place(value: str) -> str:
    """How a read point or business location is indexed and compared: its ledger key if it is a GS1 one."""
    epc = maybe_epc(value)
    return epc.key if epc is not None else value


def _id(where: Any) -> str | None:
    value = where.get("id") if isinstance(where, dict) else None
    return place(value)[:1000] if isinstance(value, str) else None


def _insert(conn: Connection, table: Any) -> Any:
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing()


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    return (values[i:i + _CHUNK] for i in range(0, len(values), _CHUNK))


def _event_rows(conn: Connection, ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for part in _chunks(ids):
        found.update(conn.execute(select(events_t.c.event_id, events_t.c.id)
                                  .where(events_t.c.event_id.in_(part))).all())
    return found


def index_entries(conn: Connection, described: list[Described]) -> int:
    """Index entries not indexed yet (inside the caller's transaction); how many were new."""
    known: set[bytes] = set()
    hashes = [d.entry_hash for d in described]
    for part in _chunks(hashes):
        known.update(bytes(h) for h in conn.execute(
            select(event_entries_t.c.entry_hash).where(event_entries_t.c.entry_hash.in_(part))).scalars())
    fresh = [d for d in described if d.entry_hash not in known]
    if not fresh:
        return 0
    firsts: dict[str, dict[str, Any]] = {}
    for d in fresh:
        firsts.setdefault(d.event["event_id"], d.event)
    rows = _event_rows(conn, list(firsts))
    missing = [row for event_id, row in firsts.items() if event_id not in rows]
    if missing:
        conn.execute(_insert(conn, events_t), missing)
        rows.update(_event_rows(conn, [r["event_id"] for r in missing]))
    conn.execute(_insert(conn, event_entries_t),
                 [{"entry_hash": d.entry_hash, "event": rows[d.event["event_id"]]} for d in fresh])
    epcs = [{"event": rows[d.event["event_id"]], "field": field, "epc": key[:300]}
            for d in fresh for field, key in dict.fromkeys(d.epcs)]
    if epcs:
        conn.execute(event_epcs_t.insert(), epcs)
    return len(fresh)


def _position(conn: Connection) -> int:
    query = select(state_t.c.position).where(state_t.c.name == CATCH_UP)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    position = conn.execute(query).scalar()
    if position is None:
        conn.execute(_insert(conn, state_t), [{"name": CATCH_UP, "position": 0}])
        position = conn.execute(query).scalar()
    return position


def _behind(engine: Engine) -> bool:
    """Whether the log has leaves the index has not read (a read, so that queries rarely write)."""
    with engine.connect().execution_options(readonly=True) as conn:
        position = conn.execute(select(state_t.c.position).where(state_t.c.name == CATCH_UP)).scalar() or 0
        return conn.execute(select(leaves_t.c.idx).where(leaves_t.c.idx >= position).limit(1)).first() is not None


def catch_up(engine: Engine, limit: int = 5000) -> int:
    """Index the log's entries past the last position read, at most `limit`; how many leaves were read."""
    if not _behind(engine):
        return 0
    with engine.begin() as conn:
        position = _position(conn)
        rows = conn.execute(
            select(leaves_t.c.idx, entries_t.c.hash, entries_t.c.canonical, entries_t.c.recorded)
            .join(entries_t, entries_t.c.id == leaves_t.c.entry_id)
            .where(leaves_t.c.idx >= position).order_by(leaves_t.c.idx).limit(limit)
        ).all()
        if not rows:
            return 0
        described = []
        for row in rows:
            statement = json.loads(row.canonical)["statement"]
            recorded = row.recorded if row.recorded.tzinfo else row.recorded.replace(tzinfo=UTC)
            d = describe(statement, bytes(row.hash), recorded)
            if d is not None:
                described.append(d)
        index_entries(conn, described)
        conn.execute(update(state_t).where(state_t.c.name == CATCH_UP).values(position=rows[-1].idx + 1))
        return len(rows)
