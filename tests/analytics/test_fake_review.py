"""fake_review: each reason found on a hand-built positive, and not on the honest pattern that looks alike."""

from __future__ import annotations

import pytest

from suyuan.analytics import Analyzer

from tests.analytics.scene import Scene

DAY = 1440
LONG = "包装完好，味道新鲜，物流也快，下次还会再买。"


@pytest.fixture
def scene(engine, settings):
    return Scene(engine, settings)


def delivered(scene: Scene, shop, courier, n: int, *, minutes: float, region: str = "310115",  # noqa: ANN001
              recipient: str | None = None, transit: bool = True) -> list[tuple[str, str, float]]:
    """`n` items of `shop`, each sold, shipped and delivered: (item, review token, delivery minute)."""
    code = scene.product()
    lot = f"L{scene._products}"
    scene.batch(code, lot)
    out = []
    for k, item in enumerate(scene.items(code, lot, shop, n)):
        at = minutes + 10 * k
        scene.sell(shop, item, courier, minutes=at - 200)
        parcel = scene.ship(shop, courier, [item], minutes=at - 150, weight_g=600, recipient=recipient)
        if transit:
            scene.transit(courier, parcel, "320500", minutes=at - 100)
        tokens = scene.deliver(courier, parcel, region, minutes=at)
        out.append((item, tokens[item], at))
    return out


def named(scene: Scene, found) -> bool:  # noqa: ANN001
    return bool(found.evidence) and all(scene.is_entry(h) and h[:12] in found.detail for h in found.evidence)


def by_reason(scene: Scene, reason: str) -> list:
    return [f for f in scene.findings("fake_review") if f.reason == reason]


def test_ten_five_star_reviews_within_two_hours_are_a_burst(scene):
    shop, courier = scene.merchant(), scene.courier()
    goods = delivered(scene, shop, courier, 10, minutes=0)
    for k, (item, token, _) in enumerate(goods):
        scene.review(token, item, 5, minutes=3 * DAY + 10 * k, text="好评")
    (found,) = scene.findings("fake_review")
    assert (found.reason, found.subject_party) == ("review_burst", shop.id)
    assert found.subject_keys == [g[0] for g in goods] and len(found.evidence) == 10 and named(scene, found)
    assert "10 reviews" in found.detail and "10 of them" in found.detail


def test_five_star_reviews_at_length_from_recipients_of_no_other_order_are_a_burst(scene):
    shop, courier = scene.merchant(), scene.courier()
    goods = [delivered(scene, shop, courier, 1, minutes=5 * k, recipient=scene.person(courier))[0] for k in range(10)]
    for k, (item, token, _) in enumerate(goods):
        scene.review(token, item, 5, minutes=3 * DAY + 10 * k, text=LONG)
    (found,) = scene.findings("fake_review")
    assert (found.reason, found.subject_party, len(found.evidence)) == ("review_burst", shop.id, 10)


def test_a_promotion_s_reviews_spread_out_or_written_at_length_are_no_burst(scene):
    shop, other, courier = scene.merchant(), scene.merchant("other"), scene.courier()
    for k, (item, token, _) in enumerate(delivered(scene, shop, courier, 10, minutes=0)):
        scene.review(token, item, 5, minutes=DAY + 300 * k, text="好")  # spread over two days
    for k, (item, token, _) in enumerate(delivered(scene, other, courier, 10, minutes=0)):
        scene.review(token, item, 3 + k % 3, minutes=DAY + 10 * k, text=LONG)  # real opinions, all sorts
    assert scene.findings("fake_review") == []


def test_reviews_minutes_after_delivery_at_scale(scene):
    shop, courier = scene.merchant(), scene.courier()
    goods = delivered(scene, shop, courier, 8, minutes=0)
    for item, token, at in goods:
        scene.review(token, item, 4, minutes=at + 3, text=LONG)
    (found,) = scene.findings("fake_review")
    assert (found.reason, found.subject_party) == ("reviews_right_after_delivery", shop.id)
    assert found.subject_keys == [g[0] for g in goods] and len(found.evidence) == 16 and named(scene, found)
    assert "8 of this shop's 8 reviews" in found.detail


