"""EPCIS 2.0 event types and the CBV 2.0 vocabularies suyuan speaks: bizSteps and dispositions.

CBV 2.0 (§7.1, §7.2) names each bizStep and disposition by a bare word in
JSON-LD (`shipping`), which the EPCIS context expands to
`https://ref.gs1.org/cbv/BizStep-shipping`; EPCIS 1.x wrote
`urn:epcglobal:cbv:bizstep:shipping`. All three name the same value:
`short` reduces each to the bare word, for comparing and querying.
"""

from __future__ import annotations

EVENT_TYPES = ("ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent", "AssociationEvent")

BIZ_STEPS = (
    "accepting", "arriving", "assembling", "collecting", "commissioning", "consigning", "creating_class_instance",
    "cycle_counting", "decommissioning", "departing", "destroying", "disassembling", "dispensing", "encoding",
    "entering_exiting", "holding", "inspecting", "installing", "killing", "loading", "other", "packing",
    "picking", "receiving", "removing", "repackaging", "repairing", "replacing", "reserving", "retail_selling",
    "sampling", "sensor_reporting", "shipping", "staging_outbound", "stock_taking", "stocking", "storing",
    "transporting", "unloading", "unpacking", "void_shipping",
)  # fmt: skip

DISPOSITIONS = (
    "active", "available", "completeness_inferred", "completeness_verified", "conformant", "container_closed",
    "container_open", "damaged", "destroyed", "dispensed", "disposed", "encoded", "expired", "in_progress",
    "in_transit", "inactive", "mismatch_class", "mismatch_instance", "mismatch_quantity", "needs_replacement",
    "no_pedigree_match", "non_conformant", "non_sellable_other", "partially_dispensed", "recalled", "reserved",
    "retail_sold", "returned", "sellable_accessible", "sellable_not_accessible", "stolen", "unavailable",
    "unknown",
)  # fmt: skip

_FORMS = {
    "bizStep": ("https://ref.gs1.org/cbv/BizStep-", "urn:epcglobal:cbv:bizstep:", set(BIZ_STEPS)),
    "disposition": ("https://ref.gs1.org/cbv/Disp-", "urn:epcglobal:cbv:disp:", set(DISPOSITIONS)),
}


def short(field: str, value: object) -> str | None:
    """The bare CBV word of a bizStep or disposition in any of its forms; other URIs as they are."""
    if not isinstance(value, str):
        return None
    web, urn, words = _FORMS[field]
    for prefix in (web, urn):
        if value.startswith(prefix) and value[len(prefix):] in words:
            return value[len(prefix):]
    return value


def web_uri(field: str, value: str) -> str:
    """The CBV Web URI of a bare word (the form the event hash compares), other values unchanged."""
    web, _, words = _FORMS[field]
    word = short(field, value)
    return web + word if word in words else value
