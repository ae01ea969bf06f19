"""EPCIS 2.0 events as ledger statements: the typed suyuan event where one applies, else `epcis`.

suyuan's lifecycle applies to goods it tracks: a GTIN whose product is
registered here, an SSCC packed here. An event about them whose bizStep (or
disposition, or `suyuan:type` extension) maps to a typed event (`MAPPING`) is
that typed event, on each EPC's chain, with its roles, ownership and rules.
EPCIS has no field for a price, a waybill or a region: the typed event's data
comes from the `suyuan:data` extension (suyuan's own export writes it), plus
what the event says itself (an aggregation's children, an inspection's
`conformant` disposition, arriving or departing). Everything else -- other
bizSteps, transaction, transformation and association events, goods suyuan
does not track, EPCs that are not GTINs or SSCCs -- is a generic `epcis`
statement on each EPC's chain. Either way every field the typed event does not
hold is kept in the entry (`data.epcis`, or the generic event's data) so that
`suyuan.epcis.render` gives the event back exactly.

Statement ids are derived from the eventID (UUIDv5 in `NAMESPACE`; a
`urn:uuid:` eventID of one statement is its id), the first statement's without
the key: capturing an eventID again is a retry of the same statements, and the
same eventID with other content collides with the first and is refused.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from suyuan.epcis import vocabulary
from suyuan.epcis.identifiers import parse_epc
from suyuan.epcis.kept import OWN_DATA, OWN_ENTRIES, OWN_TYPE, freeze, used_prefixes
from suyuan.epcis.render import EPC_FIELDS, GENERIC, QUANTITY_FIELDS, TEMPLATES, template
from suyuan.errors import InputError
from suyuan.trace.events.payloads import EVENT_TYPES

NAMESPACE = uuid.UUID("6f1e3a52-7c1b-5d0e-9a8f-2b4c6d8e0f13")  # suyuan's namespace for EPCIS statement ids
MAX_EVENT_ID = 1000
_MISSING = object()

# (EPCIS event type, bizStep) -> typed event; `None` bizStep: the disposition or action decides.
MAPPING: dict[tuple[str, str], str] = {
    ("ObjectEvent", "commissioning"): "register", ("ObjectEvent", "shipping"): "dispatch",
    ("ObjectEvent", "arriving"): "transit", ("ObjectEvent", "departing"): "transit",
    ("ObjectEvent", "receiving"): "deliver", ("ObjectEvent", "retail_selling"): "sell",
    ("ObjectEvent", "stocking"): "list", ("ObjectEvent", "inspecting"): "inspect",
    ("ObjectEvent", "sampling"): "inspect", ("ObjectEvent", "returning"): "return",
    ("AggregationEvent", "packing"): "pack", ("AggregationEvent", "unpacking"): "unpack",
}  # fmt: skip


@dataclass
class Parsed:
    """One EPCIS event read for capture: its id, fields, EPCs (with their ledger keys) and index data."""

    event_id: str
    event_time: str
    rest: dict[str, Any]  # every field but the EPCs, eventTime and recordTime
    epcs: list[tuple[str, int, Any, str]]  # (field, index, value as written, ledger key)
    sizes: dict[str, int]
    candidate: str | None  # the typed event it maps to, if its goods are tracked
    context: dict[str, str] = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        return list(dict.fromkeys(key for *_, key in self.epcs))


def _candidate(event_type: str, rest: dict[str, Any]) -> str | None:
    own = rest.get(OWN_TYPE)
    if isinstance(own, str):
        known = own in EVENT_TYPES and own != GENERIC
        return own if known and TEMPLATES.get(own, ("ObjectEvent",))[0] == event_type else None
    step = vocabulary.short("bizStep", rest.get("bizStep"))
    found = MAPPING.get((event_type, step)) if step else None
    if found == "register" and rest.get("action") != "ADD":
        return None
    if found is None and event_type == "ObjectEvent" and \
            vocabulary.short("disposition", rest.get("disposition")) == "recalled":
        return "recall"
    if found is None and event_type == "AggregationEvent" and step is None:
        return {"ADD": "pack", "DELETE": "unpack"}.get(rest.get("action"))
    return found


def _read_epcs(event: dict[str, Any]) -> tuple[list[tuple[str, int, Any, str]], dict[str, int]]:
    epcs, sizes = [], {}
    for name in EPC_FIELDS:
        if name not in event:
            continue
        values = [event[name]] if name == "parentID" else event[name]
        sizes[name] = len(values)
        for i, value in enumerate(values):
            where = name if name == "parentID" else f"{name}.{i}"
            raw = value.get("epcClass") if name in QUANTITY_FIELDS and isinstance(value, dict) else value
            try:
                key = parse_epc(raw).key
            except InputError as exc:
                raise InputError(f"{str(exc).rstrip('.')} (in {where}).", field=where) from None
            epcs.append((name, i, value, key))
    return epcs, sizes


def parse_event(event: dict[str, Any], declared: dict[str, str],
                event_hash: Callable[[dict[str, Any]], str]) -> Parsed:
    """Read one schema-valid event: its eventID (the CBV event hash when it has none) and EPCs."""
    event_id = event.get("eventID") or event_hash(event)
    if len(event_id) > MAX_EVENT_ID:
        raise InputError(f"Invalid eventID: expected at most {MAX_EVENT_ID} characters, got {len(event_id)}.",
                         field="eventID")
    epcs, sizes = _read_epcs(event)
    if not epcs:
        raise InputError("Unsupported event: expected at least one EPC or EPC class to record it on, got none.",
                         field="epcList")
    rest = {k: v for k, v in event.items() if k not in EPC_FIELDS and k not in ("eventTime", "recordTime",
                                                                                  OWN_ENTRIES)}
    rest["eventID"] = event_id
    own = rest.get(OWN_DATA)
    if own is not None and (not isinstance(own, dict) or "epcis" in own):
        raise InputError(f"Invalid {OWN_DATA}: expected an object with the typed event's data fields.",
                         field=OWN_DATA)
    context = {p: declared[p] for p in used_prefixes(rest, set()) if p in declared and p != "suyuan"}
    return Parsed(event_id, event["eventTime"], rest, epcs, sizes, _candidate(event["type"], rest), context)


# --- statements ---------------------------------------------------------------------------


def _kind(key: str) -> str:
    """What a key `parse_epc` made names (it is valid already): product, batch, item, parcel or other."""
    if key.startswith("00/"):
        return "parcel"
    if not key.startswith("01/") or "/235/" in key:
        return "other"
    return "item" if "/21/" in key else "batch" if "/10/" in key else "product"


def _derived(kind: str, parsed: Parsed) -> dict[str, Any]:
    """The typed data: `suyuan:data`, and what the EPCIS event says itself."""
    data = dict(parsed.rest.get(OWN_DATA) or {})
    step = vocabulary.short("bizStep", parsed.rest.get("bizStep"))
    if kind == "transit" and step in ("arriving", "departing"):
        data.setdefault("action", "arrive" if step == "arriving" else "depart")
    if kind == "inspect":
        if step == "sampling":
            data.setdefault("sampling", True)
        verdict = {"conformant": "pass", "non_conformant": "fail"}.get(
            vocabulary.short("disposition", parsed.rest.get("disposition")))
        if verdict:
            data.setdefault("result", verdict)
    if kind in ("pack", "unpack"):
        children = [key for name, _, _, key in parsed.epcs if name == "childEPCs"]
        if children:
            data.setdefault("items", children)
    return data


def _kept(parsed: Parsed, epcs: list[list[Any]], base: Any | None) -> dict[str, Any]:
    """What the entry must keep beyond `base` (a typed event's EPCIS form), or everything."""
    if base is None:
        event, drop = parsed.rest, []
    else:
        event = {k: v for k, v in parsed.rest.items() if base.rest.get(k, _MISSING) != v}
        drop = [k for k in base.rest if k not in parsed.rest]
    same_epcs = base is not None and epcs == base.epcs and parsed.sizes == base.sizes
    numbers: list[str] = []
    kept: dict[str, Any] = {"event": freeze(event, "/event", numbers)}
    if drop:
        kept["drop"] = drop
    if not same_epcs:
        kept["epcs"], kept["sizes"] = freeze(epcs, "/epcs", numbers), parsed.sizes
    if numbers:
        kept["numbers"] = numbers
    context = {p: iri for p, iri in parsed.context.items() if p in used_prefixes(event, set())}
    if context:
        kept["context"] = context
    return kept


def _typed(parsed: Parsed, kind: str, key: str, epcs: list[list[Any]], ident: str) -> dict[str, Any]:
    data = _derived(kind, parsed)
    statement = {"key": key, "type": kind, "time": parsed.event_time, "data": data, "id": ident}
    kept = _kept(parsed, epcs, template(statement))
    if kept != {"event": {}}:
        statement["data"] = data | {"epcis": kept}
    return statement


def _generic(parsed: Parsed, key: str, epcs: list[list[Any]], ident: str) -> dict[str, Any]:
    kept = _kept(parsed, epcs, None)
    data = {"event": kept["event"], "epcs": kept["epcs"], "sizes": kept["sizes"]}
    data |= {k: kept[k] for k in ("numbers", "context") if k in kept}
    return {"key": key, "type": GENERIC, "time": parsed.event_time, "data": data, "id": ident}


def _ids(parsed: Parsed, keys: list[str]) -> list[str]:
    """Statement ids: the first from the eventID alone, the others from the eventID and their key."""
    anchor = None
    if parsed.event_id.lower().startswith("urn:uuid:") and len(keys) == 1:
        try:
            anchor = str(uuid.UUID(parsed.event_id[9:]))
        except ValueError:
            anchor = None
    anchor = anchor or str(uuid.uuid5(NAMESPACE, parsed.event_id))
    return [anchor] + [str(uuid.uuid5(NAMESPACE, f"{parsed.event_id}\n{k}")) for k in keys[1:]]


def statements(parsed: Parsed, tracked: set[str]) -> list[dict[str, Any]]:
    """The statements that record one event (actor left for capture to fill in)."""
    kind = parsed.candidate
    own = {k: [[n, i, v] for n, i, v, key in parsed.epcs if key == k] for k in parsed.keys}
    if kind in ("pack", "unpack"):
        parent = next((key for n, _, _, key in parsed.epcs if n == "parentID"), None)
        if parent is not None and parent.startswith("00/") and (set(parsed.keys) & tracked):
            every = [[n, i, v] for n, i, v, _ in parsed.epcs]
            return [_typed(parsed, kind, parent, every, _ids(parsed, [parent])[0])]
        kind = None
    keys = parsed.keys
    out = []
    for key, ident in zip(keys, _ids(parsed, keys)):
        spec = EVENT_TYPES.get(kind) if kind else None
        if spec is not None and key in tracked and _kind(key) in spec.keys:
            out.append(_typed(parsed, kind, key, own[key], ident))
        else:
            out.append(_generic(parsed, key, own[key], ident))
    return out


def index_fields(parsed: Parsed) -> dict[str, Any]:
    """What the query index holds of an event (`suyuan.epcis.index`)."""
    rest = parsed.rest
    return {
        "event_id": parsed.event_id, "event_type": rest["type"], "event_time": parsed.event_time,
        "action": rest.get("action"), "biz_step": vocabulary.short("bizStep", rest.get("bizStep")),
        "disposition": vocabulary.short("disposition", rest.get("disposition")),
        "read_point": (rest.get("readPoint") or {}).get("id"),
        "biz_location": (rest.get("bizLocation") or {}).get("id"),
        "epcs": [(name, key) for name, _, _, key in parsed.epcs],
    }

