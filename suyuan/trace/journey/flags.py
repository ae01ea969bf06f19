"""Reading the soft flags: those capture stored (codes in `suyuan.trace.events.rules`) and those
consumer checks raised on the scan page (`suyuan.trace.journey.scanlog`; no entry, so `entry_hash` is None)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from suyuan.trace.events.models import Flag

flags_t = Flag.__table__


def list_flags(engine: Engine, *, code: str | None = None, key: str | None = None,
               after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    query = select(flags_t).where(flags_t.c.id > after)
    if code:
        query = query.where(flags_t.c.code == code)
    if key:
        query = query.where(flags_t.c.key == key)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(flags_t.c.id.desc()).limit(limit)).all()
    return [{"id": r.id, "entry_hash": r.entry_hash.hex() if r.entry_hash else None, "key": r.key, "code": r.code,
             "detail": r.detail, "created": r.created.isoformat()} for r in rows]
