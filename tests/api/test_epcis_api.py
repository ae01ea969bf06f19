"""EPCIS 2.0 over HTTP, on both engines: capture jobs and events, queries, exports, the binding's headers.

The acceptance of issue 12 is here: every GS1 example (and a document of ours
with what the examples lack) captures without loss -- queried back by
EQ_eventID, each event equals the original as JSON values, apart from
recordTime and suyuan's own extension -- and a journey exported as EPCIS and
captured into a fresh suyuan gives the same events.
"""

from __future__ import annotations

import shutil
import uuid

import jsonschema
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from suyuan.api.app import create_app
from suyuan.config import Settings
from suyuan.epcis.eventhash import event_hash
from suyuan.trace.parties.registry import create_party
from tests.api.world import DISPATCH, Story, ok, post
from tests.conftest import _pg_admin_url, _pg_exec
from tests.epcis.docs import differences, dl, document, examples, features, object_event, schema_file

LD = {"Content-Type": "application/ld+json"}


def _headers(who, **extra):  # noqa: ANN001, ANN202
    return {**LD, "Authorization": f"Bearer {who.key}", **extra}


def capture_job(client, who, doc, **headers):  # noqa: ANN001, ANN201
    """POST /epcis/capture, wait for the job, return its status."""
    r = client.post("/epcis/capture", json=doc, headers=_headers(who, **headers))
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/epcis/capture/{r.json()['captureID']}"
    client.app.state.epcis.jobs.wait()
    return ok(client.get(r.headers["location"], headers=_headers(who)), 200)


def events_of(response) -> list[dict]:  # noqa: ANN001
    assert response.status_code == 200, response.text
    return response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]


def by_id(client, event_id: str, **headers) -> list[dict]:  # noqa: ANN001
    return events_of(client.get("/epcis/events", params={"EQ_eventID": event_id}, headers=headers))


@pytest.fixture
def validator():  # noqa: ANN201
    """GS1's schema, with the pure-Python jsonschema: a second opinion to the server's jsonschema-rs."""
    return jsonschema.Draft7Validator(schema_file())


# --- acceptance: capture without loss ------------------------------------------------------------------


def test_every_example_captures_without_loss(client, cast, validator):
    docs = examples() | {"features.jsonld": features()}
    failed, total = [], 0
    for name, doc in docs.items():
        job = capture_job(client, cast.platform, doc)
        if not job["success"]:
            failed.append(f"{name}: job failed: {job['errors']}")
            continue
        for event in doc["epcisBody"]["eventList"]:
            total += 1
            event_id = event.get("eventID") or event_hash(event, {"example": "http://ns.example.com/epcis/",
                                                                  "ext2": "https://ext2.example.org/v/"})
            response = client.get("/epcis/events", params={"EQ_eventID": event_id})
            got = events_of(response)
            validator.validate(response.json())
            want = dict(event, eventID=event_id)
            if len(got) != 1 or differences(got[0], want):
                failed.append(f"{name} {event_id}: {differences(got[0], want) if got else 'not found'}")
    assert total == 15
    assert not failed, f"{len(failed)} of {total} events lost something:\n" + "\n".join(failed)


def test_query_answers_are_documents_that_validate_and_carry_entries(client, cast, ledger, validator):
    capture_job(client, cast.platform, examples()["SensorDataExample1.jsonld"])
    body = client.get("/epcis/events").json()
    validator.validate(body)
    (event,) = body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert event["sensorElementList"][0]["sensorReport"][0]["value"] == 26.0  # a number again, not "26.0"
    assert isinstance(event["sensorElementList"][0]["sensorReport"][0]["value"], float)
    (entry,) = event["suyuan:entries"]
    assert entry["key"] == "01/04012345111118/21/9876"
    chain = ok(client.get(f"/v1/chains/{entry['key']}"), 200)["entries"]
    assert chain[0]["hash"] == entry["hash"] and chain[0]["entry"]["statement"]["type"] == "epcis"
    kept = chain[0]["entry"]["statement"]["data"]
    assert kept["event"]["sensorElementList"][0]["sensorReport"][0]["value"] == "26.0"  # the ledger takes no floats
    assert "/event/sensorElementList/0/sensorReport/0/value" in kept["numbers"]


