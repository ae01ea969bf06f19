"""The world's cast: parties (registered through the registry), their goods, and the shoppers.

Names are a function of the seed and the party's index, so two worlds of one
seed have the same cast under new party ids. Shoppers are not parties: they
are people in the vault, stored by the merchants that sell to them (buyers)
and the couriers that carry their parcels (recipients), one commitment per
shopper and storer (`Who`), as a shop's and a courier's systems each keep
their own customer record.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sqlalchemy import Engine

from suyuan.demo.cast import GIVEN, SURNAMES
from suyuan.demo.seeding import gtin14
from suyuan.demo.world.geo import BY_CODE, CITIES, WAREHOUSE_CITIES, City
from suyuan.demo.world.params import WorldParams
from suyuan.trace.parties.registry import PartyView, create_party

# category: (product names, net weight range in g, shelf life days (None: long), price range)
GOODS = {
    "aquatic": (("冰鲜梭子蟹", "鲜活南美白对虾", "冰鲜带鱼段", "鲜活花蛤"), (500, 1500), 5, (60, 180)),
    "crystal": (("天然白水晶球", "紫水晶原石摆件", "水晶吊坠", "黄水晶手串"), (20, 1500), None, (50, 900)),
    "farm_produce": (("伊山大米 5 kg", "东北大米 2.5 kg", "有机小米"), (1000, 5000), 365, (30, 90)),
    "food": (("紫菜礼盒", "海苔脆片", "手工挂面", "坚果礼包"), (150, 1200), 270, (15, 120)),
    "cosmetics": (("保湿精华液", "珍珠面霜", "润唇膏"), (15, 120), 720, (40, 400)),
    "daily_goods": (("竹纤维毛巾", "陶瓷马克杯", "帆布购物袋"), (80, 700), None, (10, 80)),
    "health_food": (("海参胶囊", "螺旋藻片"), (60, 300), 540, (80, 500)),
}
SHOP_WORDS = ("优品", "好物", "海鲜", "晶品", "生活馆", "严选", "旗舰店", "小铺", "工坊", "直营店")
COURIER_WORDS = ("顺达", "云通", "通达", "海运", "速递", "飞驰", "安捷", "八方")


@dataclass
class Product:
    gtin: str
    name: str
    category: str
    net_g: int
    shelf_days: int | None
    price: int
    producer: int


@dataclass
class Merchant:
    index: int
    party: PartyView
    city: City
    products: list[Product]
    couriers: list[int]
    daily_weight: float  # share of the world's orders


@dataclass
class Shopper:
    index: int
    name: str
    phone: str
    city: City
    address: str
    weight: float  # how often they buy
    fresh: bool = False  # an invented buyer with no other activity (fraud)


@dataclass(frozen=True)
class Who:
    """A person as one storer knows them: buyer (by a merchant) or recipient (by a courier)."""

    shopper: int
    storer: str  # party id
    kind: str  # consumer | recipient


@dataclass
class Cast:
    producers: list[PartyView]
    merchants: list[Merchant]
    couriers: list[PartyView]
    inspectors: list[PartyView]
    platform: PartyView
    products: list[Product]
    shoppers: list[Shopper] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)  # party id -> role for the truth

    def shopper_fields(self, who: Who) -> dict[str, str]:
        s = self.shoppers[who.shopper]
        if who.kind == "consumer":
            return {"name": s.name, "phone": s.phone}
        return {"name": s.name, "phone": s.phone, "address": s.address}


def _party(engine: Engine, cast: Cast, name: str, role: str) -> PartyView:
    party, _ = create_party(engine, name=name, roles=[role])
    cast.roles[party.id] = role
    return party


def _products(params: WorldParams, rng: random.Random) -> list[Product]:
    products = []
    categories = list(GOODS)
    for p in range(params.producers):
        for k in range(rng.randint(2, 4)):
            category = categories[(p + k * 3) % len(categories)] if k else categories[p % len(categories)]
            names, (lo, hi), shelf, (plo, phi) = GOODS[category]
            n = len(products)
            products.append(Product(gtin14(f"6958{n:08d}"), f"{rng.choice(names)} {n:04d}", category,
                                    rng.randint(lo, hi) // 10 * 10 or 10, shelf, rng.randint(plo, phi), p))
    return products


def build_cast(engine: Engine, params: WorldParams, rng: random.Random) -> Cast:
    """Register every party; pick the goods each merchant sells and the couriers it ships with."""
    cast = Cast([], [], [], [], None, _products(params, rng))  # type: ignore[arg-type]
    cast.platform = _party(engine, cast, "世界 苏源优选平台（演示）", "platform")
    cast.inspectors = [_party(engine, cast, f"世界 市场监督管理局 第{i + 1}分局（演示）", "inspector")
                       for i in range(2)]
    cast.producers = [_party(engine, cast, f"世界 生产者 P{i:03d} 合作社（演示）", "producer")
                      for i in range(params.producers)]
    cast.couriers = [_party(engine, cast, f"世界 {COURIER_WORDS[i % len(COURIER_WORDS)]}快递 C{i:03d}（演示）",
                            "courier") for i in range(params.couriers)]
    aquatic = [p for p in cast.products if p.category == "aquatic"]
    for i in range(params.merchants):
        name = f"世界 商家 M{i:03d} {rng.choice(SHOP_WORDS)}（演示）"
        party = _party(engine, cast, name, "merchant")
        goods = rng.sample(cast.products, k=min(len(cast.products), rng.randint(1, 3)))
        if aquatic and not any(p.category == "aquatic" for p in goods) and i % 4 == 0:
            goods.append(rng.choice(aquatic))  # every fourth shop also sells seafood
        couriers = rng.sample(range(params.couriers), k=min(params.couriers, rng.randint(1, 2)))
        city = BY_CODE[rng.choice(WAREHOUSE_CITIES)]
        cast.merchants.append(Merchant(i, party, city, goods, couriers, rng.lognormvariate(0, 0.6)))
    cast.shoppers = [invent_shopper(rng, i) for i in range(params.shoppers)]
    return cast


def invent_shopper(rng: random.Random, index: int, fresh: bool = False, city: City | None = None) -> Shopper:
    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
    city = city or rng.choices(CITIES, [c.weight for c in CITIES])[0]
    phone = rng.choice(("139", "138", "137", "159", "186", "188")) + f"{rng.randint(0, 10**8 - 1):08d}"
    address = f"{city.name}市 {rng.choice('东南西北中')}{rng.randint(1, 99)}路{rng.randint(1, 1999)}号{rng.randint(101, 2806)}室"
    weight = 0.0 if fresh else rng.paretovariate(1.6)
    return Shopper(index, name, phone, city, address, weight, fresh)
