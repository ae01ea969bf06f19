"""EPCIS capture below HTTP, on both engines: through suyuan's own capture, then into the query index.

What a capture writes is what POST /v1/events would write for the typed
events; the index is a projection that suyuan's own events reach through the
log, and that is rebuilt from the log when a crash left it behind.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete, select

from suyuan.epcis import index, query
from suyuan.epcis.capture import capture_document, capture_events
from suyuan.epcis.models import EpcisEvent, EpcisEventEntry, EpcisEventEpc, IndexState
from suyuan.runtime import open_ledger
from suyuan.trace.events.capture import capture
from suyuan.trace.events.registration import register_batch, register_product
from suyuan.trace.goods.models import Parcel
from suyuan.trace.parties.registry import create_party
from tests.api.world import BATCH, PRODUCT, gtin, sscc
from tests.epcis.docs import dl, document, examples, object_event


@pytest.fixture
def world(engine, settings):  # noqa: ANN001, ANN201
    parties = {role: create_party(engine, name=f"{role} 测试有限公司", roles=[role])[0]
               for role in ("producer", "merchant", "platform", "courier", "inspector")}
    product = gtin(61)
    register_product(engine, settings, parties["producer"], product, PRODUCT)
    register_batch(engine, settings, parties["producer"], product, "L1", BATCH)
    return parties, product


def _register_item(engine, settings, parties, product, serial):  # noqa: ANN001, ANN202
    key = f"01/{product}/10/L1/21/{serial}"
    capture(engine, settings, {"key": key, "type": "register", "time": "2026-11-30T08:00:00+08:00",
                               "data": {"seller": parties["merchant"].id}, "id": str(uuid.uuid4())},
            party=parties["producer"])
    return key


def _found(engine, **params) -> list[dict]:  # noqa: ANN003
    with engine.connect() as conn:
        rows = query.select_events(conn, query.parse_query(list(params.items())))
        return [event for event, _ in query.load(conn, rows)]


def test_suyuans_own_events_reach_the_index_through_the_log(engine, settings, world):
    parties, product = world
    item = _register_item(engine, settings, parties, product, "N1")
    assert _found(engine, MATCH_epc=dl(item)) == []  # not in the log yet
    ledger = open_ledger(settings)
    ledger.integrate()
    assert index.catch_up(engine) == 3  # product, batch, item
    (event,) = _found(engine, MATCH_epc=dl(item))
    assert (event["suyuan:type"], event["bizStep"], event["action"]) == ("register", "commissioning", "ADD")
    classes = _found(engine, MATCH_epcClass=dl(f"01/{product}"), EQ_bizStep="commissioning",
                     eventType="ObjectEvent", LT_eventTime="2999-01-01T00:00:00Z")
    assert [e["quantityList"][0]["epcClass"] for e in classes] == [dl(f"01/{product}"), dl(f"01/{product}/10/L1")]
    assert classes[0]["suyuan:data"]["name"] == PRODUCT["name"]
    assert index.catch_up(engine) == 0
    ledger.engine.dispose()


def test_an_index_a_crash_left_behind_is_rebuilt_from_the_log(engine, settings, world):
    parties, _ = world
    doc = examples()["Example_9.6.3-AggregationEvent.jsonld"]
    (result,) = capture_document(engine, settings, parties["platform"], doc)
    assert result.created and len(result.written) == 5
    before = _found(engine, EQ_eventID=result.event_id)
    with engine.begin() as conn:  # as if the server stopped between the capture and its indexing
        for table in (EpcisEventEpc, EpcisEventEntry, EpcisEvent, IndexState):
            conn.execute(delete(table.__table__))
    assert _found(engine, EQ_eventID=result.event_id) == []
    ledger = open_ledger(settings)
    ledger.integrate()
    index.catch_up(engine)
    after = _found(engine, EQ_eventID=result.event_id)
    def plain(events: list[dict]) -> list[dict]:
        return [{k: v for k, v in e.items() if k not in ("recordTime", "suyuan:entries")} for e in events]

    assert plain(after) == plain(before) and len(plain(after)) == 1
    assert [x["hash"] for x in after[0]["suyuan:entries"]] == [x["hash"] for x in before[0]["suyuan:entries"]]
    ledger.engine.dispose()


def test_proceed_never_writes_an_event_in_part(engine, settings, world):
    parties, product = world
    theirs = _register_item(engine, settings, parties, product, "P1")  # the platform's to describe? no
    mixed = object_event([dl(f"01/{gtin(62)}/21/F1"), dl(theirs)], bizStep="storing", eventID=f"urn:uuid:{uuid.uuid4()}")
    fine = object_event([dl(f"01/{gtin(62)}/21/F2")], bizStep="storing", eventID=f"urn:uuid:{uuid.uuid4()}")
    results = capture_events(engine, settings, parties["platform"], [mixed, fine], {}, behaviour="proceed")
    assert results[0].error is not None and "Not your goods" in str(results[0].error)
    assert results[1].error is None and results[1].created
    with engine.connect() as conn:
        keys = set(conn.execute(select(EpcisEventEpc.epc)).scalars())
    assert f"01/{gtin(62)}/21/F1" not in keys and f"01/{gtin(62)}/21/F2" in keys


def test_packing_tracked_items_is_a_pack_on_the_parcel(engine, settings, world):
    parties, product = world
    items = [_register_item(engine, settings, parties, product, s) for s in ("K1", "K2")]
    parcel = f"00/{sscc(61)}"
    pack = {"type": "AggregationEvent", "eventTime": "2026-11-30T10:00:00+08:00", "eventTimeZoneOffset": "+08:00",
            "parentID": dl(parcel), "childEPCs": [dl(k) for k in items], "action": "ADD", "bizStep": "packing"}
    (result,) = capture_events(engine, settings, parties["merchant"], [pack], {})
    assert result.error is None, result.error
    ((statement, appended),) = result.written
    assert (statement["type"], appended.key, statement["data"]["items"]) == ("pack", parcel, items)
    with engine.connect() as conn:
        assert conn.execute(select(Parcel.state).where(Parcel.key == parcel)).scalar() == "open"
    (event,) = _found(engine, MATCH_epc=dl(items[1]))
    assert event["parentID"] == dl(parcel) and event["childEPCs"] == [dl(k) for k in items]
    unpack = pack | {"action": "DELETE", "bizStep": "unpacking", "childEPCs": [dl(items[0])]}
    (result,) = capture_events(engine, settings, parties["merchant"], [unpack], {})
    assert result.written[0][0]["type"] == "unpack" and result.written[0][0]["data"]["items"] == [items[0]]


def test_an_inspection_is_an_inspect_and_its_disposition_the_result(engine, settings, world):
    parties, product = world
    event = object_event([], quantityList=[{"epcClass": dl(f"01/{product}/10/L1")}], bizStep="inspecting",
                         disposition="non_conformant")
    (result,) = capture_events(engine, settings, parties["inspector"], [event], {})
    assert result.error is None, result.error
    statement = result.written[0][0]
    assert (statement["type"], statement["key"], statement["data"]["result"]) == ("inspect", f"01/{product}/10/L1",
                                                                                 "fail")
    (result,) = capture_events(engine, settings, parties["courier"], [event | {"eventTime": "2026-12-01T00:00:00Z"}],
                               {})
    assert "Role not allowed to inspect" in str(result.error)


def test_a_document_that_fails_the_schema_names_the_place(engine, settings, world):
    from suyuan.errors import SchemaViolation

    bad = document(object_event(["urn:epc:id:giai:4000001.1"], action="LOOK"))
    with pytest.raises(SchemaViolation) as exc:
        capture_document(engine, settings, world[0]["platform"], bad)
    assert exc.value.field.startswith("/epcisBody/eventList/0")
