"""Driving the typed-event API the way clients do: statements posted with a party's key."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from stdnum import ean

UTC = timezone.utc


def gtin(n: int) -> str:
    body = f"0690123{n:06d}"
    return body + ean.calc_check_digit(body)


def sscc(n: int) -> str:
    body = f"06901234{n:09d}"
    return body + ean.calc_check_digit(body)


def at(minutes: float = 0) -> str:
    """An RFC 3339 time `minutes` from now (negative: in the past)."""
    when = datetime.now(UTC) + timedelta(minutes=minutes)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def statement(key: str, kind: str, data: dict[str, Any] | None = None, *, time: str | None = None,
              actor: str | None = None, ident: str | None = None) -> dict[str, Any]:
    return {"key": key, "type": kind, "time": time or at(), "actor": actor, "data": data or {},
            "id": ident or str(uuid.uuid4())}


def post(client, who, key: str, kind: str, data: dict[str, Any] | None = None, *,  # noqa: ANN001
         sig: str | None = None, **st: Any):
    """POST one event as `who` (a Who, a raw bearer secret, or None for no credentials)."""
    headers = {}
    if who is not None:
        headers = {"Authorization": f"Bearer {who if isinstance(who, str) else who.key}"}
    body: dict[str, Any] = {"statement": statement(key, kind, data, **st)}
    if sig is not None:
        body["sig"] = sig
    return client.post("/v1/events", json=body, headers=headers)


PRODUCT = {"name": "连云港 南美白对虾 1 kg", "category": "aquatic", "net_weight_g": 1000}
BATCH = {"production_date": "2026-11-20", "expiry_date": "2027-05-20",
         "origin": {"region": "320700", "place": "连云港海州湾", "lat": "34.6", "lon": "119.2"},
         "seafood": {"vessel": "苏连渔 12345", "catch_area": "FAO 61 海州湾", "landing_date": "2026-11-20"}}


def ok(response, status: int = 201):  # noqa: ANN001, ANN201
    assert response.status_code == status, response.text
    return response.json()


class Story:
    """One product, one batch, items assigned to the merchant, walked through the rules."""

    def __init__(self, client, cast, n: int = 1, lot: str = "LOT1"):  # noqa: ANN001
        self.client, self.cast = client, cast
        self.gtin, self.lot = gtin(n), lot
        self.product = f"01/{self.gtin}"
        self.batch = f"01/{self.gtin}/10/{lot}"
        ok(post(client, cast.producer, self.product, "register", PRODUCT))
        ok(post(client, cast.producer, self.batch, "register", BATCH))

    def item(self, serial: str, *, seller: str | None = "merchant") -> str:
        key = f"{self.batch}/21/{serial}"
        data = {"seller": getattr(self.cast, seller).id} if seller else {}
        ok(post(self.client, self.cast.producer, key, "register", data))
        return key

    def listed(self, serial: str) -> str:
        key = self.item(serial)
        ok(post(self.client, self.cast.merchant, key, "list", {"price": "88.00", "platform": "demo-mall"}))
        return key

    def sold(self, serial: str, courier: str = "courier") -> str:
        key = self.listed(serial)
        ok(post(self.client, self.cast.merchant, key, "sell",
                {"price": "88.00", "order": "c1:" + "ab" * 16, "courier": getattr(self.cast, courier).id}))
        return key

    def dispatched(self, serial: str, *, minutes: float = -600) -> str:
        key = self.sold(serial)
        ok(post(self.client, self.cast.courier, key, "dispatch", DISPATCH, time=at(minutes)))
        return key

    def delivered(self, serial: str) -> tuple[str, str]:
        key = self.dispatched(serial)
        body = ok(post(self.client, self.cast.courier, key, "deliver", {"signed_by": "recipient", "region": "310104"}))
        return key, body["review_tokens"][key]


DISPATCH = {"waybill": "SF1234567890", "weight_g": 1200, "from_region": "320700", "to_region": "310104"}
