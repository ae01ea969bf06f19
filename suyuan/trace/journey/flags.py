"""Reading the soft flags: those capture stored (codes in `suyuan.trace.events.rules`) and those
consumer checks raised on the scan page (`suyuan.trace.journey.scanlog`; no entry, so `entry_hash` is None).

Paged like every list of the API: by id, ascending; `after` is the `next` of
the previous page (the last id it held) and `next` is None on the last page,
so an inspector pages through every flag exactly once, however many there are.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from suyuan.trace.events.models import Flag

flags_t = Flag.__table__

DEFAULT_PAGE = 100
MAX_PAGE = 1000


def list_flags(engine: Engine, *, code: str | None = None, key: str | None = None,
               after: int = 0, limit: int = DEFAULT_PAGE) -> dict[str, Any]:
    """One page of flags, oldest first: `{"flags": [...], "next": <last id> or None at the end}`."""
    query = select(flags_t).where(flags_t.c.id > after)
    if code:
        query = query.where(flags_t.c.code == code)
    if key:
        query = query.where(flags_t.c.key == key)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(flags_t.c.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {"flags": [{"id": r.id, "entry_hash": r.entry_hash.hex() if r.entry_hash else None, "key": r.key,
                       "code": r.code, "detail": r.detail, "created": r.created.isoformat()} for r in rows],
            "next": rows[-1].id if more else None}
