"""HTTP: a party with an Ed25519 key must sign; rotation keeps old entries verifiable."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from suyuan.trace.parties.keys import sign_statement, verify_statement
from tests.api.world import PRODUCT, gtin, ok, statement


def public_b64(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def send(client, who, st, sig=None):
    body = {"statement": st} | ({"sig": sig} if sig is not None else {})
    return client.post("/v1/events", json=body, headers=who.headers)


def test_signed_statements(client, cast):
    old = Ed25519PrivateKey.generate()
    r = client.post(f"/v1/parties/{cast.producer.id}/keys", headers=cast.producer.headers,
                    json={"public_key": public_b64(old)})
    assert r.status_code == 204, r.text
    st = statement(f"01/{gtin(51)}", "register", PRODUCT, actor=cast.producer.id)

    r = send(client, cast.producer, st)
    assert r.status_code == 401 and r.json()["field"] == "sig" and "must be signed" in r.json()["detail"]
    forged = sign_statement(Ed25519PrivateKey.generate(), st)
    assert send(client, cast.producer, st, forged).status_code == 401
    r = send(client, cast.producer, st, "not base64!")
    assert r.status_code == 422 and "base64 of 64 bytes" in r.json()["detail"]
    r = send(client, cast.producer, {**st, "actor": None}, sign_statement(old, st))
    assert r.status_code == 422 and r.json()["field"] == "actor"
    assert client.get(f"/v1/chains/01/{gtin(51)}").json()["entries"] == []

    first = ok(send(client, cast.producer, st, sign_statement(old, st)))
    assert first["entry"]["sig"] == sign_statement(old, st)
    replay = {**st, "data": {**PRODUCT, "name": "换了名字"}}  # an old signature on a new statement
    assert send(client, cast.producer, replay, sign_statement(old, st)).status_code == 401

    new = Ed25519PrivateKey.generate()
    r = client.post(f"/v1/parties/{cast.producer.id}/keys", headers=cast.producer.headers,
                    json={"public_key": public_b64(new), "revoke_others": True})
    assert r.status_code == 204
    inspect = statement(f"01/{gtin(51)}", "inspect", {"result": "pass"}, actor=cast.producer.id)
    assert send(client, cast.producer, inspect, sign_statement(old, inspect)).status_code == 401
    ok(send(client, cast.producer, inspect, sign_statement(new, inspect)))
    # The rotated-out key still verifies what it signed.
    stored = json.loads(base64.b64decode(first["canonical"]))
    assert verify_statement(public_b64(old), stored["statement"], stored["sig"])
    listed = client.get(f"/v1/parties/{cast.producer.id}/keys").json()
    assert [k["public_key"] for k in listed] == [public_b64(old), public_b64(new)]
    assert listed[0]["revoked"] is not None and listed[1]["revoked"] is None


def test_unsigned_party_may_not_send_a_sig(client, cast):
    st = statement(f"01/{gtin(52)}", "register", PRODUCT, actor=cast.producer.id)
    r = send(client, cast.producer, st, sign_statement(Ed25519PrivateKey.generate(), st))
    assert r.status_code == 422 and "no registered public key" in r.json()["detail"]


def test_bad_public_keys(client, cast):
    r = client.post(f"/v1/parties/{cast.producer.id}/keys", headers=cast.producer.headers,
                    json={"public_key": "abc"})
    assert r.status_code == 422 and r.json()["field"] == "public_key"
    r = client.post(f"/v1/parties/{cast.producer.id}/keys", headers=cast.merchant.headers,
                    json={"public_key": public_b64(Ed25519PrivateKey.generate())})
    assert r.status_code == 403


@pytest.mark.parametrize("n", [12, 136])
def test_signed_atomic_batch(client, cast, n):
    """Each signature of an atomic batch is judged against its own statement; the first bad one refuses it."""
    key = Ed25519PrivateKey.generate()
    r = client.post(f"/v1/parties/{cast.producer.id}/keys", headers=cast.producer.headers,
                    json={"public_key": public_b64(key)})
    assert r.status_code == 204, r.text
    sts = [statement(f"01/{gtin(60 + i)}", "register", PRODUCT, actor=cast.producer.id) for i in range(n)]
    events = [{"statement": st, "sig": sign_statement(key, st)} for st in sts]
    swapped = [dict(e) for e in events]
    swapped[3]["sig"], swapped[n - 1]["sig"] = events[n - 1]["sig"], events[3]["sig"]  # valid, wrong statements
    r = client.post("/v1/events:batch", json={"events": swapped}, headers=cast.producer.headers)
    assert r.status_code == 401, r.text
    results = r.json()["results"]
    assert results[3]["status"] == 401 and results[3]["error"]["field"] == "sig"
    assert {x["status"] for i, x in enumerate(results) if i != 3} == {424}
    malformed = [dict(e) for e in events]
    malformed[5]["sig"] = "not base64!"
    r = client.post("/v1/events:batch", json={"events": malformed}, headers=cast.producer.headers)
    assert r.status_code == 422 and r.json()["results"][5]["error"]["field"] == "sig"
    r = client.post("/v1/events:batch", json={"events": events}, headers=cast.producer.headers)
    assert r.status_code == 200 and r.json()["written"] == n, r.text
