"""HTTP: credit — pledges, complaints, breaches, warnings, the dishonesty list, repairs, levels, the bundle."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from suyuan.ledger.models import Entry
from suyuan.trace.credit.findings import record_finding
from suyuan.trace.parties.registry import create_party
from suyuan.trace.privacy.vault_models import Person
from tests.api.conftest import Who
from tests.api.test_inspect_api import verify_bundle_cli
from tests.api.world import Story, ok, post


def uid() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def hotline(ledger):
    party, key = create_party(ledger.engine, name="12315 消费者投诉热线", roles=["hotline"])
    return Who(party.id, key)


def count(engine, table=Entry.__table__):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def pledge(client, who, code="quality", **extra):
    return client.post("/v1/pledges", json={"id": uid(), "pledge": code, **extra}, headers=who.headers)


def credit(client, party_id):
    return ok(client.get(f"/v1/parties/{party_id}/credit"), 200)


def finding(ledger, party_id, score=800, status="upheld"):
    with ledger.engine.begin() as conn:
        return record_finding(conn, type="fake_orders", reason="same_buyer_ring", score=score,
                              subject_party=party_id, evidence=[uid().replace("-", "") * 2], status=status)


def test_the_pledge_list_and_a_pledge_on_the_partys_own_chain(client, cast):
    codes = [p["code"] for p in ok(client.get("/v1/pledges/list"), 200)["pledges"]]
    assert codes == ["quality", "price", "logistics", "payment", "after_sales", "truthful_information"]
    body = {"id": uid(), "pledge": "after_sales", "text": "七天无理由退货"}
    first = ok(client.post("/v1/pledges", json=body, headers=cast.merchant.headers))
    assert first["key"].startswith("417/02") and len(first["key"]) == 17
    assert first["statement"]["type"] == "pledge" and first["statement"]["actor"] == cast.merchant.id
    again = ok(client.post("/v1/pledges", json=body, headers=cast.merchant.headers), 200)
    assert again["hash"] == first["hash"] and again["created"] is False
    page = ok(client.get(f"/v1/parties/{cast.merchant.id}/record"), 200)
    assert page["chain_key"] == first["key"] and page["name"] == "merchant 测试有限公司"
    assert [(p["pledge"], p["text"]) for p in page["pledges"]] == [("after_sales", "七天无理由退货")]
    assert page["pledges"][0]["zh"] and page["pledges"][0]["en"]
    assert page["credit"]["level"] == "A"


def test_bad_credit_input_names_the_field_and_writes_nothing(client, cast, hotline, ledger):
    ok(pledge(client, cast.merchant))
    before = count(ledger.engine)
    r = pledge(client, cast.merchant, "cheapest_ever")
    assert r.status_code == 422 and r.json()["field"] == "pledge", r.text
    r = client.post("/v1/warnings", json={"id": uid(), "party": cast.merchant.id, "text_zh": "注意", "text_en": "Mind",
                                          "severity": "high"}, headers=cast.inspector.headers)
    assert r.status_code == 422 and r.json()["field"] == "ends", r.text
    r = client.post("/v1/complaints", json={"id": uid(), "channel": "110", "category": "quality", "text": "假货",
                                            "subject_party": cast.merchant.id}, headers=hotline.headers)
    assert r.status_code == 422 and r.json()["field"] == "channel", r.text
    other = finding(ledger, cast.producer.id)
    r = client.post(f"/v1/parties/{cast.merchant.id}/repairs", json={
        "id": uid(), "findings": [other], "evidence": ["ab" * 32], "text": "已整改"}, headers=cast.merchant.headers)
    assert r.status_code == 422 and r.json()["field"] == "data.findings.0", r.text
    # Wrong roles: a merchant cannot warn, a courier cannot file a hotline complaint, nor repair another's record.
    r = client.post("/v1/warnings", json={"id": uid(), "party": cast.merchant.id, "text_zh": "注意", "text_en": "Mind",
                                          "severity": "high", "ends": "2099-01-01"}, headers=cast.merchant.headers)
    assert r.status_code == 403, r.text
    r = client.post("/v1/complaints", json={"id": uid(), "channel": "12315", "category": "quality", "text": "假货",
                                            "subject_party": cast.merchant.id, "contact": {"phone": "13800000000"}},
                    headers=cast.courier.headers)
    assert r.status_code == 403, r.text
    r = client.post(f"/v1/parties/{cast.merchant.id}/repairs", json={
        "id": uid(), "findings": [other], "evidence": ["ab" * 32], "text": "x"}, headers=cast.producer.headers)
    assert r.status_code == 403, r.text
    assert count(ledger.engine) == before
    assert count(ledger.engine, Person.__table__) == 0  # the refused complaint's contact was not kept either


def test_a_hotline_complaint_keeps_the_contact_in_the_vault_and_an_upheld_one_lowers_the_score(client, cast,
                                                                                                 hotline, ledger):
    before = credit(client, cast.merchant.id)
    filed = ok(client.post("/v1/complaints", json={
        "id": uid(), "channel": "12315", "reference": "GD2026-1203-0042", "category": "counterfeit",
        "subject_party": cast.merchant.id, "text": "收到的对虾与描述不符",
        "contact": {"name": "王小明", "phone": "13800000000"}}, headers=hotline.headers))
    raw = json.dumps(filed["statement"], ensure_ascii=False)
    assert "王小明" not in raw and "13800000000" not in raw
    assert filed["statement"]["data"]["contact"].startswith("hmac-sha256:")
    queue = ok(client.get("/v1/credit/queue", headers=cast.inspector.headers), 200)
    assert [c["entry"] for c in queue["complaints"]] == [filed["hash"]]
    assert client.get("/v1/credit/queue", headers=cast.merchant.headers).status_code == 403
    ok(client.post(f"/v1/complaints/{filed['hash']}/resolution", json={
        "id": uid(), "outcome": "upheld", "reason": "抽检确认为假冒", "severity": "high"}, headers=cast.inspector.headers))
    after = credit(client, cast.merchant.id)
    assert after["score"] < before["score"]
    assert after["explanation"][0]["kind"] == "complaint" and after["explanation"][0]["weight"] < 0
    again = client.post(f"/v1/complaints/{filed['hash']}/resolution", json={
        "id": uid(), "outcome": "rejected", "reason": "x"}, headers=cast.inspector.headers)
    assert again.status_code == 409 and again.json()["rule"] == "complaint_resolved"


def test_a_complaint_about_goods_finds_their_seller(client, cast, hotline):
    story = Story(client, cast)
    item = story.listed("C1")
    filed = ok(client.post("/v1/complaints", json={"id": uid(), "channel": "12345", "category": "quality",
                                                   "subject_key": item, "text": "包装破损"}, headers=hotline.headers))
    assert filed["key"] == ok(client.get(f"/v1/parties/{cast.merchant.id}/record"), 200)["chain_key"]


def test_breach_warning_and_levels_fall_with_upheld_findings(client, cast, ledger):
    made = ok(pledge(client, cast.merchant, "truthful_information"))
    finding_id = finding(ledger, cast.merchant.id, score=900)
    breach = ok(client.post(f"/v1/parties/{cast.merchant.id}/breaches", json={
        "id": uid(), "pledge": made["hash"], "findings": [finding_id], "severity": "high"},
        headers=cast.inspector.headers))
    assert breach["statement"]["type"] == "pledge_breach"
    now = credit(client, cast.merchant.id)
    assert now["level"] in ("C", "D"), now
    kinds = [e["kind"] for e in now["explanation"]]
    assert "finding" in kinds and "breach" in kinds
    ends = (date.today() + timedelta(days=30)).isoformat()
    warned = ok(client.post("/v1/warnings", json={"id": uid(), "party": cast.merchant.id, "severity": "high",
                                                  "text_zh": "该商家存在刷单行为", "text_en": "This merchant faked orders",
                                                  "ends": ends}, headers=cast.inspector.headers))
    listed = ok(client.get("/v1/warnings"), 200)
    assert [w["entry"] for w in listed["warnings"]] == [warned["hash"]] and listed["next"] is None
    ranked = ok(client.get("/v1/parties?order=credit&limit=100"), 200)["parties"]
    assert ranked[-1]["id"] == cast.merchant.id and ranked[0]["credit"]["level"] == "A"
    page1 = ok(client.get("/v1/parties?order=credit&limit=3"), 200)
    page2 = ok(client.get(f"/v1/parties?order=credit&limit=100&after={page1['next']}"), 200)
    assert [p["id"] for p in page1["parties"] + page2["parties"]] == [p["id"] for p in ranked]


def test_a_listed_party_is_refused_until_an_accepted_repair(client, cast, ledger):
    story = Story(client, cast)
    made = ok(pledge(client, cast.producer))
    breach = ok(client.post(f"/v1/parties/{cast.producer.id}/breaches", json={
        "id": uid(), "pledge": made["hash"], "evidence": [story_entry(ledger, story.batch)]},
        headers=cast.inspector.headers))
    ok(client.post("/v1/dishonest", json={"id": uid(), "party": cast.producer.id, "basis": "《电子商务法》第七十五条",
                                          "breaches": [breach["hash"]]}, headers=cast.inspector.headers))
    assert [p["party"] for p in ok(client.get("/v1/dishonest"), 200)["parties"]] == [cast.producer.id]
    assert credit(client, cast.producer.id)["level"] == "D"
    refused = post(client, cast.producer, f"{story.batch}/21/X1", "register", {})
    assert refused.status_code == 403 and refused.json()["rule"] == "dishonest_listed", refused.text
    assert pledge(client, cast.producer).status_code == 403
    repair = ok(client.post(f"/v1/parties/{cast.producer.id}/repairs", json={
        "id": uid(), "breaches": [breach["hash"]], "evidence": ["cd" * 32], "text": "已召回并赔偿"},
        headers=cast.producer.headers))
    ok(client.post(f"/v1/repairs/{repair['hash']}/decision", json={"id": uid(), "outcome": "accepted",
                                                                   "reason": "整改到位"}, headers=cast.inspector.headers))
    assert ok(client.get("/v1/dishonest"), 200)["parties"] == []
    ok(post(client, cast.producer, f"{story.batch}/21/X1", "register", {}))
    page = ok(client.get(f"/v1/parties/{cast.producer.id}/record"), 200)
    assert [r["status"] for r in page["repairs"]] == ["accepted"] and page["dishonest"] is False
    assert credit(client, cast.producer.id)["level"] in ("A", "B")
    conditions = ok(client.get("/v1/repairs/conditions"), 200)
    assert conditions["conditions"] and conditions["steps"]


def story_entry(ledger, key):
    with ledger.engine.connect() as conn:
        return bytes(conn.execute(select(Entry.hash).where(Entry.key == key)).scalar()).hex()


def test_failed_inspections_and_recalls_weigh_on_the_producer(client, cast):
    story = Story(client, cast)
    before = credit(client, cast.producer.id)["score"]
    ok(post(client, cast.inspector, story.batch, "inspect", {"result": "fail"}))
    ok(post(client, cast.inspector, story.batch, "recall", {"reason": "抽检不合格"}))
    after = credit(client, cast.producer.id)
    assert after["score"] < before
    assert {e["kind"] for e in after["explanation"]} >= {"inspection", "recall"}


def test_a_partys_bundle_verifies_offline_and_fails_after_one_byte_changes(client, cast, ledger, tmp_path):
    made = ok(pledge(client, cast.merchant, "price"))
    ok(client.post(f"/v1/parties/{cast.merchant.id}/breaches", json={
        "id": uid(), "pledge": made["hash"], "evidence": [made["hash"]]}, headers=cast.inspector.headers))
    ledger.integrate()
    bundle = ok(client.get(f"/v1/parties/{cast.merchant.id}/bundle"), 200)
    assert [c["role"] for c in bundle["chains"]] == ["party"] and len(bundle["chains"][0]["entries"]) == 2
    done = verify_bundle_cli(tmp_path, bundle, ledger.verifier_key)
    assert done.returncode == 0, done.stderr
    assert "bundle ok: 2 entries in 1 chains" in done.stdout
    entry = bundle["chains"][0]["entries"][1]
    raw = bytearray(base64.b64decode(entry["canonical"]))
    at = raw.index(made["hash"].encode())
    raw[at] = ord("0") if raw[at] != ord("0") else ord("1")  # one byte of the breach: the pledge it names
    entry["canonical"] = base64.b64encode(bytes(raw)).decode()
    done = verify_bundle_cli(tmp_path, bundle, ledger.verifier_key)
    assert done.returncode == 1 and f"entry {made['key']} seq 1" in done.stderr, done.stderr


def test_a_shoppers_complaint_is_taken_in_about_the_seller(client, cast):
    story = Story(client, cast)
    key, token = story.delivered("S1")
    done = ok(post(client, token, key, "complain", {"category": "damaged", "text": "外包装破损"}))
    queue = ok(client.get("/v1/credit/queue", headers=cast.inspector.headers), 200)["complaints"]
    assert [(c["entry"], c["party"], c["channel"], c["subject_key"]) for c in queue] == [
        (done["hash"], cast.merchant.id, "review_token", key)]
    ok(client.post(f"/v1/complaints/{done['hash']}/resolution", json={
        "id": uid(), "outcome": "upheld", "reason": "照片核实"}, headers=cast.inspector.headers))
    assert credit(client, cast.merchant.id)["explanation"][0]["kind"] == "complaint"


def test_the_scan_page_discloses_credit_pledges_and_warnings_in_red(client, cast):
    story = Story(client, cast)
    key = story.listed("D1")
    ok(pledge(client, cast.producer, "quality", text="每批次第三方检测"))
    ends = (date.today() + timedelta(days=7)).isoformat()
    ok(client.post("/v1/warnings", json={"id": uid(), "batch": story.batch, "severity": "high", "ends": ends,
                                         "text_zh": "该批次抽检不合格", "text_en": "This batch failed sampling"},
                   headers=cast.inspector.headers))
    page = client.get("/" + key, headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text
    html = page.text
    assert 'data-warning="risk_warning"' in html and "该批次抽检不合格" in html
    assert 'class="warn"' in html.split('data-warning="risk_warning"')[0].rsplit("<section", 1)[1]
    assert 'data-party="' + cast.producer.id + '"' in html and 'data-level="A"' in html
    assert "保证所售商品质量合格" in html and "每批次第三方检测" in html
    assert 'data-party="' + cast.merchant.id + '"' in html
    record = client.get("/" + key, headers={"Accept": "application/json"}).json()
    assert record["credit"]["parties"][cast.producer.id]["level"] == "A"
    assert [w["code"] for w in record["warnings"]] == ["risk_warning"]


def test_the_dashboard_needs_an_inspectors_key_kept_in_a_strict_cookie(client, cast, ledger):
    assert client.get("/inspect").status_code == 401  # the login form
    refused = client.post("/inspect/login", data={"api_key": cast.merchant.key}, follow_redirects=False)
    assert refused.status_code == 403 and "set-cookie" not in refused.headers
    assert client.get("/inspect", headers={"Cookie": f"suyuan_inspect={cast.merchant.key}"}).status_code == 403
    done = client.post("/inspect/login", data={"api_key": cast.inspector.key}, follow_redirects=False)
    assert done.status_code == 303
    cookie = done.headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=strict" in cookie and "path=/inspect" in cookie
    finding(ledger, cast.merchant.id)
    page = client.get("/inspect", headers={"Cookie": f"suyuan_inspect={cast.inspector.key}"})
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert 'data-series="fake_orders"' in page.text and 'data-value="1"' in page.text
