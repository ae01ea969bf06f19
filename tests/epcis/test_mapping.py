"""EPCIS events to ledger statements and back, below the database.

The mapping must keep everything (each event reassembled from its statements,
after the round trip through RFC 8785 bytes, equals the original), put no float
into the ledger, choose the typed suyuan event exactly where the README's
mapping table says, and keep no more than it needs: a typed event's EPCIS form
captured again is the same statement.
"""

from __future__ import annotations

import json
import uuid

import pytest

from suyuan.epcis.eventhash import event_hash
from suyuan.epcis.kept import prefixes
from suyuan.epcis.mapping import NAMESPACE, parse_event, statements
from suyuan.epcis.render import assemble, fragment, template
from suyuan.ledger.verify.entry import canonical
from tests.epcis.docs import dl, examples, features, object_event

ITEM = "01/06901230000010/21/S1"
OTHER = "01/06901230000010/21/S2"
BATCH = "01/06901230000010/10/L1"
PARCEL = "00/069012340000000016"


def _map(event: dict, tracked: set[str] = frozenset(), declared: dict | None = None) -> list[dict]:
    declared = declared or {}
    return statements(parse_event(event, declared, lambda e: event_hash(e, declared)), set(tracked))


def _back(sts: list[dict]) -> dict:
    recorded = [json.loads(canonical(st)) for st in sts]  # what the ledger stores, read back
    return assemble([fragment(st) for st in recorded], recorded[0]["time"])


def test_every_example_event_maps_and_comes_back_whole():
    docs = examples() | {"features.jsonld": features()}
    failed, total = [], 0
    for name, doc in docs.items():
        declared = prefixes(doc["@context"])
        for event in doc["epcisBody"]["eventList"]:
            total += 1
            sts = _map(event, declared=declared)
            back = _back(sts)
            want = event if "eventID" in event else event | {"eventID": back["eventID"]}
            if back != want:
                failed.append(f"{name}: {sorted(k for k in set(back) | set(want) if back.get(k) != want.get(k))}")
    assert total == 15
    assert not failed, f"{len(failed)} of {total} failed:\n" + "\n".join(failed)


def test_floats_enter_the_ledger_as_decimal_strings():
    event = examples()["Example_9.6.3-AggregationEvent.jsonld"]["epcisBody"]["eventList"][0]
    sts = _map(event, declared={"example": "http://ns.example.com/epcis/"})
    batch = next(st for st in sts if st["key"] == "01/04012345123456/10/998877")
    assert batch["data"]["epcs"] == [["childQuantityList", 1, {"epcClass": "urn:epc:class:lgtin:4012345.012345.998877",
                                                                 "quantity": "200.5", "uom": "KGM"}]]
    assert batch["data"]["numbers"] == ["/epcs/0/2/quantity"]
    assert batch["data"]["context"] == {"example": "http://ns.example.com/epcis/"}
    assert _back(sts)["childQuantityList"][1]["quantity"] == 200.5


def test_one_statement_per_epc_chain_with_ids_from_the_event_id():
    event = examples()["Example_9.6.1-ObjectEvent.jsonld"]["epcisBody"]["eventList"][0]
    sts = _map(event)
    assert [st["key"] for st in sts] == ["01/10614141073464/21/2017", "01/10614141073464/21/2018"]
    assert sts[0]["id"] == str(uuid.uuid5(NAMESPACE, event["eventID"]))  # the anchor: the eventID alone
    assert sts[1]["id"] == str(uuid.uuid5(NAMESPACE, event["eventID"] + "\n01/10614141073464/21/2018"))
    assert [st["id"] for st in _map(event)] == [st["id"] for st in sts]
    changed = _map(event | {"bizStep": "receiving"})
    assert changed[0]["id"] == sts[0]["id"] and changed[0] != sts[0]  # same eventID, other content: refused later
    assert _map(object_event([dl(ITEM)], eventID="urn:uuid:3f2b8c1e-0d6a-4e4b-9a53-2a0f1c9d7e10"))[0]["id"] == \
        "3f2b8c1e-0d6a-4e4b-9a53-2a0f1c9d7e10"


