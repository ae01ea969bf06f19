"""Ledger statements as EPCIS 2.0 events: the EPCIS form of each typed event, and reassembly.

Every typed statement has an EPCIS form (`template`): its event type, action,
CBV bizStep (`suyuan.trace.events.payloads.bizstep`) and disposition, its key
as a Digital Link EPC, and the typed event itself in two extensions,
`suyuan:type` and `suyuan:data` (EPCIS has no field for a price or a
waybill). What an EPCIS capture kept beyond that (`data.epcis`, see
`suyuan.epcis.mapping`) is laid over it; a generic `epcis` statement holds its
event whole. One EPCIS event may be recorded on several chains (an entry per
EPC); each entry holds its own EPCs with their positions (`epcs`) and how many
each field held (`sizes`), and `assemble` puts the event back together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from suyuan.epcis.identifiers import in_format, to_digital_link
from suyuan.epcis.kept import OWN_DATA, OWN_TYPE, thaw
from suyuan.trace.events.payloads import bizstep

LIST_FIELDS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
QUANTITY_FIELDS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")
EPC_FIELDS = ("parentID", *LIST_FIELDS, *QUANTITY_FIELDS)
ORDER = (
    "type", "eventID", "eventTime", "eventTimeZoneOffset", "recordTime", "certificationInfo", *EPC_FIELDS,
    "action", "transformationID", "bizStep", "disposition", "persistentDisposition", "readPoint",
    "bizLocation", "bizTransactionList", "sourceList", "destinationList", "sensorElementList", "ilmd",
    "errorDeclaration",
)  # fmt: skip
_RANK = {name: i for i, name in enumerate(ORDER)}

# type: (EPCIS event type, action, disposition); other types are observations without a disposition.
TEMPLATES: dict[str, tuple[str, str, str | None]] = {
    "register": ("ObjectEvent", "ADD", "active"),
    "sell": ("ObjectEvent", "OBSERVE", "retail_sold"),
    "pack": ("AggregationEvent", "ADD", None),
    "unpack": ("AggregationEvent", "DELETE", None),
    "dispatch": ("ObjectEvent", "OBSERVE", "in_transit"),
    "transit": ("ObjectEvent", "OBSERVE", "in_transit"),
    "return": ("ObjectEvent", "OBSERVE", "returned"),
    "recall": ("ObjectEvent", "OBSERVE", "recalled"),
}
GENERIC = "epcis"


@dataclass
class Fragment:
    """What one entry says of its EPCIS event: the event's other fields, and its own EPCs."""

    rest: dict[str, Any]
    epcs: list[list[Any]]
    sizes: dict[str, int]


def time_zone_offset(time: str) -> str:
    """The `eventTimeZoneOffset` an RFC 3339 time carries: `+08:00`, or `+00:00` for `Z`."""
    if time.endswith(("Z", "z")):
        return "+00:00"
    return time[-6:]


def is_class_key(key: str) -> bool:
    """A product or lot (a quantity element's epcClass), not one thing."""
    return key.startswith("01/") and "/21/" not in key and "/235/" not in key


def _epcs(kind: str, key: str, data: dict[str, Any]) -> tuple[list[list[Any]], dict[str, int]]:
    if kind == "AggregationEvent":
        children = [to_digital_link(k) for k in data.get("items") or []]
        epcs = [["parentID", 0, to_digital_link(key)]] + [["childEPCs", i, c] for i, c in enumerate(children)]
        return epcs, {"parentID": 1, **({"childEPCs": len(children)} if children else {})}
    if is_class_key(key):
        return [["quantityList", 0, {"epcClass": to_digital_link(key)}]], {"quantityList": 1}
    return [["epcList", 0, to_digital_link(key)]], {"epcList": 1}


