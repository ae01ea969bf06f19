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

Running the demo again changes nothing. Statement ids are UUIDv5 of a fixed
label per step; a step whose id is already recorded is skipped, so values that
are random on first writing (item serials, vault commitments, review tokens)
are never re-derived. The story's clock is anchored on the time recorded for
its first statement. Demo parties are found again by name. Their API keys are
stored hashed, so the first run writes them to `<data_dir>/demo-keys.json`
(mode 0600) and later runs print them from there; a demo party with no key in
that file (a fresh data dir over an old database) gets a fresh key.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Engine, select
from stdnum import ean
from stdnum.cn import uscc as stdnum_uscc

from suyuan.config import Settings
from suyuan.ledger.models import Entry
from suyuan.runtime import open_ledger
from suyuan.codes.gs1 import make_key
from suyuan.trace.privacy import people
from suyuan.trace.events.capture import capture_in
from suyuan.trace.events.registration import statement
from suyuan.trace.goods.registry import new_serial
from suyuan.trace.parties.registry import PartyView, create_party, issue_api_key, list_parties
from suyuan.trace.privacy.vault import Vault, vault_master_key

DEMO_NS = uuid.UUID("6b1f4a52-9c1e-4f57-8a43-5e2f0d4b7a10")
KEYS_FILE = "demo-keys.json"
KEYS_FILE_MODE = 0o600
UTC = timezone.utc
STORY_DAYS = 13  # the story ends about a day before it is first written: nothing in the future
CHUNK = 100  # steps per transaction
entries_t = Entry.__table__


def gtin14(body12: str) -> str:
    """GTIN-14 (indicator 0) of an EAN-13 with company prefix 690-699, from its first 12 digits."""
    assert body12[:2] == "69", body12
    return "0" + body12 + ean.calc_check_digit(body12)


def sscc18(serial: int) -> str:
    """SSCC-18: extension digit 3, GS1 company prefix 6901234, serial reference, check digit."""
    body = f"36901234{serial:09d}"
    return body + ean.calc_check_digit(body)


def uscc(body17: str) -> str:
    """A Unified Social Credit Code with its GB 32100-2015 check character."""
    return stdnum_uscc.validate(body17 + stdnum_uscc.calc_check_digit(body17))


def _sha(label: str) -> str:
    """A stand-in file hash (certificate, lab report): SHA-256 of a label."""
    import hashlib

    return hashlib.sha256(f"suyuan demo|{label}".encode()).hexdigest()


# --- the cast ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CastMember:
    role: str  # the name the story uses: producer_sea, platform, courier_a, ...
    name: str
    roles: tuple[str, ...]
    uscc: str
    licences: tuple[dict[str, Any], ...] = ()


CAST = (
    CastMember("producer_sea", "连云港海州湾渔业专业合作社（演示）", ("producer",), uscc("93320706MA1WQ8LC2"),
               ({"type": "food_production", "number": "SC12232070600318", "valid_from": "2024-03-01",
                 "valid_to": "2029-02-28"},)),
    CastMember("producer_crystal", "东海县晶都水晶制品有限公司（演示）", ("producer",), uscc("91320722MA1XB5K07")),
    CastMember("producer_farm", "灌云县伊山稻米专业合作社（演示）", ("producer",), uscc("93320723MA1Y7TPR4"),
               ({"type": "food_production", "number": "SC10132072300412", "valid_from": "2025-01-10",
                 "valid_to": "2030-01-09"},)),
    CastMember("platform", "苏源优选电子商务有限公司（演示）", ("platform",), uscc("91320700MA20K3GU6"),
               ({"type": "food_business", "number": "JY13207060051234", "valid_from": "2024-06-01",
                 "valid_to": "2029-05-31"},)),
    CastMember("merchant", "东海县晶韵水晶商行（演示）", ("merchant",), uscc("92320722MA1T9HQ53")),
    CastMember("courier_a", "江苏顺达冷链快递有限公司（演示）", ("courier",), uscc("91320700MA1N6EXK8"),
               ({"type": "express_delivery", "number": "苏邮快2025-0317", "valid_from": "2025-03-17",
                 "valid_to": "2030-03-16"},)),
    CastMember("courier_b", "连云港云通速运有限公司（演示）", ("courier",), uscc("91320703MA1P2RDW1"),
               ({"type": "express_delivery", "number": "苏邮快2024-1128", "valid_from": "2024-11-28",
                 "valid_to": "2029-11-27"},)),
    CastMember("inspector", "连云港市市场监督管理局（演示）", ("inspector",), uscc("11320700MB1570233")),
)
ROLE_LABEL = {
    "producer_sea": "producer (seafood)", "producer_crystal": "producer (crystal)",
    "producer_farm": "producer (farm produce)", "platform": "platform", "merchant": "merchant",
    "courier_a": "courier A (cold chain)", "courier_b": "courier B", "inspector": "inspector",
}  # fmt: skip


