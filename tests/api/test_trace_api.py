"""HTTP: tracing a batch forward and an item backward, and the streamed KDE export (inspectors)."""

from __future__ import annotations

import csv
import io

import pytest

from suyuan.trace.parties.registry import update_party
from tests.api.world import DISPATCH, Story, gtin, ok, post, sscc


@pytest.fixture
def story(client, cast):
    return Story(client, cast)


def test_forward_trace_pages_a_batch_and_shows_only_coarse_buyer_regions(client, cast, story):
    delivered, _ = story.delivered("F1")
    packed = story.sold("F2")
    parcel = f"00/{sscc(7)}"
    ok(post(client, cast.merchant, parcel, "pack", {"items": [packed], "courier": cast.courier.id}))
    fresh = [story.item(f"F{i}") for i in range(3, 8)]
    keys = sorted([delivered, packed, *fresh])

    pages, cursor = [], None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        r = client.get(f"/v1/batches/{story.batch}/trace", params=params, headers=cast.inspector.headers)
        assert r.status_code == 200, r.text
        pages.append(r.json())
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert [len(p["items"]) for p in pages] == [3, 3, 1]
    items = {i["key"]: i for p in pages for i in p["items"]}
    assert sorted(items) == keys
    first = pages[0]
    assert first["totals"] == {"items": 7, "by_state": {"delivered": 1, "sold": 1, "registered": 5}}
    assert first["batch"]["recalled"] is False and first["batch"]["product"].startswith("连云港")
    assert items[delivered]["buyer_region"] == "310100"  # delivered to 310104: prefecture only
    assert items[delivered]["seller"] == cast.merchant.id
    assert first["parties"][cast.merchant.id] == "merchant 测试有限公司"
    assert items[packed]["parcel"] == parcel and items[packed]["parcels"] == [parcel]
    assert items[fresh[0]]["buyer_region"] is None
    assert "310104" not in r.text and "recipient" not in r.text


def test_trace_needs_an_inspector_and_refuses_bad_input(client, cast, story):
    item = story.item("A1")
    path = f"/v1/batches/{story.batch}/trace"
    assert client.get(path).status_code == 401
    r = client.get(path, headers=cast.merchant.headers)
    assert r.status_code == 403 and "expected inspector or admin" in r.json()["detail"]
    assert client.get(path, headers=cast.admin.headers).status_code == 200
    assert client.get(f"/v1/items/{item}/trace", headers=cast.producer.headers).status_code == 403
    r = client.get(path, params={"limit": 20000}, headers=cast.inspector.headers)
    assert r.status_code == 422 and r.json()["field"] == "limit"
    r = client.get(f"/v1/batches/{story.batch}X/trace", headers=cast.inspector.headers)
    assert r.status_code == 404 and "No batch" in r.json()["detail"]
    r = client.get(f"/v1/batches/{item}/trace", headers=cast.inspector.headers)
    assert r.status_code == 422 and "expected a batch key" in r.json()["detail"]
    r = client.get(f"/v1/items/{story.batch}/21/NOPE/trace", headers=cast.inspector.headers)
    assert r.status_code == 404


def test_backward_trace_names_the_producer_inputs_inspections_and_recalls(client, cast, story, ledger):
    update_party(ledger.engine, cast.producer.id, licences=[{"type": "food_production", "number": "SC12332070000011"}])
    item = story.sold("B1")
    report = "ab" * 32
    ok(post(client, cast.inspector, story.batch, "inspect",
            {"result": "fail", "sampling": True, "lab_report_sha256": report}))
    ok(post(client, cast.inspector, story.batch, "recall", {"reason": "抽检不合格"}))
    r = client.get(f"/v1/items/{item}/trace", headers=cast.inspector.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["producer"]["name"] == "producer 测试有限公司"
    assert body["producer"]["licences"] == [{"type": "food_production", "number": "SC12332070000011"}]
    assert body["batch"]["recalled"] is True and body["batch"]["origin"]["region"] == "320700"
    assert body["inputs"]["seafood"]["vessel"] == "苏连渔 12345"
    assert body["product"]["name"].startswith("连云港") and body["item"]["seller_name"] == "merchant 测试有限公司"
    assert [i["lab_report_sha256"] for i in body["inspections"]] == [report]
    assert [(x["type"], x["reason"]) for x in body["recalls"]] == [("recall", "抽检不合格")]


def _csv(response):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_kde_export_streams_one_row_per_event_with_filters(client, cast, story):
    other = Story(client, cast, n=2, lot="LOT9")
    item, _ = story.delivered("E1")
    other.item("E2")
    ok(post(client, cast.inspector, story.batch, "recall", {"reason": "=HYPERLINK(\"http://x\")"}))
    h = cast.inspector.headers

    everything = _csv(client.get("/v1/exports/kde.csv", headers=h))
    assert len(everything) == 2 + 2 + 5 + 1 + 1  # products, batches, E1, E2, recall
    assert [r["recorded"] for r in everything] == sorted(r["recorded"] for r in everything)

    lot = _csv(client.get("/v1/exports/kde.csv", params={"product": story.gtin, "lot": "LOT1"}, headers=h))
    assert [r["event"] for r in lot] == ["register", "register", "list", "sell", "dispatch", "deliver", "recall"]
    dispatch = next(r for r in lot if r["event"] == "dispatch")
    assert (dispatch["key"], dispatch["lot"], dispatch["quantity"], dispatch["unit"]) == (item, "LOT1", "1", "item")
    assert (dispatch["from"], dispatch["to"]) == ("320700", "310100")
    assert (dispatch["reference_type"], dispatch["reference"]) == ("waybill", DISPATCH["waybill"])
    assert dispatch["who_name"] == "courier 测试有限公司" and dispatch["cbv_bizstep"] == "shipping"
    assert dispatch["product"].startswith("连云港") and len(dispatch["entry_hash"]) == 64
    assert next(r for r in lot if r["event"] == "recall")["detail"].startswith("'=")  # no formula runs

    product = _csv(client.get("/v1/exports/kde.csv", params={"product": other.gtin}, headers=h))
    assert [r["key"] for r in product] == [other.product, other.batch, f"{other.batch}/21/E2"]
    none = _csv(client.get("/v1/exports/kde.csv", params={"from": "2000-01-01", "to": "2000-01-02"}, headers=h))
    assert none == []


def test_kde_export_leaves_out_the_parties_own_chains(client, cast, story):
    story.item("P1")
    pledge = {"id": "5e1c7f2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b", "pledge": "quality"}
    assert client.post("/v1/pledges", json=pledge, headers=cast.producer.headers).status_code == 201
    rows = _csv(client.get("/v1/exports/kde.csv", headers=cast.inspector.headers))  # streamed to the end
    assert rows and all(r["key"].startswith("01/") for r in rows)


def test_kde_export_refuses_bad_filters_before_streaming(client, cast, story):
    h = cast.inspector.headers
    assert client.get("/v1/exports/kde.csv").status_code == 401
    assert client.get("/v1/exports/kde.csv", headers=cast.merchant.headers).status_code == 403
    for params, status, field in [
        ({"product": "123"}, 422, "product"),
        ({"lot": "LOT1"}, 422, "lot"),
        ({"from": "yesterday"}, 422, "from"),
        ({"from": "2026-02-01", "to": "2026-01-01"}, 422, "to"),
        ({"product": gtin(99)}, 404, None),
        ({"product": story.gtin, "lot": "NOPE"}, 404, None),
    ]:
        r = client.get("/v1/exports/kde.csv", params=params, headers=h)
        assert r.status_code == status, (params, r.text)
        assert r.json()["field"] == field, (params, r.text)
