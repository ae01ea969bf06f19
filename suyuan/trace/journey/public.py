"""The public record of a code: what a consumer sees after scanning it.

`public_record` gathers, in three indexed reads on one connection, the goods a
key names (item, batch, product or parcel) with its producer's real-name
identity and the batch's origin and certificates; the journey of an item as
`suyuan.trace.journey.chains` defines it (its chain, its batch's and
product's chains, and the chains of the parcels it travelled in, only while
packed); and the names of the parties in it. Then how far the log has
checkpointed those entries, and the warnings. The scan page is the busiest
page there is, so its statements are built once and each read is one round
trip; the checkpoint size may come from a `CheckpointSize` read at most once a
second.

Only what a public page may show leaves this module, as
`suyuan.trace.journey.disclosure` allows: event data field by field from an
allow-list per event type, natural persons masked, regions coarsened.
"""

from __future__ import annotations

import logging
import threading
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable

from sqlalchemy import Connection, Engine, bindparam, func, select

from suyuan.codes import regions
from suyuan.codes.gs1 import make_key
from suyuan.ledger.models import Checkpoint, Entry, Leaf
from suyuan.config import Settings
from suyuan.trace.credit import record as credit_record
from suyuan.trace.events.models import Flag
from suyuan.trace.goods.registry import KeyRef, batches_t, contents_t, items_t, parcels_t, products_t
from suyuan.trace.journey import disclosure
from suyuan.trace.journey.chains import item_journey, statement_of
from suyuan.trace.journey.disclosure import Event
from suyuan.trace.journey.scanlog import CLONE_FLAGS, FAR_APART, MANY, ScanStats
from suyuan.trace.parties.models import Party
from suyuan.trace.privacy import masking

__all__ = ["CHINA", "CheckpointSize", "Event", "PublicRecord", "Warning", "checkpointed_size", "find",
           "public_record", "today_in_china"]

entries_t = Entry.__table__
leaves_t = Leaf.__table__
checkpoints_t = Checkpoint.__table__
parties_t = Party.__table__
flags_t = Flag.__table__

CHINA = timezone(timedelta(hours=8), "CST")  # China keeps one zone and no daylight saving
MAX_ENTRIES = 2000  # per page: chains of one item are short; a runaway parcel chain is cut here
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
CHECKPOINT_TTL = 1.0  # seconds: a checkpoint is at most this stale on the page

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Warning:
    """A red line on the page: `code` is stable, `params` fill its sentence."""

    code: str  # recalled | expired | inspection_failed | possible_clone | unregistered | invalid
    params: dict[str, Any] = field(default_factory=dict)


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
    credit: dict[str, Any] | None = None  # the parties' credit and active risk warnings (suyuan.trace.credit)

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
            "hidden_reviews": [{"review": e.data.get("review"), "reason": e.data.get("reason", ""),
                                "hidden_at": e.time.isoformat() if e.time else None}
                               for e in self.events if e.type == "hide_review"],
            "scans": scans, "credit": self.credit,
        }


def today_in_china(now: datetime | None = None) -> date:
    return (now or datetime.now(timezone.utc)).astimezone(CHINA).date()


def checkpointed_size(conn: Connection) -> int:
    """The size of the latest signed checkpoint; 0 before the first."""
    return conn.execute(select(func.max(checkpoints_t.c.size))).scalar() or 0


class CheckpointSize:
    """The latest checkpoint size, read at most once every `ttl` seconds (checkpoints only grow)."""

    def __init__(self, ttl: float = CHECKPOINT_TTL) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._value: int | None = None
        self._at = 0.0

    def get(self, engine: Engine) -> int:
        now = clock.monotonic()
        if self._value is not None and now - self._at < self.ttl:
            return self._value
        with engine.connect().execution_options(readonly=True) as conn:
            value = checkpointed_size(conn)
        with self._lock:
            self._value, self._at = value, now
        return value


# --- the reads, built once ----------------------------------------------------------------

# The product and its owner's public identity, and the batch: joined to the goods in the first read.
_PRODUCT = (products_t.c.name.label("product_name"), products_t.c.category, products_t.c.priority,
            products_t.c.net_weight_g, parties_t.c.kind.label("p_kind"), parties_t.c.name.label("p_name"),
            parties_t.c.uscc, parties_t.c.licences, parties_t.c.status.label("p_status"),
            products_t.c.owner.label("p_id"))
