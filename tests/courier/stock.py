"""Goods ready for a courier: a product, a batch and N items listed and sold, through the library."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from suyuan.config import Settings
from suyuan.trace.events import registration
from suyuan.trace.goods import registry as goods
from suyuan.trace.events.capture import capture_many
from suyuan.trace.parties.registry import create_party
from tests.api.world import BATCH, PRODUCT, gtin


@dataclass(frozen=True)
class Stock:
    courier_id: str
    courier_key: str
    gtin: str
    lot: str
    keys: list[str]


def _all(engine: Engine, settings: Settings, party, statements) -> None:  # noqa: ANN001
    for start in range(0, len(statements), 5000):
        chunk = statements[start:start + 5000]
        results = capture_many(engine, settings, [(s, None) for s in chunk], party=party, mode="atomic")
        failed = next((r for r in results if r.error is not None), None)
        if failed is not None:
            raise failed.error


def sold_items(engine: Engine, settings: Settings, n: int, *, product: int = 1, lot: str = "LOT1") -> Stock:
    producer, _ = create_party(engine, name="生产者 测试有限公司", roles=["producer"])
    merchant, _ = create_party(engine, name="商家 测试有限公司", roles=["merchant"])
    courier, courier_key = create_party(engine, name="快递 测试有限公司", roles=["courier"])
    g = gtin(product)
    registration.register_product(engine, settings, producer, g, PRODUCT)
    registration.register_batch(engine, settings, producer, g, lot, BATCH)
    keys: list[str] = []
    while len(keys) < n:
        keys += registration.serialise(engine, settings, producer, g, min(n - len(keys), goods.MAX_SERIALISE),
                                       lot=lot, seller=merchant.id)
    listing = {"price": "88.00"}
    _all(engine, settings, merchant, [registration.statement(k, "list", merchant, listing) for k in keys])
    sale = {"price": "88.00", "order": "c1:" + "ab" * 16, "courier": courier.id}
    _all(engine, settings, merchant, [registration.statement(k, "sell", merchant, sale) for k in keys])
    return Stock(courier.id, courier_key, g, lot, keys)
