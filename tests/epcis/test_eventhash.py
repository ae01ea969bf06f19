"""The CBV 2.0 event hash, against the reference implementation's hashes of the same documents.

tests/epcis/data/reference_hashes.json holds what epcis-event-hash-generator
1.9.3 (the reference implementation the CBV points to) answered for GS1's
examples and for features.jsonld, run once; every event must hash the same.
"""

from __future__ import annotations

import json
from pathlib import Path

from suyuan.epcis.eventhash import event_hash, prehash
from suyuan.epcis.kept import prefixes
from tests.epcis.docs import examples, features

REFERENCE = json.loads((Path(__file__).parent / "data" / "reference_hashes.json").read_text(encoding="utf-8"))


def test_every_event_hashes_as_the_reference_implementation_does():
    docs = examples() | {"features.jsonld": features()}
    failed, total = [], 0
    for name, doc in docs.items():
        want = REFERENCE["hashes"][name]
        events = doc["epcisBody"]["eventList"]
        assert len(want) == len(events), name
        for i, (event, expected) in enumerate(zip(events, want)):
            total += 1
            got = event_hash(event, prefixes(doc["@context"]))
            if got != expected:
                failed.append(f"{name} event {i}: got {got}, expected {expected}\n  {prehash(event)[:300]}")
    assert total == 15
    assert not failed, f"{len(failed)} of {total} failed:\n" + "\n".join(failed)


def test_the_hash_ignores_what_is_no_part_of_the_event_and_the_order_of_fields():
    event = examples()["Example_9.6.1-ObjectEvent.jsonld"]["epcisBody"]["eventList"][0]
    declared = {"example": "http://ns.example.com/epcis/"}
    base = event_hash(event, declared)
    assert base.startswith("ni:///sha-256;") and base.endswith("?ver=CBV2.0") and len(base) == 14 + 64 + 11
    reordered = dict(reversed(list(event.items())))
    assert event_hash(reordered, declared) == base
    assert event_hash(event | {"eventID": "urn:uuid:x", "recordTime": "2026-01-01T00:00:00Z"}, declared) == base
    as_links = event | {"epcList": ["https://id.gs1.org/01/10614141073464/21/2018",
                                    "https://id.gs1.org/01/10614141073464/21/2017"]}
    assert event_hash(as_links, declared) == base  # the same EPCs as Digital Links, in another order
    assert event_hash(event | {"eventTime": "2005-04-04T02:33:31.116Z"}, declared) == base  # the same instant
    assert event_hash(event | {"bizStep": "receiving"}, declared) != base
