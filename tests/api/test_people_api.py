"""Privacy vault through HTTP: people named by commitment, reads for the order's parties, erasure."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import select

from suyuan.ledger.audit import audit
from suyuan.ledger.models import Entry
from suyuan.trace.parties.registry import create_party
from tests.api.conftest import Who
from tests.api.world import DISPATCH, Story, at, ok, post, sscc

BUYER = {"kind": "recipient", "name": "张三丰", "phone": "+86 139-1234-5678", "address": "上海市徐汇区漕溪北路 88 号 3 楼"}
SECRETS = ["张三丰", "13912345678", "139-1234-5678", "漕溪北路", "上海市徐汇区"]
SALE = {"price": "88.00", "order": "c1:" + "ab" * 16}
DELIVERY = {"signed_by": "recipient", "region": "310104"}


@pytest.fixture
def story(client, cast):
    return Story(client, cast)


@pytest.fixture
def merchant2(ledger) -> Who:
    party, key = create_party(ledger.engine, name="另一家商户有限公司", roles=["merchant"])
    return Who(party.id, key)


def store(client, who, person=BUYER):  # noqa: ANN001, ANN201
    return ok(client.post("/v1/people", headers=who.headers, json=person))


def read(client, who, ident, **params):  # noqa: ANN001, ANN201
    return client.get(f"/v1/people/{ident}", headers=who.headers if who else {}, params=params)


def refused(response, status: int, *words: str, field: str | None = None):  # noqa: ANN001, ANN201
    assert response.status_code == status, response.text
    body = response.json()
    for word in words:
        assert word in body["detail"], body
    if field is not None:
        assert body["field"] == field, body
    return body


def chain_length(client, key: str) -> int:  # noqa: ANN001
    return len(ok(client.get(f"/v1/chains/{key}"), 200)["entries"])


def test_sale_and_delivery_carry_only_the_commitment_and_erasure_keeps_the_audit(
        client, cast, story, merchant2, ledger, settings):
    key = story.listed("P1")
    buyer = store(client, cast.merchant)
    assert set(buyer) == {"id", "kind", "commitment"} and buyer["commitment"].startswith("hmac-sha256:")
    ok(post(client, cast.merchant, key, "sell", {**SALE, "courier": cast.courier.id, "buyer": buyer["commitment"]}))
    ok(post(client, cast.courier, key, "dispatch", {**DISPATCH, "recipient": buyer["commitment"]}, time=at(-600)))
    ok(post(client, cast.courier, key, "deliver", {**DELIVERY, "recipient": buyer["commitment"]}))

    # The seller, the courier and an inspector read it, each read logged; by id or by commitment.
    for who, ident in ((cast.merchant, buyer["id"]), (cast.courier, buyer["commitment"]),
                       (cast.inspector, buyer["id"])):
        r = read(client, who, ident, purpose="print the shipping label")
        body = ok(r, 200)
        assert r.headers["cache-control"] == "no-store"
        assert (body["name"], body["phone"], body["address"]) == ("张三丰", "13912345678", BUYER["address"])
        assert set(body["parties"]) == {cast.merchant.id, cast.courier.id}
    # Anyone else: not a party of this order.
    for who in (merchant2, cast.platform, cast.courier2, cast.producer, cast.admin):
        refused(read(client, who, buyer["id"]), 403, "may not read", "party of this person's orders")
    refused(read(client, None, buyer["id"]), 401)

    log = ok(client.get(f"/v1/people/{buyer['id']}/reads", headers=cast.inspector.headers), 200)
    assert [(e["reader"], e["action"]) for e in log["log"]] == [
        (cast.merchant.id, "read"), (cast.courier.id, "read"), (cast.inspector.id, "read")]
    assert {e["purpose"] for e in log["log"]} == {"print the shipping label"}
    assert [(p["party"], p["reason"]) for p in log["parties"]] == [
        (cast.merchant.id, "creator"), (cast.merchant.id, "sell"), (cast.courier.id, "courier"),
        (cast.courier.id, "dispatch"), (cast.courier.id, "deliver")]
    refused(client.get(f"/v1/people/{buyer['id']}/reads", headers=cast.merchant.headers), 403)

    # Erasure: admins and inspectors only, idempotent; afterwards nobody reads it back.
    refused(client.delete(f"/v1/people/{buyer['id']}", headers=cast.merchant.headers), 403, "erase")
    first = ok(client.delete(f"/v1/people/{buyer['id']}", headers=cast.admin.headers), 200)
    again = ok(client.delete(f"/v1/people/{buyer['commitment']}", headers=cast.inspector.headers), 200)
    assert first["erased"] == again["erased"] and first["id"] == buyer["id"]
    for who, ident in ((cast.inspector, buyer["id"]), (cast.merchant, buyer["commitment"]),
                       (cast.courier, buyer["id"])):
        refused(read(client, who, ident), 410, "was erased")
    log = ok(client.get(f"/v1/people/{buyer['id']}/reads", headers=cast.inspector.headers), 200)
    assert log["erased"] is not None
    assert [(e["reader"], e["action"]) for e in log["log"]][-1] == (cast.admin.id, "erase")
    assert len(log["log"]) == 4  # refused reads opened nothing and logged nothing

    # The erased person can no longer be named in a new event.
    other = story.listed("P2")
    refused(post(client, cast.merchant, other, "sell", {**SALE, "buyer": buyer["commitment"]}),
            409, "was erased", field="data.buyer")

    # The ledger still verifies, in the library and through `suyuan audit`...
    ledger.integrate()
    report = audit(ledger.engine, ledger.verifier_key, settings.log_origin)
    assert report.entries == report.tree_size > 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUYUAN_")} | {
        "SUYUAN_DATA_DIR": str(settings.data_dir), "SUYUAN_DATABASE_URL": settings.database_url,
        "SUYUAN_LOG_ORIGIN": settings.log_origin, "SUYUAN_LOG_KEY": settings.log_key}
    cli = subprocess.run([sys.executable, "-m", "suyuan.cli", "audit"], env=env, capture_output=True, text=True,
                         timeout=120)
    assert cli.returncode == 0 and cli.stdout.startswith(f"audit ok: {report.entries} entries"), cli.stderr
    # ...and no entry ever held the person: only the commitment.
    with ledger.engine.connect() as conn:
        entries = [bytes(b) for b in conn.execute(select(Entry.canonical)).scalars()]
    text = "\n".join(b.decode() for b in entries)
    for secret in SECRETS:
        assert secret not in text
    assert buyer["id"] not in text
    assert sum(buyer["commitment"] in b.decode() for b in entries) == 3  # sell, dispatch, deliver


def test_the_courier_of_a_parcel_may_name_the_buyer_of_the_items_it_carries(client, cast, story):
    key = story.listed("Q1")
    buyer = store(client, cast.merchant)
    ok(post(client, cast.merchant, key, "sell", {**SALE, "buyer": buyer["commitment"]}))
    # No courier named at the sale: courier2 cannot read the buyer yet.
    refused(read(client, cast.courier2, buyer["id"]), 403)
    parcel = f"00/{sscc(21)}"
    ok(post(client, cast.merchant, parcel, "pack", {"items": [key], "courier": cast.courier2.id}))
    ok(post(client, cast.courier2, parcel, "dispatch", {**DISPATCH, "recipient": buyer["commitment"]},
            time=at(-600)))
    assert ok(read(client, cast.courier2, buyer["id"]), 200)["name"] == "张三丰"
    # A courier that carries none of this person's goods may not name them.
    mine = story.sold("Q2")
    refused(post(client, cast.courier, mine, "dispatch", {**DISPATCH, "recipient": buyer["commitment"]}),
            403, "Not your customer", field="data.recipient")
    assert chain_length(client, mine) == 3  # register, list, sell: the dispatch wrote nothing
    refused(read(client, cast.courier, buyer["id"]), 403)


def test_a_seller_cannot_name_another_sellers_buyer_to_read_them(client, cast, story):
    buyer = store(client, cast.merchant)  # its commitment is public once in a ledger entry
    key = story.item("R1", seller="platform")
    ok(post(client, cast.platform, key, "list", {"price": "9.90"}))
    before = chain_length(client, key)
    refused(post(client, cast.platform, key, "sell", {**SALE, "buyer": buyer["commitment"]}),
            403, "Not your customer", field="data.buyer")
    assert chain_length(client, key) == before
    refused(read(client, cast.platform, buyer["id"]), 403)
    # Rules of the event come first: a wrong seller is told so, not about the buyer.
    mine = story.listed("R2")
    refused(post(client, cast.platform, mine, "sell", {**SALE, "buyer": buyer["commitment"]}), 403,
            "Not your goods")


@pytest.mark.parametrize("body, status, field, words", [
    ({"name": "王五"}, 422, "kind", "Missing field"),
    ({"kind": "buyer", "name": "王五"}, 422, "kind", "Invalid kind"),
    ({"kind": "consumer"}, 422, None, "at least one"),
    ({"kind": "recipient", "name": "王五", "phone": "13800138000"}, 422, "address", "missing"),
    ({"kind": "consumer", "phone": "12345"}, 422, "phone", "not a phone number"),
    ({"kind": "consumer", "name": 12}, 422, "name", "valid string"),
    ({"kind": "consumer", "name": "王五", "id_card": "110101199003074514"}, 422, "id_card", "Unknown field"),
    ({"kind": "consumer", "name": "王" * 101}, 422, "name", "at most 100"),
    ({"kind": "consumer", "address": "a\x00b"}, 422, "address", "control character"),
    ({"kind": "consumer", "name": "   "}, 422, "name", "empty"),
])
def test_bad_person_fields_name_the_field_and_never_echo_the_value(client, cast, body, status, field, words):
    r = client.post("/v1/people", headers=cast.merchant.headers, json=body)
    out = refused(r, status, words, field=field)
    for value in body.values():
        if isinstance(value, str) and value not in ("buyer", "consumer", "recipient"):
            assert value not in out["detail"]


def test_people_bad_requests(client, cast, story):
    refused(client.post("/v1/people", json=BUYER), 401)
    refused(client.post("/v1/people", headers=cast.producer.headers, json=BUYER), 403, "merchant or platform")
    refused(client.post("/v1/people", headers=cast.inspector.headers, json=BUYER), 403)
    refused(read(client, cast.inspector, "not-a-person"), 422, "UUID", field="person_id")
    refused(read(client, cast.inspector, str(uuid.uuid4())), 404, "No person")
    refused(read(client, cast.inspector, "hmac-sha256:" + "0" * 64), 404, "No person")
    refused(client.delete(f"/v1/people/{uuid.uuid4()}", headers=cast.admin.headers), 404)
    refused(client.get(f"/v1/people/{uuid.uuid4()}/reads", headers=cast.inspector.headers), 404)
    buyer = store(client, cast.merchant)
    refused(read(client, cast.merchant, buyer["id"], purpose="x" * 201), 422, field="purpose")
    refused(read(client, cast.merchant, buyer["id"], purpose="  "), 422, field="purpose")
    consumer = store(client, cast.merchant, {"kind": "consumer", "phone": "010-12345678"})

    key = story.listed("B1")
    for value, words in (("13800138000", "hmac-sha256"), ("hmac-sha256:" + "1" * 64, "POST /v1/people")):
        refused(post(client, cast.merchant, key, "sell", {**SALE, "buyer": value}), 422, words, field="data.buyer")
    ok(post(client, cast.merchant, key, "sell", {**SALE, "courier": cast.courier.id, "buyer": consumer["commitment"]}))
    # A consumer record (no address) cannot be a parcel's recipient.
    refused(post(client, cast.courier, key, "dispatch", {**DISPATCH, "recipient": consumer["commitment"]}),
            422, "expected a recipient", field="data.recipient")
    # The consumer's own data: the seller may read it, the courier it named too.
    assert ok(read(client, cast.courier, consumer["id"]), 200)["phone"] == "010-12345678"
