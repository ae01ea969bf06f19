"""Review tokens over HTTP: one review, one follow-up and one complaint per delivery; the seller's copy.

Time passing is simulated by moving the delivery's recorded first-review time
back in the `deliveries` table (domain state, not the ledger): the follow-up
interval is measured in server time, so a client's `time` cannot shorten it.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from suyuan.api.app import create_app
from suyuan.ledger.models import Entry
from suyuan.trace.events.models import Delivery
from tests.api.world import Story, at, ok, post, sscc, statement

REVIEW = {"rating": 5, "text": "很新鲜"}
COMPLAINT = {"category": "damaged", "text": "包装破损"}


@pytest.fixture
def story(client, cast) -> Story:
    return Story(client, cast, n=80)


def refused(response, status: int, words: str, rule: str | None = None) -> dict:  # noqa: ANN001
    assert response.status_code == status, response.text
    body = response.json()
    assert words in body["detail"] and body["detail"].endswith("."), body
    if rule is not None:
        assert body.get("rule") == rule, body
    return body


def kinds(ledger, key: str) -> list[str]:  # noqa: ANN001
    with ledger.engine.connect() as conn:
        return list(conn.execute(select(Entry.type).where(Entry.key == key).order_by(Entry.seq)).scalars())


def hours_pass(ledger, key: str, hours: float) -> None:  # noqa: ANN001
    """Move the item's first review `hours` into the past, as if that much time had gone by."""
    t = Delivery.__table__
    with ledger.engine.begin() as conn:
        for row in conn.execute(select(t.c.id, t.c.reviewed_at).where(t.c.item_key == key)).all():
            if row.reviewed_at is not None:
                conn.execute(update(t).where(t.c.id == row.id)
                             .values(reviewed_at=row.reviewed_at - timedelta(hours=hours)))


def fetch(client, who, key: str):  # noqa: ANN001, ANN201
    headers = {} if who is None else {"Authorization": f"Bearer {who if isinstance(who, str) else who.key}"}
    return client.get(f"/v1/items/{key}/review-token", headers=headers)


# --- one token, one review ---------------------------------------------------------------------


def test_a_token_reviews_once_and_complains_once(client, story, ledger):
    key, token = story.delivered("T1")
    first = ok(post(client, token, key, "review", REVIEW))
    body = refused(post(client, token, key, "review", {"rating": 1, "text": "再评一次"}), 409,
                   "already has its review", "token_used")
    assert body["field"] == "authorization"
    ok(post(client, token, key, "complain", COMPLAINT))
    refused(post(client, token, key, "complain", {"category": "late", "text": "又投诉"}), 409,
            "already has its complaint", "token_used")
    assert kinds(ledger, key)[-2:] == ["review", "complain"]
    assert kinds(ledger, key).count("review") == 1 and kinds(ledger, key).count("complain") == 1
    # A retry of the recorded review is answered with the original entry, not refused.
    again = client.post("/v1/events", headers={"Authorization": f"Bearer {token}"},
                        json={"statement": first["entry"]["statement"]})
    assert ok(again, 200)["hash"] == first["hash"]


def test_a_follow_up_is_allowed_once_after_the_interval(client, story, ledger):
    key, token = story.delivered("T2")
    first = ok(post(client, token, key, "review", REVIEW))
    follow_up = {"rating": 3, "text": "追评：冻得不够", "follow_up_to": first["hash"]}
    # The client's event time does not count: the interval runs on the server's clock.
    refused(post(client, token, key, "review", follow_up, time=at(60 * 48)), 409,
            "Follow-up too early: expected on or after", "follow_up_too_early")
    hours_pass(ledger, key, 23)
    refused(post(client, token, key, "review", follow_up), 409, "24 h after the first review", "follow_up_too_early")
    hours_pass(ledger, key, 2)
    delivery = story.delivered("T2b")
    other_review = ok(post(client, delivery[1], delivery[0], "review", REVIEW))
    refused(post(client, token, key, "review", {**follow_up, "follow_up_to": other_review["hash"]}), 409,
            "expected the hash of the first review under this delivery's review tokens", "not_a_review")
    ok(post(client, token, key, "review", follow_up))
    refused(post(client, token, key, "review", {**follow_up, "text": "再追评"}), 409,
            "already has its follow-up review", "token_used")
    refused(post(client, token, key, "review", REVIEW), 409, "already has its review", "token_used")
    assert kinds(ledger, key).count("review") == 2


