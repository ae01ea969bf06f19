"""`suyuan demo`: a realistic traceability story, written through the real domain write path.

The story (all demo data, every party and person invented):

- 连云港 (Lianyungang, 320700): a fishing co-op lands a batch of swimming crab
  from Haizhou Bay (FAO 61); the inspector samples it (pass); a platform lists
  and sells the crabs; a cold-chain courier carries them to shoppers in
  Shanghai, Nanjing, Suzhou, Hangzhou and Beijing, who review them.
- 东海 (Donghai, 320722): a crystal maker registers a batch of quartz spheres
  with a gemstone certificate (file hash); a merchant shop sells them; a second
  courier carries them. One dispatch is suspicious: 120 g declared for a 700 g
  sphere and "delivered" in Shanghai 25 minutes later, followed by a five-star
  review: a brushing order (刷单). It raises soft flags for the inspector.
- 灌云 (Guanyun, 320723): a farmers' co-op sells two lots of rice; some orders
  travel two bags to a parcel (SSCC). The inspector's sampling of the second
  lot fails (cadmium above GB 2762) and the lot is recalled; a shopper
  complains with her review token and the platform accepts the return.

Every event is captured by the party responsible for it (`capture_in`, the
same rules as the API), so the demo also exercises the rules. Buyers' and
recipients' names, phones and addresses are sealed in the privacy vault; sale
and delivery entries carry only the vault's commitments.

The cast and the invented shoppers are in `demo.cast`; how the steps are
written, and why running the demo again changes nothing, in `demo.seeding`.
The story's clock is anchored on the time recorded for its first statement.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TextIO

from sqlalchemy import Engine

from suyuan.codes.gs1 import make_key
from suyuan.config import Settings
from suyuan.demo.cast import CAST, ROLE_LABEL, Buyer, invent_buyer
from suyuan.demo.seeding import (
    KEYS_FILE,
    Cast,
    Lot,
    Outcome,
    Person,
    Plan,
    ensure_cast,
    gtin14,
    label_id,
    recorded,
    remember_tokens,
    order_commitment,
    run_plan,
    sha,
    sscc18,
)
from suyuan.runtime import open_ledger
from suyuan.timestamps import parse_time
from suyuan.trace.goods.registry import new_serial
from suyuan.trace.parties.registry import PartyView

__all__ = ["CAST", "KEYS_FILE", "build_plan", "item_keys", "seed", "story_start"]

UTC = timezone.utc
STORY_DAYS = 13  # the story ends about a day before it is first written: nothing in the future

CRAB = Lot("crab", gtin14("690123456001"), "LYG-SZX-A01", "producer_sea", 36, "SZX")
CRYSTAL = Lot("crystal", gtin14("692345600102"), "DH-QZ-26A", "producer_crystal", 18, "DHQ")
RICE_A = Lot("rice-a", gtin14("695678900203"), "GY-DM-26A", "producer_farm", 16, "GYM")
RICE_B = Lot("rice-b", gtin14("695678900203"), "GY-DM-26B", "producer_farm", 10, "GYM")
LOTS = (CRAB, CRYSTAL, RICE_A, RICE_B)
ANCHOR_LABEL = "product/crab/register"


def build_plan(cast: Cast, start: datetime, item_keys: dict[str, list[str]]) -> Plan:
    p = Plan(cast, start, item_keys)
    _goods(p)
    _seafood_sales(p)
    _crystal_sales(p)
    _rice_sales(p)
    _recall(p)
    return p


def _goods(p: Plan) -> None:
    c = p.cast
    p.add("product/crab/register", make_key(gtin=CRAB.gtin), "register", p.at(0, 6), c.producer_sea, {
        "name": "连云港海州湾 冷冻梭子蟹 1 kg", "category": "aquatic", "net_weight_g": 1000,
        "brand": "海州湾渔港"})
    p.add("batch/crab/register", make_key(gtin=CRAB.gtin, lot=CRAB.lot), "register", p.at(0, 8),
          c.producer_sea, {
              "production_date": _day(p, 0), "shelf_life_days": 365, "quantity": CRAB.count,
              "origin": {"region": "320700", "place": "连云港海州湾 连云港中心渔港",
                         "lat": "34.7591", "lon": "119.4517"},
              "seafood": {"vessel": "苏连渔 05123", "catch_area": "FAO 61 西北太平洋 海州湾渔场",
                          "landing_date": _day(p, 0)},
              "certificates": [{"name": "捕捞许可证 (船名: 苏连渔 05123)", "sha256": sha("fishing licence")}]})
    p.add("batch/crab/self-inspect", make_key(gtin=CRAB.gtin, lot=CRAB.lot), "inspect", p.at(0, 10),
          c.producer_sea, {"result": "pass", "note": "出厂检验：感官、挥发性盐基氮合格"})
    p.add("batch/crab/sampling", make_key(gtin=CRAB.gtin, lot=CRAB.lot), "inspect", p.at(1, 9),
          c.inspector, {"result": "pass", "sampling": True, "lab_report_sha256": sha("crab lab report"),
                        "note": "GB 2733-2015 鲜、冻动物性水产品 抽检合格"})

    p.add("product/crystal/register", make_key(gtin=CRYSTAL.gtin), "register", p.at(0, 7), c.producer_crystal, {
        "name": "东海水晶 天然白水晶球 直径 8 cm", "category": "crystal", "net_weight_g": 700, "brand": "晶都"})
    p.add("batch/crystal/register", make_key(gtin=CRYSTAL.gtin, lot=CRYSTAL.lot), "register", p.at(0, 9),
          c.producer_crystal, {
              "production_date": _day(p, -6), "quantity": CRYSTAL.count,
              "origin": {"region": "320722", "place": "东海县 中国东海水晶城", "lat": "34.5424", "lon": "118.7716"},
              "certificates": [{"name": "NGTC 天然水晶鉴定证书", "sha256": sha("crystal certificate")}]})
    p.add("batch/crystal/self-inspect", make_key(gtin=CRYSTAL.gtin, lot=CRYSTAL.lot), "inspect", p.at(0, 11),
          c.producer_crystal, {"result": "pass", "lab_report_sha256": sha("crystal certificate"),
                               "note": "GB/T 16552 珠宝玉石鉴定：天然水晶"})

    p.add("product/rice/register", make_key(gtin=RICE_A.gtin), "register", p.at(0, 7), c.producer_farm, {
        "name": "灌云 伊山大米 5 kg", "category": "farm_produce", "net_weight_g": 5000, "brand": "伊山"})
    for lot, produced in ((RICE_A, -12), (RICE_B, -5)):
        key = make_key(gtin=lot.gtin, lot=lot.lot)
        p.add(f"batch/{lot.name}/register", key, "register", p.at(0, 10), c.producer_farm, {
            "production_date": _day(p, produced), "shelf_life_days": 365, "quantity": lot.count,
            "origin": {"region": "320723", "place": "灌云县 伊山镇", "lat": "34.2839", "lon": "119.2391"}})
    p.add("batch/rice-a/sampling", make_key(gtin=RICE_A.gtin, lot=RICE_A.lot), "inspect", p.at(1, 14),
          c.inspector, {"result": "pass", "sampling": True, "lab_report_sha256": sha("rice A lab report"),
                        "note": "GB 2762-2022 污染物限量 抽检合格"})

    sellers = {"crab": "platform", "crystal": "merchant", "rice-a": "platform", "rice-b": "platform"}
    for lot in LOTS:
        producer, seller = getattr(p.cast, lot.producer), getattr(p.cast, sellers[lot.name])
        for n, key in enumerate(p.item_keys[lot.name]):
            p.add(f"item/{lot.name}/{n}/register", key, "register", p.at(0, 13) + timedelta(minutes=n),
                  producer, {"seller": seller.id})
            price = {"crab": "128.00", "crystal": "399.00"}.get(lot.name, "59.90")
            listing = {"price": price, "platform": "苏源优选",
                       "shop": "东海晶韵水晶" if lot.name == "crystal" else "苏源优选自营"}
            p.add(f"item/{lot.name}/{n}/list", key, "list", p.at(1, 9) + timedelta(minutes=n), seller, listing)


def _waybill(p: Plan, courier: str) -> str:
    return p.waybill("SD" if courier == "courier_a" else "YT")


def _day(p: Plan, day: int) -> str:
    return (p.start + timedelta(days=day)).date().isoformat()


def _sale(p: Plan, label: str, key: str, seller: PartyView, courier: str, price: str, when: datetime,
          buyer: Buyer, order: str | None = None) -> None:
    """A sale: the buyer sealed in the vault, the sale entry holding the commitment as its order reference."""
    order = order or label
    p.add(f"{label}/sell", key, "sell", when, seller,
          {"price": price, "order": order_commitment(order), "courier": getattr(p.cast, courier).id},
          person=Person("buyer", "consumer", {"name": buyer.name, "phone": buyer.phone}, f"{order}/buyer", seller))


def _journey(p: Plan, label: str, key: str, courier: str, sold: datetime, origin: tuple[str, str], buyer: Buyer,
             weight_g: int, *, delivered: bool = True, review: tuple[int, str] | None = None) -> None:
    """Dispatch, two route scans, delivery to the buyer, and perhaps a review."""
    party = getattr(p.cast, courier)
    region, hub, hub_region, _ = buyer.dest
    dispatched = sold + timedelta(hours=3)
    recipient = _recipient(buyer, label, party)
    p.add(f"{label}/dispatch", key, "dispatch", dispatched, party, {
        "waybill": _waybill(p, courier), "weight_g": weight_g, "from_region": origin[0], "to_region": region},
        person=recipient)
    p.add(f"{label}/depart", key, "transit", dispatched + timedelta(hours=2), party,
          {"hub": "连云港转运中心", "region": "320700", "action": "depart"})
    if not delivered:
        return  # still on its way
    p.add(f"{label}/arrive", key, "transit", dispatched + timedelta(hours=14), party,
          {"hub": hub, "region": hub_region, "action": "arrive"})
    p.add(f"{label}/deliver", key, "deliver", dispatched + timedelta(hours=22), party,
          {"signed_by": buyer.signed_by, "region": region}, person=recipient)
    if review is not None:
        for i, item in enumerate(_items_of(p, key)):
            p.add(f"{label}/review/{i}", item, "review", dispatched + timedelta(hours=40), None,
                  {"rating": review[0], "text": review[1]}, token_of=item)


def _recipient(buyer: Buyer, label: str, courier: PartyView) -> Person:
    """The waybill's addressee: the courier stores them when it takes the parcel."""
    return Person("recipient", "recipient", {"name": buyer.recipient, "phone": buyer.phone,
                                             "address": buyer.address}, f"{label}/recipient", courier)


