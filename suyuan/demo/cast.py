"""The demo's cast and the shoppers it invents: every party and person is made up.

The parties are registered with real-name data of the right shape (USCCs with
their GB 32100-2015 check character, licence numbers); the shoppers' names,
phones and addresses go to the privacy vault only, never into an entry.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from suyuan.demo.seeding import CastMember, uscc

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


def invent_buyer(rng: random.Random) -> Buyer:
    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
    recipient = name if rng.random() < 0.8 else name[0] + rng.choice(GIVEN)
    dest = rng.choice(DESTINATIONS)
    address = dest[3].format(n=rng.randint(8, 1888), b=rng.randint(1, 32), r=rng.randint(101, 2806))
    phone = rng.choice(("139", "138", "137", "136", "159", "186", "188")) + f"{rng.randint(0, 10**8 - 1):08d}"
    signed_by = rng.choices(("recipient", "agent", "locker"), (6, 2, 2))[0]
    return Buyer(name, phone, recipient, address, dest, signed_by)