# --- capture jobs ----------------------------------------------------------------------------------


def _bad_and_good():  # noqa: ANN202
    good1 = object_event(["urn:epc:id:sgtin:0614141.107346.3001"], bizStep="storing", eventID="urn:uuid:" + str(uuid.uuid4()))
    bad = object_event(["https://id.gs1.org/01/70614141123452/21/1"], bizStep="storing",
                       eventID="urn:uuid:" + str(uuid.uuid4()))
    good2 = object_event(["urn:epc:id:giai:4000001.77"], bizStep="storing", eventID="urn:uuid:" + str(uuid.uuid4()))
    return good1, bad, good2


def test_rollback_writes_nothing_of_a_failed_job(client, cast):
    good1, bad, good2 = _bad_and_good()
    job = capture_job(client, cast.platform, document(good1, bad, good2))
    assert (job["running"], job["success"], job["captureErrorBehaviour"]) == (False, False, "rollback")
    assert job["createdAt"] and job["finishedAt"]
    (error,) = job["errors"]
    assert error["instance"] == "/epcisBody/eventList/1" and error["eventID"] == bad["eventID"]
    assert "Invalid GTIN check digit for '70614141123452': expected 1, got 2" in error["detail"]
    assert error["field"] == "epcList.0" and error["status"] == 422
    assert by_id(client, good1["eventID"]) == [] and by_id(client, good2["eventID"]) == []
    assert client.get("/v1/chains/01/10614141073464/21/3001").json()["entries"] == []


def test_proceed_writes_what_it_can_and_reports_the_rest_event_by_event(client, cast):
    good1, bad, good2 = _bad_and_good()
    job = capture_job(client, cast.platform, document(good1, bad, good2), **{"GS1-Capture-Error-Behaviour": "proceed"})
    assert (job["success"], job["captureErrorBehaviour"], job["captured"]) == (False, "proceed", 2)
    assert [e["instance"] for e in job["errors"]] == ["/epcisBody/eventList/1"]
    assert len(by_id(client, good1["eventID"])) == 1 and len(by_id(client, good2["eventID"])) == 1
    assert by_id(client, bad["eventID"]) == []


def test_a_job_stops_at_a_rule_and_nothing_of_it_lands(client, cast):
    story = Story(client, cast)
    item = story.dispatched("R1")  # dispatched already: a second dispatch breaks `not_sold`
    shipping = object_event([dl(item)], bizStep="shipping", **{"suyuan:data": DISPATCH})
    other = object_event(["urn:epc:id:giai:4000001.78"], bizStep="storing")
    job = capture_job(client, cast.courier, document(other, shipping))
    (error,) = job["errors"]
    assert (error["status"], error["rule"], error["instance"]) == (409, "not_sold", "/epcisBody/eventList/1")
    assert events_of(client.get("/epcis/events", params={"MATCH_anyEPC": "urn:epc:id:giai:4000001.78"})) == []


def test_a_restarted_server_marks_unfinished_jobs_failed(settings, cast, client):
    from sqlalchemy import update

    from suyuan.epcis.models import CaptureJob

    job = capture_job(client, cast.platform, document(object_event(["urn:epc:id:giai:4000001.79"])))
    with client.app.state.ledger.engine.begin() as conn:  # as a server killed mid-job leaves it
        conn.execute(update(CaptureJob.__table__).values(running=True, finished_at=None, success=None))
    with TestClient(create_app(settings, integrate=False)) as again:
        after = ok(again.get(f"/epcis/capture/{job['captureID']}", headers=_headers(cast.platform)), 200)
    assert (after["running"], after["success"]) == (False, False)
    assert "capture the document again" in after["errors"][0]["detail"].lower()


