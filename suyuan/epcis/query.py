"""EPCIS queries (EPCIS 2.0 §8.2.7 SimpleEventQuery, REST binding `GET /events`) over the index.

Parameters are the standard's: `eventType`, `GE_/LT_eventTime`,
`GE_/LT_recordTime`, `EQ_action`, `EQ_bizStep`, `EQ_disposition`,
`EQ_readPoint`, `EQ_bizLocation`, `EQ_eventID`, `MATCH_epc`, `MATCH_anyEPC`,
`MATCH_parentID`, `MATCH_inputEPC`, `MATCH_outputEPC`, `MATCH_epcClass` (and
`MATCH_inputEPCClass`, `MATCH_outputEPCClass`, `MATCH_anyEPCClass`), each
repeatable or comma-separated (any value matches); `perPage` and
`nextPageToken` page through the answer in capture order. EPCs in a MATCH_
parameter may be URNs, Digital Link URIs or class-level patterns
(`urn:epc:idpat:sgtin:...*`, a GTIN's Digital Link) that match everything of
their class. Each answer is read back from the ledger entries
(`suyuan.epcis.render`), with `recordTime` and the entries that record it.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, exists, or_, select

from suyuan.epcis import vocabulary
from suyuan.epcis.identifiers import parse_epc
from suyuan.epcis.index import entries_t, event_entries_t, event_epcs_t, events_t, leaves_t, parse_time, place
from suyuan.epcis.kept import OWN_ENTRIES
from suyuan.epcis.render import assemble, context_of, formatted, fragment, ordered
from suyuan.errors import BadRequest, InputError
from suyuan.ledger.types import BIGINT_MAX

DEFAULT_PER_PAGE, MAX_PER_PAGE = 30, 1000
_EPC_MATCHES = {
    "MATCH_epc": ("epcList", "childEPCs"), "MATCH_parentID": ("parentID",),
    "MATCH_inputEPC": ("inputEPCList",), "MATCH_outputEPC": ("outputEPCList",),
    "MATCH_anyEPC": ("epcList", "childEPCs", "inputEPCList", "outputEPCList", "parentID"),
    "MATCH_epcClass": ("quantityList", "childQuantityList"), "MATCH_inputEPCClass": ("inputQuantityList",),
    "MATCH_outputEPCClass": ("outputQuantityList",),
    "MATCH_anyEPCClass": ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"),
}  # fmt: skip
_EQUALS = {"eventType": "event_type", "EQ_action": "action", "EQ_bizStep": "biz_step",
           "EQ_disposition": "disposition", "EQ_readPoint": "read_point", "EQ_bizLocation": "biz_location",
           "EQ_eventID": "event_id"}
_TIMES = {"GE_eventTime": ("event_time", True), "LT_eventTime": ("event_time", False),
          "GE_recordTime": ("record_time", True), "LT_recordTime": ("record_time", False)}
ALL_FIELDS = tuple(dict.fromkeys(f for fields in _EPC_MATCHES.values() for f in fields))
PARAMETERS = (*_EQUALS, *_TIMES, *_EPC_MATCHES, "perPage", "nextPageToken")


@dataclass
class Query:
    equals: dict[str, list[str]] = field(default_factory=dict)
    times: list[tuple[str, bool, Any]] = field(default_factory=list)
    matches: list[tuple[tuple[str, ...], list[str]]] = field(default_factory=list)
    per_page: int = DEFAULT_PER_PAGE
    after: int = 0


def _values(params: list[tuple[str, str]], name: str) -> list[str]:
    return [v.strip() for k, raw in params if k == name for v in raw.split(",") if v.strip()]


def _int(name: str, raw: str, low: int, high: int) -> int:
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadRequest(f"Invalid {name}: expected an integer from {low} to {high}, got {raw[:40]!r}.", field=name)
    return int(raw)


def parse_query(params: list[tuple[str, str]]) -> Query:
    """Read the query parameters; an unknown or malformed one is refused naming it."""
    unknown = sorted({k for k, _ in params} - set(PARAMETERS))
    if unknown:
        raise BadRequest(f"Unknown query parameter {unknown[0]!r}: expected one of {', '.join(PARAMETERS)}.",
                         field=unknown[0])
    q = Query()
    for name, column in _EQUALS.items():
        values = _values(params, name)
        if name == "EQ_bizStep":
            values = [vocabulary.short("bizStep", v) for v in values]
        elif name == "EQ_disposition":
            values = [vocabulary.short("disposition", v) for v in values]
        elif name in ("EQ_readPoint", "EQ_bizLocation"):
            values = [place(v) for v in values]
        if values:
            q.equals[column] = values
    for name, (column, lower) in _TIMES.items():
        for value in _values(params, name):
            try:
                q.times.append((column, lower, parse_time(value)))
            except ValueError:
                raise BadRequest(f"Invalid {name}: expected an RFC 3339 time with offset like "
                                 f"2026-11-27T08:00:00Z, got {value[:60]!r}.", field=name) from None
    for name, fields in _EPC_MATCHES.items():
        values = _values(params, name)
        if values:
            q.matches.append((fields, values))
    for name, value in params:
        if name == "perPage":
            q.per_page = _int(name, value, 1, MAX_PER_PAGE)
        elif name == "nextPageToken":
            q.after = _token(value)
    return q


def _token(value: str) -> int:
    try:
        after = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))["after"]
        if isinstance(after, int) and not isinstance(after, bool) and 0 <= after <= BIGINT_MAX:
            return after
        raise ValueError(after)
    except (ValueError, KeyError, TypeError):
        raise BadRequest(f"Invalid nextPageToken {value[:60]!r}: expected the token of a Link: rel=\"next\".",
                         field="nextPageToken") from None


def next_token(after: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode().rstrip("=")


def _like(key: str) -> str:
    return key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"


def _epc_condition(fields: tuple[str, ...], values: list[str]) -> Any:
    alternatives = []
    for value in values:
        try:
            epc = parse_epc(value)
        except InputError as exc:
            raise BadRequest(f"Invalid EPC in a MATCH_ parameter: {exc}", field="MATCH") from None
        same = event_epcs_t.c.epc == epc.key
        alternatives.append(or_(same, event_epcs_t.c.epc.like(_like(epc.key), escape="\\"))
                            if epc.level == "class" else same)
    return exists().where(and_(event_epcs_t.c.event == events_t.c.id, event_epcs_t.c.field.in_(fields),
                               or_(*alternatives)))


def select_events(conn: Connection, q: Query) -> list[Any]:
    """One page of index rows (and one more, to know whether there is a next page)."""
    query = select(events_t).where(events_t.c.id > q.after)
    for column, values in q.equals.items():
        query = query.where(events_t.c[column].in_(values))
    for column, lower, when in q.times:
        query = query.where(events_t.c[column] >= when if lower else events_t.c[column] < when)
    for fields, values in q.matches:
        query = query.where(_epc_condition(fields, values))
    return conn.execute(query.order_by(events_t.c.id).limit(q.per_page + 1)).all()


def _time_text(value: Any) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z") if value.tzinfo else \
        value.isoformat(timespec="milliseconds") + "Z"


def load(conn: Connection, rows: list[Any], epc_format: str = "No_Preference") -> list[tuple[dict, dict]]:
    """The EPCIS events of index rows, read back from their entries: (event, the prefixes it uses)."""
    if not rows:
        return []
    by_event: dict[int, list[Any]] = {r.id: [] for r in rows}
    ids = list(by_event)
    for i in range(0, len(ids), 1000):
        for entry in conn.execute(
            select(event_entries_t.c.event, entries_t.c.canonical, entries_t.c.hash, entries_t.c.key,
                   leaves_t.c.idx)
            .join(entries_t, entries_t.c.hash == event_entries_t.c.entry_hash)
            .outerjoin(leaves_t, leaves_t.c.entry_id == entries_t.c.id)
            .where(event_entries_t.c.event.in_(ids[i:i + 1000])).order_by(entries_t.c.id)
        ):
            by_event[entry.event].append(entry)
    out = []
    for row in rows:
        statements = [json.loads(e.canonical)["statement"] for e in by_event[row.id]]
        if not statements:
            continue
        event = assemble([fragment(s) for s in statements], statements[0]["time"])
        event["recordTime"] = _time_text(row.record_time)
        event[OWN_ENTRIES] = [{"key": e.key, "hash": bytes(e.hash).hex(), "logIndex": e.idx}
                              for e in by_event[row.id]]
        context: dict[str, str] = {}
        for s in statements:
            context.update(context_of(s))
        out.append((formatted(ordered(event), epc_format), context))
    return out