def _items_of(p: Plan, key: str) -> list[str]:
    if not key.startswith("00/"):
        return [key]
    return [s.data["items"] for s in p.steps if s.key == key and s.type == "pack"][0]


CRAB_REVIEWS = (
    (5, "蟹很肥，黄多，冷链到家还冻得硬邦邦的，扫码能看到哪条船哪天上岸，放心。"),
    (5, "第二次买了，个头均匀，清蒸十分钟，鲜甜。"),
    (4, "味道不错，有一只腿断了，整体满意。"),
    (5, "溯源信息很全，捕捞海域、上岸日期都有，推荐。"),
    (3, "物流慢了一天，冰袋化了一半，蟹还行。"),
    (5, "包装严实，冰块很足，孩子很爱吃。"),
)
CRYSTAL_REVIEWS = (
    (5, "通透度很好，附带鉴定证书，扫码核对证书哈希一致。"),
    (4, "有一点点棉絮，天然的可以理解，底座做工好。"),
    (5, "送人很体面，包装用了泡沫箱，没有磕碰。"),
)
RICE_REVIEWS = (
    (5, "新米，煮出来很香，有嚼劲。"),
    (4, "米粒完整，就是袋子有点薄。"),
)


def _seafood_sales(p: Plan) -> None:
    keys = p.item_keys[CRAB.name]
    for n, key in enumerate(keys[:30]):
        sold = p.at(2, 8) + timedelta(hours=5 * n)
        buyer = invent_buyer(p.rng)
        label = f"item/crab/{n}"
        _sale(p, label, key, p.cast.platform, "courier_a", "128.00", sold, buyer)
        review = CRAB_REVIEWS[n % len(CRAB_REVIEWS)] if n % 2 == 0 and n < 28 else None
        _journey(p, label, key, "courier_a", sold, ("320700", "连云港"), buyer, 1650,
                 delivered=n < 28, review=review)


