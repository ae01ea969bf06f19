"""What the detectors read: the ledger's entries as events, indexed in memory, fed in entry order.

`Facts` is built by feeding it entries (`Ev`, one per ledger entry, read back
from the entry's canonical bytes: the ledger is the record, not the state
tables) and consumer checks (`Check`, from the scan log, which is not on the
ledger). Each feed answers what it touched (`Dirty`), so the detectors look
again only at the keys, parties and people that changed: the same code serves
a bulk run over the whole ledger and the incremental one in a server's wake.

Nothing here writes; nothing reads HTTP.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from suyuan.codes.gs1 import make_key
from suyuan.errors import InputError
from suyuan.trace.goods.registry import key_ref


@dataclass(slots=True)
class Ev:
    """One ledger entry as an event: its hash (hex), chain key, type, actor, times and payload."""

    id: int
    hash: str
    key: str
    type: str
    actor: str | None
    time: datetime  # the statement's event time
    recorded: datetime  # when the ledger recorded it
    data: dict[str, Any]


@dataclass(slots=True)
class Check:
    """One consumer check of a code (the scan log): no entry, so no hash."""

    id: int
    key: str
    scanned: datetime
    region: str | None
    checker: str | None


@dataclass(slots=True)
class Product:
    gtin: str
    owner: str | None
    category: str | None = None
    net_weight_g: int | None = None
    entry: str | None = None  # the registration's hash


@dataclass(slots=True)
class Batch:
    key: str
    gtin: str
    owner: str | None
    produced: date | None = None
    expiry: date | None = None
    entry: str | None = None
    inspections: list[Ev] = field(default_factory=list)


@dataclass(slots=True)
class Item:
    key: str
    gtin: str
    batch_key: str | None
    owner: str | None
    seller: str | None = None
    entry: str | None = None


@dataclass(slots=True)
class Packing:
    """One item's stay in a parcel: the pack entry and, once taken out, the unpack entry."""

    item: str
    packed: Ev
    unpacked: Ev | None = None


@dataclass
class Dirty:
    """What one feed touched: detectors look again at these and nothing else."""

    keys: set[str] = field(default_factory=set)
    parties: set[str] = field(default_factory=set)
    people: set[str] = field(default_factory=set)  # buyer and recipient commitments
    checked: set[str] = field(default_factory=set)  # keys with new consumer checks

    def update(self, other: Dirty) -> None:
        self.keys |= other.keys
        self.parties |= other.parties
        self.people |= other.people
        self.checked |= other.checked

    def __bool__(self) -> bool:
        return bool(self.keys or self.parties or self.people or self.checked)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


