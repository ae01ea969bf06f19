"""Hand-built scenes for the detectors: goods walked through the real capture path, then analysed.

A `Scene` captures typed events in-process (`capture`, the rules the API
applies) with event times and recorded times given in minutes after the
scene's start, ten days ago, so a test states a pattern's timing exactly:
`scene.put(courier, parcel, "deliver", {...}, minutes=90)`. `findings()`
runs `suyuan.analytics.analyze` and answers the stored findings.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from suyuan.analytics import analyze
from suyuan.codes.gs1 import make_key
from suyuan.ledger.models import Entry
from suyuan.timestamps import format_time
from suyuan.trace.events.capture import capture
from suyuan.trace.findings.models import Finding
from suyuan.trace.journey.scanlog import record_scan
from suyuan.trace.parties.registry import PartyView, create_party
from suyuan.trace.privacy import people
from suyuan.trace.privacy.vault import Vault, vault_master_key
from tests.api.world import gtin, sscc

UTC = timezone.utc
ORIGIN = {"region": "320700", "place": "连云港"}


class Scene:
    def __init__(self, engine, settings):  # noqa: ANN001
        self.engine, self.settings = engine, settings
        self.t0 = (datetime.now(UTC) - timedelta(days=10)).replace(microsecond=0)
        self.vault = Vault(engine, vault_master_key(settings))
        self.parties: dict[str, PartyView] = {}
        self.producer = self.party("producer", "producer")
        self.inspector = self.party("inspector", "inspector")
        self._serial = 0
        self._sscc = 0
        self._products = 0

    # --- parties, people and goods ------------------------------------------------------

    def party(self, name: str, role: str) -> PartyView:
        if name not in self.parties:
            self.parties[name] = create_party(self.engine, name=f"{name} 测试有限公司", roles=[role])[0]
        return self.parties[name]

    def merchant(self, name: str = "merchant") -> PartyView:
        return self.party(name, "merchant")

    def courier(self, name: str = "courier") -> PartyView:
        return self.party(name, "courier")

    def person(self, storer: PartyView, kind: str = "recipient", name: str = "王小明") -> str:
        n = len(self.parties) + self._serial
        fields = {"name": name, "phone": f"139{n:08d}"[:11], "address": f"上海市浦东新区张杨路{n}号"}
        return people.store(self.engine, self.vault, storer, fields, kind)["commitment"]

    def at(self, minutes: float) -> datetime:
        return self.t0 + timedelta(minutes=minutes)

    def product(self, *, category: str = "food", net_weight_g: int | None = 500) -> str:
        self._products += 1
        code = gtin(800 + self._products)
        data: dict[str, Any] = {"name": f"测试商品 {self._products}", "category": category}
        if net_weight_g is not None:
            data["net_weight_g"] = net_weight_g
        self.put(self.producer, make_key(gtin=code), "register", data, minutes=-600)
        return code

    def batch(self, code: str, lot: str = "L1", *, produced: str | None = None, expiry: str | None = None,
              shelf_life_days: int | None = None, minutes: float = -590) -> str:
        data: dict[str, Any] = {"production_date": produced or (self.t0 - timedelta(days=5)).date().isoformat(),
                                "origin": ORIGIN}
        if expiry:
            data["expiry_date"] = expiry
        if shelf_life_days:
            data["shelf_life_days"] = shelf_life_days
        key = make_key(gtin=code, lot=lot)
        self.put(self.producer, key, "register", data, minutes=minutes)
        return key

    def items(self, code: str, lot: str, seller: PartyView, n: int = 1, *, listed: bool = True) -> list[str]:
        keys = []
        for _ in range(n):
            self._serial += 1
            key = make_key(gtin=code, lot=lot, serial=f"S{self._serial:06d}")
            self.put(self.producer, key, "register", {"seller": seller.id}, minutes=-580)
            if listed:
                self.put(seller, key, "list", {"price": "99.00"}, minutes=-570)
            keys.append(key)
        return keys

    def parcel(self) -> str:
        self._sscc += 1
        return make_key(sscc=sscc(500 + self._sscc))

    # --- events ---------------------------------------------------------------------------

    def put(self, party: PartyView | None, key: str, kind: str, data: dict[str, Any], *, minutes: float,
            recorded: float | None = None, token: str | None = None) -> Any:
        """Capture one event at `minutes` (event time), recorded at `recorded` (default: the same)."""
        statement = {"key": key, "type": kind, "time": format_time(self.at(minutes)),
                     "actor": party.id if party else None, "data": data, "id": str(uuid.uuid4())}
        when = self.at(minutes if recorded is None else recorded)
        return capture(self.engine, self.settings, statement, party=party, review_token=token, now=when)

    def sell(self, seller: PartyView, item: str, courier: PartyView | None, *, minutes: float,
             buyer: str | None = None, price: str = "99.00") -> str:
        data: dict[str, Any] = {"price": price, "order": "sha256:" + uuid.uuid4().hex * 2}
        if courier is not None:
            data["courier"] = courier.id
        if buyer:
            data["buyer"] = buyer
        return self.put(seller, item, "sell", data, minutes=minutes).hash.hex()

    def ship(self, seller: PartyView, courier: PartyView, items: list[str], *, minutes: float, weight_g: int,
             from_region: str = "320700", to_region: str = "310115", recipient: str | None = None,
             waybill: str | None = None, recorded: float | None = None) -> str:
        """Pack `items` into a new parcel for `courier`, who dispatches it: the parcel's key."""
        parcel = self.parcel()
        self.put(seller, parcel, "pack", {"items": items, "courier": courier.id}, minutes=minutes - 5)
        data: dict[str, Any] = {"waybill": waybill or f"WB{uuid.uuid4().hex[:12]}", "weight_g": weight_g,
                                "from_region": from_region, "to_region": to_region}
        if recipient:
            data["recipient"] = recipient
        self.put(courier, parcel, "dispatch", data, minutes=minutes, recorded=recorded)
        return parcel

    def transit(self, courier: PartyView, key: str, region: str, *, minutes: float,
                recorded: float | None = None) -> None:
        self.put(courier, key, "transit", {"hub": f"{region} 转运中心", "region": region}, minutes=minutes,
                 recorded=recorded)

    def deliver(self, courier: PartyView, key: str, region: str = "310115", *, minutes: float,
                recorded: float | None = None, recipient: str | None = None) -> dict[str, str]:
        data: dict[str, Any] = {"signed_by": "recipient", "region": region}
        if recipient:
            data["recipient"] = recipient
        return self.put(courier, key, "deliver", data, minutes=minutes, recorded=recorded).review_tokens

    def review(self, token: str, item: str, rating: int = 5, *, minutes: float, text: str = "好") -> None:
        self.put(None, item, "review", {"rating": rating, "text": text}, minutes=minutes, token=token)

    # --- analysis ---------------------------------------------------------------------------

    def findings(self, *types: str) -> list[Any]:
        analyze(self.engine, self.settings, types=types or None)
        with self.engine.connect() as conn:
            rows = conn.execute(select(Finding.__table__).order_by(Finding.__table__.c.id)).all()
        return [r for r in rows if not types or r.type in types]

    def reasons(self, *types: str) -> set[tuple[str, str, str | None]]:
        return {(f.type, f.reason, f.subject_party) for f in self.findings(*types)}

    # --- added for the empty_parcel, fake_logistics and unsafe_goods tests ----------------------

    def epcis(self, party: PartyView, key: str, step: str, *, minutes: float) -> str:
        """A generic EPCIS ObjectEvent with CBV bizStep `step` on `key` (kept as `epcis`): its entry hash."""
        data = {"event": {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": step},
                "epcs": [["epcList", 0, key]], "sizes": {"epcList": 1}}
        return self.put(party, key, "epcis", data, minutes=minutes).hash.hex()

    def entries(self) -> set[str]:
        """Every ledger entry's hash (hex): a finding's evidence must be among them."""
        with self.engine.connect() as conn:
            return {bytes(h).hex() for h in conn.execute(select(Entry.__table__.c.hash)).scalars()}

    # --- added for brushing, fake_review and cloned_code ------------------------------------

    def is_entry(self, hex_hash: str) -> bool:
        """Whether a hash (hex) is a ledger entry's."""
        entries = Entry.__table__
        with self.engine.connect() as conn:
            row = conn.execute(select(entries.c.id).where(entries.c.hash == bytes.fromhex(hex_hash))).first()
        return row is not None

    def check(self, key: str, region: str | None, *, minutes: float, checker: str) -> None:
        """A consumer check of `key` on the scan page (the scan log), at `minutes`."""
        with self.engine.begin() as conn:
            record_scan(conn, self.settings, key, region, self.at(minutes), checker=checker)
