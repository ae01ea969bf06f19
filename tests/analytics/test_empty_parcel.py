"""empty_parcel: each reason found on a hand-built positive, and not on the honest pattern that looks alike."""

from __future__ import annotations

import pytest

from tests.analytics.scene import Scene


@pytest.fixture
def scene(engine, settings):
    return Scene(engine, settings)


def test_weight_below_net_names_the_packer_the_parcel_and_its_entries(scene):
    shop, courier = scene.merchant(), scene.courier()
    code = scene.product(net_weight_g=1500)
    scene.batch(code)
    items = scene.items(code, "L1", shop, 2)
    for item in items:
        scene.sell(shop, item, courier, minutes=0)
    parcel = scene.ship(shop, courier, items, minutes=30, weight_g=80)
    (found,) = scene.findings("empty_parcel")
    assert (found.reason, found.subject_party) == ("weight_below_net", shop.id)
    assert found.subject_keys == [parcel, *items]
    assert 900 <= found.score <= 1000 and "80 g" in found.detail and "3000 g" in found.detail
    assert len(found.evidence) == 2 and all(h[:12] in found.detail for h in found.evidence)


def test_light_goods_declared_light_are_no_finding(scene):
    shop, courier = scene.merchant(), scene.courier()
    code = scene.product(net_weight_g=60)  # a lipstick: a light parcel, honestly
    scene.batch(code)
    items = scene.items(code, "L1", shop, 2)
    for item in items:
        scene.sell(shop, item, courier, minutes=0)
    scene.ship(shop, courier, items, minutes=30, weight_g=90)
    heavy = scene.product(net_weight_g=1000)
    scene.batch(heavy)
    (item,) = scene.items(heavy, "L1", shop)
    scene.sell(shop, item, courier, minutes=0)
    scene.ship(shop, courier, [item], minutes=30, weight_g=950)  # packed goods, a little under net: honest
    assert scene.findings("empty_parcel") == []


def test_rerunning_adds_no_finding(scene):
    shop, courier = scene.merchant(), scene.courier()
    code = scene.product(net_weight_g=1500)
    scene.batch(code)
    (item,) = scene.items(code, "L1", shop)
    scene.sell(shop, item, courier, minutes=0)
    scene.ship(shop, courier, [item], minutes=30, weight_g=10)
    first = scene.findings()
    assert [f.id for f in scene.findings()] == [f.id for f in first] and len(first) == 1


def _named(scene, found) -> None:  # noqa: ANN001
    """Every evidence hash is a ledger entry, and the sentence names each one."""
    assert found.evidence and set(found.evidence) <= scene.entries()
    assert all(h[:12] in found.detail for h in found.evidence)


def _sold(scene, shop, courier, n=1):  # noqa: ANN001, ANN202
    code = scene.product(net_weight_g=500)
    scene.batch(code)
    items = scene.items(code, "L1", shop, n)
    for item in items:
        scene.sell(shop, item, courier, minutes=0)
    return items


def test_unsold_items_a_sale_returned_before_the_parcel_left(scene):
    shop, courier = scene.merchant(), scene.courier()
    (item,) = _sold(scene, shop, courier)
    parcel = scene.ship(shop, courier, [item], minutes=30, weight_g=600)
    scene.deliver(courier, parcel, minutes=900)
    # The return is recorded after the delivery (capture wants it delivered) but dated before the dispatch.
    scene.put(shop, item, "return", {"reason": "取消"}, minutes=10, recorded=910)
    (found,) = scene.findings("empty_parcel")
    assert (found.reason, found.subject_party) == ("unsold_items", shop.id)
    assert found.subject_keys == [parcel, item] and len(found.evidence) == 3
    _named(scene, found)


def test_an_honest_return_days_after_delivery_is_no_finding(scene):
    shop, courier = scene.merchant(), scene.courier()
    first, second = _sold(scene, shop, courier, 2)
    parcel = scene.ship(shop, courier, [first, second], minutes=30, weight_g=1100)
    scene.deliver(courier, parcel, minutes=900)
    scene.put(shop, first, "return", {"reason": "不合适"}, minutes=4000)
    assert scene.findings("empty_parcel") == []


