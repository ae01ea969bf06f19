"""The world's goods: products, batches and items registered by their producers and listed by shops.

Each shop keeps its own batches of a product (one lot per period: a few days
for fresh seafood, a month otherwise), so a batch and the shop selling it
name each other, as the truth of unsafe goods needs. Items are registered in
lots by the producer and listed at once by the shop a while before a sale
needs them (`_lot`; what is left at the world's end is unsold stock);
returned items that the shop lists again wait in its pool for the next
buyer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from suyuan.codes.gs1 import make_key
from suyuan.demo.world.cast import Cast, Merchant, Product
from suyuan.demo.world.timeline import Chain, Timeline

FRESH_PERIOD_DAYS = 2
LONG_PERIOD_DAYS = 30
PRODUCTION_LEAD_DAYS = {True: 0, False: 10}  # fresh seafood is sold the day it lands


@dataclass
class Batch:
    key: str
    product: Product
    merchant: int
    produced: date
    expiry: date | None
    rec: datetime  # when its registration is recorded


@dataclass
class Stock:
    key: str
    batch: Batch
    floor: datetime  # recorded time of its last event


@dataclass
class Goods:
    tl: Timeline
    cast: Cast
    batches: dict[tuple[int, str, int], Batch] = field(default_factory=dict)
    pool: dict[tuple[int, str], list[Stock]] = field(default_factory=dict)  # returned and listed again
    registered: set[str] = field(default_factory=set)
    shelf: dict[str, list[Stock]] = field(default_factory=dict)  # batch key -> listed items, oldest first

    def register_products(self) -> None:
        tl = self.tl
        for n, p in enumerate(self.cast.products):
            when = tl.start + timedelta(seconds=n)
            tl.add(when, make_key(gtin=p.gtin), "register", when, self.cast.producers[p.producer],
                   {"name": p.name, "category": p.category, "net_weight_g": p.net_g})

    def batch(self, m: Merchant, p: Product, when: datetime) -> Batch:
        """The shop's current lot of the product at `when`, registered when its period starts."""
        fresh = p.category == "aquatic"
        period = FRESH_PERIOD_DAYS if fresh else LONG_PERIOD_DAYS
        k = int((when - self.tl.start).total_seconds() // (period * 86400))
        found = self.batches.get((m.index, p.gtin, k))
        if found is not None:
            return found
        begins = self.tl.start + timedelta(days=k * period)
        produced = (begins - timedelta(days=PRODUCTION_LEAD_DAYS[fresh])).date()
        lot = f"M{m.index:03d}{'F' if fresh else 'L'}{k:03d}"
        return self.new_batch(m, p, lot, produced, max(begins, self.tl.start + timedelta(hours=1)),
                              p.shelf_days, key=(m.index, p.gtin, k))

    def new_batch(self, m: Merchant, p: Product, lot: str, produced: date, rec: datetime,
                  shelf_days: int | None, key: tuple[int, str, int] | None = None) -> Batch:
        tl = self.tl
        expiry = produced + timedelta(days=shelf_days) if shelf_days else None
        batch = Batch(make_key(gtin=p.gtin, lot=lot), p, m.index, produced, expiry, rec)
        data = {"production_date": produced.isoformat(),
                "origin": {"region": m.city.code, "place": f"{m.city.name} 产地"}}
        if shelf_days:
            data["shelf_life_days"] = shelf_days
        if p.category == "aquatic":
            data["seafood"] = {"catch_area": "FAO 61 西北太平洋 海州湾", "landing_date": produced.isoformat(),
                               "vessel": f"苏连渔 {m.index:05d}"}
        tl.add(rec, batch.key, "register", rec, self.cast.producers[p.producer], data)
        if key is not None:
            self.batches[key] = batch
        return batch

    def stock(self, m: Merchant, p: Product, sale: datetime, batch: Batch | None = None) -> Stock:
        """An item for a sale at `sale`: a listed returned one from the pool, else a new one."""
        pool = self.pool.get((m.index, p.gtin))
        if batch is None and pool and pool[0].floor < sale - timedelta(hours=1) and \
                (pool[0].batch.expiry is None or pool[0].batch.expiry >= sale.date() + timedelta(days=2)):
            return pool.pop(0)
        batch = batch or self.batch(m, p, sale)
        shelf = self.shelf.setdefault(batch.key, [])
        if not shelf or shelf[0].floor >= sale - timedelta(minutes=5):
            shelf[:0] = self._lot(m, batch, sale)
        return shelf.pop(0)

    def _lot(self, m: Merchant, batch: Batch, sale: datetime) -> list[Stock]:
        """A lot of new items for the shop: registered at once by the producer, listed at once by the shop,
        before `sale` (a few for fresh seafood, more of goods that keep)."""
        tl, p = self.tl, batch.product
        size = tl.rng.randint(2, 6) if p.category == "aquatic" else tl.rng.randint(6, 20)
        stocked = max(batch.rec + timedelta(minutes=10), sale - tl.hours(2, 48))
        listed = stocked + max((sale - stocked) * tl.rng.uniform(0.05, 0.6), timedelta(seconds=30))
        lot = batch.key.rsplit("/", 1)[1]
        keys = [make_key(gtin=p.gtin, lot=lot, serial=tl.serial()) for _ in range(size)]
        for key in keys:
            self.registered.add(key)
            tl.add(stocked, key, "register", stocked, self.cast.producers[p.producer], {"seller": m.party.id})
        for key in keys:
            tl.add(listed, key, "list", listed, m.party, {"price": f"{p.price}.00", "platform": "苏源优选"})
        return [Stock(key, batch, listed) for key in keys]

    def relist(self, m: Merchant, stock: Stock, when: datetime) -> Stock | None:
        """A returned item listed again, to wait in the shop's pool (not once its batch is about to expire)."""
        expiry = stock.batch.expiry
        if expiry is not None and expiry < when.date() + timedelta(days=3):
            return None
        chain = Chain(stock.floor)
        rec = chain.step(when, self.tl.minutes(1, 10))
        self.tl.add(rec, stock.key, "list", when, m.party, {"price": f"{stock.batch.product.price}.00"})
        listed = Stock(stock.key, stock.batch, rec)
        self.pool.setdefault((m.index, stock.batch.product.gtin), []).append(listed)
        return listed