def _crystal_sales(p: Plan) -> None:
    keys = p.item_keys[CRYSTAL.name]
    merchant = p.cast.merchant
    for n, key in enumerate(keys[:14]):
        sold = p.at(2, 10) + timedelta(hours=9 * n)
        buyer = invent_buyer(p.rng)
        label = f"item/crystal/{n}"
        _sale(p, label, key, merchant, "courier_b", "399.00", sold, buyer)
        if n == 9:
            _brushing(p, label, key, sold, buyer)
            continue
        review = CRYSTAL_REVIEWS[n % len(CRYSTAL_REVIEWS)] if n % 2 == 1 else None
        _journey(p, label, key, "courier_b", sold, ("320722", "东海"), buyer, 1300,
                 delivered=n != 13, review=review)


def _brushing(p: Plan, label: str, key: str, sold: datetime, buyer: Buyer) -> None:
    """The suspicious dispatch: an empty parcel for a fake order (刷单), "delivered" far too fast.

    Soft flags follow: weight_below_contents (120 g for a 700 g sphere),
    delivery_too_fast and serial_far_apart (Donghai to Shanghai in 25 minutes).
    Rules accept it: only an inspector can judge it.
    """
    courier = p.cast.courier_b
    dispatched = sold + timedelta(hours=1)
    recipient = _recipient(buyer, label, courier)
    p.add(f"{label}/dispatch", key, "dispatch", dispatched, courier, {
        "waybill": _waybill(p, "courier_b"), "weight_g": 120, "from_region": "320722", "to_region": "310104"},
        person=recipient)
    p.add(f"{label}/deliver", key, "deliver", dispatched + timedelta(minutes=25), courier,
          {"signed_by": "locker", "region": "310104"}, person=recipient)
    p.add(f"{label}/review/{key}", key, "review", dispatched + timedelta(hours=2), None,
          {"rating": 5, "text": "宝贝很好，五星好评！"}, token_of=key)


