"""The public record of a code: what a consumer sees after scanning it.

`public_record` gathers, in a handful of indexed reads, the goods a key names
(item, batch, product or parcel), its producer's real-name identity, the
batch's origin and certificates, the journey (the item's chain, its batch's
and product's chains, and the chains of the parcels it travelled in while
packed), how far the log has checkpointed those entries, and the warnings.

Only what a public page may show leaves this module: event data is copied
field by field from an allow-list per event type, so buyers' orders and
recipients' commitments never appear, natural persons are masked
(`suyuan.trace.masking`) and regions are coarsened to prefecture level.
Odd or legacy entries are shown with what can be read, never an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable

from sqlalchemy import Connection, Engine, func, select

from suyuan.ledger.models import Checkpoint, Entry, Leaf
from suyuan.scanners.gs1 import make_key
from suyuan.trace import masking, regions
from suyuan.trace.goods import KeyRef, batches_t, contents_t, items_t, parcels_t, products_t
from suyuan.trace.models import Flag, Party
from suyuan.trace.rules import aware
from suyuan.trace.scanlog import ScanStats

entries_t = Entry.__table__
leaves_t = Leaf.__table__
checkpoints_t = Checkpoint.__table__
parties_t = Party.__table__
flags_t = Flag.__table__

CHINA = timezone(timedelta(hours=8), "CST")  # China keeps one zone and no daylight saving
MAX_ENTRIES = 2000  # per page: chains of one item are short; a runaway parcel chain is cut here
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Warning:
    """A red line on the page: `code` is stable, `params` fill its sentence."""

    code: str  # recalled | expired | inspection_failed | possible_clone | unregistered | invalid
    params: dict[str, Any] = field(default_factory=dict)


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


@dataclass
class PublicRecord:
    key: str
    kind: str
    ref: KeyRef
    product: dict[str, Any] | None = None
    producer: dict[str, Any] | None = None
    batch: dict[str, Any] | None = None
    item: dict[str, Any] | None = None
    parcel: dict[str, Any] | None = None
    events: list[Event] = field(default_factory=list)
    checkpoint_size: int = 0
    pending: int = 0  # shown entries not yet covered by the latest checkpoint
    warnings: list[Warning] = field(default_factory=list)
    scans: ScanStats | None = None

    @property
    def reviewable(self) -> bool:
        return self.item is not None and self.item.get("state") in ("delivered", "returned")

    @property
    def logged(self) -> bool:
        return self.pending == 0 and bool(self.events)

    def as_json(self) -> dict[str, Any]:
        scans = None
        if self.scans is not None:
            scans = {"count": self.scans.count, "first_at": self.scans.first_at.isoformat(),
                     "first_region": self.scans.first_region}
        return {
            "key": self.key, "kind": self.kind, "product": self.product, "producer": self.producer,
            "batch": self.batch, "item": self.item, "parcel": self.parcel,
            "journey": [e.as_json() for e in self.events],
            "verification": {"checkpoint_size": self.checkpoint_size, "entries": len(self.events),
                             "pending": self.pending, "in_signed_log": self.logged},
            "warnings": [{"code": w.code, **w.params} for w in self.warnings],
            "scans": scans,
        }


def today_in_china(now: datetime | None = None) -> date:
    return (now or datetime.now(timezone.utc)).astimezone(CHINA).date()


# --- finding the goods ----------------------------------------------------------------


def find(conn: Connection, ref: KeyRef) -> tuple[str, Any] | None:
    """The registered row a resolver path names, with its canonical key; None if unregistered.

    `/01/{gtin}/21/{serial}` names an item whatever its lot (a serial is unique
    within its GTIN), so an item is also looked up by (gtin, serial); a path
    that names a lot must name the item's lot.
    """
    if ref.kind == "product":
        row = conn.execute(select(products_t).where(products_t.c.gtin == ref.gtin)).first()
        return (ref.key, row) if row else None
    if ref.kind == "batch":
        row = conn.execute(select(batches_t).where(batches_t.c.key == ref.key)).first()
        return (ref.key, row) if row else None
    if ref.kind == "parcel":
        row = conn.execute(select(parcels_t).where(parcels_t.c.key == ref.key)).first()
        return (ref.key, row) if row else None
    row = conn.execute(select(items_t).where(items_t.c.key == ref.key)).first()
    if row is None:
        row = conn.execute(select(items_t).where(items_t.c.gtin == ref.gtin, items_t.c.serial == ref.serial)
                           .limit(1)).first()
        if row is None:
            return None
        if ref.lot is not None and row.batch_key != make_key(gtin=ref.gtin, lot=ref.lot):
            return None  # the label's lot is not the item's: treat as not ours
    return row.key, row


# --- assembling the record ----------------------------------------------------------------


def public_record(engine: Engine, ref: KeyRef, *, on_found: Callable[[str], ScanStats | None] | None = None,
                  clone_count: int | None = None, checkpoint_size: int | None = None,
                  now: datetime | None = None) -> PublicRecord | None:
    """The public record of the goods `ref` names; None when nothing is registered under it.

    `on_found(key)` runs once the goods are known to exist, before the record
    is read: the resolver logs the consumer's check there, so the page counts
    itself. A serial checked `clone_count` times or more, or in two provinces
    too quickly, gets the possible-clone warning.
    """
    with engine.connect().execution_options(readonly=True) as conn:
        found = find(conn, ref)
        if found is None:
            return None
        key, row = found
        scans = on_found(key) if on_found is not None else None
        rec = PublicRecord(key=key, kind=ref.kind, ref=ref, scans=scans)
        chains: dict[str, str] = {}  # key -> level
        parcels: set[str] = set()
        gtin, batch_key = None, None
        if ref.kind == "item":
            gtin, batch_key = row.gtin, row.batch_key
            rec.item = {"serial": row.serial, "state": row.state}
            chains[key] = "item"
            parcels = set(conn.execute(select(contents_t.c.parcel_key).where(contents_t.c.item_key == key))
                          .scalars())
            chains |= dict.fromkeys(parcels, "parcel")
        elif ref.kind == "batch":
            gtin, batch_key = row.gtin, key
        elif ref.kind == "product":
            gtin = row.gtin
        else:
            rec.parcel = {"sscc": ref.sscc, "state": row.state,
                          "items": conn.execute(select(func.count()).select_from(items_t)
                                                .where(items_t.c.parcel_key == key)).scalar()}
            chains[key] = "parcel"
        if batch_key:
            chains[batch_key] = "batch"
        batch = None
        if gtin:
            chains[make_key(gtin=gtin)] = "product"
            product = conn.execute(select(products_t, parties_t.c.kind.label("p_kind"),
                                          parties_t.c.name.label("p_name"), parties_t.c.uscc,
                                          parties_t.c.licences, parties_t.c.status)
                                   .join(parties_t, parties_t.c.id == products_t.c.owner)
                                   .where(products_t.c.gtin == gtin)).first()
            if product is not None:
                rec.product = {"gtin": gtin, "name": product.name, "category": product.category,
                               "priority": bool(product.priority), "net_weight_g": product.net_weight_g}
                rec.producer = _producer(product)
            if batch_key:
                batch = conn.execute(select(batches_t).where(batches_t.c.key == batch_key)).first()
        rows = conn.execute(
            select(entries_t.c.id, entries_t.c.key, entries_t.c.seq, entries_t.c.hash, entries_t.c.canonical,
                   leaves_t.c.idx)
            .outerjoin(leaves_t, leaves_t.c.entry_id == entries_t.c.id)
            .where(entries_t.c.key.in_(list(chains)))
            .order_by(entries_t.c.key, entries_t.c.seq).limit(MAX_ENTRIES)).all()
        raw = [(r, _statement(r.canonical)) for r in rows]
        if parcels:
            raw = _while_packed(raw, parcels, key)
        party_ids = {p for _, st in raw for p in _party_refs(st)}
        names = {}
        if party_ids:
            names = {p.id: masking.public_name(p.kind, p.name) for p in conn.execute(
                select(parties_t.c.id, parties_t.c.kind, parties_t.c.name).where(parties_t.c.id.in_(party_ids)))}
        far_flag = None
        if ref.kind == "item":
            far_flag = conn.execute(select(flags_t.c.detail).where(flags_t.c.key == key,
                                    flags_t.c.code == "serial_far_apart").limit(1)).scalar()
        if checkpoint_size is None:
            checkpoint_size = conn.execute(select(func.max(checkpoints_t.c.size))).scalar() or 0
    rec.checkpoint_size = checkpoint_size
    hidden = {str(st.get("data", {}).get("review")) for _, st in raw if st.get("type") == "hide_review"}
    shown = [(r, st) for r, st in raw
             if st.get("type") != "hide_review" and not (st.get("type") == "review" and r.hash.hex() in hidden)]
    # Event time first; recording order (entry id) breaks ties, since clients send whole seconds.
    events = [(_event(r, st, chains[r.key], names), r.id) for r, st in shown]
    events.sort(key=lambda pair: (pair[0].time or EPOCH, pair[1]))
    rec.events = [e for e, _ in events]
    rec.pending = sum(1 for e in rec.events if e.log_index is None or e.log_index >= checkpoint_size)
    if batch is not None:
        rec.batch = _batch(batch, raw)
    clone = scans is not None and ((clone_count is not None and scans.count >= clone_count)
                                   or scans.far_at is not None)
    _warn(rec, batch, far_flag, clone, now)
    return rec


def _statement(canonical: bytes) -> dict[str, Any]:
    try:
        st = json.loads(canonical).get("statement")
    except (ValueError, AttributeError):
        return {}
    return st if isinstance(st, dict) else {}


def _time(st: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(st.get("time", "")).replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return None


def _while_packed(raw: list[tuple[Any, dict[str, Any]]], parcels: set[str], item_key: str) -> list:
    """Keep a parcel's entries only from the pack that put the item in to the unpack that took it out.

    Decided by chain order (seq), not by event time: an offline scanner's clock may lag.
    """
    out, inside = [], dict.fromkeys(parcels, False)
    for r, st in raw:
        if r.key not in parcels:
            out.append((r, st))
            continue
        data = st.get("data") if isinstance(st.get("data"), dict) else {}
        listed = data.get("items") if isinstance(data.get("items"), list) else None
        if st.get("type") == "pack" and listed is not None and item_key in listed:
            inside[r.key] = True
            out.append((r, st))
        elif st.get("type") == "unpack" and inside[r.key] and (listed is None or item_key in listed):
            inside[r.key] = False
            out.append((r, st))
        elif inside[r.key] and st.get("type") not in ("pack", "unpack"):
            out.append((r, st))
    return out


def _party_refs(st: dict[str, Any]) -> list[str]:
    data = st.get("data") if isinstance(st.get("data"), dict) else {}
    refs = [st.get("actor"), data.get("seller"), data.get("courier")]
    return [r for r in refs if isinstance(r, str) and not r.startswith("consumer:")]


def _producer(row: Any) -> dict[str, Any]:
    licences = row.licences if isinstance(row.licences, list) else []
    return {"name": masking.public_name(row.p_kind, row.p_name), "kind": row.p_kind,
            "uscc": row.uscc, "status": row.status,
            "licences": [{k: lic.get(k) for k in ("type", "number", "valid_from", "valid_to") if lic.get(k)}
                         for lic in licences if isinstance(lic, dict)]}


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
}
REGION_FIELDS = ("region", "from_region", "to_region")


def _event(row: Any, st: dict[str, Any], level: str, names: dict[str, str]) -> Event:
    kind = str(st.get("type", ""))
    data = st.get("data") if isinstance(st.get("data"), dict) else {}
    shown: dict[str, Any] = {k: data[k] for k in PUBLIC_FIELDS.get(kind, ()) if isinstance(data.get(k), (str, int))}
    for name in REGION_FIELDS:
        code = regions.coarse(data.get(name)) if isinstance(data.get(name), str) else None
        if code:
            shown[name] = code
            shown[name + "_name"] = regions.name(code)
    if kind == "register" and isinstance(data.get("origin"), dict):
        shown["origin"] = _origin(data["origin"])
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


def _origin(origin: dict[str, Any]) -> dict[str, Any]:
    out = {k: origin[k] for k in ("region", "place", "lat", "lon") if isinstance(origin.get(k), str)}
    if regions.is_region(out.get("region")):
        out["region_name"] = regions.name(out["region"])
    return out


def _batch(row: Any, raw: list[tuple[Any, dict[str, Any]]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": row.key, "lot": row.lot, "production_date": row.production_date.isoformat(),
        "expiry_date": row.expiry_date.isoformat() if row.expiry_date else None,
        "origin": {"region": row.origin_region, "region_name": regions.name(row.origin_region)},
        "recalled": bool(row.recalled),
    }
    for r, st in raw:
        if r.key != row.key:
            continue
        data = st.get("data") if isinstance(st.get("data"), dict) else {}
        if st.get("type") == "register":
            if isinstance(data.get("origin"), dict):
                out["origin"] = _origin(data["origin"])
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
        elif st.get("type") == "recall":
            out["recall_reason"] = data.get("reason") if isinstance(data.get("reason"), str) else ""
            out["recalled_at"] = st.get("time")
    return out


def _warn(rec: PublicRecord, batch: Any, far_flag: str | None, clone_suspected: bool,
          now: datetime | None) -> None:
    if batch is not None and batch.recalled:
        rec.warnings.append(Warning("recalled", {"lot": batch.lot,
                                                 "reason": (rec.batch or {}).get("recall_reason", "")}))
    if batch is not None and batch.expiry_date is not None and batch.expiry_date < today_in_china(now):
        rec.warnings.append(Warning("expired", {"expiry_date": batch.expiry_date.isoformat()}))
    failed = [e for e in rec.events if e.type == "inspect" and e.data.get("result") == "fail"]
    if failed:
        last = failed[-1]
        rec.warnings.append(Warning("inspection_failed", {
            "time": last.time.isoformat() if last.time else None, "by": last.actor}))
    if rec.kind == "item" and (clone_suspected or far_flag):
        s = rec.scans
        rec.warnings.append(Warning("possible_clone", {
            "first_at": s.first_at.isoformat() if s else None,
            "first_region": s.first_region if s else None,
            "first_region_name": regions.name(s.first_region) if s and s.first_region else None,
            "count": s.count if s else None,
            "far_apart": bool(far_flag) or (s is not None and s.far_at is not None)}))
