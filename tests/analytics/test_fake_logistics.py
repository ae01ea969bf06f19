"""fake_logistics: each reason found on a courier's hand-built legs, and not on the honest pattern that looks alike.

A courier is named for a reason once `analytics_logistics_min_legs` (3) of its
legs show it, so each positive builds three odd legs; each near miss builds the
honest look-alike (late and offline scans, same-city deliveries, a
neighbouring district) and, where it helps, one odd leg alone.
"""

from __future__ import annotations

import pytest

from suyuan.analytics import Analyzer
from suyuan.analytics.detectors.fake_logistics import odd_legs
from tests.analytics.scene import Scene

JIANGSU, SUZHOU, NANJING = "320700", "320500", "320100"  # 连云港, 苏州, 南京: one province
PUDONG, HUANGPU = "310115", "310101"  # two districts of 上海
SHENZHEN, HANGZHOU = "440300", "330100"


@pytest.fixture
def scene(engine, settings):
    return Scene(engine, settings)


@pytest.fixture
def shop(scene):
    return scene.merchant()


@pytest.fixture
def courier(scene):
    return scene.courier()


def _parcel(scene, shop, courier, *, minutes=30, to_region=PUDONG, from_region=JIANGSU, **kw):  # noqa: ANN001
    """One item sold at 0 and shipped from `from_region` in its own parcel: the parcel's key."""
    code = scene.product(net_weight_g=500)
    scene.batch(code, lot="L1")
    (item,) = scene.items(code, "L1", shop)
    scene.sell(shop, item, courier, minutes=0)
    return scene.ship(shop, courier, [item], minutes=minutes, weight_g=600, from_region=from_region,
                      to_region=to_region, **kw)


def _only(scene, reason, courier, legs):  # noqa: ANN001
    """The one fake_logistics finding: its reason, the courier, the legs, and entries it names."""
    (found,) = scene.findings("fake_logistics")
    assert (found.reason, found.subject_party) == (reason, courier.id)
    assert sorted(found.subject_keys) == sorted(legs)
    assert found.evidence and set(found.evidence) <= scene.entries()
    assert all(h[:12] in found.detail for h in found.evidence)
    return found


def test_no_transit_scans_between_provinces(scene, shop, courier):
    legs = [_parcel(scene, shop, courier) for _ in range(3)]
    for parcel in legs:
        scene.deliver(courier, parcel, PUDONG, minutes=1500)
    found = _only(scene, "no_transit_scans", courier, legs)
    assert len(found.evidence) == 6  # each leg's dispatch and delivery


def test_transit_scans_recorded_late_and_routes_within_a_province_are_no_finding(scene, shop, courier):
    for _ in range(3):
        parcel = _parcel(scene, shop, courier)
        scene.transit(courier, parcel, SUZHOU, minutes=600, recorded=1600)  # offline: the scanner uploads late
        scene.deliver(courier, parcel, PUDONG, minutes=1500, recorded=1600)
    for _ in range(3):
        parcel = _parcel(scene, shop, courier, to_region=NANJING)
        scene.deliver(courier, parcel, NANJING, minutes=400)
    assert scene.findings("fake_logistics") == []


def test_too_fast_between_provinces(scene, shop, courier):
    legs = [_parcel(scene, shop, courier) for _ in range(3)]
    for parcel in legs:
        scene.transit(courier, parcel, PUDONG, minutes=40)
        scene.deliver(courier, parcel, PUDONG, minutes=55)
    found = _only(scene, "too_fast", courier, legs)
    assert "25 minutes after dispatch" in found.detail


def test_same_city_deliveries_within_the_hour_and_one_fast_leg_are_no_finding(scene, shop, courier):
    for _ in range(4):
        parcel = _parcel(scene, shop, courier, from_region=PUDONG, to_region=HUANGPU)
        scene.deliver(courier, parcel, HUANGPU, minutes=70)  # 40 minutes across 上海
    for _ in range(3):
        parcel = _parcel(scene, shop, courier, recorded=900)  # the dispatch scan recorded hours late
        scene.transit(courier, parcel, SUZHOU, minutes=300)
        scene.deliver(courier, parcel, PUDONG, minutes=800)
    lone = _parcel(scene, shop, courier)
    scene.transit(courier, lone, SUZHOU, minutes=40)
    scene.deliver(courier, lone, PUDONG, minutes=60)  # a single odd leg: a scanner's slip, not a courier's habit
    assert scene.findings("fake_logistics") == []


def test_signed_elsewhere_in_another_city(scene, shop, courier):
    legs = [_parcel(scene, shop, courier) for _ in range(3)]
    for parcel in legs:
        scene.transit(courier, parcel, SUZHOU, minutes=300)
        scene.deliver(courier, parcel, SHENZHEN, minutes=1500)
    _only(scene, "signed_elsewhere", courier, legs)


