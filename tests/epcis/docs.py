"""EPCIS documents for the tests: GS1's examples (vendored), and helpers to build and compare events."""

from __future__ import annotations

import copy
import json
from typing import Any

from tests.conformance import vector, vectors

CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
           {"example": "http://ns.example.com/epcis/"}]
OURS = ("recordTime", "suyuan:entries")  # what the server adds: the "apart from"


def examples() -> dict[str, dict[str, Any]]:
    """GS1's example documents (tests/conformance/epcis), by file name; a missing one is an error."""
    found = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in vectors("epcis", "*.jsonld")
             if p.name != "epcis-context.jsonld"}
    assert len(found) == 9, f"expected GS1's 9 example documents, got {sorted(found)}"
    return found


def features() -> dict[str, Any]:
    """A document of ours using what the examples do not: association and transaction events,
    nested extensions, error declarations, certification info, sensor alerts, quantities in and out."""
    from pathlib import Path

    return json.loads((Path(__file__).parent / "data" / "features.jsonld").read_text(encoding="utf-8"))


def schema_file() -> dict[str, Any]:
    return json.loads(vector("epcis", "EPCIS-JSON-Schema.json").read_text(encoding="utf-8"))


def document(*events: dict[str, Any], context: list[Any] | None = None) -> dict[str, Any]:
    return {"@context": context or CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": "2026-11-30T08:00:00.000Z", "epcisBody": {"eventList": [copy.deepcopy(e) for e in events]}}


def without_ours(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k not in OURS}


def differences(got: dict[str, Any], want: dict[str, Any]) -> list[str]:
    """Fields where two events differ, as JSON values (26.0 == 26 as numbers do), ours aside."""
    got, want = without_ours(got), without_ours(want)
    return sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))


def object_event(epcs: list[str], **fields: Any) -> dict[str, Any]:
    event = {"type": "ObjectEvent", "eventTime": "2026-11-30T09:00:00.000+08:00", "eventTimeZoneOffset": "+08:00",
             "epcList": epcs, "action": "OBSERVE"}
    return event | fields


def dl(key: str) -> str:
    return "https://id.gs1.org/" + key
