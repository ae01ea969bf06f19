"""HTTP: the goods endpoints are safe to retry, and usable by parties that sign their statements.

Issue 8 item 8: `POST /v1/goods/items:serialise` made new random serials on
every retry, and a party with a registered Ed25519 key could not use the
goods endpoints at all (the server built unsigned statements for it).
Signatures here are made the way a client makes them: Ed25519 from
`cryptography` over RFC 8785 bytes from `rfc8785`, not with suyuan's helpers.
"""

from __future__ import annotations

import base64
import json
import time
import uuid

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.api.world import BATCH, PRODUCT, at, gtin, ok

SERIALISE, STATEMENTS = "/v1/goods/items:serialise", "/v1/goods/items:statements"


def new_id() -> str:
    return str(uuid.uuid4())


def sign(key: Ed25519PrivateKey, statement: dict) -> str:
    return base64.b64encode(key.sign(rfc8785.dumps(statement))).decode()


def with_key(client, who) -> Ed25519PrivateKey:  # noqa: ANN001
    """Register a fresh Ed25519 key for `who`: from now on every statement of theirs must be signed."""
    key = Ed25519PrivateKey.generate()
    public = base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
    r = client.post(f"/v1/parties/{who.id}/keys", headers=who.headers, json={"public_key": public})
    assert r.status_code == 204, r.text
    return key


def batch_items(client, batch: str) -> list[str]:  # noqa: ANN001
    return ok(client.get(f"/v1/goods/{batch}"), 200)["items"]


def refused(response, status: int, words: str) -> dict:  # noqa: ANN001
    assert response.status_code == status, response.text
    body = response.json()
    assert words in body["detail"], body
    return body


def product_and_batch(client, cast, n: int, lot: str = "L1") -> str:  # noqa: ANN001
    g = gtin(n)
    ok(client.post("/v1/goods/products", headers=cast.producer.headers,
                   json={"id": new_id(), "gtin": g, "data": PRODUCT}))
    ok(client.post("/v1/goods/batches", headers=cast.producer.headers,
                   json={"id": new_id(), "gtin": g, "lot": lot, "data": BATCH}))
    return g


def test_a_retried_serialisation_answers_the_original_keys_and_creates_nothing(client, cast):
    g = product_and_batch(client, cast, 301)
    body = {"id": new_id(), "gtin": g, "lot": "L1", "count": 5, "seller": cast.merchant.id, "prefix": "QA"}
    first = ok(client.post(SERIALISE, headers=cast.producer.headers, json=body))
    assert first["created"] is True and len(set(first["keys"])) == 5
    time.sleep(1.1)  # the retry comes a second later: the server must not stamp a new time
    again = ok(client.post(SERIALISE, headers=cast.producer.headers, json=body), 200)
    assert again == {"keys": first["keys"], "created": False}
    assert sorted(batch_items(client, f"01/{g}/10/L1")) == sorted(first["keys"])
    assert all(len(client.get(f"/v1/chains/{k}").json()["entries"]) == 1 for k in first["keys"])
    # Another id is another request: five more items with other serials.
    other = ok(client.post(SERIALISE, headers=cast.producer.headers, json=body | {"id": new_id()}))
    assert not set(other["keys"]) & set(first["keys"])
    assert len(batch_items(client, f"01/{g}/10/L1")) == 10


