"""Complaint intake (投诉受理): complaints from the 12345, 12315 and 12318 hotlines, platforms and shoppers.

A `hotline` party (a government service desk or a platform's complaint desk)
files a complaint about a party, or about goods whose party it finds
(`subject_of_key`: an item's seller, else its producer; a batch's or
product's producer; a parcel's packer), as a `complaint_filed` entry on that
party's chain. A shopper's `complain` through a review token is taken in too,
about the item's seller. The complainant's contact details are sealed in the
privacy vault; the entry holds only the commitment. An inspector resolves
each complaint as `upheld` or `rejected` (`complaint_resolved`); an upheld
one is a mark on the party's score.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from suyuan.config import Settings
from suyuan.errors import InputError, RuleViolation
from suyuan.trace.credit import cases, marks
from suyuan.trace.credit.models import CreditComplaint
from suyuan.trace.goods.registry import batch_row, item_row, key_ref, parcel_row, product_row

complaints_t = CreditComplaint.__table__
CHANNELS = ("12345", "12315", "12318", "platform", "other")
SHOPPER = "review_token"  # the channel of a shopper's own complaint
CATEGORIES = ("quality", "counterfeit", "safety", "price", "logistics", "payment", "after_sales",
              "false_information", "damaged", "late", "wrong_item", "other")
OUTCOMES = ("upheld", "rejected")


def subject_of_key(conn: Connection, key: str, field: str = "subject_key") -> str:
    """The party responsible for the goods `key` names; InputError naming `field` when none is recorded."""
    try:
        ref = key_ref(key)
    except InputError as exc:
        raise InputError(f"Invalid {field}: {exc}", field=field) from None
    row = None
    if ref.kind == "item":
        row = item_row(conn, key)
        party = row and (row.seller or row.owner)
    elif ref.kind == "batch":
        row = batch_row(conn, key)
        party = row and row.owner
    elif ref.kind == "parcel":
        row = parcel_row(conn, key)
        party = row and row.owner
    else:
        row = product_row(conn, ref.gtin)
        party = row and row.owner
    if not party:
        raise InputError(f"Invalid {field}: expected goods registered here, got {key} (not registered).",
                         field=field)
    return party


def file(conn: Connection, party_id: str, entry: bytes, channel: str, category: str, reference: str | None,
         subject_key: str | None, when: datetime) -> None:
    conn.execute(complaints_t.insert().values(entry_hash=entry, party_id=party_id, channel=channel,
                                              category=category, reference=reference, subject_key=subject_key,
                                              filed=when, status="open"))


def require_open(conn: Connection, party_id: str, complaint: str, field: str = "data.complaint") -> Any:
    """The open complaint of `party_id` whose entry is `complaint` (hex); refused otherwise."""
    row = cases.case_of(conn, complaints_t, party_id, complaint, field, "complaint")
    if row.status != "open":
        raise RuleViolation(f"Complaint {complaint} is already {row.status}: a complaint is resolved once.",
                            rule="complaint_resolved", field=field)
    return row


def resolve(conn: Connection, settings: Settings, party_id: str, complaint: Any, outcome: str, severity: str,
            entry: bytes, key: str, when: datetime) -> None:
    conn.execute(update(complaints_t).where(complaints_t.c.entry_hash == complaint.entry_hash)
                 .values(status=outcome, resolution_entry=entry))
    if outcome == "upheld":
        marks.add(conn, settings, party_id, "complaint", severity, entry, key, when)


def public(row: Any) -> dict[str, Any]:
    return {"entry": bytes(row.entry_hash).hex(), "party": row.party_id, "channel": row.channel,
            "category": row.category, "reference": row.reference, "subject_key": row.subject_key,
            "filed": row.filed.isoformat(timespec="seconds").replace("+00:00", "Z"), "status": row.status,
            "resolution": bytes(row.resolution_entry).hex() if row.resolution_entry else None}


def open_complaints(conn: Connection, limit: int = 100) -> list[dict[str, Any]]:
    rows = conn.execute(select(complaints_t).where(complaints_t.c.status == "open")
                        .order_by(complaints_t.c.filed).limit(limit)).all()
    return [public(r) for r in rows]


def of_party(conn: Connection, party_id: str, limit: int = 100) -> list[dict[str, Any]]:
    rows = conn.execute(select(complaints_t).where(complaints_t.c.party_id == party_id)
                        .order_by(complaints_t.c.filed.desc()).limit(limit)).all()
    return [public(r) for r in rows]


def party_of(conn: Connection, entry: str) -> str:
    """The party of the complaint whose entry is `entry` (hex); NotFound otherwise."""
    return cases.party_of(conn, complaints_t, entry, "complaint")