def test_jobs_are_their_capturers(client, cast):
    job = capture_job(client, cast.platform, document(object_event(["urn:epc:id:giai:4000001.80"])))
    assert client.get(f"/epcis/capture/{job['captureID']}", headers=_headers(cast.merchant)).status_code == 404
    assert ok(client.get(f"/epcis/capture/{job['captureID']}", headers=_headers(cast.admin)), 200)["success"]
    assert [j["captureID"] for j in ok(client.get("/epcis/capture", headers=_headers(cast.platform)), 200)] == \
        [job["captureID"]]
    assert client.post("/epcis/capture", json=document(), headers=LD).status_code == 401


# --- bad input -------------------------------------------------------------------------------------


def test_bad_documents_are_refused_with_a_sentence_and_never_a_500(client, cast, settings):
    h = _headers(cast.platform)
    r = client.post("/epcis/capture", json=document(object_event(["x"], eventTime="yesterday")), headers=h)
    assert r.status_code == 400 and r.json()["field"] == "/epcisBody/eventList/0/eventTime"
    assert '"yesterday" is not a "date-time"' in r.json()["detail"]
    assert client.post("/epcis/capture", content=b"{not json", headers=h).status_code == 400
    r = client.post("/epcis/capture", json=document(), headers=h | {"Content-Type": "text/plain"})
    assert r.status_code == 415 and "application/ld+json" in r.json()["detail"]
    r = client.post("/epcis/capture", json=document(), headers=h | {"GS1-Capture-Error-Behaviour": "ignore"})
    assert r.status_code == 400 and r.json()["field"] == "GS1-Capture-Error-Behaviour"
    many = document(*[object_event(["urn:epc:id:giai:4000001.1"])] * (settings.max_batch_statements + 1))
    r = client.post("/epcis/capture", json=many, headers=h)
    assert r.status_code == 413 and f"at most {settings.max_batch_statements}" in r.json()["detail"]
    huge = b'{"type": "EPCISDocument", "x": "' + b"a" * (settings.max_batch_body_bytes + 1) + b'"}'
    assert client.post("/epcis/capture", content=huge, headers=h).status_code == 413
    for junk in ([], 3, "x", {"type": 1}, {"type": "EPCISDocument"}, {"type": "ObjectEvent", "@context": "x"}):
        for path in ("/epcis/capture", "/epcis/events"):
            r = client.post(path, json=junk, headers=h)
            assert 400 <= r.status_code < 500 and r.json()["detail"], (path, junk, r.text)


def test_versions_and_formats_the_server_does_not_speak(client):
    r = client.get("/epcis/events", headers={"GS1-EPCIS-Version": "1.2"})
    assert r.status_code == 406 and r.json()["field"] == "GS1-EPCIS-Version"
    assert client.get("/epcis/events", headers={"GS1-CBV-Version": "1.2"}).status_code == 406
    r = client.get("/epcis/events", headers={"GS1-EPC-Format": "Always_Barcodes"})
    assert r.status_code == 400 and "Always_EPC_URN" in r.json()["detail"]
    r = client.get("/epcis/events", headers={"GS1-EPCIS-Version": "2.0.0"})
    assert r.headers["GS1-EPCIS-Version"] == "2.0.0" and r.headers["GS1-CBV-Version"] == "2.0.0"


# --- single events ---------------------------------------------------------------------------------


