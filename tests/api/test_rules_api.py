"""HTTP: roles, ownership, every hard rule (4xx, nothing written) and every soft flag."""

from __future__ import annotations

import pytest

from tests.api.world import BATCH, DISPATCH, PRODUCT, Story, at, gtin, ok, post, sscc

SALE = {"price": "88.00", "order": "c1:" + "cd" * 16}
LISTING = {"price": "88.00"}


@pytest.fixture
def story(client, cast):
    return Story(client, cast)


def chain_len(client, key):
    return len(client.get(f"/v1/chains/{key}").json()["entries"])


def refused(response, status, words, rule=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert words in body["detail"] and body["detail"].endswith("."), body
    if rule:
        assert body["rule"] == rule
    return body


# --- roles ---------------------------------------------------------------------------


@pytest.mark.parametrize("role, kind, target, data", [
    ("courier", "list", "item", LISTING),
    ("merchant", "register", "product", PRODUCT),
    ("producer", "sell", "item", SALE),
    ("merchant", "dispatch", "item", DISPATCH),
    ("producer", "recall", "batch", {"reason": "test"}),
    ("merchant", "inspect", "batch", {"result": "pass"}),
    ("courier", "pack", "parcel", {"items": []}),
    ("inspector", "sell", "item", SALE),
    ("platform", "recall_lifted", "batch", {"reason": "test"}),
    ("admin", "register", "product", PRODUCT),
])
def test_wrong_role_is_403_and_nothing_written(client, cast, story, role, kind, target, data):
    key = {"item": story.item("R1"), "batch": story.batch, "product": f"01/{gtin(9)}",
           "parcel": f"00/{sscc(1)}"}[target]
    before = chain_len(client, key)
    refused(post(client, getattr(cast, role), key, kind, data), 403, "Role not allowed")
    assert chain_len(client, key) == before


def test_every_role_does_its_own_part(client, cast, story):
    key, token = story.delivered("OK1")
    ok(post(client, cast.merchant, key, "return", {"reason": "尺寸不合"}))
    ok(post(client, cast.inspector, story.batch, "inspect", {"result": "pass", "sampling": True}))
    ok(post(client, cast.producer, story.batch, "inspect", {"result": "pass"}))  # self-inspection
    ok(post(client, cast.inspector, story.batch, "recall", {"reason": "抽检不合格"}))
    ok(post(client, cast.inspector, story.batch, "recall_lifted", {"reason": "复检合格"}))
    ok(post(client, token, key, "review", {"rating": 4, "text": "新鲜"}))
    kinds = [e["entry"]["statement"]["type"] for e in client.get(f"/v1/chains/{key}").json()["entries"]]
    assert kinds == ["register", "list", "sell", "dispatch", "deliver", "return", "review"]


# --- ownership -------------------------------------------------------------------------


def test_acting_on_someone_elses_goods_is_403(client, cast, story):
    r = post(client, cast.producer2, f"{story.batch[:-1]}9", "register", BATCH)
    refused(r, 403, "Not your goods")
    item = story.item("O1", seller="platform")
    refused(post(client, cast.merchant, item, "list", LISTING), 403, "belongs to party " + cast.platform.id)
    refused(post(client, cast.producer2, story.batch, "inspect", {"result": "fail"}), 403, "own goods")
    sold = story.sold("O2")
    refused(post(client, cast.courier2, sold, "dispatch", DISPATCH), 403, "Not your goods")
    assert chain_len(client, sold) == 3


def test_actor_must_be_the_authenticated_party(client, cast, story):
    key = story.item("A1")
    r = post(client, cast.merchant, key, "list", LISTING, actor=cast.platform.id)
    refused(r, 403, f"expected {cast.merchant.id}")


# --- hard rules -------------------------------------------------------------------------


def test_selling_an_item_that_is_not_listed(client, cast, story):
    key = story.item("H1")
    refused(post(client, cast.merchant, key, "sell", SALE), 409, "expected listed", "not_listed")
    assert chain_len(client, key) == 1


def test_a_second_sale_of_one_serial(client, cast, story):
    key = story.sold("H2")
    refused(post(client, cast.merchant, key, "sell", SALE), 409, "already sold", "already_sold")
    refused(post(client, cast.merchant, key, "list", LISTING), 409, "expected registered", "already_sold")


def test_dispatching_an_item_not_sold(client, cast, story):
    key = story.listed("H3")
    ok(post(client, cast.producer, key, "assign", {"seller": cast.merchant.id}))
    r = post(client, cast.courier, key, "dispatch", DISPATCH)
    assert r.status_code == 403  # not even handed to a courier yet
    parcel = f"00/{sscc(3)}"
    ok(post(client, cast.merchant, parcel, "pack", {"items": [key], "courier": cast.courier.id}))
    refused(post(client, cast.courier, parcel, "dispatch", DISPATCH), 409, "expected sold", "not_sold")


def test_dispatching_an_empty_parcel(client, cast, story):
    key = story.sold("H4")
    parcel = f"00/{sscc(4)}"
    ok(post(client, cast.merchant, parcel, "pack", {"items": [key], "courier": cast.courier.id}))
    ok(post(client, cast.merchant, parcel, "unpack", {}))
    refused(post(client, cast.courier, parcel, "dispatch", DISPATCH), 409, "is empty", "empty_parcel")
    assert chain_len(client, parcel) == 2


def test_delivering_without_dispatch(client, cast, story):
    key = story.sold("H5")
    r = post(client, cast.courier, key, "deliver", {"signed_by": "locker", "region": "310104"})
    refused(r, 409, "expected dispatched", "not_dispatched")
    refused(post(client, cast.courier, key, "transit", {"hub": "上海转运中心", "region": "310000"}),
            409, "expected dispatched", "not_dispatched")


def test_recalled_batch_cannot_be_listed_sold_or_dispatched(client, cast, story):
    listed, sold, fresh = story.listed("C1"), story.sold("C2"), story.item("C3")
    ok(post(client, cast.inspector, story.batch, "recall", {"reason": "重金属超标"}))
    refused(post(client, cast.merchant, fresh, "list", LISTING), 409, "recalled", "batch_recalled")
    refused(post(client, cast.merchant, listed, "sell", SALE), 409, "recalled", "batch_recalled")
    refused(post(client, cast.courier, sold, "dispatch", DISPATCH), 409, "recalled", "batch_recalled")
    refused(post(client, cast.inspector, story.batch, "recall", {"reason": "x"}), 409, "already recalled")
    ok(post(client, cast.inspector, story.batch, "recall_lifted", {"reason": "复检合格"}))
    ok(post(client, cast.merchant, fresh, "list", LISTING))
    refused(post(client, cast.inspector, story.batch, "recall_lifted", {"reason": "x"}), 409, "not recalled")


def test_expired_batch_cannot_be_listed(client, cast, story):
    old = f"01/{story.gtin}/10/OLD"
    ok(post(client, cast.producer, old, "register", {**BATCH, "production_date": "2025-01-01",
                                                     "expiry_date": None, "shelf_life_days": 30}))
    key = f"{old}/21/E1"
    ok(post(client, cast.producer, key, "register", {"seller": cast.merchant.id}))
    refused(post(client, cast.merchant, key, "list", LISTING), 409, "expired on 2025-01-31", "batch_expired")


def test_review_needs_a_delivered_purchase(client, cast, story):
    key = story.dispatched("V1")
    refused(post(client, None, key, "review", {"rating": 5}), 401, "review token")
    refused(post(client, "rv_made-up", key, "review", {"rating": 5}), 409, "No delivered purchase", "no_delivery")
    other, token = story.delivered("V2")
    refused(post(client, token, key, "review", {"rating": 5}), 409, "No delivered purchase")
    refused(post(client, token, other, "complain", {"category": "quality", "text": "x"}, actor="consumer:x"),
            403, "Invalid actor")
    refused(post(client, token, other, "return", {}), 401, "a review token only reviews or complains")
    assert chain_len(client, key) == 4


def test_unknown_parties_named_in_payloads_are_refused(client, cast, story):
    key = story.item("P1")
    refused(post(client, cast.producer, key, "assign", {"seller": cast.courier.id}), 409, "merchant or platform")
    key = story.listed("P2")
    refused(post(client, cast.merchant, key, "sell", {**SALE, "courier": "nobody"}), 409, "courier party id")


# --- parcels and reviews -------------------------------------------------------------------


def test_parcel_journey_and_reviews(client, cast, story):
    a, b = story.sold("PA"), story.sold("PB")
    parcel = f"00/{sscc(7)}"
    ok(post(client, cast.merchant, parcel, "pack", {"items": [a, b], "courier": cast.courier.id}))
    refused(post(client, cast.courier, a, "dispatch", DISPATCH), 409, "dispatch the parcel", "item_packed")
    ok(post(client, cast.courier, parcel, "dispatch", {**DISPATCH, "weight_g": 2300}, time=at(-600)))
    refused(post(client, cast.courier, a, "transit", {"hub": "h", "region": "320700"}), 409, "on the parcel")
    ok(post(client, cast.courier, parcel, "transit", {"hub": "南京转运中心", "region": "320100"}, time=at(-300)))
    recipient = ok(client.post("/v1/people", headers=cast.courier.headers, json={
        "kind": "recipient", "name": "李四", "phone": "13800138000", "address": "上海市徐汇区某路 1 号"}))
    body = ok(post(client, cast.courier, parcel, "deliver", {"signed_by": "agent", "region": "310104",
                                                             "recipient": recipient["commitment"]}))
    assert set(body["review_tokens"]) == {a, b} and body["flags"] == []
    assert ok(client.get(f"/v1/goods/{a}"), 200)["state"] == "delivered"
    first = ok(post(client, body["review_tokens"][a], a, "review", {"rating": 5, "text": "很新鲜" * 10}))
    assert first["entry"]["statement"]["actor"].startswith("consumer:")
    refused(post(client, body["review_tokens"][a], a, "review", {"rating": 3, "text": "追评：冻得不够",
                                                                 "follow_up_to": first["hash"]}),
            409, "Follow-up too early", "follow_up_too_early")
    ok(post(client, body["review_tokens"][b], b, "complain", {"category": "damaged", "text": "包装破损"}))
    ok(post(client, cast.inspector, a, "hide_review", {"review": first["hash"], "reason": "含个人信息"}))
    r = post(client, cast.inspector, a, "hide_review", {"review": body["hash"], "reason": "x"})
    refused(r, 409, "expected the hash of a review", "not_a_review")
    refused(post(client, body["review_tokens"][a], a, "review", {"rating": 6}), 422, "data.rating")
    refused(post(client, body["review_tokens"][a], a, "review", {"rating": 1, "text": "x" * 2001}), 422, "data.text")


def test_packing_rules(client, cast, story):
    a = story.sold("K1")
    parcel = f"00/{sscc(8)}"
    refused(post(client, cast.producer2, parcel, "pack", {"items": [a]}), 403, "Not your goods")
    ok(post(client, cast.merchant, parcel, "pack", {"items": [a]}))
    refused(post(client, cast.merchant, f"00/{sscc(9)}", "pack", {"items": [a]}), 409, "already in parcel")
    refused(post(client, cast.merchant, parcel, "pack", {"items": [story.batch]}), 422, "expected an item key")
    refused(post(client, cast.merchant, parcel, "pack", {"items": []}), 422, "data.items")


def test_packing_an_item_in_the_wrong_state_has_its_own_code(client, cast, story):
    delivered, _ = story.delivered("K2")
    parcel = f"00/{sscc(12)}"
    r = post(client, cast.merchant, parcel, "pack", {"items": [story.sold("K3"), delivered]})
    body = refused(r, 409, "is delivered: expected registered, listed or sold to pack it", "item_not_packable")
    assert body["field"] == "data.items.1"  # the item, not the parcel, is in the wrong state
    assert client.get(f"/v1/goods/{parcel}").status_code == 404  # the parcel was not even opened
    assert chain_len(client, delivered) == 5


def test_unpacking_an_item_not_in_the_parcel_has_its_own_code(client, cast, story):
    inside, outside = story.sold("U1"), story.sold("U2")
    parcel = f"00/{sscc(13)}"
    ok(post(client, cast.merchant, parcel, "pack", {"items": [inside]}))
    body = refused(post(client, cast.merchant, parcel, "unpack", {"items": [inside, outside]}), 409,
                   f"Item {outside} is not in parcel {parcel}", "not_in_parcel")
    assert body["field"] == "data.items.1"
    assert ok(client.get(f"/v1/goods/{parcel}"), 200)["items"] == [inside]  # nothing was unpacked
    assert chain_len(client, parcel) == 1


def test_returning_an_undelivered_item_has_its_own_code(client, cast, story):
    key = story.dispatched("N1")
    refused(post(client, cast.merchant, key, "return", {"reason": "未收到"}), 409,
            "is dispatched: expected delivered before a return", "not_delivered")
    assert chain_len(client, key) == 4
    assert ok(client.get(f"/v1/goods/{key}"), 200)["state"] == "dispatched"


# --- soft flags ---------------------------------------------------------------------------


def flag_codes(body):
    return [f["code"] for f in body["flags"]]


def test_soft_flags_are_accepted_and_listed_for_inspectors(client, cast, story):
    key = story.item("F1")
    assert flag_codes(ok(post(client, cast.merchant, key, "list", LISTING))) == []
    body = ok(post(client, cast.merchant, key, "sell", {**SALE, "courier": cast.courier.id}, time=at(-60 * 24 * 60)))
    assert flag_codes(body) == ["time_stale", "out_of_order"]
    body = ok(post(client, cast.courier, key, "dispatch", {**DISPATCH, "weight_g": 10}, time=at(1)))
    assert flag_codes(body) == ["weight_below_contents"]
    body = ok(post(client, cast.courier, key, "transit", {"hub": "深圳转运中心", "region": "440300"}, time=at(2)))
    assert flag_codes(body) == ["serial_far_apart"]
    body = ok(post(client, cast.courier, key, "deliver", {"signed_by": "recipient", "region": "310104"},
                   time=at(3)))
    assert flag_codes(body) == ["delivery_too_fast", "serial_far_apart"]
    body = ok(post(client, cast.merchant, story.item("F2"), "list", LISTING, time=at(60 * 24)))
    assert flag_codes(body) == ["time_future"]

    refused(client.get("/v1/flags", headers=cast.producer.headers), 403, "expected inspector")
    assert client.get("/v1/flags").status_code == 401
    listed = ok(client.get("/v1/flags", headers=cast.inspector.headers), 200)
    assert [f["code"] for f in listed["flags"]] == [  # oldest first
        "time_stale", "out_of_order", "weight_below_contents", "serial_far_apart",
        "delivery_too_fast", "serial_far_apart", "time_future"]
    assert listed["next"] is None
    fast = ok(client.get("/v1/flags?code=delivery_too_fast", headers=cast.inspector.headers), 200)["flags"]
    assert len(fast) == 1 and fast[0]["key"] == key and "expected at least 60" in fast[0]["detail"]


def test_parcel_weight_below_its_contents_is_flagged(client, cast, story):
    a, b = story.sold("W1"), story.sold("W2")
    parcel = f"00/{sscc(11)}"
    ok(post(client, cast.merchant, parcel, "pack", {"items": [a, b], "courier": cast.courier.id}))
    body = ok(post(client, cast.courier, parcel, "dispatch", {**DISPATCH, "weight_g": 1500}))
    assert flag_codes(body) == ["weight_below_contents"] and "2000 g" in body["flags"][0]["detail"]


def test_every_role_is_refused_every_event_type_it_may_not_append(client, cast, story):
    """The whole role x event-type matrix: each forbidden pair is 403 and writes nothing."""
    from suyuan.trace.credit.chainkey import derived_gln
    from suyuan.trace.events.payloads import EVENT_TYPES, TOKEN_HOLDER
    from suyuan.trace.parties.registry import ROLES, create_party

    hotline, hotline_key = create_party(client.app.state.ledger.engine, name="12345 热线", roles=["hotline"])
    keys = {"item": story.item("M1"), "batch": story.batch, "product": story.product,
            "parcel": f"00/{sscc(2)}", "party": f"417/{derived_gln(cast.merchant.id)}"}
    who = {"producer": cast.producer, "merchant": cast.merchant, "platform": cast.platform,
           "courier": cast.courier, "inspector": cast.inspector, "admin": cast.admin, "hotline": hotline_key}
    checked = []
    for spec in EVENT_TYPES.values():
        key = keys[spec.keys[0]]
        for role in ROLES:
            if role in spec.roles:
                continue
            before = chain_len(client, key)
            r = post(client, who[role], key, spec.name, {})
            expected = 401 if spec.roles == (TOKEN_HOLDER,) else 403
            assert r.status_code == expected, (role, spec.name, r.text)
            assert chain_len(client, key) == before, (role, spec.name)
            checked.append((role, spec.name))
    assert len(checked) >= 60