def test_the_same_id_with_another_serialisation_is_409_and_writes_nothing(client, cast):
    g = product_and_batch(client, cast, 302)
    ok(client.post("/v1/goods/batches", headers=cast.producer.headers,
                   json={"id": new_id(), "gtin": g, "lot": "L2", "data": BATCH}))
    body = {"id": new_id(), "gtin": g, "lot": "L1", "count": 3}
    keys = ok(client.post(SERIALISE, headers=cast.producer.headers, json=body))["keys"]
    for change in ({"count": 2}, {"count": 4}, {"seller": cast.merchant.id}, {"prefix": "Z"},
                   {"lot": "L2"}, {"time": at(-5)}):
        r = client.post(SERIALISE, headers=cast.producer.headers, json=body | change)
        refused(r, 409, "already used for a different")
    assert sorted(batch_items(client, f"01/{g}/10/L1")) == sorted(keys)
    assert batch_items(client, f"01/{g}/10/L2") == []
    # An id recorded for a product registration cannot serialise either.
    product_id = new_id()
    ok(client.post("/v1/goods/products", headers=cast.producer.headers,
                   json={"id": product_id, "gtin": gtin(303), "data": PRODUCT}))
    refused(client.post(SERIALISE, headers=cast.producer.headers, json=body | {"id": product_id, "count": 1}),
            409, "already used for a different")
    assert sorted(batch_items(client, f"01/{g}/10/L1")) == sorted(keys)


def test_retried_product_and_batch_registrations_answer_the_original(client, cast):
    g, pid, bid = gtin(304), new_id(), new_id()
    product = {"id": pid, "gtin": g, "data": PRODUCT}
    batch = {"id": bid, "gtin": g, "lot": "L1", "data": BATCH}
    first = ok(client.post("/v1/goods/products", headers=cast.producer.headers, json=product))
    made = ok(client.post("/v1/goods/batches", headers=cast.producer.headers, json=batch))
    assert first["created"] and first["statement"]["id"] == pid and first["statement"]["actor"] == cast.producer.id
    time.sleep(1.1)
    again = ok(client.post("/v1/goods/products", headers=cast.producer.headers, json=product), 200)
    assert again == first | {"created": False}
    assert ok(client.post("/v1/goods/batches", headers=cast.producer.headers, json=batch), 200)["hash"] == made["hash"]
    refused(client.post("/v1/goods/products", headers=cast.producer.headers,
                        json=product | {"data": PRODUCT | {"name": "另一个名字"}}), 409, "already used for a different")
    refused(client.post("/v1/goods/batches", headers=cast.producer.headers, json=batch | {"lot": "L9"}),
            409, "already used for a different")
    assert len(client.get(f"/v1/chains/01/{g}").json()["entries"]) == 1
    assert client.get(f"/v1/goods/01/{g}/10/L9").status_code == 404
    # A new id for the same product is a new request, refused by the rules.
    r = client.post("/v1/goods/products", headers=cast.producer.headers, json=product | {"id": new_id()})
    assert r.status_code == 409 and r.json()["rule"] == "already_registered"
    refused(client.post("/v1/goods/products", headers=cast.producer.headers,
                        json=product | {"id": pid.upper()}), 422, "expected a lower-case UUID")
    refused(client.post("/v1/goods/products", headers=cast.producer.headers,
                        json={"gtin": g, "data": PRODUCT}), 422, "id")


def test_a_signing_producer_registers_products_and_batches_with_sig(client, cast):
    key = with_key(client, cast.producer)
    g = gtin(305)
    # Unsigned requests are refused, as for POST /v1/events.
    r = client.post("/v1/goods/products", headers=cast.producer.headers,
                    json={"id": new_id(), "gtin": g, "data": PRODUCT})
    assert refused(r, 401, "must be signed")["field"] == "sig"
    # The statement the server builds: documented, so the client builds and signs the same one.
    pid, when = new_id(), at(-1)
    statement = {"key": f"01/{g}", "type": "register", "time": when, "actor": cast.producer.id,
                 "data": PRODUCT, "id": pid}
    product = {"id": pid, "gtin": g, "data": PRODUCT, "time": when, "sig": sign(key, statement)}
    r = client.post("/v1/goods/products", headers=cast.producer.headers, json=product | {"time": None})
    assert refused(r, 422, "Missing time")["field"] == "time"
    forged = product | {"sig": sign(Ed25519PrivateKey.generate(), statement)}
    refused(client.post("/v1/goods/products", headers=cast.producer.headers, json=forged), 401, "Invalid sig")
    done = ok(client.post("/v1/goods/products", headers=cast.producer.headers, json=product))
    assert done["statement"] == statement
    assert ok(client.post("/v1/goods/products", headers=cast.producer.headers, json=product), 200)["created"] is False
    [entry] = client.get(f"/v1/chains/01/{g}").json()["entries"]
    key.public_key().verify(base64.b64decode(entry["entry"]["sig"]), rfc8785.dumps(entry["entry"]["statement"]))

    bid = new_id()
    bst = {"key": f"01/{g}/10/L1", "type": "register", "time": when, "actor": cast.producer.id, "data": BATCH,
           "id": bid}
    ok(client.post("/v1/goods/batches", headers=cast.producer.headers,
                   json={"id": bid, "gtin": g, "lot": "L1", "data": BATCH, "time": when, "sig": sign(key, bst)}))
    assert ok(client.get(f"/v1/goods/01/{g}/10/L1"), 200)["owner"] == cast.producer.id