def template(statement: dict[str, Any]) -> Fragment:
    """The EPCIS form of a typed statement, without anything an EPCIS capture kept."""
    kind = statement["type"]
    data = {k: v for k, v in statement["data"].items() if k != "epcis"}
    event_type, action, disposition = TEMPLATES.get(kind, ("ObjectEvent", "OBSERVE", None))
    if kind == "inspect":
        disposition = "conformant" if data.get("result") == "pass" else "non_conformant"
    rest: dict[str, Any] = {"type": event_type, "eventID": f"urn:uuid:{statement['id']}",
                            "eventTimeZoneOffset": time_zone_offset(statement["time"]), "action": action}
    step = bizstep(kind, data)
    if step:
        rest["bizStep"] = step
    if disposition:
        rest["disposition"] = disposition
    rest[OWN_TYPE], rest[OWN_DATA] = kind, data
    epcs, sizes = _epcs(event_type, statement["key"], data)
    return Fragment(rest, epcs, sizes)


def fragment(statement: dict[str, Any]) -> Fragment:
    """What a recorded statement says of its EPCIS event (see module doc)."""
    data = statement["data"]
    if statement["type"] == GENERIC:
        kept = thaw(data, data.get("numbers") or [])
        return Fragment(kept["event"], kept["epcs"], kept["sizes"])
    base = template(statement)
    kept = data.get("epcis")
    if not kept:
        return base
    kept = thaw(kept, kept.get("numbers") or [])
    drop = set(kept.get("drop") or ())
    rest = {k: v for k, v in base.rest.items() if k not in drop} | kept.get("event", {})
    if kept.get("sizes"):
        return Fragment(rest, kept.get("epcs") or [], kept["sizes"])
    return Fragment(rest, base.epcs, base.sizes)


def context_of(statement: dict[str, Any]) -> dict[str, str]:
    """The namespace prefixes a statement's kept extensions use."""
    data = statement["data"]
    kept = data if statement["type"] == GENERIC else data.get("epcis") or {}
    return dict(kept.get("context") or {})


def assemble(fragments: list[Fragment], event_time: str) -> dict[str, Any]:
    """One EPCIS event from the fragments its entries hold (the first one's other fields)."""
    event = dict(fragments[0].rest)
    event["eventTime"] = event_time
    sizes: dict[str, int] = {}
    for f in fragments:
        sizes.update(f.sizes)
    lists: dict[str, list[Any]] = {field: [None] * n for field, n in sizes.items()}
    for f in fragments:
        for field, index, value in f.epcs:
            if field in lists and 0 <= index < len(lists[field]):
                lists[field][index] = value
    for field, values in lists.items():
        values = [v for v in values if v is not None]
        if field == "parentID":
            if values:
                event["parentID"] = values[0]
        else:
            event[field] = values
    return ordered(event)


def ordered(event: dict[str, Any]) -> dict[str, Any]:
    """The event's fields in the standard's order, extensions last (sorted)."""
    return dict(sorted(event.items(), key=lambda kv: (_RANK.get(kv[0], len(ORDER)), kv[0])))


def formatted(event: dict[str, Any], epc_format: str) -> dict[str, Any]:
    """The event with its EPCs, locations and parties written as `GS1-EPC-Format` asks."""
    if epc_format == "No_Preference":
        return event
    out = dict(event)
    if "parentID" in out:
        out["parentID"] = in_format(out["parentID"], epc_format)
    for field in LIST_FIELDS:
        if field in out:
            out[field] = [in_format(v, epc_format) for v in out[field]]
    for field in QUANTITY_FIELDS:
        if field in out:
            out[field] = [q | {"epcClass": in_format(q["epcClass"], epc_format)} if isinstance(q, dict) else q
                          for q in out[field]]
    for field in ("readPoint", "bizLocation"):
        if isinstance(out.get(field), dict) and "id" in out[field]:
            out[field] = out[field] | {"id": in_format(out[field]["id"], epc_format)}
    for field, inner in (("sourceList", "source"), ("destinationList", "destination")):
        if isinstance(out.get(field), list):
            out[field] = [x | {inner: in_format(x[inner], epc_format)} if isinstance(x, dict) and inner in x
                          else x for x in out[field]]
    return out