def _rice_sales(p: Plan) -> None:
    platform = p.cast.platform
    keys = p.item_keys[RICE_A.name]
    n_parcel = 0
    # Two-bag orders travel in one parcel (SSCC), packed by the platform.
    for order, pair in enumerate((keys[0:2], keys[2:4])):
        sold = p.at(2, 11) + timedelta(hours=13 * order)
        buyer = invent_buyer(p.rng)
        label = f"order/rice-a/{order}"
        for i, key in enumerate(pair):  # one buyer, sealed once, for both bags
            _sale(p, f"{label}/{i}", key, platform, "courier_a", "59.90", sold + timedelta(minutes=i), buyer,
                  order=label)
        n_parcel += 1
        parcel = make_key(sscc=sscc18(n_parcel))
        p.add(f"{label}/pack", parcel, "pack", sold + timedelta(hours=1), platform,
              {"items": list(pair), "courier": p.cast.courier_a.id})
        _journey(p, label, parcel, "courier_a", sold, ("320723", "灌云"), buyer, 10400,
                 review=RICE_REVIEWS[order % 2])
    for n, key in enumerate(keys[4:12], start=4):
        sold = p.at(3, 9) + timedelta(hours=11 * (n - 4))
        buyer = invent_buyer(p.rng)
        label = f"item/rice-a/{n}"
        courier = "courier_a" if n % 2 else "courier_b"
        _sale(p, label, key, platform, courier, "59.90", sold, buyer)
        _journey(p, label, key, courier, sold, ("320723", "灌云"), buyer, 5150,
                 review=RICE_REVIEWS[n % 2] if n % 2 == 0 else None)
    for n, key in enumerate(p.item_keys[RICE_B.name][:5]):
        sold = p.at(2, 15) + timedelta(hours=7 * n)
        buyer = invent_buyer(p.rng)
        label = f"item/rice-b/{n}"
        _sale(p, label, key, platform, "courier_b", "59.90", sold, buyer)
        _journey(p, label, key, "courier_b", sold, ("320723", "灌云"), buyer, 5150,
                 review=RICE_REVIEWS[0] if n in (1, 3) else None)


def _recall(p: Plan) -> None:
    """The inspector's sampling of rice lot B fails and the lot is recalled; a shopper complains, returns it."""
    batch = make_key(gtin=RICE_B.gtin, lot=RICE_B.lot)
    p.add("batch/rice-b/sampling", batch, "inspect", p.at(6, 10), p.cast.inspector, {
        "result": "fail", "sampling": True, "lab_report_sha256": sha("rice B lab report"),
        "note": "镉(以Cd计) 0.32 mg/kg，超过 GB 2762-2022 限量 0.2 mg/kg"})
    p.add("batch/rice-b/recall", batch, "recall", p.at(6, 16), p.cast.inspector, {
        "reason": "监督抽检不合格：镉超标（GB 2762-2022）。请停止销售并召回该批次全部产品。"})
    key = p.item_keys[RICE_B.name][0]
    p.add("item/rice-b/0/complain", key, "complain", p.at(7, 9), None, {
        "category": "safety", "text": "收到召回通知，这批大米镉超标，已停止食用，申请退货退款。"}, token_of=key)
    p.add("item/rice-b/0/return", key, "return", p.at(8, 11), p.cast.platform, {"reason": "批次召回，退货退款"})


# --- where an earlier run left off ----------------------------------------------------------