def test_a_follow_up_needs_a_first_review(client, story, ledger):
    key, token = story.delivered("T3")
    refused(post(client, token, key, "review", {"rating": 4, "follow_up_to": "ab" * 32}), 409,
            "(none yet)", "not_a_review")
    assert "review" not in kinds(ledger, key)


def test_the_follow_up_interval_is_a_setting(settings, cast, ledger):
    with TestClient(create_app(settings.model_copy(update={"follow_up_min_hours": 0}), integrate=False)) as c:
        story = Story(c, cast, n=81)
        key, token = story.delivered("T4")
        first = ok(post(c, token, key, "review", REVIEW))
        ok(post(c, token, key, "review", {"rating": 4, "follow_up_to": first["hash"]}))


def test_a_token_works_only_for_its_own_item(client, story, ledger):
    a, token_a = story.delivered("TA")
    b, token_b = story.delivered("TB")  # delivered too: only the token's tie to its item refuses it
    refused(post(client, token_a, b, "review", REVIEW), 409, "No delivered purchase of " + b, "no_delivery")
    refused(post(client, token_a, b, "complain", COMPLAINT), 409, "No delivered purchase", "no_delivery")
    assert "review" not in kinds(ledger, b) and "complain" not in kinds(ledger, b)
    ok(post(client, token_b, b, "review", REVIEW))
    ok(post(client, token_a, a, "review", REVIEW))  # the refusals used nothing of a's allowance


# --- batches ------------------------------------------------------------------------------------


def consumer_batch(client, token: str, statements: list[dict], mode: str = "atomic"):  # noqa: ANN001, ANN201
    return client.post(f"/v1/events:batch?mode={mode}", headers={"Authorization": f"Bearer {token}"},
                       json={"events": [{"statement": st} for st in statements]})


def test_two_reviews_with_one_token_in_one_batch(client, story, ledger):
    key, token = story.delivered("TC")
    twice = [statement(key, "review", REVIEW), statement(key, "review", {"rating": 2, "text": "第二条"})]
    r = consumer_batch(client, token, twice)
    assert r.status_code == 409, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == [424, 409]
    assert results[1]["error"]["rule"] == "token_used"
    assert "review" not in kinds(ledger, key)  # atomic: nothing written
    body = ok(consumer_batch(client, token, twice, "per_event"), 200)
    assert [x["status"] for x in body["results"]] == [201, 409]
    assert body["results"][1]["error"]["rule"] == "token_used"
    assert kinds(ledger, key).count("review") == 1
    # One review and one complaint in a batch are the allowance, not a second use.
    other, other_token = story.delivered("TD")
    ok(consumer_batch(client, other_token, [statement(other, "review", REVIEW),
                                            statement(other, "complain", COMPLAINT)]), 200)
    assert kinds(ledger, other)[-2:] == ["review", "complain"]


def test_a_review_token_batch_cannot_append_party_events(client, story, ledger):
    key, token = story.delivered("TE")
    r = consumer_batch(client, token, [statement(key, "return", {})])
    assert r.status_code == 401 and "a review token only reviews or complains" in r.json()["results"][0]["error"]["detail"]


# --- the seller's copy --------------------------------------------------------------------------


