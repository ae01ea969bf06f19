"""The EPCIS event hash: an eventID for an event captured without one (CBV 2.0 §8.9.2).

`ni:///sha-256;<hex>?ver=CBV2.0`, SHA-256 of the event's pre-hash string:
`eventType=<type>`, then the fields in the standard's order, each `name=value`
(lists sorted, children after their parent's name), then every other field
(user extensions, the business transactions, sources and destinations) in
sorted order; `eventID`, `recordTime` and `errorDeclaration` are left out.
Values are normalised first: times to UTC with milliseconds, numbers without
trailing zeros, CBV words and URNs to their Web URIs, EPCs to canonical GS1
Digital Link URIs at the finest level, extension names to `{namespace}name`.
The output matches the reference implementation (epcis-event-hash-generator
1.9.3, gs1 / R. Tröger) on GS1's examples; tests/epcis/test_eventhash.py
holds its hashes.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import unquote

from suyuan.epcis.identifiers import DL_BASE, maybe_epc

_METADATA = ("time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod",
             "bizRules")
_REPORT = ("type", "exception", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "time",
           "microorganism", "chemicalSubstance", "value", "component", "stringValue", "booleanValue",
           "hexBinaryValue", "uriValue", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue",
           "uom", "coordinateReferenceSystem")
_QUANTITY = ("epcClass", "quantity", "uom")
_EPC_LISTS = ("epcList", "inputEPCList", "childEPCs", "outputEPCList")
_TOP = ("eventTime", "eventTimeZoneOffset", "certificationInfo", "parentID", "epcList", "inputEPCList",
        "childEPCs", "quantityList", "childQuantityList", "inputQuantityList", "outputEPCList",
        "outputQuantityList", "action", "transformationID", "bizStep", "disposition", "persistentDisposition",
        "readPoint", "bizLocation", "sensorElementList")
_IGNORED = ("eventID", "recordTime", "type", "errorDeclaration", "@context")
_CBV = "https://ref.gs1.org/cbv/"
_VOC = "https://gs1.org/voc/"
_URNS = (("urn:epcglobal:cbv:bizstep:", _CBV + "BizStep-"), ("urn:epcglobal:cbv:disp:", _CBV + "Disp-"),
         ("urn:epcglobal:cbv:btt:", _CBV + "BTT-"), ("urn:epcglobal:cbv:sdt:", _CBV + "SDT-"),
         ("urn:epcglobal:cbv:er:", _CBV + "ER-"))
_ENCODE = set('!()*+,:"%&/<>? #')


def _vocab(prefix: str, value: Any) -> Any:
    """A bare CBV or GS1 vocabulary word as the Web URI the EPCIS context expands it to."""
    return prefix + value if isinstance(value, str) and value and ":" not in value else value


def _time(value: str) -> str:
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return value
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    when = when.astimezone(timezone.utc)
    when = when.replace(microsecond=0) + timedelta(microseconds=round(when.microsecond, -3))
    return when.isoformat(timespec="milliseconds")[:-6] + "Z"


def _number(text: str) -> str:
    try:
        number = float(text)
        return str(int(number)) if int(number) == number else str(number)
    except (ValueError, OverflowError):
        return text


def _dl(text: str) -> str | None:
    """The canonical Digital Link of an EPC, at its finest level (no lot beside a serial, no CPV)."""
    epc = maybe_epc(text)
    if epc is None:
        return None
    parts = epc.key.split("/")
    pairs = list(zip(parts[::2], parts[1::2]))
    ais = [ai for ai, _ in pairs]
    pairs = [(ai, v) for ai, v in pairs if not (ai == "10" and "21" in ais) and ai != "22"]
    path = "/".join(f"{ai}/{''.join('%%%02X' % ord(c) if c in _ENCODE else c for c in unquote(v))}"
                    for ai, v in pairs)
    return DL_BASE + path


def _value(value: Any, name: str = "", declared: dict[str, str] | None = None) -> str:
    text = str(value).strip()
    prefix, sep, local = text.partition(":")
    if sep and declared and prefix in declared:
        text = declared[prefix] + local
    lowered = name.lower()
    if "time" in lowered and "offset" not in lowered:
        return _time(text)
    for urn, web in _URNS:
        text = text.replace(urn, web)
    text = _number(text)
    return _dl(text) or text


def _pair(name: str, value: Any, declared: dict[str, str] | None = None) -> str:
    text = _value(value, name, declared)
    return f"{name}={text}" if text else ""


class _Hasher:
    def __init__(self, declared: dict[str, str]):
        self.declared = declared

    def name(self, key: str) -> str:
        prefix, sep, local = key.partition(":")
        return "{" + self.declared[prefix] + "}" + local if sep and prefix in self.declared else key

    def extensions(self, obj: dict[str, Any], known: tuple[str, ...]) -> str:
        """User extensions inside an element (names in a namespace), after its own fields."""
        parts = [self.generic(k, v) for k, v in obj.items() if k not in known and "{" in self.name(k)]
        return "".join(sorted(p for part in parts for p in part))

    def generic(self, key: str, value: Any) -> list[str]:
        """A field outside the standard order: each list item on its own, objects by sorted children."""
        name = self.name(key)
        if isinstance(value, list):
            return [s for item in value for s in self.generic(key, item)]
        if isinstance(value, dict):
            children = sorted(s for k, v in value.items() for s in self.generic(k, v))
            return [name + "".join(children)]
        text = _value(value, declared=self.declared)
        return [name + (f"={text}" if text else "")]

    def ordered(self, name: str, value: Any) -> str:
        """A field the standard orders: its name, then its values or children."""
        if name in _EPC_LISTS:
            return name + "".join(sorted(_pair("epc", v) for v in value)) if value else ""
        if name.endswith("QuantityList") or name == "quantityList":
            items = sorted("quantityElement" + "".join(_pair(k, q[k]) for k in _QUANTITY if k in q)
                           for q in value)
            return name + "".join(items) if items else ""
        if name == "certificationInfo":
            return "".join(sorted(_pair(name, v) for v in (value if isinstance(value, list) else [value])))
        if name in ("bizStep", "disposition"):
            return _pair(name, _vocab(_CBV + ("BizStep-" if name == "bizStep" else "Disp-"), value))
        return self.nested(name, value)

    def nested(self, name: str, value: Any) -> str:
        if name == "persistentDisposition":
            parts = ["".join(sorted(_pair(part, _vocab(_CBV + "Disp-", v)) for v in value.get(part) or []))
                     for part in ("set", "unset")]
            return name + "".join(parts) if any(parts) else ""
        if name in ("readPoint", "bizLocation"):
            inner = _pair("id", value.get("id", "")) + self.extensions(value, ("id",))
            return name + inner if inner else ""
        if name == "sensorElementList":
            elements = sorted(self.sensor_element(e) for e in value)
            return name + "".join(elements) if elements else ""
        return _pair(name, value)

    def sensor_element(self, element: dict[str, Any]) -> str:
        meta = element.get("sensorMetadata") or {}
        text = "sensorElement"
        inner = "".join(_pair(k, meta[k]) for k in _METADATA if k in meta) + self.extensions(meta, _METADATA)
        if inner:
            text += "sensorMetadata" + inner
        reports = []
        for report in element.get("sensorReport") or []:
            fields = dict(report)
            fields["type"] = _vocab(_VOC, fields.get("type"))
            if "exception" in fields:
                fields["exception"] = _vocab(_VOC, fields["exception"])
            if "component" in fields:
                fields["component"] = _vocab(_CBV + "Comp-", fields["component"])
            body = "".join(_pair(k, fields[k], self.declared) for k in _REPORT if k in fields and fields[k] is not None)
            reports.append("sensorReport" + body + self.extensions(report, _REPORT))
        return text + "".join(sorted(reports)) + self.extensions(element, ("sensorMetadata", "sensorReport"))

    def prehash(self, event: dict[str, Any]) -> str:
        parts = ["eventType=" + str(event.get("type", ""))]
        parts += [self.ordered(name, event[name]) for name in _TOP if name in event]
        rest = []
        for key, value in event.items():
            if key in _TOP or key in _IGNORED:
                continue
            if key in ("bizTransactionList", "sourceList", "destinationList"):
                rest.append(key + "".join(sorted(self.typed_link(key, v) for v in value)) if value else key)
            else:
                rest += self.generic(key, value)
        return "".join(parts) + "".join(sorted(rest))

    def typed_link(self, key: str, item: dict[str, Any]) -> str:
        """A business transaction, source or destination: its type first, then its value."""
        inner = {"bizTransactionList": "bizTransaction", "sourceList": "source", "destinationList": "destination"}[key]
        kind = _vocab(_CBV + ("BTT-" if inner == "bizTransaction" else "SDT-"), item.get("type"))
        text = _pair("type", kind) if kind else ""
        return text + _pair(inner, item.get(inner, ""))


def prehash(event: dict[str, Any], declared: dict[str, str] | None = None) -> str:
    """The pre-hash string of an event (CBV 2.0 §8.9.2), `declared` the document's namespace prefixes."""
    return _Hasher(declared or {}).prehash(event)


def event_hash(event: dict[str, Any], declared: dict[str, str] | None = None) -> str:
    """The event's hash ID: `ni:///sha-256;<64 hex>?ver=CBV2.0`."""
    digest = hashlib.sha256(prehash(event, declared).encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver=CBV2.0"
