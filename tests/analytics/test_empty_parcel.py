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