_BATCH = (batches_t.c.key.label("b_key"), batches_t.c.lot, batches_t.c.production_date,
          batches_t.c.expiry_date, batches_t.c.origin_region, batches_t.c.recalled)


def _with_product(goods, gtin):  # noqa: ANN001, ANN202
    return (goods.outerjoin(products_t, products_t.c.gtin == gtin)
            .outerjoin(parties_t, parties_t.c.id == products_t.c.owner))




def _flagged(code: str):  # noqa: ANN202
    """Whether consumer checks of the item ever raised `code`: once raised, the page keeps warning."""
    return select(flags_t.c.id).where(flags_t.c.key == items_t.c.key, flags_t.c.code == code).exists()


PARCEL_SEP = " "  # parcel keys are 00/ and digits
_PARCELS = (select(func.aggregate_strings(contents_t.c.parcel_key, PARCEL_SEP))
            .where(contents_t.c.item_key == items_t.c.key).scalar_subquery())
# `/01/{gtin}/21/{serial}` names an item whatever its lot (a serial is unique within its GTIN),
# so items are looked up by (gtin, serial); `find` prefers the row whose key is the one asked for.
_FIND = {
    "item": select(items_t.c.key, items_t.c.gtin, items_t.c.batch_key, items_t.c.serial, items_t.c.state,
                   items_t.c.seller, *_PRODUCT, *_BATCH, _flagged(MANY).label("many_flag"), _flagged(FAR_APART).label("far_flag"),
                   _PARCELS.label("parcels"))
    .select_from(_with_product(items_t, items_t.c.gtin).outerjoin(batches_t, batches_t.c.key == items_t.c.batch_key))
    .where(items_t.c.gtin == bindparam("gtin"), items_t.c.serial == bindparam("serial")),
    "batch": select(batches_t.c.key, batches_t.c.gtin, *_PRODUCT, *_BATCH)
    .select_from(_with_product(batches_t, batches_t.c.gtin)).where(batches_t.c.key == bindparam("key")),
    "product": select(products_t.c.gtin, *_PRODUCT)
    .select_from(products_t.outerjoin(parties_t, parties_t.c.id == products_t.c.owner))
    .where(products_t.c.gtin == bindparam("gtin")),
    "parcel": select(parcels_t.c.key, parcels_t.c.state,
                     select(func.count()).select_from(items_t).where(items_t.c.parcel_key == parcels_t.c.key)
                     .scalar_subquery().label("items"))
    .where(parcels_t.c.key == bindparam("key")),
}

# The leaf index as a correlated lookup, not an outer join: without fresh planner statistics
# PostgreSQL hashes the whole log_leaves table for a join; this is one index probe per entry.
_ENTRY = (entries_t.c.id, entries_t.c.key, entries_t.c.seq, entries_t.c.hash, entries_t.c.canonical,
          select(leaves_t.c.idx).where(leaves_t.c.entry_id == entries_t.c.id).scalar_subquery().label("idx"))
_CHAINS = (select(*_ENTRY).where(entries_t.c.key.in_(bindparam("keys", expanding=True)))
           .order_by(entries_t.c.key, entries_t.c.seq).limit(MAX_ENTRIES))
_NAMES = select(parties_t.c.id, parties_t.c.kind, parties_t.c.name).where(
    parties_t.c.id.in_(bindparam("ids", expanding=True)))


def find(conn: Connection, ref: KeyRef) -> tuple[str, Any] | None:
    """The registered row a resolver path names, with its canonical key; None if unregistered.

    The row carries the product and its owner (`product_name`, `p_*`; None
    when unknown), for items and batches the batch (`b_key`, `lot`, ...), and
    for items whether consumer checks flagged it (`many_flag`, `far_flag`) and the parcels it was packed in.
    A path that names a lot must name the item's lot.
    """
    rows = conn.execute(_FIND[ref.kind], {"key": ref.key, "gtin": ref.gtin, "serial": ref.serial}).all()
    if not rows:
        return None
    if ref.kind != "item":
        return ref.key, rows[0]
    row = next((r for r in rows if r.key == ref.key), rows[0])
    if row.key != ref.key and ref.lot is not None and row.batch_key != make_key(gtin=ref.gtin, lot=ref.lot):
        return None  # the label's lot is not the item's: treat as not ours
    return row.key, row


