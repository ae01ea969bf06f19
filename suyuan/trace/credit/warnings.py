"""Risk warnings (风险提示): an inspector's public notice about a party or a batch, until an end date.

A `warning` entry, on the party's chain or on the batch's, with text in zh and
en, a severity and an end date (required). `active` lists those not ended;
the scan page shows the warnings about its goods' batch and parties in red.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Sequence

from sqlalchemy import Connection, or_, select

from suyuan.trace.credit.models import CreditWarning

warnings_t = CreditWarning.__table__


def record(conn: Connection, entry: bytes, party_id: str | None, key: str | None, severity: str, text_zh: str,
           text_en: str, ends: date, when: datetime) -> None:
    conn.execute(warnings_t.insert().values(entry_hash=entry, party_id=party_id, key=key, severity=severity,
                                            text_zh=text_zh, text_en=text_en, ends=ends, time=when))


def public(row: Any) -> dict[str, Any]:
    return {"entry": bytes(row.entry_hash).hex(), "party": row.party_id, "key": row.key, "severity": row.severity,
            "text_zh": row.text_zh, "text_en": row.text_en, "ends": row.ends.isoformat(),
            "time": row.time.isoformat(timespec="seconds").replace("+00:00", "Z")}


def active(conn: Connection, today: date, *, parties: Sequence[str] = (), keys: Sequence[str] = (),
           after: str | None = None, limit: int = 100) -> tuple[list[dict[str, Any]], str | None]:
    """Warnings not ended by `today` (about `parties` or `keys` when given), oldest first, paged by entry."""
    query = select(warnings_t).where(warnings_t.c.ends >= today)
    if parties or keys:
        query = query.where(or_(warnings_t.c.party_id.in_(list(parties)), warnings_t.c.key.in_(list(keys))))
    if after is not None:
        query = query.where(warnings_t.c.entry_hash > bytes.fromhex(after))
    rows = conn.execute(query.order_by(warnings_t.c.entry_hash).limit(limit + 1)).all()
    shown = [public(r) for r in rows[:limit]]
    return shown, shown[-1]["entry"] if len(rows) > limit else None


def recent(conn: Connection, limit: int = 20) -> list[dict[str, Any]]:
    rows = conn.execute(select(warnings_t).order_by(warnings_t.c.time.desc()).limit(limit)).all()
    return [public(r) for r in rows]