def test_the_seller_fetches_a_token_once_and_it_shares_the_deliverys_allowance(client, cast, story, ledger):
    key = story.dispatched("TS")
    refused(fetch(client, cast.merchant, key), 409, "not delivered", "no_delivery")
    body = ok(post(client, cast.courier, key, "deliver", {"signed_by": "recipient", "region": "310104"}))
    courier_token = body["review_tokens"][key]
    for who in (cast.platform, cast.courier, cast.producer, cast.inspector, cast.admin):
        refused(fetch(client, who, key), 403, "only its seller fetches its review token")
    refused(fetch(client, None, key), 401, "Missing credentials")
    refused(fetch(client, courier_token, key), 401, "got a review token")
    r = fetch(client, cast.merchant, key)
    got = ok(r, 200)
    assert r.headers["cache-control"] == "no-store"
    assert re.fullmatch(r"rv_[A-Za-z0-9_-]{43}", got["review_token"]) and got["review_token"] != courier_token
    assert got["key"] == key and got["review_url"].endswith(f"/{key}?review_token={got['review_token']}")
    refused(fetch(client, cast.merchant, key), 409, "already handed out", "token_handed_out")
    seller_token = got["review_token"]
    ok(post(client, seller_token, key, "review", REVIEW))
    refused(post(client, courier_token, key, "review", REVIEW), 409, "already has its review", "token_used")
    ok(post(client, courier_token, key, "complain", COMPLAINT))
    refused(post(client, seller_token, key, "complain", COMPLAINT), 409, "already has its complaint", "token_used")
    other, _ = story.delivered("TS2")
    refused(post(client, seller_token, other, "review", REVIEW), 409, "No delivered purchase", "no_delivery")
    assert kinds(ledger, key).count("review") == 1 and kinds(ledger, key).count("complain") == 1


def test_fetching_a_token_for_something_that_is_not_a_delivered_item(client, cast, story):
    refused(fetch(client, cast.merchant, f"{story.batch}/21/NOPE"), 404, "No item is registered")
    refused(fetch(client, cast.merchant, story.batch), 422, "expected an item key")
    refused(fetch(client, cast.merchant, "01/123/21/X"), 422, "Invalid")
    listed = story.listed("TL")
    refused(fetch(client, cast.merchant, listed), 409, "is listed, not delivered", "no_delivery")


def test_a_parcels_items_each_get_a_seller_token(client, cast, story, ledger):
    a, b = story.sold("PA"), story.sold("PB")
    parcel = f"00/{sscc(80)}"
    ok(post(client, cast.merchant, parcel, "pack", {"items": [a, b], "courier": cast.courier.id}))
    ok(post(client, cast.courier, parcel, "dispatch", {"waybill": "SF1", "weight_g": 2300, "from_region": "320700",
                                                       "to_region": "310104"}, time=at(-600)))
    tokens = ok(post(client, cast.courier, parcel, "deliver", {"signed_by": "agent", "region": "310104"}))["review_tokens"]
    got = {k: ok(fetch(client, cast.merchant, k), 200)["review_token"] for k in (a, b)}
    ok(post(client, got[a], a, "review", REVIEW))
    refused(post(client, tokens[a], a, "review", REVIEW), 409, "already has its review", "token_used")
    ok(post(client, tokens[b], b, "review", REVIEW))
    with ledger.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Delivery)).scalar() == 2


def test_a_returned_and_redelivered_item_gets_a_new_allowance(client, cast, story, ledger):
    key, token = story.delivered("TR")
    ok(post(client, token, key, "review", REVIEW))
    ok(fetch(client, cast.merchant, key), 200)
    ok(post(client, cast.merchant, key, "return", {"reason": "尺码不对"}))
    ok(post(client, cast.merchant, key, "list", {"price": "80.00"}))
    ok(post(client, cast.merchant, key, "sell", {"price": "80.00", "order": "c2:" + "cd" * 16,
                                                 "courier": cast.courier.id}))
    ok(post(client, cast.courier, key, "dispatch", {"waybill": "SF2", "weight_g": 1200, "from_region": "320700",
                                                    "to_region": "310104"}, time=at(-600)))
    new = ok(post(client, cast.courier, key, "deliver", {"signed_by": "recipient", "region": "310104"}))
    ok(post(client, new["review_tokens"][key], key, "review", REVIEW))
    ok(fetch(client, cast.merchant, key), 200)  # a new delivery: its own seller token
    refused(post(client, token, key, "review", REVIEW), 409, "already has its review", "token_used")