class Facts:
    """The ledger's events by key, with the goods, sales, deliveries and people they concern."""

    def __init__(self) -> None:
        self.by_key: dict[str, list[Ev]] = defaultdict(list)
        self.by_hash: dict[str, Ev] = {}
        self.products: dict[str, Product] = {}
        self.batches: dict[str, Batch] = {}
        self.items: dict[str, Item] = {}
        self.packings: dict[str, list[Packing]] = defaultdict(list)  # parcel key -> stays, in order
        self.parcel_of: dict[str, str] = {}  # item key -> parcel it is packed in now
        self.parcel_owner: dict[str, str] = {}  # parcel key -> the party that packed it
        self.sales_by_seller: dict[str, list[Ev]] = defaultdict(list)
        self.by_person: dict[str, list[Ev]] = defaultdict(list)  # commitment -> sell/dispatch/deliver events
        self.reviews_by_seller: dict[str, list[Ev]] = defaultdict(list)
        self.by_actor: dict[str, list[Ev]] = defaultdict(list)
        self.checks: dict[str, list[Check]] = defaultdict(list)
        self.gtins_registered: set[str] = set()
        self.count = 0
        # For the empty_parcel, fake_logistics and unsafe_goods detectors.
        self.waybills: dict[str, list[Ev]] = defaultdict(list)  # waybill -> the dispatches naming it
        self.parcels_of: dict[str, list[str]] = defaultdict(list)  # item key -> every parcel it was packed in
        self.items_by_batch: dict[str, list[str]] = defaultdict(list)  # batch key -> its items' keys

    # --- feeding ----------------------------------------------------------------------

    def feed(self, events: list[Ev]) -> Dirty:
        dirty = Dirty()
        for ev in events:
            self._add(ev, dirty)
        return dirty

    def feed_checks(self, checks: list[Check]) -> Dirty:
        dirty = Dirty()
        for check in checks:
            self.checks[check.key].append(check)
            dirty.checked.add(check.key)
        return dirty

    def _add(self, ev: Ev, dirty: Dirty) -> None:
        if ev.hash in self.by_hash:
            return  # read again by a step's look-back (`Analyzer.step`)
        self.count += 1
        self.by_key[ev.key].append(ev)
        self.by_hash[ev.hash] = ev
        dirty.keys.add(ev.key)
        if ev.actor:
            self.by_actor[ev.actor].append(ev)
            dirty.parties.add(ev.actor)
        handler = _HANDLERS.get(ev.type)
        if handler is not None:
            handler(self, ev, dirty)

    def _register(self, ev: Ev, dirty: Dirty) -> None:
        try:
            ref = key_ref(ev.key)
        except InputError:
            return
        d = ev.data
        if ref.kind == "product":
            self.products[ref.gtin] = Product(ref.gtin, ev.actor, d.get("category"), d.get("net_weight_g"), ev.hash)
            self.gtins_registered.add(ref.gtin)
        elif ref.kind == "batch":
            produced = _date(d.get("production_date"))
            expiry = _date(d.get("expiry_date"))
            if expiry is None and produced is not None and d.get("shelf_life_days"):
                expiry = produced + timedelta(days=d["shelf_life_days"])
            self.batches[ev.key] = Batch(ev.key, ref.gtin, ev.actor, produced, expiry, ev.hash)
        elif ref.kind == "item":
            lot = ref.lot or d.get("lot")
            batch_key = ref.batch_key or (make_key(gtin=ref.gtin, lot=lot) if lot else None)
            self.items[ev.key] = Item(ev.key, ref.gtin, batch_key, ev.actor, d.get("seller"), ev.hash)
            if batch_key:
                self.items_by_batch[batch_key].append(ev.key)
            if d.get("seller"):
                dirty.parties.add(d["seller"])

    def _assign(self, ev: Ev, dirty: Dirty) -> None:
        item = self.items.get(ev.key)
        if item is not None:
            item.seller = ev.data.get("seller")
            dirty.parties.add(item.seller)

    def _sell(self, ev: Ev, dirty: Dirty) -> None:
        if ev.actor:
            self.sales_by_seller[ev.actor].append(ev)
        self._person(ev, ev.data.get("buyer"), dirty)

    def _person(self, ev: Ev, commitment: str | None, dirty: Dirty) -> None:
        if commitment:
            self.by_person[commitment].append(ev)
            dirty.people.add(commitment)

    def _pack(self, ev: Ev, dirty: Dirty) -> None:
        self.parcel_owner.setdefault(ev.key, ev.actor or "")
        for item in ev.data.get("items", ()):
            self.packings[ev.key].append(Packing(item, ev))
            self.parcel_of[item] = ev.key
            if ev.key not in self.parcels_of[item]:
                self.parcels_of[item].append(ev.key)
            dirty.keys.add(item)

    def _unpack(self, ev: Ev, dirty: Dirty) -> None:
        named = ev.data.get("items")
        for stay in self.packings.get(ev.key, ()):
            if stay.unpacked is None and (named is None or stay.item in named):
                stay.unpacked = ev
                self.parcel_of.pop(stay.item, None)
                dirty.keys.add(stay.item)

    def _moved(self, ev: Ev, dirty: Dirty) -> None:
        self._person(ev, ev.data.get("recipient"), dirty)
        if ev.type == "dispatch" and ev.data.get("waybill"):
            self.waybills[ev.data["waybill"]].append(ev)
        for item in self.inside(ev.key, ev):
            dirty.keys.add(item)
            seller = self.seller_of(item)
            if seller:
                dirty.parties.add(seller)

    def _returned(self, ev: Ev, dirty: Dirty) -> None:
        parcel = self.parcel_of.pop(ev.key, None)
        if parcel is not None:
            for stay in self.packings[parcel]:
                if stay.item == ev.key and stay.unpacked is None:
                    stay.unpacked = ev

    def _review(self, ev: Ev, dirty: Dirty) -> None:
        seller = self.seller_of(ev.key)
        if seller:
            self.reviews_by_seller[seller].append(ev)
            dirty.parties.add(seller)

    def _inspect(self, ev: Ev, dirty: Dirty) -> None:
        batch = self.batches.get(ev.key)
        if batch is not None:
            batch.inspections.append(ev)

    # --- reading ----------------------------------------------------------------------

    def inside(self, key: str, at: Ev | None = None) -> list[str]:
        """The items a journey event on `key` moves: the parcel's items packed before it, or the item."""
        stays = self.packings.get(key)
        if stays is None:
            return [key] if key in self.items else []
        return [s.item for s in stays if (at is None or s.packed.id < at.id)
                and (s.unpacked is None or at is None or s.unpacked.id > at.id)]

    def seller_of(self, item_key: str) -> str | None:
        item = self.items.get(item_key)
        return item.seller if item is not None else None

    def merchant_of(self, key: str) -> str | None:
        """Who answers for a parcel or an item's shipment: the parcel's packer, or the item's seller."""
        return self.parcel_owner.get(key) or self.seller_of(key)

    def events(self, key: str, *types: str) -> list[Ev]:
        evs = self.by_key.get(key, [])
        return [e for e in evs if e.type in types] if types else list(evs)

    def last(self, key: str, kind: str, before: Ev | None = None) -> Ev | None:
        for ev in reversed(self.by_key.get(key, [])):
            if ev.type == kind and (before is None or ev.id < before.id):
                return ev
        return None


_HANDLERS = {
    "register": Facts._register, "assign": Facts._assign, "sell": Facts._sell, "pack": Facts._pack,
    "unpack": Facts._unpack, "dispatch": Facts._moved, "transit": Facts._moved, "deliver": Facts._moved,
    "return": Facts._returned, "review": Facts._review, "inspect": Facts._inspect,
}
