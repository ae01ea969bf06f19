"""The shopper's scan page: GS1 Digital Link resolver paths, HTML and JSON, warnings, masking, forms."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from stdnum.cn import uscc as stdnum_uscc

from suyuan.ledger.models import Entry
from suyuan.trace.parties.registry import create_party
from suyuan.trace.journey.scanlog_models import ConsumerScan
from tests.api.conftest import Who
from tests.api.world import BATCH, DISPATCH, Story, at, gtin, ok, post, sscc

USCC = "91320700MA1XXXXX0" + stdnum_uscc.calc_check_digit("91320700MA1XXXXX0")
LICENCE = {"type": "food_production", "number": "SC12232070000001", "valid_to": "2029-12-31"}


@pytest.fixture
def shop(ledger, cast):
    """The cast, with a real-name producer (USCC, licence) and a courier who is a natural person."""
    producer, pkey = create_party(ledger.engine, name="连云港海州湾水产有限公司", roles=["producer"],
                                  uscc=USCC, licences=[LICENCE])
    courier, ckey = create_party(ledger.engine, name="王小明", roles=["courier"], kind="individual")
    return SimpleNamespace(**(vars(cast) | {"producer": Who(producer.id, pkey), "courier": Who(courier.id, ckey)}))


def page(client, path: str, **kw):  # noqa: ANN001, ANN201
    r = client.get(path, **kw)
    assert r.status_code < 500, r.text
    return r


def test_item_page_shows_what_a_shopper_needs_in_chinese(client, shop, ledger):
    story = Story(client, shop)
    key, _ = story.delivered("SN0001")
    ledger.integrate()
    r = page(client, "/" + key)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert '<html lang="zh-CN">' in html
    for seen in ("连云港 南美白对虾 1 kg", "连云港海州湾水产有限公司", USCC, "SC12232070000001",
                 "江苏省连云港市", "FAO 61 海州湾", "苏连渔 12345", "2026-11-20", "2027-05-20",
                 "批次登记", "上架销售", "售出", "发货揽收", "签收",
                 "此记录已写入签名公开日志，检查点大小 7", "本码已被查询 1 次"):
        assert seen in html, seen
    assert "warn" not in html.split("<main>")[1].split('class="card product"')[0]  # no red box
    en = page(client, "/" + key + "?lang=en").text
    assert '<html lang="en">' in en and "This record is in the signed public log, checkpoint size 7" in en
    assert "Catch area" in en and "Delivered" in en


def test_buyers_and_recipients_never_shown_and_persons_masked(client, shop, ledger):
    story = Story(client, shop)
    key, token = story.delivered("SN0002")
    ok(post(client, token, key, "review", {"rating": 5, "text": "虾很新鲜"}))
    ledger.integrate()
    html = page(client, "/" + key).text
    data = page(client, "/" + key, headers={"Accept": "application/json"}).text
    for text in (html, data):
        assert "王小明" not in text and "王**" in text          # the courier is a person
        assert "ab" * 16 not in text                           # the sale's order commitment
        assert "SF1234567890" not in text                      # the waybill leads to the recipient
        assert "310104" not in text and "上海市" in text        # district coarsened to the city
        assert "consumer:" not in text                         # review authors are masked
    assert "消费者 " in html and "虾很新鲜" in html


def test_json_for_accept_and_link_type_and_linkset(client, shop, ledger):
    story = Story(client, shop)
    key, _ = story.delivered("SN0003")
    ledger.integrate()
    by_accept = page(client, "/" + key, headers={"Accept": "application/json"})
    by_link = page(client, "/" + key + "?linkType=gs1:traceability")
    for r in (by_accept, by_link):
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        body = r.json()
        assert body["key"] == key and body["kind"] == "item" and body["warnings"] == []
        assert body["batch"]["seafood"]["vessel"] == "苏连渔 12345"
        assert body["producer"]["uscc"] == USCC
        assert body["verification"] == {"checkpoint_size": 7, "entries": 7, "pending": 0, "in_signed_log": True}
        assert [e["type"] for e in body["journey"]][-1] == "deliver"
    assert by_link.json()["scans"]["count"] == 2
    links = page(client, "/" + key + "?linkType=all")
    assert links.headers["content-type"] == "application/linkset+json"
    ls = links.json()["linkset"][0]
    assert ls["anchor"].endswith("/" + key)
    assert any(link["type"] == "application/json" for link in ls["https://gs1.org/voc/traceability"])
    assert page(client, "/" + key, headers={"Accept": "application/json"}).json()["scans"]["count"] == 3
    assert "gs1:traceability" in by_accept.headers["link"]


def test_unregistered_code_gets_a_red_404_page(client, shop):
    missing = f"01/{gtin(77)}/21/NOSUCH"
    r = page(client, "/" + missing)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert 'data-warning="unregistered"' in r.text and "可能是假冒商品" in r.text
    assert "12315" in r.text
    j = page(client, "/" + missing, headers={"Accept": "application/json"})
    assert j.status_code == 404 and j.json()["warnings"][0]["code"] == "unregistered"
    assert "counterfeit" in j.json()["detail"]
    en = page(client, "/" + missing + "?lang=en")
    assert en.status_code == 404 and "Unregistered code" in en.text


@pytest.mark.parametrize("path", [
    "/01/06901230000011/21/SN1",        # wrong GTIN check digit
    "/01/abc/21/x",
    "/01/0690123000001/21/x",          # 13 digits: padded, then the check digit fails or misses
    "/00/123",
    "/00/069012340000000018",
    "/01/06901230000010/21/" + "X" * 300,
    "/01/06901230000010/10/%E6%89%B9/21/a",  # non-GS1 characters in a lot
    "/01/06901230000010/21/%00",
    "/01/06901230000010/10/L%2F1",
])
def test_bad_codes_never_500(client, path):
    for headers in ({}, {"Accept": "application/json"}):
        r = page(client, path, headers=headers)
        assert r.status_code in (400, 404), (path, r.status_code, r.text)


def test_lot_less_path_finds_the_item_and_a_wrong_lot_does_not(client, shop):
    story = Story(client, shop)
    key = story.listed("SN0004")
    r = page(client, f"/01/{story.gtin}/21/SN0004")
    assert r.status_code == 200 and "SN0004" in r.text and "LOT1" in r.text
    assert page(client, f"/01/{story.gtin}/10/OTHER/21/SN0004").status_code == 404
    assert page(client, f"/01/{story.gtin}/10/LOT1").status_code == 200      # batch page
    assert page(client, f"/01/{story.gtin}").status_code == 200              # product page
    assert page(client, "/" + key, headers={"Accept": "application/json"}).json()["item"]["state"] == "listed"


def test_parcel_page_shows_its_journey_and_the_item_page_its_travel(client, shop):
    story = Story(client, shop)
    k1, k2 = story.sold("SN0005"), story.sold("SN0006")
    parcel = f"00/{sscc(5)}"
    ok(post(client, shop.merchant, parcel, "pack", {"items": [k1, k2], "courier": shop.courier.id}))
    ok(post(client, shop.courier, parcel, "dispatch", DISPATCH, time=at(-300)))
    ok(post(client, shop.courier, parcel, "transit", {"hub": "上海转运中心", "region": "310112"}, time=at(-200)))
    r = page(client, "/" + parcel, headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.json()["parcel"]["items"] == 2
    item = page(client, "/" + k1, headers={"Accept": "application/json"}).json()
    levels = {(e["type"], e["level"]) for e in item["journey"]}
    assert {("pack", "parcel"), ("dispatch", "parcel"), ("transit", "parcel")} <= levels
    html = page(client, "/" + k1).text
    assert "上海转运中心" in html and "王**" in html


def test_recalled_batch_shows_red_and_lifting_clears_it(client, shop, ledger):
    story = Story(client, shop)
    key = story.listed("SN0007")
    ok(post(client, shop.inspector, story.batch, "recall", {"reason": "抽检发现氯霉素超标"}))
    html = page(client, "/" + key).text
    assert 'data-warning="recalled"' in html and "已被召回" in html and "氯霉素超标" in html
    body = page(client, "/" + key, headers={"Accept": "application/json"}).json()
    assert body["warnings"][0]["code"] == "recalled" and body["batch"]["recalled"] is True
    ok(post(client, shop.inspector, story.batch, "recall_lifted", {"reason": "复检合格"}))
    body = page(client, "/" + key, headers={"Accept": "application/json"}).json()
    assert body["warnings"] == [] and [e["type"] for e in body["journey"]][-2:] == ["recall", "recall_lifted"]


def test_expired_batch_and_failed_inspection_warn(client, shop):
    story = Story(client, shop)
    old = f"01/{story.gtin}/10/OLD1"
    ok(post(client, shop.producer, old, "register", BATCH | {"production_date": "2024-01-01",
                                                           "expiry_date": "2024-06-30"}))
    ok(post(client, shop.producer, old + "/21/SN0008", "register", {}))
    ok(post(client, shop.inspector, old, "inspect", {"result": "fail", "note": "菌落总数超标"}))
    body = page(client, f"/{old}/21/SN0008", headers={"Accept": "application/json"}).json()
    assert [w["code"] for w in body["warnings"]] == ["expired", "inspection_failed"]
    html = page(client, f"/{old}/21/SN0008").text
    assert "已过保质期（2024-06-30）" in html and "不合格" in html


def test_scan_log_is_anonymous_and_coarse(client, shop, ledger, settings):
    settings.scan_clone_count = 4
    story = Story(client, shop)
    key = story.listed("SN0009")
    assert page(client, "/" + key + "?region=320706").status_code == 200
    for _ in range(2):
        page(client, "/" + key, headers={"X-Region": "320705"})
    body = page(client, "/" + key + "?region=bogus", headers={"Accept": "application/json"}).json()
    assert body["scans"]["count"] == 4 and body["scans"]["first_region"] == "320700"
    assert body["warnings"] == []  # four checks by one client are one checker, not a clone
    html = page(client, "/" + key + "?lang=en").text
    assert "checked 5 times, first at" in html and "in 江苏省连云港市" in html
    columns = {c["name"] for c in sa_inspect(ledger.engine).get_columns("consumer_scans")}
    assert columns == {"id", "key", "scanned", "region", "checker"}  # no address, no device, no person
    with ledger.engine.connect() as conn:
        rows = conn.execute(select(ConsumerScan.region, ConsumerScan.checker).where(ConsumerScan.key == key)).all()
    assert sorted((r.region for r in rows), key=str) == sorted(["320700", "320700", "320700", None, None], key=str)
    [checker] = {r.checker for r in rows}  # the test client, as a 32-hex pseudonym
    assert len(checker) == 32 and "testclient" not in checker


def test_checks_in_two_provinces_within_the_window_warn_at_once(client, shop):
    story = Story(client, shop)
    key = story.listed("SN0010")
    page(client, "/" + key + "?region=320706")
    body = page(client, "/" + key + "?region=440305", headers={"Accept": "application/json"}).json()
    assert body["warnings"][0]["code"] == "possible_clone" and body["warnings"][0]["far_apart"] is True
    assert "不同省份" in page(client, "/" + key).text


def test_review_and_complaint_forms_capture_with_the_token(client, shop, ledger):
    story = Story(client, shop)
    key, token = story.delivered("SN0011")
    html = page(client, "/" + key).text
    assert 'action="/scan/review"' in html and 'action="/scan/complain"' in html
    r = client.post("/scan/review", data={"key": key, "token": token, "rating": "4", "text": "不错",
                                          "lang": "en", "id": "7d1c8a2e-3a39-4a8e-9a57-2a3c1c7c1f00"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/{key}?lang=en&done=review"
    again = client.post("/scan/review", data={"key": key, "token": token, "rating": "4", "text": "不错",
                                              "id": "7d1c8a2e-3a39-4a8e-9a57-2a3c1c7c1f00"}, follow_redirects=False)
    assert again.status_code == 303  # a double submit is a retry, not a second review
    r = client.post("/scan/complain", data={"key": key, "token": token, "category": "quality", "text": "有异味"},
                    follow_redirects=False)
    assert r.status_code == 303
    with ledger.engine.connect() as conn:
        kinds = conn.execute(select(Entry.type).where(Entry.key == key).order_by(Entry.seq)).scalars().all()
    assert kinds[-2:] == ["review", "complain"]
    shown = page(client, r.headers["location"]).text
    assert "投诉已记录" in shown and "★★★★☆" in shown and "质量问题" in shown
    assert "有异味" not in shown  # complaint text may hold personal details: inspectors only


@pytest.mark.parametrize("form, status", [
    ({"token": "rv_wrong", "rating": "5"}, 409),
    ({"token": "", "rating": "5"}, 422),
    ({"token": "sy_notatoken", "rating": "5"}, 422),
    ({"token": "rv_x", "rating": "9"}, 422),
])
def test_bad_review_forms_write_nothing(client, shop, ledger, form, status):
    story = Story(client, shop)
    key, _ = story.delivered("SN0012")
    with ledger.engine.connect() as conn:
        before = conn.execute(select(Entry.id)).all()
    r = client.post("/scan/review", data={"key": key, **form}, follow_redirects=False)
    assert r.status_code == status, r.text
    assert 'data-warning="refused"' in r.text and f'href="/{key}"' in r.text
    with ledger.engine.connect() as conn:
        assert conn.execute(select(Entry.id)).all() == before


def test_forms_refuse_unknown_actions_and_keys_without_linking_to_them(client):
    r = client.post("/scan/rate", data={"key": "//evil.example", "token": "rv_x"})
    assert r.status_code == 422 and "evil" not in r.text.split("</main>")[0].split('data-warning="refused"')[0]
    assert 'href="//evil' not in r.text


def test_the_api_and_log_paths_still_win(client, shop):
    assert client.get("/log/checkpoint").status_code in (200, 404)
    assert client.get("/v1/flags").status_code != 405
    assert client.get("/static/scan.css").headers["content-type"].startswith("text/css")


def test_an_item_page_shows_a_parcel_only_while_the_item_was_in_it(client, shop):
    story = Story(client, shop)
    before, k1, after = story.sold("SN0031"), story.sold("SN0032"), story.sold("SN0033")
    parcel = f"00/{sscc(31)}"
    ok(post(client, shop.merchant, parcel, "pack", {"items": [before], "courier": shop.courier.id}, time=at(-500)))
    ok(post(client, shop.merchant, parcel, "pack", {"items": [k1]}, time=at(-450)))
    ok(post(client, shop.merchant, parcel, "unpack", {"items": [k1]}, time=at(-400)))
    ok(post(client, shop.merchant, parcel, "pack", {"items": [after]}, time=at(-350)))
    ok(post(client, shop.courier, parcel, "dispatch", DISPATCH, time=at(-300)))
    ok(post(client, shop.courier, parcel, "transit", {"hub": "上海转运中心", "region": "310112"}, time=at(-200)))

    def parcel_events(key: str) -> list[str]:
        journey = page(client, "/" + key, headers={"Accept": "application/json"}).json()["journey"]
        return [e["type"] for e in journey if e["level"] == "parcel"]

    # k1 was in the parcel from its pack to its unpack: nothing before, nothing after.
    assert parcel_events(k1) == ["pack", "unpack"]
    # `before` rode along from the start, `after` joined last; both left with the parcel.
    assert parcel_events(before) == ["pack", "dispatch", "transit"]
    assert parcel_events(after) == ["pack", "dispatch", "transit"]
    html = page(client, "/" + k1).text
    assert "上海转运中心" not in html
