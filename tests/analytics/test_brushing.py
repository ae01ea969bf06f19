"""brushing: each reason found on a hand-built positive, and not on the honest pattern that looks alike."""

from __future__ import annotations

import pytest

from tests.analytics.scene import Scene

DAY = 1440


@pytest.fixture
def scene(engine, settings):
    return Scene(engine, settings)


def assert_evidence(scene: Scene, found) -> None:  # noqa: ANN001
    """Every evidence hash is an entry, and the detail names it."""
    assert found.evidence and all(h[:12] in found.detail for h in found.evidence)
    assert all(scene.is_entry(h) for h in found.evidence)


def order(scene: Scene, shop, courier, *, minutes: float, recipient: str | None = None,  # noqa: ANN001
          buyer: str | None = None, weight_g: int = 600) -> tuple[str, str]:
    """One item of `shop` sold and shipped by `courier`: (item, parcel)."""
    code = scene.product(net_weight_g=500)
    lot = f"L{minutes:.0f}".replace("-", "M")
    scene.batch(code, lot)
    (item,) = scene.items(code, lot, shop)
    scene.sell(shop, item, courier, minutes=minutes, buyer=buyer)
    parcel = scene.ship(shop, courier, [item], minutes=minutes + 30, weight_g=weight_g, recipient=recipient)
    return item, parcel


def test_one_recipient_ordered_from_five_shops_in_a_day_names_each_shop(scene):
    courier = scene.courier()
    shops = [scene.merchant(f"shop{i}") for i in range(5)]
    person = scene.person(courier)
    items = [order(scene, shop, courier, minutes=60 * i, recipient=person)[0] for i, shop in enumerate(shops)]
    items.append(order(scene, shops[0], courier, minutes=400, recipient=person)[0])
    found = scene.findings("brushing")
    assert {(f.reason, f.subject_party) for f in found} == {("one_recipient_many_shops", s.id) for s in shops}
    first = next(f for f in found if f.subject_party == shops[0].id)
    assert first.subject_keys == [items[0], items[5]] and "6 orders from 5 shops" in first.detail
    assert len(first.evidence) == 2
    assert_evidence(scene, first)


def test_a_shopper_buying_from_five_shops_over_weeks_is_no_finding(scene):
    courier = scene.courier()
    person = scene.person(courier)
    for i in range(6):
        order(scene, scene.merchant(f"shop{i % 5}"), courier, minutes=2 * DAY * i - 3 * DAY, recipient=person)
    assert scene.findings("brushing") == []


def test_shipments_delivered_far_away_with_no_transit_scan_are_fake_legs(scene):
    shop, courier = scene.merchant(), scene.courier()
    parcels = []
    for i in range(4):
        item, parcel = order(scene, shop, courier, minutes=100 * i)
        scene.deliver(courier, parcel, "440106", minutes=100 * i + 600)  # Guangzhou, no scan on the way
        parcels.append(parcel)
    (found,) = scene.findings("brushing")
    assert (found.reason, found.subject_party) == ("fake_courier_leg", shop.id)
    assert found.subject_keys == parcels and "4 of this shop's 4 shipments" in found.detail
    assert len(found.evidence) == 8
    assert_evidence(scene, found)


def test_long_routes_with_late_recorded_transit_scans_are_no_finding(scene):
    shop, courier = scene.merchant(), scene.courier()
    for i in range(4):
        _, parcel = order(scene, shop, courier, minutes=100 * i)
        # An offline scanner: the hub scan is recorded hours after its event time, just before the delivery.
        scene.transit(courier, parcel, "360100", minutes=100 * i + 400, recorded=100 * i + 890)
        scene.deliver(courier, parcel, "440106", minutes=100 * i + 900)
    assert scene.findings("brushing") == []


def test_a_courier_skipping_scans_for_every_shop_answers_for_it_not_the_shops(scene):
    courier = scene.courier("lazy")
    for name in ("shop", "other"):
        shop = scene.merchant(name)
        for i in range(4):
            _, parcel = order(scene, shop, courier, minutes=100 * i)
            scene.deliver(courier, parcel, "440106", minutes=100 * i + 600)
    assert scene.findings("brushing") == []


def cycle(scene: Scene, shop, courier, item: str, *, minutes: float, relist: bool = True) -> None:  # noqa: ANN001
    scene.sell(shop, item, courier, minutes=minutes)
    parcel = scene.ship(shop, courier, [item], minutes=minutes + 30, weight_g=600)
    scene.deliver(courier, parcel, minutes=minutes + 300)
    scene.put(shop, item, "return", {"reason": "不想要了"}, minutes=minutes + 400)
    if relist:
        scene.put(shop, item, "list", {"price": "99.00"}, minutes=minutes + 410)


def test_items_sold_and_returned_again_and_again_are_cycles(scene):
    shop, courier = scene.merchant(), scene.courier()
    code = scene.product()
    scene.batch(code)
    items = scene.items(code, "L1", shop, 2)
    for n in range(3):
        for k, item in enumerate(items):
            cycle(scene, shop, courier, item, minutes=n * 600 + k * 10)
    (found,) = scene.findings("brushing")
    assert (found.reason, found.subject_party) == ("sell_return_cycles", shop.id)
    assert found.subject_keys == items and "returned 6 times" in found.detail
    assert len(found.evidence) == 12
    assert_evidence(scene, found)


