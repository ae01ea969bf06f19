"""HTTP: capturing events (with an API key), reading entries, chains, receipts and consistency proofs."""

from __future__ import annotations

import base64
import json

import pytest

from suyuan.ledger.verify import proofs
from suyuan.ledger.verify.note import Verifier, key_id
from suyuan.ledger.verify.receipt import verify_receipt
from tests.api.world import PRODUCT
from tests.ledger.helpers import gtin, item_key, statement


def post(client, who, st, **params):
    return client.post("/v1/events", json={"statement": st}, params=params, headers=who.headers)


@pytest.fixture
def producer(client, cast):
    """The producer of item_key(), registered with its product (log indices 0 and 1)."""
    for key, data in ((f"01/{gtin(1)}", PRODUCT), (item_key(), {})):
        r = client.post("/v1/events", json={"statement": statement(key, "register", **data)},
                        headers=cast.producer.headers)
        assert r.status_code == 201, r.text
    return cast.producer


def inspection(**data):
    return statement(kind="inspect", result="pass", **data)


def test_append_returns_201_then_retry_200_then_conflict_409(client, producer):
    st = inspection()
    first = post(client, producer, st)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["seq"] == 1 and body["log_index"] is None
    assert body["entry"]["statement"] == {**st, "actor": producer.id}
    raw = base64.b64decode(body["canonical"])
    assert proofs.leaf_hash(raw).hex() == body["hash"]
    again = post(client, producer, st)
    assert again.status_code == 200 and again.json()["hash"] == body["hash"]
    clash = post(client, producer, {**st, "data": {"result": "fail"}})
    assert clash.status_code == 409 and "different statement" in clash.json()["detail"]


def test_writes_need_an_api_key(client, producer):
    r = client.post("/v1/events", json={"statement": inspection()})
    assert r.status_code == 401 and "Authorization" in r.json()["detail"]
    assert r.headers["www-authenticate"] == "Bearer"
    r = client.post("/v1/events", json={"statement": inspection()}, headers={"Authorization": "Bearer sy_nope"})
    assert r.status_code == 401 and "Invalid API key" in r.json()["detail"]
    assert len(client.get(f"/v1/chains/{item_key()}").json()["entries"]) == 1


def test_wait_answers_with_a_checkpointed_log_index(client, ledger, producer):
    ledger.integrate()
    r = post(client, producer, inspection(), wait="true")
    assert r.status_code == 201 and r.json()["log_index"] == 2
    assert client.get("/log/checkpoint").text.split("\n")[1] == "3"


def test_entry_chain_and_receipt(client, ledger, producer):
    hashes = [post(client, producer, inspection(note=f"visit {k}")).json()["hash"] for k in (1, 2, 3)]
    ledger.integrate()
    got = client.get(f"/v1/events/{hashes[1]}").json()
    assert got["seq"] == 2 and got["log_index"] == 3
    chain = client.get(f"/v1/chains/{item_key()}").json()["entries"][1:]
    assert [e["hash"] for e in chain] == hashes
    assert [e["entry"]["prev"] for e in chain][1:] == hashes[:2]
    receipt = client.get(f"/v1/events/{hashes[2]}/receipt")
    assert receipt.status_code == 200 and receipt.text.startswith("c2sp.org/tlog-proof@v1\n")
    vkey = client.get("/log/key").text.strip()
    raw = base64.b64decode(chain[2]["canonical"])
    assert verify_receipt(receipt.text, vkey, raw).size == 5


def test_consistency_between_checkpoints(client, ledger, producer):
    post(client, producer, inspection())
    s1 = ledger.integrate().size
    for _ in range(5):
        post(client, producer, inspection())
    s2 = ledger.integrate().size
    body = client.get("/v1/log/consistency", params={"first": s1, "second": s2}).json()
    proofs.verify_consistency(s1, s2, [base64.b64decode(p) for p in body["proof"]],
                              base64.b64decode(body["first_root"]), base64.b64decode(body["second_root"]))
    assert client.get("/v1/log/consistency", params={"first": 2, "second": s2}).status_code == 404
    assert client.get("/v1/log/consistency", params={"first": s2, "second": s1}).status_code == 422


def test_log_http_surface(client, ledger):
    # The log's surface, not capture: entries go straight into the ledger.
    ledger.append_many([(statement(item_key(1, f"S{i}")), None) for i in range(300)])
    ledger.integrate()
    cp = client.get("/log/checkpoint")
    assert cp.headers["content-type"] == "text/plain; charset=utf-8"
    assert "max-age" in cp.headers["cache-control"]
    origin, size, _root = cp.text.split("\n")[:3]
    assert (origin, size) == ("test.suyuan.example/log", "300")
    vkey = client.get("/log/key").text.strip()
    verifier = Verifier.from_key(vkey)
    assert verifier.name == "test.suyuan.example/log"
    assert verifier.key_id == key_id(verifier.name, verifier.public_key)
    full = client.get("/log/tile/0/000")
    assert len(full.content) == 256 * 32 and "immutable" in full.headers["cache-control"]
    assert len(client.get("/log/tile/0/001.p/44").content) == 44 * 32
    assert len(client.get("/log/tile/1/000.p/1").content) == 32
    entries = client.get("/log/tile/entries/001.p/44").content
    first_len = int.from_bytes(entries[:2], "big")
    assert json.loads(entries[2 : 2 + first_len])["statement"]["key"] == item_key(1, "S256")


@pytest.mark.parametrize("path, status, words", [
    ("/log/tile/0/1", 422, "Invalid tile path"),
    ("/log/tile/0/000.p/0", 422, "Invalid tile path"),
    ("/log/tile/0/000.p/256", 422, "Invalid tile path"),
    ("/log/tile/0/x001/000", 404, "does not exist"),
    ("/log/tile/0/001.p/45", 404, "does not exist"),
    ("/log/tile/entries/001", 404, "does not exist"),
    ("/log/tile/0/..%2F..%2Fetc%2Fpasswd", 422, "Invalid tile path"),
    ("/log/tile/entries/x", 422, "Invalid tile path"),
    ("/v1/events/" + "ab" * 32, 404, "No entry has hash"),
    ("/v1/events/xyz", 422, "64 lower-case hex"),
    ("/v1/events/" + "ab" * 32 + "/receipt", 404, "No entry has hash"),
    ("/v1/chains/01/06901234567893", 422, "check digit"),
    ("/v1/log/consistency?first=0&second=3", 422, "first"),
    ("/v1/log/consistency?first=1&second=99", 404, "never had a checkpoint"),
])
def test_bad_reads_are_4xx_with_a_sentence(client, ledger, path, status, words):
    ledger.append_many([(statement(item_key(1, f"S{i}")), None) for i in range(300)])
    ledger.integrate()
    r = client.get(path)
    assert r.status_code == status, r.text
    assert words in r.json()["detail"]