def test_signed_in_a_neighbouring_district_is_no_finding(scene, shop, courier):
    for _ in range(3):
        parcel = _parcel(scene, shop, courier, to_region=PUDONG)
        scene.transit(courier, parcel, SUZHOU, minutes=300)
        scene.deliver(courier, parcel, HUANGPU, minutes=1500)
    assert scene.findings("fake_logistics") == []


def _picked_up(scene, shop, courier, *, sold, dispatched, recorded=None):  # noqa: ANN001
    """Pack first, sell at `sold`, then the dispatch (recorded after the sale) dated `dispatched`."""
    code = scene.product(net_weight_g=500)
    scene.batch(code, lot="L1")
    (item,) = scene.items(code, "L1", shop)
    parcel = scene.parcel()
    scene.put(shop, parcel, "pack", {"items": [item], "courier": courier.id}, minutes=-60)
    scene.sell(shop, item, courier, minutes=sold)
    scene.put(courier, parcel, "dispatch", {"waybill": f"WB{parcel[-10:]}", "weight_g": 600,
                                            "from_region": JIANGSU, "to_region": JIANGSU},
              minutes=dispatched, recorded=recorded)
    return parcel


def test_pickup_before_sale(scene, shop, courier):
    legs = [_picked_up(scene, shop, courier, sold=300, dispatched=30, recorded=310) for _ in range(3)]
    found = _only(scene, "pickup_before_sale", courier, legs)
    assert len(found.evidence) == 6  # each leg's sale and dispatch


def test_pickup_minutes_before_a_sale_or_recorded_late_is_no_finding(scene, shop, courier):
    for _ in range(3):
        _picked_up(scene, shop, courier, sold=300, dispatched=295)  # clocks a few minutes apart
        _picked_up(scene, shop, courier, sold=300, dispatched=400, recorded=900)  # offline scan
    assert scene.findings("fake_logistics") == []


def test_transit_jump_between_provinces(scene, shop, courier):
    legs = [_parcel(scene, shop, courier) for _ in range(3)]
    for parcel in legs:
        scene.transit(courier, parcel, SUZHOU, minutes=100)
        scene.transit(courier, parcel, SHENZHEN, minutes=130)
        scene.transit(courier, parcel, HANGZHOU, minutes=600)
        scene.deliver(courier, parcel, PUDONG, minutes=1500)
    found = _only(scene, "transit_jump", courier, legs)
    assert "30 minutes later in 440300" in found.detail


def test_transit_scans_recorded_out_of_order_are_no_finding(scene, shop, courier):
    for _ in range(3):
        parcel = _parcel(scene, shop, courier)
        scene.transit(courier, parcel, SUZHOU, minutes=100)
        scene.transit(courier, parcel, HANGZHOU, minutes=600)
        scene.transit(courier, parcel, NANJING, minutes=120, recorded=700)  # offline, recorded after 杭州's
        scene.deliver(courier, parcel, PUDONG, minutes=1500)
    assert scene.findings("fake_logistics") == []


def test_rerunning_refreshes_the_couriers_finding_in_place(scene, shop, courier):
    legs = [_parcel(scene, shop, courier) for _ in range(3)]
    for parcel in legs:
        scene.deliver(courier, parcel, PUDONG, minutes=1500)
    (first,) = scene.findings("fake_logistics")
    more = _parcel(scene, shop, courier)
    scene.deliver(courier, more, PUDONG, minutes=1500)
    (again,) = scene.findings("fake_logistics")
    assert again.id == first.id and more in again.subject_keys and more not in first.subject_keys


def test_incremental_steps_count_the_couriers_earlier_legs(scene, shop, courier, engine, settings):
    analyzer = Analyzer(engine, settings, types=["fake_logistics"])
    legs = []
    for n in range(3):
        legs.append(_parcel(scene, shop, courier))
        scene.deliver(courier, legs[-1], PUDONG, minutes=1500)
        report = analyzer.step()
        assert report.stored.created == (1 if n == 2 else 0)  # named at the third leg, judged one step at a time
    _only(scene, "no_transit_scans", courier, legs)


def test_odd_legs_answers_a_single_odd_leg_the_courier_is_not_named_for(scene, shop, courier, engine, settings):
    lone = _parcel(scene, shop, courier)
    scene.deliver(courier, lone, SHENZHEN, minutes=45)
    analyzer = Analyzer(engine, settings)
    analyzer.step()
    found = {reason for _, reason, _ in odd_legs(analyzer.facts, lone, settings)}
    assert found == {"no_transit_scans", "too_fast", "signed_elsewhere"}
    assert scene.findings("fake_logistics") == []
