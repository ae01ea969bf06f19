"""unsafe_goods: each reason found on a hand-built batch, and not on the honest pattern that looks alike."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from suyuan.analytics import Analyzer
from tests.analytics.scene import Scene


@pytest.fixture
def scene(engine, settings):
    return Scene(engine, settings)


def _only(scene, reason, shop, batch, items):  # noqa: ANN001
    """The one unsafe_goods finding: its reason, the seller, the batch then its items, and named entries."""
    (found,) = scene.findings("unsafe_goods")
    assert (found.reason, found.subject_party) == (reason, shop.id)
    assert found.subject_keys == [batch, *items]
    assert found.evidence and set(found.evidence) <= scene.entries()
    assert all(h[:12] in found.detail for h in found.evidence)
    return found


def _backdated_sale(scene, shop, courier, item, *, minutes, recorded):  # noqa: ANN001
    data = {"price": "99.00", "order": "sha256:" + uuid.uuid4().hex * 2, "courier": courier.id}
    return scene.put(shop, item, "sell", data, minutes=minutes, recorded=recorded).hash.hex()


def _expiring(scene, shop):  # noqa: ANN001, ANN202
    """A batch that expires the day after the scene's start, and two of its items for `shop`."""
    code = scene.product()
    batch = scene.batch(code, expiry=(scene.t0 + timedelta(days=1)).date().isoformat())
    return batch, scene.items(code, "L1", shop, 2)


def test_sold_after_expiry_a_sale_recorded_days_after_with_its_date_set_back(scene):
    shop, courier = scene.merchant(), scene.courier()
    batch, (item, _) = _expiring(scene, shop)
    sale = _backdated_sale(scene, shop, courier, item, minutes=600, recorded=5 * 1440)
    found = _only(scene, "sold_after_expiry", shop, batch, [item])
    assert found.evidence[-1] == sale and len(found.evidence) == 2  # the batch's registration, the sale


def test_a_sale_on_the_last_day_shipped_by_a_late_scan_and_delivered_after_is_no_finding(scene):
    shop, courier = scene.merchant(), scene.courier()
    _, (item, _) = _expiring(scene, shop)
    scene.sell(shop, item, courier, minutes=1000)
    parcel = scene.ship(shop, courier, [item], minutes=1100, weight_g=600, recorded=1700)  # offline, hours late
    scene.deliver(courier, parcel, minutes=1100 + 2 * 1440)  # arrives after the expiry date, within days
    assert scene.findings("unsafe_goods") == []


def test_failed_inspection_then_sold_and_dispatched(scene):
    shop, courier = scene.merchant(), scene.courier()
    code = scene.product()
    batch = scene.batch(code)
    (item,) = scene.items(code, "L1", shop)
    fail = scene.put(scene.inspector, batch, "inspect", {"result": "fail"}, minutes=-100).hash.hex()
    sale = scene.sell(shop, item, courier, minutes=0)
    scene.ship(shop, courier, [item], minutes=30, weight_g=600)
    found = _only(scene, "failed_inspection", shop, batch, [item])
    assert found.evidence[:2] == [fail, sale] and len(found.evidence) == 3


def test_sales_before_a_fail_or_after_a_later_pass_are_no_finding(scene):
    shop, courier = scene.merchant(), scene.courier()
    code = scene.product()
    batch = scene.batch(code)
    early, late = scene.items(code, "L1", shop, 2)
    scene.sell(shop, early, courier, minutes=-200)
    scene.put(scene.inspector, batch, "inspect", {"result": "fail"}, minutes=-100)
    scene.put(scene.inspector, batch, "inspect", {"result": "pass"}, minutes=-50)
    scene.sell(shop, late, courier, minutes=0)
    scene.ship(shop, courier, [early, late], minutes=30, weight_g=1100)
    # a fail dated before the first sale but recorded after it: the sale still came first
    other = scene.batch(code, "L2")
    (item,) = scene.items(code, "L2", shop)
    scene.sell(shop, item, courier, minutes=0)
    scene.put(scene.inspector, other, "inspect", {"result": "fail"}, minutes=100)
    assert scene.findings("unsafe_goods") == []


def _seafood(scene, shop, *, category="aquatic", lot="L1"):  # noqa: ANN001, ANN202
    """A batch landed on the scene's first day with a two-day shelf life, and one item of it sold at 0."""
    code = scene.product(category=category)
    batch = scene.batch(code, lot, produced=scene.t0.date().isoformat(), shelf_life_days=2)
    (item,) = scene.items(code, lot, shop)
    return code, batch, item


def test_aquatic_shelf_life_outlasted_by_the_journey(scene):
    shop, courier = scene.merchant(), scene.courier()
    _, batch, item = _seafood(scene, shop)
    scene.sell(shop, item, courier, minutes=0)
    parcel = scene.ship(shop, courier, [item], minutes=30, weight_g=600)
    scene.deliver(courier, parcel, minutes=30 + int(3.5 * 1440))
    found = _only(scene, "aquatic_shelf_life", shop, batch, [item])
    assert len(found.evidence) == 3 and "2-day shelf life" in found.detail


def test_seafood_arriving_within_a_short_shelf_life_and_slow_dry_goods_are_no_finding(scene):
    shop, courier = scene.merchant(), scene.courier()
    for category, took in (("aquatic", int(1.5 * 1440)), ("food", int(3.5 * 1440))):
        _, _, item = _seafood(scene, shop, category=category)
        scene.sell(shop, item, courier, minutes=0)
        parcel = scene.ship(shop, courier, [item], minutes=30, weight_g=600)
        scene.deliver(courier, parcel, minutes=30 + took)
    assert scene.findings("unsafe_goods") == []


def test_an_incremental_step_adds_a_second_item_to_the_batchs_finding(scene, engine, settings):
    shop, courier = scene.merchant(), scene.courier()
    batch, (first, second) = _expiring(scene, shop)
    analyzer = Analyzer(engine, settings, types=["unsafe_goods"])
    _backdated_sale(scene, shop, courier, first, minutes=600, recorded=5 * 1440)
    assert analyzer.step().stored.created == 1
    _backdated_sale(scene, shop, courier, second, minutes=700, recorded=6 * 1440)
    assert analyzer.step().stored.updated == 1  # the step saw only the second item, the finding keeps both
    _only(scene, "sold_after_expiry", shop, batch, [first, second])