def test_a_few_quick_reviewers_among_many_are_no_finding(scene):
    shop, courier = scene.merchant(), scene.courier()
    for k, (item, token, at) in enumerate(delivered(scene, shop, courier, 12, minutes=0)):
        scene.review(token, item, 4, minutes=at + (3 if k < 5 else DAY + 60 * k), text=LONG)
    assert scene.findings("fake_review") == []


def test_five_star_reviews_of_brushed_orders(scene):
    shop, courier = scene.merchant(), scene.courier()
    goods = delivered(scene, shop, courier, 4, minutes=0, region="440106", transit=False)  # fake courier legs
    for k, (item, token, at) in enumerate(goods[:3]):
        scene.review(token, item, 5, minutes=DAY + 500 * k, text=LONG)
    found = by_reason(scene, "five_star_brushing")
    assert [(f.subject_party, f.subject_keys) for f in found] == [(shop.id, [g[0] for g in goods[:3]])]
    assert len(found[0].evidence) == 3 and named(scene, found[0]) and "3 five-star reviews" in found[0].detail


def test_five_star_reviews_of_honest_long_haul_orders_are_no_finding(scene):
    shop, courier = scene.merchant(), scene.courier()
    goods = delivered(scene, shop, courier, 4, minutes=0, region="440106")  # scanned on the way
    for k, (item, token, at) in enumerate(goods[:3]):
        scene.review(token, item, 5, minutes=DAY + 500 * k, text=LONG)
    assert scene.findings("fake_review") == []


def test_one_recipient_reviewing_five_shops_in_an_afternoon(scene):
    courier = scene.courier()
    person = scene.person(courier)
    shops = [scene.merchant(f"shop{i}") for i in range(5)]
    goods = [delivered(scene, shop, courier, 1, minutes=DAY * i, recipient=person)[0] for i, shop in enumerate(shops)]
    for k, (item, token, _) in enumerate(goods):
        scene.review(token, item, 5, minutes=6 * DAY + 40 * k, text=LONG)
    found = by_reason(scene, "one_reviewer_many_shops")
    assert sorted((f.subject_party, tuple(f.subject_keys)) for f in found) == sorted(
        (s.id, (g[0],)) for s, g in zip(shops, goods))
    assert all(len(f.evidence) == 1 and named(scene, f) and "reviewed 5 shops" in f.detail for f in found)


def test_a_shopper_reviewing_five_shops_over_a_week_is_no_finding(scene):
    courier = scene.courier()
    person = scene.person(courier)
    for i in range(5):
        (item, token, at), = delivered(scene, scene.merchant(f"shop{i}"), courier, 1, minutes=DAY * 1.5 * i,
                                       recipient=person)
        scene.review(token, item, 5, minutes=at + 120, text=LONG)
    assert scene.findings("fake_review") == []


def test_the_incremental_analyzer_refreshes_a_burst_in_place(scene):
    shop, courier = scene.merchant(), scene.courier()
    goods = delivered(scene, shop, courier, 12, minutes=0)
    analyzer = Analyzer(scene.engine, scene.settings, ["fake_review"])
    for k, (item, token, _) in enumerate(goods[:10]):
        scene.review(token, item, 5, minutes=3 * DAY + 10 * k, text="好评")
    assert analyzer.step().stored.created == 1
    for k, (item, token, _) in enumerate(goods[10:]):
        scene.review(token, item, 5, minutes=3 * DAY + 100 + 10 * k, text="好评")
    report = analyzer.step()
    assert (report.stored.created, report.stored.updated) == (0, 1)
    (found,) = scene.findings("fake_review")
    assert found.subject_keys == [g[0] for g in goods] and len(found.evidence) == 12