@pytest.mark.parametrize("fields, tracked, want", [
    ({"bizStep": "shipping"}, {ITEM}, "dispatch"),
    ({"bizStep": "shipping"}, set(), "epcis"),  # goods suyuan does not track
    ({"bizStep": "receiving"}, {ITEM}, "deliver"),
    ({"bizStep": "https://ref.gs1.org/cbv/BizStep-arriving"}, {ITEM}, "transit"),
    ({"bizStep": "departing"}, {ITEM}, "transit"),
    ({"bizStep": "retail_selling"}, {ITEM}, "sell"),
    ({"bizStep": "stocking"}, {ITEM}, "list"),
    ({"bizStep": "inspecting"}, {ITEM}, "inspect"),
    ({"bizStep": "sampling"}, {ITEM}, "inspect"),
    ({"bizStep": "returning"}, {ITEM}, "return"),
    ({"bizStep": "commissioning", "action": "ADD"}, {ITEM}, "register"),
    ({"bizStep": "commissioning"}, {ITEM}, "epcis"),  # commissioning is an ADD
    ({"bizStep": "storing"}, {ITEM}, "epcis"),  # no typed counterpart
    ({"bizStep": "receiving", "suyuan:type": "return"}, {ITEM}, "return"),
    ({"bizStep": "receiving", "suyuan:type": "epcis"}, {ITEM}, "epcis"),
])
def test_the_typed_event_the_mapping_table_names(fields, tracked, want):
    (st,) = _map(object_event([dl(ITEM)], **fields), tracked)
    assert st["type"] == want


def test_what_the_event_says_itself_fills_the_typed_data():
    (arrive,) = _map(object_event([dl(ITEM)], bizStep="arriving", **{"suyuan:data": {"hub": "h", "region": "310000"}}),
                     {ITEM})
    assert (arrive["data"]["action"], arrive["data"]["hub"]) == ("arrive", "h")
    (inspect,) = _map(object_event([dl(ITEM)], bizStep="sampling", disposition="non_conformant"), {ITEM})
    assert (inspect["data"]["result"], inspect["data"]["sampling"]) == ("fail", True)
    recall = object_event([], quantityList=[{"epcClass": dl(BATCH)}], disposition="recalled",
                          **{"suyuan:data": {"reason": "沙门氏菌"}})
    (st,) = _map(recall, {BATCH})
    assert (st["type"], st["key"], st["data"]["reason"]) == ("recall", BATCH, "沙门氏菌")
    pack = {"type": "AggregationEvent", "eventTime": "2026-11-30T09:00:00+08:00", "eventTimeZoneOffset": "+08:00",
            "parentID": dl(PARCEL), "childEPCs": [dl(ITEM), dl(OTHER)], "action": "ADD", "bizStep": "packing"}
    (st,) = _map(pack, {ITEM, OTHER})  # one entry, on the parcel, as suyuan's own pack
    assert (st["type"], st["key"], st["data"]["items"]) == ("pack", PARCEL, [ITEM, OTHER])
    assert [s["type"] for s in _map(pack)] == ["epcis"] * 3  # foreign goods: on each EPC's chain


def test_a_typed_events_epcis_form_captured_again_is_the_same_statement():
    native = {"key": ITEM, "type": "sell", "time": "2026-11-30T09:00:00+08:00", "id": str(uuid.uuid4()),
              "data": {"price": "88.00", "order": "c1:" + "ab" * 16}}
    exported = assemble([template(native)], native["time"])
    assert exported["bizStep"] == "retail_selling" and exported["disposition"] == "retail_sold"
    assert exported["eventID"] == f"urn:uuid:{native['id']}" and exported["epcList"] == [dl(ITEM)]
    (again,) = _map(exported, {ITEM})
    assert again == native  # nothing kept beside the typed data: there was nothing more


def test_a_typed_event_keeps_what_its_epcis_form_lacks():
    event = examples()["Example_9.6.1-ObjectEvent.jsonld"]["epcisBody"]["eventList"][1]
    data = {"signed_by": "recipient", "region": "310104"}
    (st,) = _map(event | {"suyuan:data": data}, {"01/10614141073464/21/2018"})
    kept = st["data"]["epcis"]
    assert st["type"] == "deliver" and {k: st["data"][k] for k in data} == data
    assert set(kept["event"]) == {"eventID", "disposition", "readPoint", "bizLocation",
                                  "bizTransactionList", "example:myField"}
    assert kept["drop"] == ["suyuan:type"] and kept["epcs"] == [["epcList", 0, event["epcList"][0]]]
    assert _back([st]) == event | {"suyuan:data": data}
