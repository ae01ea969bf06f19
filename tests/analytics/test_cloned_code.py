"""cloned_code: each reason found on a hand-built positive, and not on the honest pattern that looks alike."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from suyuan.api.app import create_app
from suyuan.codes.gs1 import make_key
from suyuan.trace.journey.scanlog_models import ConsumerScan
from tests.analytics.scene import Scene
from tests.api.world import gtin

DAY = 1440


@pytest.fixture
def scene(engine, settings):
    return Scene(engine, settings)


def one_item(scene: Scene) -> tuple[str, str]:
    """A registered item: (product GTIN, item key)."""
    code = scene.product()
    scene.batch(code)
    (item,) = scene.items(code, "L1", scene.merchant())
    return code, item


def test_a_serial_checked_in_shanghai_and_guangzhou_an_hour_apart(scene):
    _, item = one_item(scene)
    scene.check(item, "310115", minutes=0, checker="a" * 32)
    scene.check(item, "440106", minutes=60, checker="b" * 32)
    (found,) = scene.findings("cloned_code")
    assert (found.reason, found.subject_party, found.subject_keys) == ("distant_regions", None, [item])
    assert "region 310100" in found.detail and "region 440100" in found.detail
    assert len(found.evidence) == 1 and scene.is_entry(found.evidence[0]) and found.evidence[0][:12] in found.detail


def test_courier_scans_in_jiangsu_and_a_check_in_harbin_name_the_scans(scene):
    shop, courier = scene.merchant(), scene.courier()
    code = scene.product()
    scene.batch(code)
    (item,) = scene.items(code, "L1", shop)
    scene.sell(shop, item, courier, minutes=-60)
    parcel = scene.ship(shop, courier, [item], minutes=0, weight_g=600)
    scene.transit(courier, parcel, "320100", minutes=60)
    scene.check(item, "230102", minutes=90, checker="c" * 32)  # a copy of the code, checked in Harbin
    (found,) = [f for f in scene.findings("cloned_code") if f.reason == "distant_regions"]
    assert found.subject_keys == [item] and len(found.evidence) == 3
    assert all(scene.is_entry(h) and h[:12] in found.detail for h in found.evidence)
    assert "2 such pair(s)" in found.detail


def test_a_travelling_shopper_and_a_neighbouring_province_are_no_finding(scene):
    _, item = one_item(scene)
    scene.check(item, "310115", minutes=0, checker="a" * 32)
    scene.check(item, "320508", minutes=20, checker="a" * 32)  # Suzhou, next door: capitals 270 km apart
    scene.check(item, "110105", minutes=330, checker="a" * 32)  # Beijing by plane, five and a half hours on
    scene.check(item, "440106", minutes=800, checker="d" * 32)
    assert scene.findings("cloned_code") == []


def test_eight_consumers_checking_one_serial_in_a_day(scene):
    _, item = one_item(scene)
    for i in range(8):
        scene.check(item, "310115", minutes=100 * i, checker=f"{i:032d}")
    (found,) = scene.findings("cloned_code")
    assert (found.reason, found.subject_party, found.subject_keys) == ("too_many_checks", None, [item])
    assert "8 different consumers" in found.detail
    assert len(found.evidence) == 1 and scene.is_entry(found.evidence[0]) and found.evidence[0][:12] in found.detail


def test_one_shopper_checking_daily_and_a_family_reloading_are_no_finding(scene):
    _, item = one_item(scene)
    for day in range(8):  # one shopper, a new pseudonym each day
        scene.check(item, "310115", minutes=day * DAY * 1.2, checker=f"{day:032d}")
    for _ in range(20):  # a family of three reloading its page
        for who in "efg":
            scene.check(item, "310115", minutes=30, checker=who * 32)
    assert scene.findings("cloned_code") == []


def test_a_check_of_a_made_up_serial_under_a_real_gtin_is_logged_and_found(scene, settings):
    code, item = one_item(scene)
    made_up = make_key(gtin=code, serial="FAKE0001")
    unknown_gtin = f"01/{gtin(77)}/21/FAKE0002"
    with TestClient(create_app(settings, integrate=False)) as client:
        r = client.get("/" + made_up + "?region=440106", headers={"Accept": "application/json"})
        assert r.status_code == 404 and r.json()["warnings"][0]["code"] == "unregistered"
        assert client.get("/" + made_up).status_code == 404  # the HTML page answers as before
        assert client.get("/" + unknown_gtin).status_code == 404
        assert client.get("/" + item).status_code == 200
    scans = ConsumerScan.__table__
    with scene.engine.connect() as conn:
        logged = [r.key for r in conn.execute(select(scans.c.key).order_by(scans.c.id))]
    assert logged == [made_up, made_up, item]  # nothing for a GTIN nobody registered
    (found,) = scene.findings("cloned_code")
    assert (found.reason, found.subject_party, found.subject_keys) == ("unregistered_serial", None, [made_up])
    assert "checked 2 time(s)" in found.detail and "region 440100" in found.detail
    assert len(found.evidence) == 1 and scene.is_entry(found.evidence[0]) and found.evidence[0][:12] in found.detail


def test_checks_of_registered_serials_and_of_unknown_gtins_are_no_unregistered_finding(scene):
    _, item = one_item(scene)
    scene.check(item, "310115", minutes=0, checker="a" * 32)
    scene.check(f"01/{gtin(78)}/21/X1", "310115", minutes=0, checker="a" * 32)  # no such product at all
    scene.check("00/069012340000000018", None, minutes=0, checker="a" * 32)  # not an item key
    assert scene.findings("cloned_code") == []