def test_one_event_201_a_retry_200_other_content_409(client, cast):
    event = {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
             **object_event(["urn:epc:id:sgtin:0614141.107346.4001"], bizStep="storing")}
    h = _headers(cast.platform)
    first = client.post("/epcis/events", json=event, headers=h)
    assert first.status_code == 201, first.text
    expected_id = event_hash({k: v for k, v in event.items() if k != "@context"})
    assert first.json()["eventID"] == expected_id  # no eventID given: the CBV 2.0 event hash
    assert first.headers["location"].startswith("/epcis/events/ni%3A%2F%2F%2Fsha-256%3B")
    again = client.post("/epcis/events", json=event, headers=h)
    assert (again.status_code, again.json()["eventID"]) == (200, expected_id)
    other = dict(event, eventID=expected_id, bizStep="holding")
    r = client.post("/epcis/events", json=other, headers=h)
    assert r.status_code == 409 and f"Event {expected_id} was captured before with other content" in r.json()["detail"]
    by_other = client.post("/epcis/events", json=event, headers=_headers(cast.merchant))
    assert by_other.status_code == 409  # the same eventID from another party is another statement
    (got,) = events_of(client.get(first.headers["location"]))
    assert got["bizStep"] == "storing" and got["eventID"] == expected_id
    assert client.get("/epcis/events/urn%3Auuid%3Anone").status_code == 404


# --- typed events: the same roles and rules as POST /v1/events ------------------------------------------


