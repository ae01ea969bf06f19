"""The possible-clone warning on the scan page comes from consumers, not couriers, and counts people.

Issue 8 item 9: every courier-delivered item of a realistic run showed
"possible cloned code", and one shopper reloading a page could brand a
genuine code a clone. These tests walk the page over HTTP as shoppers,
proxies and inspectors do.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from suyuan.trace.journey.scanlog_models import ConsumerScan
from tests.api.world import Story, at, ok, post, sscc


def view(client, key: str, **headers: str) -> dict:  # noqa: ANN001
    r = client.get("/" + key, headers={"Accept": "application/json", **headers})
    assert r.status_code == 200, r.text
    return r.json()


def clone_warning(body: dict) -> dict | None:
    return next((w for w in body["warnings"] if w["code"] == "possible_clone"), None)


def flags(client, cast, key: str) -> list[dict]:  # noqa: ANN001
    return ok(client.get("/v1/flags", params={"key": key}, headers=cast.inspector.headers), 200)["flags"]


def from_address(client, address: str) -> TestClient:  # noqa: ANN001
    """Another shopper: a client of the same running app whose connection comes from `address`."""
    return TestClient(client.app, client=(address, 40000))


def test_a_delivered_parcel_shows_no_clone_warning_to_its_shopper(client, cast):
    """Dispatch in Jiangsu, transit through Kunshan into Shanghai, delivery in Shanghai, three checks."""
    story = Story(client, cast)
    a, b = story.sold("SN1001"), story.sold("SN1002")
    parcel = f"00/{sscc(1001)}"
    ok(post(client, cast.merchant, parcel, "pack", {"items": [a, b], "courier": cast.courier.id}))
    ok(post(client, cast.courier, parcel, "dispatch", {"waybill": "SF1001", "weight_g": 2400,
                                                       "from_region": "320706", "to_region": "310104"},
            time=at(-300)))
    ok(post(client, cast.courier, parcel, "transit", {"hub": "昆山转运中心", "region": "320583",
                                                      "action": "depart"}, time=at(-240)))
    ok(post(client, cast.courier, parcel, "transit", {"hub": "上海转运中心", "region": "310112"}, time=at(-180)))
    ok(post(client, cast.courier, parcel, "deliver", {"signed_by": "recipient", "region": "310104"},
            time=at(-60)))
    # The courier crossed a province line within the serial window: its own flag for inspectors.
    assert "serial_far_apart" in {f["code"] for f in flags(client, cast, a)}
    for region in ("310104", "310104", None):
        body = view(client, a, **({"X-Region": region} if region else {}))
        assert body["item"]["state"] == "delivered" and clone_warning(body) is None, body["warnings"]
    html = client.get("/" + a).text
    assert 'data-warning="possible_clone"' not in html and "疑似仿冒码" not in html
    assert clone_warning(view(client, b)) is None
    assert not [f for f in flags(client, cast, a) if f["code"].startswith("consumer_checks")]


def test_twenty_reloads_by_one_shopper_are_one_checker(client, cast, settings):
    assert settings.scan_clone_count == 20
    key = Story(client, cast).listed("SN1003")
    for i in range(25):
        body = view(client, key, **({"X-Region": "310104"} if i % 2 else {}))
        assert clone_warning(body) is None, (i, body["warnings"])
    html = client.get("/" + key).text
    assert "疑似仿冒码" not in html and "本码已被查询 26 次" in html
    assert body["scans"]["count"] == 25
    assert flags(client, cast, key) == []


def test_twenty_distinct_shoppers_warn_and_the_inspector_sees_why(client, cast, ledger):
    key = Story(client, cast).listed("SN1004")
    for i in range(19):
        body = view(from_address(client, f"198.51.100.{i + 1}"), key)
        assert clone_warning(body) is None, i
    body = view(from_address(client, "198.51.100.20"), key)
    warning = clone_warning(body)
    assert warning is not None and warning["many"] is True and warning["far_apart"] is False
    assert warning["checkers"] == 20 and warning["reasons"] == ["consumer_checks_many"]
    en = from_address(client, "198.51.100.21").get("/" + key + "?lang=en").text
    assert 'data-warning="possible_clone"' in en and "Many different people checked it" in en
    # The warning stays; the flag is recorded once in its window, not once per view.
    assert clone_warning(view(client, key))["many"] is True
    [flag] = flags(client, cast, key)
    assert flag["code"] == "consumer_checks_many" and flag["entry_hash"] is None
    assert flag["detail"].startswith("20 distinct checkers within 1440 minutes (threshold 20)")
    with ledger.engine.connect() as conn:
        checkers = conn.execute(select(ConsumerScan.checker).where(ConsumerScan.key == key)).scalars().all()
    assert len(checkers) == 22 and len(set(checkers)) == 22  # 21 shoppers and the test client
    assert not any("198.51.100" in c or "testclient" in c for c in checkers)  # pseudonyms, never addresses


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(client, cast, settings):
    key = Story(client, cast).listed("SN1005")
    # No trusted proxy: the header is the client's own words, and one client stays one checker.
    for i in range(20):
        assert clone_warning(view(client, key, **{"X-Forwarded-For": f"203.0.113.{i + 1}"})) is None
    settings.trusted_proxies = ["127.0.0.1"]
    proxy = from_address(client, "127.0.0.1")
    other = Story(client, cast, n=2).listed("SN1006")
    # Behind the proxy, hops the client wrote itself (left of the proxy's) do not make it many people.
    for i in range(20):
        body = view(proxy, other, **{"X-Forwarded-For": f"6.6.6.{i + 1}, 203.0.113.7"})
        assert clone_warning(body) is None, i
    for i in range(20):
        body = view(proxy, other, **{"X-Forwarded-For": f"203.0.113.{i + 100}"})
    assert clone_warning(body)["many"] is True
    # A client that is not the proxy cannot use the header, trusted proxies or not.
    third = Story(client, cast, n=3).listed("SN1007")
    for i in range(20):
        body = view(from_address(client, "192.0.2.1"), third, **{"X-Forwarded-For": f"203.0.113.{i + 1}"})
    assert clone_warning(body) is None


@pytest.mark.parametrize("second", ["440305", "110105"])
def test_consumer_checks_in_two_provinces_warn_and_say_why(client, cast, second):
    key = Story(client, cast).listed("SN1008")
    assert clone_warning(view(client, key, **{"X-Region": "320706"})) is None
    body = view(from_address(client, "198.51.100.9"), key, **{"X-Region": second})
    warning = clone_warning(body)
    assert warning["far_apart"] is True and warning["many"] is False
    assert warning["reasons"] == ["consumer_checks_far_apart"]
    assert "不同省份" in client.get("/" + key).text
    view(client, key, **{"X-Region": "320706"})  # and back again, within the same window
    [flag] = flags(client, cast, key)
    assert flag["code"] == "consumer_checks_far_apart" and flag["entry_hash"] is None
    assert "region 320700" in flag["detail"] and f"region {second[:4]}00" in flag["detail"]
    assert "within 180 minutes" in flag["detail"]