def story_start(engine: Engine, now: datetime) -> datetime:
    """Day 0 of the story: as recorded by an earlier run, else STORY_DAYS before now."""
    found = recorded(engine, [label_id(ANCHOR_LABEL)]).get(label_id(ANCHOR_LABEL))
    if found is not None:
        first = parse_time(found["time"])
        return first.replace(hour=0, minute=0, second=0)
    return (now - timedelta(days=STORY_DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)


def item_keys(engine: Engine, cast: Cast) -> dict[str, list[str]]:
    """Each lot's item keys: as recorded, else new unguessable serials (`goods.new_serial`)."""
    labels = {lot.name: [label_id(f"item/{lot.name}/{n}/register") for n in range(lot.count)] for lot in LOTS}
    found = recorded(engine, [i for ids in labels.values() for i in ids])
    return {
        lot.name: [found[i]["key"] if i in found else
                   make_key(gtin=lot.gtin, lot=lot.lot, serial=new_serial(lot.serial_prefix))
                   for i in labels[lot.name]]
        for lot in LOTS
    }


# --- the command ------------------------------------------------------------------------------

BASE = "http://127.0.0.1:8000"


def seed(settings: Settings, out: TextIO, now: datetime | None = None) -> Outcome:
    """Write the demo story (idempotent), integrate the log and print the cast and things to try."""
    ledger = open_ledger(settings)
    engine = ledger.engine
    try:
        cast = ensure_cast(engine, settings, CAST)
        start = story_start(engine, now or datetime.now(UTC))
        plan = build_plan(cast, start, item_keys(engine, cast))
        result = run_plan(engine, settings, plan, out)
        size = ledger.sequencer.integrate_all()
        remember_tokens(settings, result)
        _report(out, settings, cast, plan, result, size)
        return result
    finally:
        engine.dispose()


def _report(out: TextIO, settings: Settings, cast: Cast, plan: Plan, result: Outcome, size: int) -> None:
    w = out.write
    new = sum(result.created.values())
    w(f"{new} new events ({result.existing} already there); log tree size {size}\n")
    if result.created:
        w("  " + ", ".join(f"{kind} {n}" for kind, n in sorted(result.created.items())) + "\n")
    if result.skipped:
        w(f"  {result.skipped} reviews skipped: their review tokens were issued by an interrupted earlier run\n")
    if result.flags:
        w(f"  soft flags raised: {', '.join(sorted({c for c, _ in result.flags}))}\n")
    w("\nDemo parties — DEMO DATA ONLY: invented parties, keys for this machine's demo "
      f"(also in {settings.data_dir / KEYS_FILE}, mode 0600):\n")
    for member in CAST:
        w(f"  {ROLE_LABEL[member.role]:<24} {member.name}\n  {'':<24} api key {cast.api_keys[member.role]}\n")
    crab = plan.item_keys[CRAB.name][0]
    recalled = make_key(gtin=RICE_B.gtin, lot=RICE_B.lot)
    suspicious = plan.item_keys[CRYSTAL.name][9]
    recalled_item = plan.item_keys[RICE_B.name][0]
    w("\nOpen in a browser, after `suyuan serve` (what a shopper's QR code leads to):\n")
    w(f"  the crab's scan page               {BASE}/{crab}\n")
    w(f"  a bag from the recalled rice batch {BASE}/{recalled_item}\n")
    w(f"  an unregistered code               {BASE}/01/{CRAB.gtin}/21/FAKE0001\n")
    w(f"\nTry, after `suyuan serve` ({BASE}/docs for the whole API):\n")
    w(f"  seafood item, caught to reviewed   curl {BASE}/v1/goods/{crab}\n")
    w(f"  its journey (entries)              curl {BASE}/v1/chains/{crab}\n")
    w(f"  its batch: vessel, FAO 61, landing curl {BASE}/v1/chains/{make_key(gtin=CRAB.gtin, lot=CRAB.lot)}\n")
    w(f"  the recalled rice batch            curl {BASE}/v1/chains/{recalled}\n")
    w(f"  the suspicious crystal dispatch    curl {BASE}/v1/chains/{suspicious}\n")
    w(f"  soft flags (inspector key)         curl -H 'Authorization: Bearer {cast.api_keys['inspector']}' "
      f"{BASE}/v1/flags\n")
    w(f"  the signed checkpoint              curl {BASE}/log/checkpoint\n")
    if result.review_tokens:
        item, token = sorted(result.review_tokens.items())[0]
        w(f"  a shopper's review token           {token}\n"
          f"    (POST {BASE}/v1/events with it as the bearer: a review of {item})\n")