# --- the scan page ------------------------------------------------------------------------------


def test_the_review_form_refuses_a_used_token(client, cast, story, ledger):
    key, token = story.delivered("TF")
    seller = ok(fetch(client, cast.merchant, key), 200)
    # The link a QR code on the slip carries opens the page with the forms filled in.
    link = seller["review_url"].split("/", 3)[3]
    page = client.get("/" + link)
    assert page.status_code == 200 and page.text.count(f'value="{seller["review_token"]}"') == 2
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"
    form = {"key": key, "token": seller["review_token"], "rating": "5", "text": "很好",
            "id": "5a0d7f0e-8f0e-4b53-9a57-2a3c1c7c1f01"}
    r = client.post("/scan/review", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    time.sleep(1.1)  # the server stamps a form with its clock, to the second: cross a second
    again = client.post("/scan/review", data=form, follow_redirects=False)
    assert again.status_code == 303, again.text  # the same form posted twice is a retry
    for used, lang, words in ((seller["review_token"], "zh", "未能提交"), (token, "en", "Not submitted")):
        second = client.post("/scan/review", data={**form, "token": used, "lang": lang, "text": "再评",
                                                   "id": "5a0d7f0e-8f0e-4b53-9a57-2a3c1c7c1f02"},
                             follow_redirects=False)
        assert second.status_code == 409 and words in second.text and "already has its review" in second.text
    assert kinds(ledger, key).count("review") == 1
    plain = client.get("/" + key)
    assert seller["review_token"] not in plain.text and "referrer-policy" not in plain.headers


def test_a_hidden_review_is_announced_with_the_inspectors_reason(client, cast, story, ledger):
    key, token = story.delivered("TH")
    review = ok(post(client, token, key, "review", {"rating": 1, "text": "联系我 13800138000"}))
    ok(post(client, cast.inspector, key, "hide_review", {"review": review["hash"], "reason": "含个人信息"}))
    html = client.get("/" + key).text
    assert "一条评价已被监管部门隐藏：含个人信息" in html and "13800138000" not in html
    assert 'data-type="hide_review"' in html and 'data-type="review"' not in html
    en = client.get("/" + key + "?lang=en").text
    assert "A review was hidden by an inspector: 含个人信息" in en
    body = client.get("/" + key, headers={"Accept": "application/json"}).json()
    assert body["hidden_reviews"] == [{"review": review["hash"], "reason": "含个人信息",
                                       "hidden_at": body["hidden_reviews"][0]["hidden_at"]}]
    assert body["notices"] == ["一条评价已被监管部门隐藏：含个人信息"]
    types = [e["type"] for e in body["journey"]]
    assert "hide_review" in types and "review" not in types and "13800138000" not in str(body)
    en_json = client.get("/" + key + "?lang=en&linkType=gs1:traceability").json()
    assert en_json["notices"] == ["A review was hidden by an inspector: 含个人信息"]


# --- the migration ------------------------------------------------------------------------------


def test_migration_0008_carries_over_what_old_tokens_used(client, cast, story, ledger):
    """Tokens issued before 0008 get a delivery each; a review they posted still counts as used."""
    from alembic import command

    from suyuan.ledger.schema import alembic_config, upgrade

    used_key, used = story.delivered("TM1")
    fresh_key, fresh = story.delivered("TM2")
    ok(post(client, used, used_key, "review", REVIEW))
    cfg = alembic_config(ledger.engine)
    with ledger.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007")
    upgrade(ledger.engine)
    refused(post(client, used, used_key, "review", REVIEW), 409, "already has its review", "token_used")
    ok(post(client, used, used_key, "complain", COMPLAINT))
    ok(post(client, fresh, fresh_key, "review", REVIEW))
    with ledger.engine.connect() as conn:
        rows = conn.execute(select(Delivery.item_key, Delivery.statement_id, Delivery.seller)).all()
    assert sorted((r.item_key, r.statement_id, r.seller) for r in rows) == [
        (used_key, None, cast.merchant.id), (fresh_key, None, cast.merchant.id)]