# --- assembling the record ----------------------------------------------------------------

RecordCheck = Callable[[Connection, str], ScanStats | None]


def public_record(engine: Engine, ref: KeyRef, *, record_check: RecordCheck | None = None,
                  checkpoint_size: int | None = None, now: datetime | None = None,
                  settings: Settings | None = None,
                  record_unregistered: RecordCheck | None = None,
                  credit_cache: credit_record.PartyCredit | None = None) -> PublicRecord | None:
    """The public record of the goods `ref` names; None when nothing is registered under it.

    `record_check(conn, key)` logs the consumer's check once the goods are
    known to exist, in the same transaction as the reads and last, so the page
    counts itself without a second connection and holds the key's scan totals
    locked only until the commit that follows. If the write fails the shopper
    still gets the page, without the totals. A serial whose consumer checks
    raised a clone flag (`suyuan.trace.journey.scanlog`: many distinct checkers within
    a window, or two provinces too quickly), now or before, gets the
    possible-clone warning; courier scans and their `serial_far_apart` flags
    do not make it (a parcel crossing provinces is a journey, not a clone).
    With `settings`, the record discloses the credit of the producer and the
    seller (level, pledges) and the active risk warnings about them or the batch.
    `record_unregistered(conn, key)` logs the check of an item key that names
    no registered item under a registered GTIN (a made-up serial, which the
    analytics judge, `cloned_code/unregistered_serial`); the answer is still None.
    `credit_cache` keeps the parties' credit per process for a second (`PartyCredit`).
    """
    conn = engine.connect()
    if record_check is None and record_unregistered is None:
        conn.execution_options(readonly=True)  # a write-free read: SQLite need not take the write lock
    with conn:
        found = find(conn, ref)
        if found is None:
            if ref.kind == "item" and record_unregistered is not None and _product_known(conn, ref.gtin):
                _log_check(conn, ref.key, record_unregistered)
            return None
        key, row = found
        rec = _goods(key, ref, row)
        levels = _levels(key, ref, row)
        raw = _journey_entries(conn, key, ref, row, levels)
        names = _names(conn, raw)
        if checkpoint_size is None:
            checkpoint_size = checkpointed_size(conn)
        if settings is not None and ref.kind != "parcel":
            parties = {"producer": row.p_id, "seller": getattr(row, "seller", None)}
            rec.credit = parties | credit_record.disclosure(conn, settings, list(parties.values()),
                                                            [k for k in (getattr(row, "b_key", None), key) if k],
                                                            credit_cache)
        rec.scans = _log_check(conn, key, record_check)
    rec.checkpoint_size = checkpoint_size
    _assemble(rec, row, raw, levels, names, now)
    return rec


def _goods(key: str, ref: KeyRef, row: Any) -> PublicRecord:
    rec = PublicRecord(key=key, kind=ref.kind, ref=ref)
    if ref.kind == "parcel":
        rec.parcel = {"sscc": ref.sscc, "state": row.state, "items": row.items}
        return rec
    if row.p_kind is not None:
        rec.product = {"gtin": row.gtin, "name": row.product_name, "category": row.category,
                       "priority": bool(row.priority), "net_weight_g": row.net_weight_g}
        rec.producer = disclosure.producer(row)
    if ref.kind == "item":
        rec.item = {"serial": row.serial, "state": row.state}
    return rec


def _parcels(row: Any) -> list[str]:
    return row.parcels.split(PARCEL_SEP) if row.parcels else []


def _levels(key: str, ref: KeyRef, row: Any) -> dict[str, str]:
    """The chains the page reads, each with its level: an item's are its journey's."""
    if ref.kind == "parcel":
        return {key: "parcel"}
    if ref.kind == "item":
        journey = item_journey(key, gtin=row.gtin, batch_key=row.b_key, parcels=_parcels(row))
        return {c.key: c.role for c in journey.chains}
    levels = {make_key(gtin=row.gtin): "product"}
    if ref.kind == "batch" and row.b_key is not None:
        levels[row.b_key] = "batch"
    return levels


