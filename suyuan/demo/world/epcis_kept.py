"""Shipments capture would refuse as typed events, kept as generic EPCIS events (`epcis`).

Capture refuses to dispatch a parcel with nothing packed (`empty_parcel`),
but a generic EPCIS event on an SSCC suyuan does not track changes no state
and is anyone's to record (`suyuan.trace.events.handlers.epcis`). So the
empty shipment of an order is written the way an EPCIS client would send it:
the shop's shipping ObjectEvent naming the order (bizTransactionList) and
the destination, and the courier's receiving ObjectEvent at the recipient's
region, both on a fresh SSCC that no `pack` ever named.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from suyuan.demo.world import journeys as j
from suyuan.trace.parties.registry import PartyView

if TYPE_CHECKING:
    from suyuan.demo.world.state import World

COMPANY_PREFIX = "6901234"


def sscc_urn(key: str) -> str:
    """urn:epc:id:sscc of an SSCC key 00/<18 digits> with company prefix 6901234."""
    digits = key.split("/")[1]
    assert digits[1:8] == COMPANY_PREFIX, key
    return f"urn:epc:id:sscc:{COMPANY_PREFIX}.{digits[0]}{digits[8:17]}"


def _event(w: World, when: datetime, step: str, disposition: str, extra: dict[str, Any]) -> dict[str, Any]:
    return {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": step, "disposition": disposition,
            "eventTimeZoneOffset": "+08:00", "eventID": f"urn:uuid:{w.tl.uuid()}", **extra}


def _data(event: dict[str, Any], key: str) -> dict[str, Any]:
    return {"event": event, "epcs": [["epcList", 0, sscc_urn(key)]], "sizes": {"epcList": 1}}


def empty_shipment(w: World, order: j.Order, courier: PartyView) -> None:
    tl, m = w.tl, order.merchant
    key = tl.sscc()
    shipped = order.sold + tl.hours(1, 6)
    dest = order.shopper.city
    ship = _event(w, shipped, "shipping", "in_transit", {
        "bizTransactionList": [{"type": "po", "bizTransaction": f"urn:suyuan:order:{order.ref}"}],
        "sourceList": [{"type": "location", "source": f"urn:suyuan:region:{m.city.code}"}],
        "destinationList": [{"type": "location", "destination": f"urn:suyuan:region:{dest.code}"}]})
    if shipped > tl.end:
        return
    tl.add(order.chain.step(shipped, tl.minutes(0.5, 5)), key, "epcis", shipped, m.party, _data(ship, key))
    delivered = shipped + tl.hours(6, 40)
    if delivered > tl.end:
        return
    got = _event(w, delivered, "receiving", "in_progress",
                 {"readPoint": {"id": f"urn:suyuan:region:{dest.code}"}})
    tl.add(order.chain.step(delivered, tl.minutes(0.5, 20)), key, "epcis", delivered, courier, _data(got, key))