def test_a_signing_producer_serialises_by_signing_the_statements_the_server_proposes(client, cast):
    key = with_key(client, cast.producer)
    g, when = gtin(306), at(-1)
    for path, kind_key, data in ((f"01/{g}", {}, PRODUCT), (f"01/{g}/10/L1", {"lot": "L1"}, BATCH)):
        ident = new_id()
        st = {"key": path, "type": "register", "time": when, "actor": cast.producer.id, "data": data, "id": ident}
        route = "/v1/goods/batches" if kind_key else "/v1/goods/products"
        ok(client.post(route, headers=cast.producer.headers,
                       json={"id": ident, "gtin": g, **kind_key, "data": data, "time": when, "sig": sign(key, st)}))
    # 800 signatures are more than the default 64 KiB body: the serialise path takes batch-sized bodies.
    request = {"id": new_id(), "gtin": g, "lot": "L1", "count": 800, "seller": cast.merchant.id, "prefix": "S"}
    r = client.post(SERIALISE, headers=cast.producer.headers, json=request)
    assert refused(r, 401, "must be signed")["field"] == "sigs"
    plan = ok(client.post(STATEMENTS, headers=cast.producer.headers, json=request), 200)
    assert batch_items(client, f"01/{g}/10/L1") == []  # asking for the statements writes nothing
    statements = plan["statements"]
    assert [st["key"] for st in statements] == plan["keys"] and len(set(plan["keys"])) == 800
    first = statements[0]
    assert first["id"] == request["id"] and first["actor"] == cast.producer.id
    assert first["data"] == {"seller": cast.merchant.id} and first["type"] == "register"
    assert statements[1]["id"] == str(uuid.uuid5(uuid.UUID(request["id"]), "1"))
    # The same request asks for the same statements: the server keeps no state between the calls.
    assert ok(client.post(STATEMENTS, headers=cast.producer.headers, json=request | {"time": first["time"]}),
              200) == plan
    sigs = [sign(key, st) for st in statements]
    signed = request | {"time": first["time"], "sigs": sigs}
    assert len(json.dumps(signed)) > 65536
    refused(client.post(SERIALISE, headers=cast.producer.headers, json=signed | {"sigs": sigs[:-1]}),
            422, "expected one signature per item (800), got 799")
    bad = signed | {"sigs": sigs[:5] + [sign(Ed25519PrivateKey.generate(), statements[5])] + sigs[6:]}
    refused(client.post(SERIALISE, headers=cast.producer.headers, json=bad), 401, "Invalid sig")
    assert batch_items(client, f"01/{g}/10/L1") == []
    done = ok(client.post(SERIALISE, headers=cast.producer.headers, json=signed))
    assert done == {"keys": plan["keys"], "created": True}
    assert ok(client.post(SERIALISE, headers=cast.producer.headers, json=signed), 200)["keys"] == plan["keys"]
    assert sorted(batch_items(client, f"01/{g}/10/L1")) == sorted(plan["keys"])
    entry = client.get(f"/v1/chains/{plan['keys'][799]}").json()["entries"][0]["entry"]
    assert entry["statement"] == statements[799]
    Ed25519PublicKey.from_public_bytes(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).verify(
        base64.b64decode(entry["sig"]), rfc8785.dumps(entry["statement"]))