def _journey_entries(conn: Connection, key: str, ref: KeyRef, row: Any,
                     levels: dict[str, str]) -> list[tuple[Any, dict[str, Any]]]:
    """The chains' entries with their statements; of a parcel's, only those while the item was in it."""
    raw = [(r, statement_of(r.canonical)) for r in conn.execute(_CHAINS, {"keys": list(levels)})]
    if ref.kind != "item" or not row.parcels:
        return raw
    journey = item_journey(key, gtin=row.gtin, batch_key=row.b_key, parcels=_parcels(row),
                           packing=((r.key, r.seq, st) for r, st in raw))
    return [(r, st) for r, st in raw if journey.includes(r.key, r.seq)]


def _names(conn: Connection, raw: list[tuple[Any, dict[str, Any]]]) -> dict[str, str]:
    party_ids = {p for _, st in raw for p in disclosure.party_refs(st)}
    if not party_ids:
        return {}
    return {p.id: masking.public_name(p.kind, p.name) for p in conn.execute(_NAMES, {"ids": sorted(party_ids)})}


_PRODUCT_KNOWN = select(products_t.c.gtin).where(products_t.c.gtin == bindparam("gtin"))


def _product_known(conn: Connection, gtin: str | None) -> bool:
    return gtin is not None and conn.execute(_PRODUCT_KNOWN, {"gtin": gtin}).first() is not None


def _log_check(conn: Connection, key: str, record_check: RecordCheck | None) -> ScanStats | None:
    if record_check is None:
        return None
    try:
        scans = record_check(conn, key)
        conn.commit()
        return scans
    except Exception:  # noqa: BLE001 - a failed scan log must not cost the shopper the page
        logger.exception("could not log a consumer scan of %s", key)
        conn.rollback()
        return None


def _assemble(rec: PublicRecord, row: Any, raw: list[tuple[Any, dict[str, Any]]], levels: dict[str, str],
              names: dict[str, str], now: datetime | None) -> None:
    # A hidden review leaves the page; the inspector's hide_review stays in its place, with its reason,
    # so a shopper sees that a review was hidden and why.
    hidden = {str(st.get("data", {}).get("review")) for _, st in raw if st.get("type") == "hide_review"}
    shown = [(r, st) for r, st in raw if not (st.get("type") == "review" and r.hash.hex() in hidden)]
    # Event time first; recording order (entry id) breaks ties, since clients send whole seconds.
    events = [(disclosure.event(r, st, levels[r.key], names), r.id) for r, st in shown]
    events.sort(key=lambda pair: (pair[0].time or EPOCH, pair[1]))
    rec.events = [e for e, _ in events]
    rec.pending = sum(1 for e in rec.events if e.log_index is None or e.log_index >= rec.checkpoint_size)
    batch = row if rec.kind in ("item", "batch") and row.b_key is not None else None
    if batch is not None:
        rec.batch = disclosure.batch(batch, raw)
    flagged: set[str] = set()
    if rec.kind == "item":
        flagged = {c for c, raised in zip(CLONE_FLAGS, (row.many_flag, row.far_flag)) if raised}
    if rec.scans is not None and rec.scans.checkers is not None:
        flagged.add(MANY)
    if rec.scans is not None and rec.scans.far_at is not None:
        flagged.add(FAR_APART)
    _warn(rec, batch, flagged, now)


def _warn(rec: PublicRecord, batch: Any, clone_reasons: set[str], now: datetime | None) -> None:
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
    for w in (rec.credit or {}).get("warnings", []):
        rec.warnings.append(Warning("risk_warning", {"text_zh": w["text_zh"], "text_en": w["text_en"],
                                                     "ends": w["ends"], "severity": w["severity"]}))
    if rec.kind == "item" and clone_reasons:
        s = rec.scans
        rec.warnings.append(Warning("possible_clone", {
            "first_at": s.first_at.isoformat() if s else None,
            "first_region": s.first_region if s else None,
            "first_region_name": regions.name(s.first_region) if s and s.first_region else None,
            "count": s.count if s else None,
            "checkers": s.checkers if s else None,
            "many": MANY in clone_reasons,
            "far_apart": FAR_APART in clone_reasons,
            "reasons": [c for c in CLONE_FLAGS if c in clone_reasons]}))
