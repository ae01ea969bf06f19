"""HTTP: POST /v1/events:batch, atomic (all or nothing) or per_event, idempotent per statement id."""

from __future__ import annotations

from tests.api.world import PRODUCT, Story, gtin, ok, statement


def batch(client, who, statements, mode="atomic"):
    return client.post(f"/v1/events:batch?mode={mode}", headers=who.headers,
                       json={"events": [{"statement": st} for st in statements]})


def registrations(story, n, start=0):
    return [statement(f"{story.batch}/21/S{i}", "register", {"seller": story.cast.merchant.id})
            for i in range(start, start + n)]


def test_atomic_batch_writes_all_or_nothing(client, cast):
    story = Story(client, cast, n=41)
    good = registrations(story, 3)
    bad = statement(f"{story.batch}/21/S1", "list", {"price": "1"})  # a producer cannot list
    r = batch(client, cast.producer, [*good, bad])
    assert r.status_code == 403, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == [424, 424, 424, 403]
    assert "Role not allowed" in results[3]["error"]["detail"]
    assert client.get(f"/v1/chains/{story.batch}/21/S0").json()["entries"] == []
    assert client.get(f"/v1/goods/{story.batch}/21/S0").status_code == 404
    body = ok(batch(client, cast.producer, good), 200)
    assert body["written"] == 3 and [x["status"] for x in body["results"]] == [201, 201, 201]
    again = ok(batch(client, cast.producer, good), 200)  # idempotent per statement id
    assert [x["status"] for x in again["results"]] == [200, 200, 200]
    assert [x["hash"] for x in again["results"]] == [x["hash"] for x in body["results"]]


def test_per_event_batch_keeps_the_good_ones(client, cast):
    story = Story(client, cast, n=42)
    sts = registrations(story, 4)
    sts[1] = {**sts[1], "data": {"seller": "nobody"}}
    sts[2] = {**sts[2], "time": "yesterday"}
    sts.append(sts[0])  # the same statement twice: the second is a retry
    body = ok(batch(client, cast.producer, sts, "per_event"), 200)
    assert [x["status"] for x in body["results"]] == [201, 409, 422, 201, 200]
    assert body["written"] == 3 and body["refused"] == 2
    assert body["results"][2]["error"]["field"] == "time"
    assert client.get(f"/v1/goods/{story.batch}/21/S3").status_code == 200
    assert client.get(f"/v1/goods/{story.batch}/21/S1").status_code == 404


def test_malformed_statement_is_refused_alone(client, cast):
    story = Story(client, cast, n=43)
    raw = [{"statement": st} for st in registrations(story, 2)]
    raw.insert(1, {"statement": {"key": story.batch}})
    r = client.post("/v1/events:batch?mode=per_event", headers=cast.producer.headers, json={"events": raw})
    body = ok(r, 200)
    assert [x["status"] for x in body["results"]] == [201, 422, 201]
    assert "Missing field 'statement.type'" in body["results"][1]["error"]["detail"]


def test_large_batch_within_the_batch_body_limit(client, cast):
    story = Story(client, cast, n=44)
    sts = registrations(story, 2000)
    body = ok(batch(client, cast.producer, sts), 200)
    assert body["written"] == 2000
    assert client.post("/v1/events:batch", headers=cast.producer.headers, json={"events": []}).status_code == 422
    assert client.post("/v1/events:batch", json={"events": [{"statement": sts[0]}]}).status_code == 401


def test_batch_size_limit(client, cast, settings):
    story = Story(client, cast, n=45)
    too_many = registrations(story, settings.max_batch_statements + 1)
    r = batch(client, cast.producer, too_many)
    assert r.status_code == 422 and "at most 10000" in r.json()["detail"]
    assert ok(client.get(f"/v1/goods/01/{gtin(45)}"), 200)["name"] == PRODUCT["name"]


def test_atomic_batch_sees_its_own_earlier_events(client, cast):
    """Later events of a batch are judged on the state earlier ones left, not on what was read up front."""
    story = Story(client, cast, n=43)
    item = story.item("SEQ1")
    sale = {"price": "88.00", "order": "c1:" + "ef" * 16}
    listing = statement(item, "list", {"price": "88.00"})
    first_sale = statement(item, "sell", sale)
    r = batch(client, cast.merchant, [listing, first_sale, statement(item, "sell", sale)])
    assert r.status_code == 409, r.text
    assert [x["status"] for x in r.json()["results"]] == [424, 424, 409]
    assert r.json()["results"][2]["error"]["rule"] == "already_sold"
    assert len(client.get(f"/v1/chains/{item}").json()["entries"]) == 1  # only the registration
    body = ok(batch(client, cast.merchant, [listing, first_sale]), 200)
    assert [x["status"] for x in body["results"]] == [201, 201]
    assert client.get(f"/v1/goods/{item}").json()["state"] == "sold"


def test_atomic_batch_unpacks_what_it_packed(client, cast):
    """A query by parcel inside a batch sees the batch's own earlier packing."""
    from tests.api.world import sscc

    story = Story(client, cast, n=44)
    a, b = story.item("PA"), story.item("PB")
    parcel = f"00/{sscc(44)}"
    body = ok(batch(client, cast.producer, [statement(parcel, "pack", {"items": [a, b]}),
                                            statement(parcel, "unpack", {"items": [a]})]), 200)
    assert [x["status"] for x in body["results"]] == [201, 201]
    assert client.get(f"/v1/goods/{a}").json()["parcel_key"] is None
    assert client.get(f"/v1/goods/{b}").json()["parcel_key"] == parcel