def test_waybill_reused_names_the_later_parcels_packer(scene):
    honest, cheat, courier = scene.merchant("honest"), scene.merchant("cheat"), scene.courier()
    (mine,) = _sold(scene, honest, courier)
    (theirs,) = _sold(scene, cheat, courier)
    first = scene.ship(honest, courier, [mine], minutes=30, weight_g=600, waybill="SF1234567890")
    second = scene.ship(cheat, courier, [theirs], minutes=200, weight_g=600, waybill="SF1234567890")
    (found,) = scene.findings("empty_parcel")
    assert (found.reason, found.subject_party) == ("waybill_reused", cheat.id)
    assert found.subject_keys == [second, first] and len(found.evidence) == 2
    _named(scene, found)


def test_waybill_reused_judges_by_event_time_not_a_late_recorded_scan(scene):
    honest, cheat, courier = scene.merchant("honest"), scene.merchant("cheat"), scene.courier()
    (theirs,) = _sold(scene, cheat, courier)
    (mine,) = _sold(scene, honest, courier)
    # The cheat's dispatch is recorded first; the honest one, scanned earlier offline, is recorded hours later.
    second = scene.ship(cheat, courier, [theirs], minutes=200, weight_g=600, waybill="YT9876543210")
    first = scene.ship(honest, courier, [mine], minutes=30, weight_g=600, waybill="YT9876543210", recorded=400)
    (found,) = scene.findings("empty_parcel")
    assert (found.subject_party, found.subject_keys) == (cheat.id, [second, first])


def test_distinct_waybills_are_no_finding(scene):
    shop, courier = scene.merchant(), scene.courier()
    for item in _sold(scene, shop, courier, 3):
        scene.ship(shop, courier, [item], minutes=30, weight_g=600, recorded=300)  # offline scans, late
    assert scene.findings("empty_parcel") == []


def test_nothing_packed_an_sscc_shipped_and_received_by_epcis_only(scene):
    shop, courier = scene.merchant(), scene.courier()
    _sold(scene, shop, courier)
    sscc = scene.parcel()  # never packed here
    shipped = scene.epcis(shop, sscc, "urn:epcglobal:cbv:bizstep:shipping", minutes=30)
    received = scene.epcis(courier, sscc, "https://ref.gs1.org/cbv/BizStep-receiving", minutes=900)
    (found,) = scene.findings("empty_parcel")
    assert (found.reason, found.subject_party, found.subject_keys) == ("nothing_packed", shop.id, [sscc])
    assert found.evidence == [shipped, received] and found.score == 900
    _named(scene, found)


def test_nothing_packed_a_parcel_emptied_before_its_dispatch(scene):
    shop, courier = scene.merchant(), scene.courier()
    (item,) = _sold(scene, shop, courier)
    parcel = scene.ship(shop, courier, [item], minutes=30, weight_g=600)
    scene.deliver(courier, parcel, minutes=900)
    scene.put(shop, parcel, "unpack", {"items": [item]}, minutes=28, recorded=905)  # dated before the dispatch
    (found,) = scene.findings("empty_parcel")
    assert (found.reason, found.subject_party, found.subject_keys) == ("nothing_packed", shop.id, [parcel, item])
    assert len(found.evidence) == 4
    _named(scene, found)


def test_packed_parcels_described_by_epcis_or_unpacked_on_arrival_are_no_finding(scene):
    shop, courier = scene.merchant(), scene.courier()
    first, second = _sold(scene, shop, courier, 2)
    parcel = scene.ship(shop, courier, [first], minutes=30, weight_g=600)
    scene.epcis(shop, parcel, "shipping", minutes=31)  # an EPCIS copy of a parcel that was packed
    scene.deliver(courier, parcel, minutes=900)
    scene.put(shop, parcel, "unpack", {"items": [first]}, minutes=950)  # unpacked at the destination
    scene.epcis(courier, scene.parcel(), "storing", minutes=40)  # not a journey step
    scene.epcis(courier, scene.parcel(), "shipping", minutes=40)  # no seller claims it
    scene.epcis(shop, scene.parcel(), "receiving", minutes=40)  # stock coming in from a supplier
    assert scene.findings("empty_parcel") == []