@dataclass
class Cast:
    parties: dict[str, PartyView]
    api_keys: dict[str, str]  # by story role

    def __getattr__(self, role: str) -> PartyView:
        try:
            return self.__dict__["parties"][role]
        except KeyError:
            raise AttributeError(role) from None


def _read_keys_file(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def _write_keys_file(path: Path, content: dict[str, Any]) -> None:
    """Write the demo's secrets with mode 0600 from the start (never world-readable, even briefly)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEYS_FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        os.fchmod(f.fileno(), KEYS_FILE_MODE)
        json.dump(content, f, ensure_ascii=False, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def ensure_cast(engine: Engine, settings: Settings) -> Cast:
    """Find the demo parties by name (creating missing ones) and their demo API keys."""
    path = settings.data_dir / KEYS_FILE
    stored = _read_keys_file(path)
    keys_by_party: dict[str, str] = dict(stored.get("api_keys", {}))
    existing = {p.name: p for p in list_parties(engine)}
    parties: dict[str, PartyView] = {}
    api_keys: dict[str, str] = {}
    for member in CAST:
        party = existing.get(member.name)
        if party is None:
            party, key = create_party(engine, name=member.name, roles=member.roles, uscc=member.uscc,
                                      licences=member.licences)
            keys_by_party[party.id] = key
        elif party.id not in keys_by_party:
            keys_by_party[party.id] = issue_api_key(engine, party.id)
        parties[member.role] = party
        api_keys[member.role] = keys_by_party[party.id]
    stored["note"] = "suyuan demo data only: API keys of invented demo parties on this machine"
    stored["api_keys"] = {p.id: api_keys[role] for role, p in parties.items()}
    _write_keys_file(path, stored)
    return Cast(parties, api_keys)


# --- invented people (they go to the vault only) --------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁宋郑谢韩唐冯"
GIVEN = ("小明", "秀英", "建国", "丽娟", "志强", "婷婷", "海燕", "国栋", "晓雯", "佳怡", "子轩", "梓涵",
         "文博", "雨桐", "宏伟", "春梅", "浩然", "欣怡", "俊杰", "淑芬", "一鸣", "思琪", "德华", "美玲")

# (delivery region, destination hub, hub region, address template)
DESTINATIONS = (
    ("310115", "上海浦东转运中心", "310115", "上海市浦东新区张杨路{n}弄{b}号{r}室"),
    ("310104", "上海徐汇转运中心", "310104", "上海市徐汇区漕溪北路{n}号{b}幢{r}室"),
    ("310106", "上海静安转运中心", "310106", "上海市静安区共和新路{n}弄{b}号{r}室"),
    ("320106", "南京转运中心", "320100", "江苏省南京市鼓楼区中山北路{n}号{b}栋{r}室"),
    ("320508", "苏州转运中心", "320500", "江苏省苏州市姑苏区人民路{n}号{b}幢{r}室"),
    ("330106", "杭州转运中心", "330100", "浙江省杭州市西湖区文三路{n}号{b}幢{r}室"),
    ("110105", "北京顺义转运中心", "110113", "北京市朝阳区望京西路{n}号院{b}号楼{r}室"),
)


@dataclass(frozen=True)
class Buyer:
    name: str
    phone: str
    recipient: str  # who the parcel is addressed to: the buyer or a family member
    address: str
    dest: tuple[str, str, str, str]
    signed_by: str


def _buyer(rng: random.Random) -> Buyer:
    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
    recipient = name if rng.random() < 0.8 else name[0] + rng.choice(GIVEN)
    dest = rng.choice(DESTINATIONS)
    address = dest[3].format(n=rng.randint(8, 1888), b=rng.randint(1, 32), r=rng.randint(101, 2806))
    phone = rng.choice(("139", "138", "137", "136", "159", "186", "188")) + f"{rng.randint(0, 10**8 - 1):08d}"
    signed_by = rng.choices(("recipient", "agent", "locker"), (6, 2, 2))[0]
    return Buyer(name, phone, recipient, address, dest, signed_by)


# --- the plan: steps in story order ---------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A buyer or recipient the step names: stored once per label by `storer`, named by commitment."""

    field: str  # data field that holds the commitment
    kind: str  # vault kind: consumer | recipient
    fields: dict[str, str]
    label: str
    storer: PartyView  # the seller stores its buyer, the courier its recipient (suyuan.trace.privacy.people)


@dataclass
class Step:
    label: str  # fixed per step: the statement id is UUIDv5 of it
    key: str
    type: str
    when: datetime
    party: PartyView | None  # None: a consumer with the review token of `token_of`
    data: dict[str, Any]
    person: Person | None = None  # named in data by its vault commitment
    token_of: str | None = None
    order: int = 0

    @property
    def id(self) -> str:
        return str(uuid.uuid5(DEMO_NS, self.label))

    def statement(self) -> dict[str, Any]:
        if self.party is None:
            return {"key": self.key, "type": self.type, "time": _rfc3339(self.when), "actor": None,
                    "data": self.data, "id": self.id}
        return statement(self.key, self.type, self.party, self.data, self.when, ident=self.id)


def _rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Lot:
    name: str  # label prefix
    gtin: str
    lot: str
    producer: str  # story role
    count: int
    serial_prefix: str


CRAB = Lot("crab", gtin14("690123456001"), "LYG-SZX-A01", "producer_sea", 36, "SZX")
CRYSTAL = Lot("crystal", gtin14("692345600102"), "DH-QZ-26A", "producer_crystal", 18, "DHQ")
RICE_A = Lot("rice-a", gtin14("695678900203"), "GY-DM-26A", "producer_farm", 16, "GYM")
RICE_B = Lot("rice-b", gtin14("695678900203"), "GY-DM-26B", "producer_farm", 10, "GYM")
LOTS = (CRAB, CRYSTAL, RICE_A, RICE_B)
ANCHOR_LABEL = "product/crab/register"


@dataclass
class Plan:
    cast: Cast
    start: datetime  # day 0, 00:00 of the story
    item_keys: dict[str, list[str]]  # by lot name
    steps: list[Step] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(20261118))
    waybills: int = 0

    def at(self, day: float, hour: float = 0) -> datetime:
        return self.start + timedelta(days=day, hours=hour)

    def add(self, label: str, key: str, kind: str, when: datetime, party: PartyView | None,
            data: dict[str, Any], **extra: Any) -> Step:
        step = Step(label, key, kind, when, party, data, order=len(self.steps), **extra)
        self.steps.append(step)
        return step

    def waybill(self, courier: str) -> str:
        self.waybills += 1
        prefix = "SD" if courier == "courier_a" else "YT"
        return f"{prefix}78{self.rng.randint(10**7, 10**8 - 1)}{self.waybills:03d}"


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
              "certificates": [{"name": "捕捞许可证 (船名: 苏连渔 05123)", "sha256": _sha("fishing licence")}]})
    p.add("batch/crab/self-inspect", make_key(gtin=CRAB.gtin, lot=CRAB.lot), "inspect", p.at(0, 10),
          c.producer_sea, {"result": "pass", "note": "出厂检验：感官、挥发性盐基氮合格"})
    p.add("batch/crab/sampling", make_key(gtin=CRAB.gtin, lot=CRAB.lot), "inspect", p.at(1, 9),
          c.inspector, {"result": "pass", "sampling": True, "lab_report_sha256": _sha("crab lab report"),
                        "note": "GB 2733-2015 鲜、冻动物性水产品 抽检合格"})

    p.add("product/crystal/register", make_key(gtin=CRYSTAL.gtin), "register", p.at(0, 7), c.producer_crystal, {
        "name": "东海水晶 天然白水晶球 直径 8 cm", "category": "crystal", "net_weight_g": 700, "brand": "晶都"})
    p.add("batch/crystal/register", make_key(gtin=CRYSTAL.gtin, lot=CRYSTAL.lot), "register", p.at(0, 9),
          c.producer_crystal, {
              "production_date": _day(p, -6), "quantity": CRYSTAL.count,
              "origin": {"region": "320722", "place": "东海县 中国东海水晶城", "lat": "34.5424", "lon": "118.7716"},
              "certificates": [{"name": "NGTC 天然水晶鉴定证书", "sha256": _sha("crystal certificate")}]})
    p.add("batch/crystal/self-inspect", make_key(gtin=CRYSTAL.gtin, lot=CRYSTAL.lot), "inspect", p.at(0, 11),
          c.producer_crystal, {"result": "pass", "lab_report_sha256": _sha("crystal certificate"),
                               "note": "GB/T 16552 珠宝玉石鉴定：天然水晶"})

    p.add("product/rice/register", make_key(gtin=RICE_A.gtin), "register", p.at(0, 7), c.producer_farm, {
        "name": "灌云 伊山大米 5 kg", "category": "farm_produce", "net_weight_g": 5000, "brand": "伊山"})
    for lot, produced in ((RICE_A, -12), (RICE_B, -5)):
        key = make_key(gtin=lot.gtin, lot=lot.lot)
        p.add(f"batch/{lot.name}/register", key, "register", p.at(0, 10), c.producer_farm, {
            "production_date": _day(p, produced), "shelf_life_days": 365, "quantity": lot.count,
            "origin": {"region": "320723", "place": "灌云县 伊山镇", "lat": "34.2839", "lon": "119.2391"}})
    p.add("batch/rice-a/sampling", make_key(gtin=RICE_A.gtin, lot=RICE_A.lot), "inspect", p.at(1, 14),
          c.inspector, {"result": "pass", "sampling": True, "lab_report_sha256": _sha("rice A lab report"),
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


def _day(p: Plan, day: int) -> str:
    return (p.start + timedelta(days=day)).date().isoformat()


def _sale(p: Plan, label: str, key: str, seller: PartyView, courier: str, price: str, when: datetime,
          buyer: Buyer, order: str | None = None) -> None:
    """A sale: the buyer sealed in the vault, the sale entry holding the commitment as its order reference."""
    order = order or label
    p.add(f"{label}/sell", key, "sell", when, seller,
          {"price": price, "order": _order_commitment(order), "courier": getattr(p.cast, courier).id},
          person=Person("buyer", "consumer", {"name": buyer.name, "phone": buyer.phone}, f"{order}/buyer", seller))


def _order_commitment(order: str) -> str:
    """A commitment to the platform's order reference: a salted hash, the salt kept by the platform.

    The demo keeps no platform back office, so the salt is simply forgotten.
    """
    import hashlib
    import secrets

    reference = f"SY{uuid.uuid5(DEMO_NS, order).int % 10**12:012d}"
    return "sha256:" + hashlib.sha256(secrets.token_bytes(16) + reference.encode()).hexdigest()


def _journey(p: Plan, label: str, key: str, courier: str, sold: datetime, origin: tuple[str, str], buyer: Buyer,
             weight_g: int, *, delivered: bool = True, review: tuple[int, str] | None = None) -> None:
    """Dispatch, two route scans, delivery to the buyer, and perhaps a review."""
    party = getattr(p.cast, courier)
    region, hub, hub_region, _ = buyer.dest
    dispatched = sold + timedelta(hours=3)
    recipient = _recipient(buyer, label, party)
    p.add(f"{label}/dispatch", key, "dispatch", dispatched, party, {
        "waybill": p.waybill(courier), "weight_g": weight_g, "from_region": origin[0], "to_region": region},
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
        buyer = _buyer(p.rng)
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
        buyer = _buyer(p.rng)
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
        "waybill": p.waybill("courier_b"), "weight_g": 120, "from_region": "320722", "to_region": "310104"},
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
        buyer = _buyer(p.rng)
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
        buyer = _buyer(p.rng)
        label = f"item/rice-a/{n}"
        courier = "courier_a" if n % 2 else "courier_b"
        _sale(p, label, key, platform, courier, "59.90", sold, buyer)
        _journey(p, label, key, courier, sold, ("320723", "灌云"), buyer, 5150,
                 review=RICE_REVIEWS[n % 2] if n % 2 == 0 else None)
    for n, key in enumerate(p.item_keys[RICE_B.name][:5]):
        sold = p.at(2, 15) + timedelta(hours=7 * n)
        buyer = _buyer(p.rng)
        label = f"item/rice-b/{n}"
        _sale(p, label, key, platform, "courier_b", "59.90", sold, buyer)
        _journey(p, label, key, "courier_b", sold, ("320723", "灌云"), buyer, 5150,
                 review=RICE_REVIEWS[0] if n in (1, 3) else None)


def _recall(p: Plan) -> None:
    """The inspector's sampling of rice lot B fails and the lot is recalled; a shopper complains, returns it."""
    batch = make_key(gtin=RICE_B.gtin, lot=RICE_B.lot)
    p.add("batch/rice-b/sampling", batch, "inspect", p.at(6, 10), p.cast.inspector, {
        "result": "fail", "sampling": True, "lab_report_sha256": _sha("rice B lab report"),
        "note": "镉(以Cd计) 0.32 mg/kg，超过 GB 2762-2022 限量 0.2 mg/kg"})
    p.add("batch/rice-b/recall", batch, "recall", p.at(6, 16), p.cast.inspector, {
        "reason": "监督抽检不合格：镉超标（GB 2762-2022）。请停止销售并召回该批次全部产品。"})
    key = p.item_keys[RICE_B.name][0]
    p.add("item/rice-b/0/complain", key, "complain", p.at(7, 9), None, {
        "category": "safety", "text": "收到召回通知，这批大米镉超标，已停止食用，申请退货退款。"}, token_of=key)
    p.add("item/rice-b/0/return", key, "return", p.at(8, 11), p.cast.platform, {"reason": "批次召回，退货退款"})


# --- running the plan -------------------------------------------------------------------------


def _recorded(engine: Engine, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The recorded statements of these statement ids."""
    found: dict[str, dict[str, Any]] = {}
    with engine.connect() as conn:
        for i in range(0, len(ids), 500):
            rows = conn.execute(select(entries_t.c.statement_id, entries_t.c.canonical)
                                .where(entries_t.c.statement_id.in_(ids[i:i + 500])))
            for sid, raw in rows:
                found[sid] = json.loads(bytes(raw))["statement"]
    return found


def _label_id(label: str) -> str:
    return str(uuid.uuid5(DEMO_NS, label))


def story_start(engine: Engine, now: datetime) -> datetime:
    """Day 0 of the story: as recorded by an earlier run, else STORY_DAYS before now."""
    found = _recorded(engine, [_label_id(ANCHOR_LABEL)]).get(_label_id(ANCHOR_LABEL))
    if found is not None:
        first = datetime.fromisoformat(found["time"].replace("Z", "+00:00"))
        return first.replace(hour=0, minute=0, second=0)
    return (now - timedelta(days=STORY_DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)


def item_keys(engine: Engine, cast: Cast) -> dict[str, list[str]]:
    """Each lot's item keys: as recorded, else new unguessable serials (`goods.new_serial`)."""
    labels = {lot.name: [_label_id(f"item/{lot.name}/{n}/register") for n in range(lot.count)] for lot in LOTS}
    found = _recorded(engine, [i for ids in labels.values() for i in ids])
    return {
        lot.name: [found[i]["key"] if i in found else
                   make_key(gtin=lot.gtin, lot=lot.lot, serial=new_serial(lot.serial_prefix))
                   for i in labels[lot.name]]
        for lot in LOTS
    }


@dataclass
class Outcome:
    created: Counter = field(default_factory=Counter)  # by event type
    existing: int = 0
    skipped: int = 0  # reviews whose token was issued in an earlier, interrupted run
    flags: list[tuple[str, str]] = field(default_factory=list)
    review_tokens: dict[str, str] = field(default_factory=dict)  # unused ones, for trying the API


def run_plan(engine: Engine, settings: Settings, plan: Plan, out: TextIO) -> Outcome:
    steps = sorted(plan.steps, key=lambda s: (s.when, s.order))
    recorded = _recorded(engine, [s.id for s in steps])
    vault = Vault(engine, vault_master_key(settings))
    result = Outcome()
    tokens: dict[str, str] = {}
    named: dict[str, str] = {}  # person label -> vault commitment
    used: set[str] = set()
    for start in range(0, len(steps), CHUNK):
        chunk = steps[start:start + CHUNK]
        for step in chunk:  # store people first: suyuan.trace.privacy.people commits each on its own
            who = step.person
            if who is None or who.label in named:
                continue
            if step.id in recorded:  # named by an earlier run: keep naming the same person
                named[who.label] = recorded[step.id]["data"][who.field]
            else:
                named[who.label] = people.store(engine, vault, who.storer, who.fields, who.kind)["commitment"]
        with engine.begin() as conn:
            for step in chunk:
                if step.id in recorded:
                    result.existing += 1
                    continue
                data = dict(step.data)
                if step.person is not None:
                    data[step.person.field] = named[step.person.label]
                token = None
                if step.token_of is not None:
                    token = tokens.get(step.token_of)
                    if token is None:
                        result.skipped += 1
                        continue
                    used.add(step.token_of)
                st = Step(step.label, step.key, step.type, step.when, step.party, data).statement()
                captured = capture_in(conn, settings, st, party=step.party, review_token=token)
                result.created[step.type] += 1
                result.flags += [(s.code, s.key) for s in captured.flags]
                tokens.update(captured.review_tokens)
        _progress(out, min(start + CHUNK, len(steps)), len(steps))
    result.review_tokens = {k: t for k, t in tokens.items() if k not in used}
    return result


def _progress(out: TextIO, done: int, total: int) -> None:
    """A counter redrawn in place on a terminal; one line per step when captured (CI, tests)."""
    tty = getattr(out, "isatty", lambda: False)()
    end = "\n" if not tty or done == total else ""
    out.write(f"{chr(13) if tty else ''}seeding the demo story: {done}/{total} events{end}")
    out.flush()


# --- the command ------------------------------------------------------------------------------

BASE = "http://127.0.0.1:8000"


def seed(settings: Settings, out: TextIO, now: datetime | None = None) -> Outcome:
    """Write the demo story (idempotent), integrate the log and print the cast and things to try."""
    ledger = open_ledger(settings)
    engine = ledger.engine
    try:
        cast = ensure_cast(engine, settings)
        start = story_start(engine, now or datetime.now(UTC))
        plan = build_plan(cast, start, item_keys(engine, cast))
        result = run_plan(engine, settings, plan, out)
        size = ledger.sequencer.integrate_all()
        _remember_tokens(settings, result)
        _report(out, settings, cast, plan, result, size)
        return result
    finally:
        engine.dispose()


def _remember_tokens(settings: Settings, result: Outcome) -> None:
    path = settings.data_dir / KEYS_FILE
    stored = _read_keys_file(path)
    tokens = stored.setdefault("review_tokens", {})
    tokens.update(result.review_tokens)
    result.review_tokens = tokens
    _write_keys_file(path, stored)


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