def test_shipping_of_tracked_goods_is_a_dispatch_with_its_rules(client, cast):
    story = Story(client, cast)
    item = story.sold("T1")
    h = _headers(cast.courier)
    bare = object_event([dl(item)], bizStep="shipping", disposition="in_transit")
    r = client.post("/epcis/events", json={"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], **bare}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "data.waybill"
    assert "suyuan:data" in r.json()["detail"] and "dispatch" in r.json()["detail"]
    shipping = bare | {"suyuan:data": DISPATCH, "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"}}
    doc = document(shipping, context=[*document()["@context"], {"suyuan": "https://suyuan.example/epcis/"}])
    assert capture_job(client, cast.merchant, doc)["errors"][0]["status"] == 403  # a merchant cannot dispatch
    job = capture_job(client, cast.courier, doc)
    assert job["success"], job
    assert ok(client.get(f"/v1/goods/{item}"), 200)["state"] == "dispatched"
    last = client.get(f"/v1/chains/{item}").json()["entries"][-1]["entry"]["statement"]
    assert last["type"] == "dispatch" and last["data"]["waybill"] == DISPATCH["waybill"]
    assert last["data"]["epcis"]["event"]["readPoint"] == {"id": "urn:epc:id:sgln:0614141.07346.1234"}
    again = capture_job(client, cast.courier, doc)  # the same eventIDs: retries, not a second dispatch
    assert again["success"] and len(client.get(f"/v1/chains/{item}").json()["entries"]) == 4


def test_generic_events_on_tracked_goods_are_their_parties_only(client, cast):
    story = Story(client, cast)
    item = story.item("G1")
    storing = object_event([dl(item)], bizStep="storing")
    job = capture_job(client, cast.platform, document(storing))
    assert job["errors"][0]["status"] == 403 and "Not your goods" in job["errors"][0]["detail"]
    assert capture_job(client, cast.merchant, document(storing))["success"]  # the item's seller
    assert ok(client.get(f"/v1/goods/{item}"), 200)["state"] == "registered"  # a generic event changes nothing


# --- queries ---------------------------------------------------------------------------------------


def test_query_parameters_filter_as_the_standard_says(client, cast):
    docs = examples()
    for name in ("Example_9.6.1-ObjectEvent.jsonld", "Example_9.6.3-AggregationEvent.jsonld",
                 "Example_9.6.4-TransformationEvent.jsonld", "Example_9.6.2-ObjectEvent.jsonld"):
        assert capture_job(client, cast.platform, docs[name])["success"]

    def ids(**params) -> list[str]:  # noqa: ANN003
        return [e["eventID"][14:22] for e in events_of(client.get("/epcis/events", params=params))]

    assert ids(eventType="AggregationEvent") == ["87b5f18a"]
    assert ids(eventType="ObjectEvent,TransformationEvent") == ["df7bb3c3", "00e1e6eb", "e65c3a99", "a98f08ae"]
    assert ids(EQ_bizStep="shipping") == ids(EQ_bizStep="https://ref.gs1.org/cbv/BizStep-shipping") == ["df7bb3c3"]
    assert ids(EQ_bizStep="urn:epcglobal:cbv:bizstep:receiving") == ["00e1e6eb", "87b5f18a", "a98f08ae"]
    assert ids(EQ_disposition="in_transit") == ["df7bb3c3"]
    assert ids(EQ_action="OBSERVE", EQ_bizStep="receiving") == ["00e1e6eb", "87b5f18a", "a98f08ae"]
    assert ids(GE_eventTime="2013-06-01T00:00:00Z", LT_eventTime="2013-10-01T00:00:00Z") == ["87b5f18a", "a98f08ae"]
    assert ids(GE_recordTime="2000-01-01T00:00:00Z") == ids()
    assert ids(LT_recordTime="2000-01-01T00:00:00Z") == []
    assert ids(EQ_readPoint="urn:epc:id:sgln:0614141.07346.1234") == ["df7bb3c3"]
    assert ids(EQ_readPoint="https://id.gs1.org/414/0614141073467/254/1234") == ["df7bb3c3"]  # the same place
    assert ids(EQ_bizLocation="urn:epc:id:sgln:0614141.00888.0") == ["87b5f18a", "a98f08ae"]
    assert ids(MATCH_epc="urn:epc:id:sgtin:0614141.107346.2018") == ["df7bb3c3", "00e1e6eb", "87b5f18a"]
    assert ids(MATCH_epc="https://id.gs1.org/01/10614141073464/21/2017") == ["df7bb3c3", "87b5f18a"]
    assert ids(MATCH_epc="urn:epc:idpat:sgtin:0614141.107346.*") == ["df7bb3c3", "00e1e6eb", "87b5f18a"]
    assert ids(MATCH_parentID="urn:epc:id:sscc:0614141.1234567890") == ["87b5f18a"]
    assert ids(MATCH_inputEPC="urn:epc:id:sgtin:4012345.011122.25") == ["e65c3a99"]
    assert ids(MATCH_outputEPC="urn:epc:id:sgtin:4012345.077889.27") == ["e65c3a99"]
    assert ids(MATCH_anyEPC="urn:epc:id:sscc:0614141.1234567890") == ["87b5f18a"]
    assert ids(MATCH_epcClass="urn:epc:class:lgtin:4012345.012345.998877") == ["87b5f18a", "a98f08ae"]
    assert ids(MATCH_epcClass="https://id.gs1.org/01/04012345123456") == ["87b5f18a", "a98f08ae"]
    assert ids(MATCH_anyEPCClass="urn:epc:class:lgtin:4012345.011111.4444") == ["e65c3a99"]
    epc = "urn:epc:id:sgtin:0614141.107346.2017"
    assert [e["eventID"][14:22] for e in events_of(client.get(f"/epcis/epcs/{epc}/events"))] == ["df7bb3c3", "87b5f18a"]


def test_paging_follows_link_next_to_the_end(client, cast):
    events = [object_event([f"urn:epc:id:giai:4000001.9{i}"], eventID=f"urn:uuid:{uuid.uuid4()}") for i in range(7)]
    assert capture_job(client, cast.platform, document(*events))["success"]
    seen, url, pages = [], "/epcis/events?perPage=3", 0
    while url:
        r = client.get(url)
        seen += [e["eventID"] for e in events_of(r)]
        pages += 1
        link = r.headers.get("link")
        url = link[1:link.index(">")] if link else None
        assert link is None or link.endswith('; rel="next"')
    assert (pages, seen) == (3, [e["eventID"] for e in events])
    for bad in ({"perPage": "0"}, {"perPage": "x"}, {"nextPageToken": "zz"}, {"MATCH_epc": "urn:epc:id:x"},
                {"GE_eventTime": "soon"}, {"EQ_nothing": "1"}):
        r = client.get("/epcis/events", params=bad)
        assert r.status_code == 400 and r.json()["detail"], (bad, r.text)


def test_epc_format_is_honoured_on_query_and_capture(client, cast):
    assert capture_job(client, cast.platform, examples()["Example_9.6.1-ObjectEventWithDigitalLink.jsonld"])["success"]
    urn = events_of(client.get("/epcis/events", headers={"GS1-EPC-Format": "Always_EPC_URN"}))
    assert urn[0]["epcList"] == ["urn:epc:id:sgtin:0614141.712345.2017", "urn:epc:id:sgtin:0614141.712345.2018"]
    assert urn[0]["readPoint"] == {"id": "urn:epc:id:sgln:0614141.07346.1234"}
    links = events_of(client.get("/epcis/events", headers={"GS1-EPC-Format": "Always_GS1_Digital_Link"}))
    assert links[0]["readPoint"] == {"id": "https://id.gs1.org/414/0614141073467/254/1234"}
    event = object_event(["urn:epc:id:sgtin:0614141.107346.5001"], eventID=f"urn:uuid:{uuid.uuid4()}")
    capture_job(client, cast.platform, document(event), **{"GS1-EPC-Format": "Always_GS1_Digital_Link"})
    assert by_id(client, event["eventID"])[0]["epcList"] == ["https://id.gs1.org/01/10614141073464/21/5001"]


def test_vocabularies_and_discovery(client):
    assert "ObjectEvent" in client.get("/epcis/eventTypes").json()
    assert {"shipping", "receiving", "commissioning"} <= set(client.get("/epcis/bizSteps").json())
    assert {"in_transit", "recalled"} <= set(client.get("/epcis/dispositions").json())
    assert set(client.get("/epcis").json()["@set"]) >= {"capture", "events", "eventTypes"}
    r = client.options("/epcis/capture")
    assert r.status_code == 204 and "POST" in r.headers["allow"] and r.headers["GS1-EPCIS-Max"] == "2.0.0"


# --- export and the round trip ------------------------------------------------------------------------


def _journey(client, cast) -> tuple[Story, str]:  # noqa: ANN001
    story = Story(client, cast)
    item = story.dispatched("J1")
    ok(post(client, cast.courier, item, "transit", {"hub": "上海转运中心", "region": "310000"}))
    ok(post(client, cast.courier, item, "deliver", {"signed_by": "recipient", "region": "310104"}))
    ok(post(client, cast.inspector, item, "inspect", {"result": "pass"}))
    return story, item


def test_a_journey_exports_as_a_document_that_validates_with_receipts(client, cast, ledger, validator):
    story, item = _journey(client, cast)
    body = ok(client.get(f"/v1/items/{item}/epcis"), 200)
    validator.validate(body)
    events = body["epcisBody"]["eventList"]
    kinds = [e["suyuan:type"] for e in events]
    assert kinds == ["register", "register", "register", "list", "sell", "dispatch", "transit", "deliver", "inspect"]
    assert [e.get("bizStep") for e in events][5:8] == ["shipping", "arriving", "receiving"]
    assert events[0]["quantityList"] == [{"epcClass": dl(story.product)}] and events[2]["epcList"] == [dl(item)]
    assert events[8]["disposition"] == "conformant"
    for e in events:
        (entry,) = e["suyuan:entries"]
        assert entry["logIndex"] is not None
        receipt = client.get(f"/v1/events/{entry['hash']}/receipt")
        assert receipt.status_code == 200 and receipt.text.startswith("c2sp.org/tlog-proof@v1")
    batch = ok(client.get(f"/v1/batches/{story.batch}/epcis"), 200)
    validator.validate(batch)
    assert len(batch["epcisBody"]["eventList"]) == len(events)
    assert client.get(f"/v1/batches/{item}/epcis").status_code == 422
    assert client.get("/v1/items/01/06901230000010/21/NONE/epcis").status_code == 404


@pytest.fixture
def fresh_client(db_url, _templates, tmp_path, log_signer):  # noqa: ANN001, ANN201
    """A second suyuan, on a fresh database of the same engine, with one platform party."""
    if db_url.startswith("sqlite"):
        shutil.copy(_templates["sqlite"], tmp_path / "fresh.db")
        url, name = f"sqlite:///{tmp_path / 'fresh.db'}", None
    else:
        name = f"suyuan_f_{uuid.uuid4().hex[:10]}"
        _pg_exec(f"CREATE DATABASE {name} TEMPLATE {_templates['postgresql']}")
        url = make_url(_pg_admin_url()).set(database=name).render_as_string(hide_password=False)
    settings = Settings(data_dir=tmp_path / "fresh", database_url=url, log_origin="fresh.suyuan.example/log",
                        log_key=log_signer.to_pem().decode())
    with TestClient(create_app(settings, integrate=False)) as c:
        party, key = create_party(c.app.state.ledger.engine, name="另一平台 测试有限公司", roles=["platform"])
        c.who = type("Who", (), {"id": party.id, "key": key})
        yield c
    if name:
        _pg_exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_round_trip_a_journey_exported_and_captured_into_a_fresh_suyuan_gives_the_same_events(client, cast,
                                                                                               fresh_client):
    _, item = _journey(client, cast)
    exported = ok(client.get(f"/v1/items/{item}/epcis"), 200)
    job = capture_job(fresh_client, fresh_client.who, exported)
    assert job["success"], job["errors"]
    again = ok(fresh_client.get(f"/epcis/events?perPage=100"), 200)["epcisBody"]["queryResults"]["resultsBody"]
    originals = exported["epcisBody"]["eventList"]
    assert [differences(a, b) for a, b in zip(again["eventList"], originals)] == [[]] * len(originals)
    assert len(again["eventList"]) == len(originals) == 9
    # In the fresh suyuan nothing is registered: the events are kept as generic EPCIS events, whole.
    entry = again["eventList"][5]["suyuan:entries"][0]
    assert fresh_client.get(f"/v1/events/{entry['hash']}").json()["entry"]["statement"]["type"] == "epcis"


def _mutations(event: dict) -> list[dict]:
    """Each field of an event dropped, given the wrong type, or given a junk EPC: schema-valid or not."""
    out = []
    for key, value in event.items():
        out.append({k: v for k, v in event.items() if k != key})
        for junk in (None, 7, 1.5, "x", [], {}, ["urn:epc:id:sgtin:1.2.3"], [{"epcClass": "urn:x:y"}]):
            if junk != value:
                out.append(event | {key: junk})
    return out


def test_no_document_makes_a_500(client, cast):
    """Every field of GS1's examples broken in every way: 201, 200 or a 4xx with a sentence, never a 5xx."""
    context = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"example": "http://ns.example.com/epcis/"}]
    h = _headers(cast.platform)
    seen, statuses = 0, set()
    for name in ("Example_9.6.1-ObjectEvent.jsonld", "Example_9.6.3-AggregationEvent.jsonld",
                 "SensorDataExample1.jsonld", "Example_9.6.4-TransformationEvent.jsonld"):
        event = examples()[name]["epcisBody"]["eventList"][0]
        for broken in _mutations(event):
            seen += 1
            r = client.post("/epcis/events", json={"@context": context, **broken}, headers=h)
            statuses.add(r.status_code)
            assert r.status_code < 500 and (r.status_code < 300 or r.json()["detail"]), (name, broken, r.text)
    assert seen > 300 and {201, 400} <= statuses


def test_a_party_that_signs_its_statements_is_refused_as_unsigned(client, cast, ledger):
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from suyuan.trace.parties.keys import add_party_key

    public = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    add_party_key(ledger.engine, cast.platform.id, base64.b64encode(public).decode())
    event = {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
             **object_event(["urn:epc:id:giai:4000001.81"])}
    r = client.post("/epcis/events", json=event, headers=_headers(cast.platform))
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