def test_one_off_returns_are_no_finding(scene):
    shop, courier = scene.merchant(), scene.courier()
    code = scene.product()
    scene.batch(code)
    items = scene.items(code, "L1", shop, 3)
    for k in range(2):  # two items returned twice: rare, but not yet a pattern
        cycle(scene, shop, courier, items[k], minutes=20 * k)
        cycle(scene, shop, courier, items[k], minutes=600 + 20 * k, relist=False)
    cycle(scene, shop, courier, items[2], minutes=40, relist=False)
    assert scene.findings("brushing") == []


def test_a_burst_of_sales_to_buyers_seen_nowhere_else(scene):
    shop, courier = scene.merchant(), scene.courier()
    code = scene.product()
    scene.batch(code)
    items = scene.items(code, "L1", shop, 8)
    sales = [scene.sell(shop, item, courier, minutes=10 * i, buyer=scene.person(shop)) for i, item in enumerate(items)]
    (found,) = scene.findings("brushing")
    assert (found.reason, found.subject_party) == ("burst_from_new_buyers", shop.id)
    assert found.subject_keys == items and list(found.evidence) == sales and "8 sales" in found.detail
    assert_evidence(scene, found)


def test_a_burst_found_early_is_refreshed_in_place_as_it_grows(scene):
    shop, courier = scene.merchant(), scene.courier()
    code = scene.product()
    scene.batch(code)
    items = scene.items(code, "L1", shop, 10)
    for i, item in enumerate(items[:8]):
        scene.sell(shop, item, courier, minutes=10 * i, buyer=scene.person(shop))
    (first,) = scene.findings("brushing")
    for i, item in enumerate(items[8:]):
        scene.sell(shop, item, courier, minutes=100 + 10 * i, buyer=scene.person(shop))
    (grown,) = scene.findings("brushing")
    assert grown.id == first.id and grown.subject_keys == items and len(grown.evidence) == 10


def test_a_promotion_to_buyers_who_shop_elsewhere_or_spread_over_days_is_no_finding(scene):
    shop, other, courier = scene.merchant(), scene.merchant("other"), scene.courier()
    code = scene.product()
    scene.batch(code)
    items = scene.items(code, "L1", shop, 16)
    for i, item in enumerate(items[:8]):
        buyer = scene.person(shop)
        scene.sell(shop, item, courier, minutes=10 * i, buyer=buyer)
        order(scene, other, courier, minutes=3 * DAY + i, recipient=buyer)  # they shop elsewhere too
    for i, item in enumerate(items[8:]):
        scene.sell(shop, item, courier, minutes=DAY * (i + 1) / 2, buyer=scene.person(shop))
    assert scene.findings("brushing") == []


def test_underweight_parcels_are_fake_legs(scene):
    shop, courier = scene.merchant(), scene.courier()
    parcels = [order(scene, shop, courier, minutes=100 * i, weight_g=20)[1] for i in range(3)]
    (found,) = scene.findings("brushing")
    assert (found.reason, found.subject_party, found.subject_keys) == ("fake_courier_leg", shop.id, parcels)
    assert "net weight" in found.detail and len(found.evidence) == 3
    assert_evidence(scene, found)


def test_parcels_the_other_empty_parcel_reasons_find_are_fake_legs_too(scene):
    # Three waybills each on two parcels: the second parcel of each pair is an empty parcel, a fake order.
    shop, courier = scene.merchant(), scene.courier()
    seconds = []
    for i in range(3):
        for k in range(2):
            code = scene.product(net_weight_g=500)
            scene.batch(code, f"W{i}{k}")
            (item,) = scene.items(code, f"W{i}{k}", shop)
            scene.sell(shop, item, courier, minutes=300 * i + 60 * k)
            parcel = scene.ship(shop, courier, [item], minutes=300 * i + 60 * k + 30, weight_g=600,
                                waybill=f"WB-REUSED-{i}")
            if k:
                seconds.append(parcel)
    found = [f for f in scene.findings("brushing") if f.reason == "fake_courier_leg"]
    assert [(f.subject_party, sorted(f.subject_keys)) for f in found] == [(shop.id, sorted(seconds))]
    assert "waybill_reused" in found[0].detail
    assert_evidence(scene, found[0])


def test_a_busy_shop_s_few_empty_parcels_are_fake_legs_whatever_its_honest_volume(scene):
    # 3 underweight parcels among 33 shipments (9%): the shop's own deed, so no share is asked of it.
    shop, courier = scene.merchant(), scene.courier()
    for i in range(30):
        order(scene, shop, courier, minutes=20 * i)
    light = [order(scene, shop, courier, minutes=1000 + 100 * i, weight_g=20)[1] for i in range(3)]
    (found,) = [f for f in scene.findings("brushing") if f.reason == "fake_courier_leg"]
    assert (found.subject_party, found.subject_keys) == (shop.id, light)
    assert "3 of this shop's 33 shipments" in found.detail
