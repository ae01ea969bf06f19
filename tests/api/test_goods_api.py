"""HTTP: registering goods, bulk serialisation with unguessable serials, recorded state."""

from __future__ import annotations

import re
import uuid

from tests.api.world import BATCH, PRODUCT, gtin, ok, post


def new_id() -> str:
    return str(uuid.uuid4())


def test_register_product_batch_and_serialise(client, cast):
    g = gtin(21)
    product = ok(client.post("/v1/goods/products", headers=cast.producer.headers,
                             json={"id": new_id(), "gtin": g, "data": PRODUCT}))
    assert product["key"] == f"01/{g}" and product["created"]
    ok(client.post("/v1/goods/batches", headers=cast.producer.headers,
                   json={"id": new_id(), "gtin": g, "lot": "LYG2026A", "data": BATCH}))
    body = ok(client.post("/v1/goods/items:serialise", headers=cast.producer.headers,
                          json={"id": new_id(), "gtin": g, "lot": "LYG2026A", "count": 50,
                                "seller": cast.merchant.id, "prefix": "LY"}))
    keys = body["keys"]
    assert len(set(keys)) == 50
    assert all(re.fullmatch(rf"01/{g}/10/LYG2026A/21/LY[2-9A-HJ-NP-Z]{{14}}", k) for k in keys)
    state = ok(client.get(f"/v1/goods/{keys[0]}"), 200)
    assert state["state"] == "registered" and state["seller"] == cast.merchant.id
    assert ok(client.get(f"/v1/goods/01/{g}"), 200)["priority"] is True
    batch = ok(client.get(f"/v1/goods/01/{g}/10/LYG2026A"), 200)
    assert batch["expiry_date"] == "2027-05-20" and sorted(batch["items"]) == sorted(keys)
    entry = client.get(f"/v1/chains/{keys[0]}").json()["entries"][0]["entry"]["statement"]
    assert entry["type"] == "register" and entry["actor"] == cast.producer.id


def test_serialise_refuses_bad_counts_and_other_producers(client, cast):
    g = gtin(22)
    ok(post(client, cast.producer, f"01/{g}", "register", PRODUCT))
    for count in (0, 10001):
        r = client.post("/v1/goods/items:serialise", headers=cast.producer.headers,
                        json={"id": new_id(), "gtin": g, "count": count})
        assert r.status_code == 422 and "expected 1 to 10000" in r.json()["detail"]
    r = client.post("/v1/goods/items:serialise", headers=cast.producer2.headers,
                    json={"id": new_id(), "gtin": g, "count": 3})
    assert r.status_code == 403
    assert ok(client.get(f"/v1/goods/01/{g}"), 200)["owner"] == cast.producer.id


def test_registering_twice_or_without_a_product(client, cast):
    g = gtin(23)
    r = post(client, cast.producer, f"01/{g}/10/L1", "register", BATCH)
    assert r.status_code == 409 and r.json()["rule"] == "not_registered"
    ok(post(client, cast.producer, f"01/{g}", "register", PRODUCT))
    r = post(client, cast.producer2, f"01/{g}", "register", PRODUCT)
    assert r.status_code == 409 and r.json()["rule"] == "already_registered"
    r = post(client, cast.producer, f"01/{g}/21/X1", "register", {"lot": "NOPE"})
    assert r.status_code == 409 and "01/" in r.json()["detail"]
    assert client.get(f"/v1/goods/01/{g}/21/X1").status_code == 404


def test_unknown_goods_are_404(client):
    r = client.get(f"/v1/goods/01/{gtin(24)}/21/S")
    assert r.status_code == 404 and "No item is registered" in r.json()["detail"]
    assert client.get("/v1/goods/01/123").status_code == 422


def test_goods_bodies_are_typed_and_refused_as_post_v1_events_refuses_them(client, cast):
    schemas = ok(client.get("/openapi.json"), 200)["components"]["schemas"]
    assert schemas["ProductIn"]["properties"]["data"] == {"$ref": "#/components/schemas/RegisterProduct"}
    assert schemas["BatchIn"]["properties"]["data"] == {"$ref": "#/components/schemas/RegisterBatch"}
    g = gtin(25)
    for route, body, key, data in [
        ("/v1/goods/products", {"gtin": g}, f"01/{g}", {**PRODUCT, "category": "weapons"}),
        ("/v1/goods/products", {"gtin": g}, f"01/{g}", {**PRODUCT, "colour": "red"}),
        ("/v1/goods/batches", {"gtin": g, "lot": "L1"}, f"01/{g}/10/L1",
         {**BATCH, "origin": {"region": "32070", "place": "x"}}),
    ]:
        r = client.post(route, headers=cast.producer.headers, json={"id": new_id(), **body, "data": data})
        same = post(client, cast.producer, key, "register", data)
        assert r.status_code == same.status_code == 422, r.text
        assert r.json() == same.json(), "the same sentence and field as POST /v1/events"
        assert r.json()["field"].startswith("data.")
    assert "expected GB/T 2260 region code, 6 digits, got '32070'" in r.json()["detail"]
    assert client.get(f"/v1/chains/01/{g}").json()["entries"] == []
    # What the client left out stays out of the statement it would sign: no defaults filled in.
    done = ok(client.post("/v1/goods/products", headers=cast.producer.headers,
                          json={"id": new_id(), "gtin": g, "data": PRODUCT}))
    assert done["statement"]["data"] == PRODUCT
    made = ok(client.post("/v1/goods/batches", headers=cast.producer.headers,
                          json={"id": new_id(), "gtin": g, "lot": "L1", "data": BATCH}))
    assert made["statement"]["data"] == BATCH
