"""What a public page may show of the ledger: an allow-list per event type, masked names, coarse regions.

Event data is copied field by field from `PUBLIC_FIELDS`, so buyers' orders
and recipients' commitments never appear; natural persons are masked
(`suyuan.trace.privacy.masking`) and regions are coarsened to prefecture
level (`suyuan.codes.regions`). Odd or legacy entries are shown with what can
be read, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from suyuan.codes import regions
from suyuan.timestamps import parse_time
from suyuan.trace.privacy import masking

# Fields a public page may show, per event type; anything else in `data` stays in the ledger.
PUBLIC_FIELDS = {
    "register": ("name", "category", "brand", "net_weight_g", "production_date", "expiry_date",
                 "quantity"),
    "list": ("price", "currency", "platform", "shop"),
    "sell": ("price", "currency"),
    "dispatch": (),
    "transit": ("hub", "action"),
    "deliver": ("signed_by",),
    "review": ("rating", "text"),
    "complain": ("category",),
    "inspect": ("result", "sampling", "lab_report_sha256", "note"),
    "recall": ("reason",),
    "recall_lifted": ("reason",),
    "hide_review": ("review", "reason"),  # the inspector's public reason; the review itself is not shown
}
REGION_FIELDS = ("region", "from_region", "to_region")


@dataclass
class Event:
    """One journey step as the public sees it."""

    time: datetime | None
    type: str
    level: str  # which chain: product | batch | parcel | item
    key: str
    seq: int
    hash: str
    log_index: int | None
    actor: str  # public name, masked for persons
    data: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"time": self.time.isoformat() if self.time else None, "type": self.type,
                "level": self.level, "key": self.key, "seq": self.seq, "hash": self.hash,
                "log_index": self.log_index, "actor": self.actor, "data": self.data}


def _data(st: dict[str, Any]) -> dict[str, Any]:
    return st["data"] if isinstance(st.get("data"), dict) else {}


def _time(st: dict[str, Any]) -> datetime | None:
    try:
        return parse_time(st.get("time"))
    except ValueError:
        return None


def party_refs(st: dict[str, Any]) -> list[str]:
    """The parties a statement names (actor, seller, courier) whose public names the page shows."""
    data = _data(st)
    refs = [st.get("actor"), data.get("seller"), data.get("courier")]
    return [r for r in refs if isinstance(r, str) and not r.startswith("consumer:")]


def producer(row: Any) -> dict[str, Any]:
    """The producer's real-name identity as the page shows it: name (masked for a person), USCC, licences."""
    licences = row.licences if isinstance(row.licences, list) else []
    return {"name": masking.public_name(row.p_kind, row.p_name), "kind": row.p_kind,
            "uscc": row.uscc, "status": row.p_status,
            "licences": [{k: lic.get(k) for k in ("type", "number", "valid_from", "valid_to") if lic.get(k)}
                         for lic in licences if isinstance(lic, dict)]}


def event(row: Any, st: dict[str, Any], level: str, names: dict[str, str]) -> Event:
    """One entry (`row`: key, seq, hash, idx) of chain `level` as a public journey step."""
    kind = str(st.get("type", ""))
    data = _data(st)
    shown: dict[str, Any] = {k: data[k] for k in PUBLIC_FIELDS.get(kind, ()) if isinstance(data.get(k), (str, int))}
    for name in REGION_FIELDS:
        code = regions.coarse(data.get(name)) if isinstance(data.get(name), str) else None
        if code:
            shown[name] = code
            shown[name + "_name"] = regions.name(code)
    if kind == "register" and isinstance(data.get("origin"), dict):
        shown["origin"] = origin(data["origin"])
    for who in ("seller", "courier"):
        if isinstance(data.get(who), str):
            shown[who] = names.get(data[who], "")
    if kind == "pack":
        shown["parcel"] = row.key.split("/")[-1] if level == "parcel" else None
    actor = st.get("actor")
    if isinstance(actor, str) and actor.startswith("consumer:"):
        public_actor = masking.mask_consumer(actor)
    else:
        public_actor = names.get(actor, "") if isinstance(actor, str) else ""
    return Event(_time(st), kind, level, row.key, row.seq, row.hash.hex(), row.idx, public_actor, shown)


def origin(value: dict[str, Any]) -> dict[str, Any]:
    out = {k: value[k] for k in ("region", "place", "lat", "lon") if isinstance(value.get(k), str)}
    if regions.is_region(out.get("region")):
        out["region_name"] = regions.name(out["region"])
    return out


def _registered_batch(out: dict[str, Any], data: dict[str, Any]) -> None:
    if isinstance(data.get("origin"), dict):
        out["origin"] = origin(data["origin"])
    seafood = data.get("seafood")
    if isinstance(seafood, dict):
        out["seafood"] = {k: seafood[k] for k in ("catch_area", "vessel", "farm", "landing_date")
                          if isinstance(seafood.get(k), str)}
    certs = data.get("certificates")
    if isinstance(certs, list):
        out["certificates"] = [{"name": c.get("name"), "sha256": c.get("sha256")}
                               for c in certs if isinstance(c, dict)]
    if isinstance(data.get("quantity"), int):
        out["quantity"] = data["quantity"]


def batch(row: Any, raw: list[tuple[Any, dict[str, Any]]]) -> dict[str, Any]:
    """The batch as the page shows it: dates and origin, with its registration and recall from its chain."""
    out: dict[str, Any] = {
        "key": row.b_key, "lot": row.lot, "production_date": row.production_date.isoformat(),
        "expiry_date": row.expiry_date.isoformat() if row.expiry_date else None,
        "origin": {"region": row.origin_region, "region_name": regions.name(row.origin_region)},
        "recalled": bool(row.recalled),
    }
    for r, st in raw:
        if r.key != row.b_key:
            continue
        data = _data(st)
        if st.get("type") == "register":
            _registered_batch(out, data)
        elif st.get("type") == "recall":
            out["recall_reason"] = data.get("reason") if isinstance(data.get("reason"), str) else ""
            out["recalled_at"] = st.get("time")
    return out
