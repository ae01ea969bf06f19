"""Reading the ledger and the scan log into `Ev`s and `Check`s, a chunk at a time, in id order."""

from __future__ import annotations

import json
from typing import Iterator

from sqlalchemy import Connection, func, select

from suyuan.analytics.facts import Check, Ev
from suyuan.errors import SuyuanError
from suyuan.ledger.models import Entry
from suyuan.timestamps import parse_time
from suyuan.trace.journey.scanlog_models import ConsumerScan

entries_t = Entry.__table__
scans_t = ConsumerScan.__table__
CHUNK = 5000


def entries_after(conn: Connection, after: int, limit: int = CHUNK) -> list[Ev]:
    rows = conn.execute(select(entries_t.c.id, entries_t.c.hash, entries_t.c.key, entries_t.c.type,
                               entries_t.c.actor, entries_t.c.canonical, entries_t.c.recorded)
                        .where(entries_t.c.id > after).order_by(entries_t.c.id).limit(limit)).all()
    return [ev for ev in map(_event, rows) if ev is not None]


def _event(row) -> Ev | None:  # noqa: ANN001
    try:
        statement = json.loads(row.canonical)["statement"]
        when = parse_time(statement["time"])
    except (ValueError, KeyError, TypeError, SuyuanError):
        return None  # not a statement a detector can read (audit reports malformed entries)
    data = statement.get("data")
    return Ev(row.id, bytes(row.hash).hex(), row.key, row.type, row.actor, when, row.recorded,
              data if isinstance(data, dict) else {})


def checks_after(conn: Connection, after: int, limit: int = CHUNK) -> list[Check]:
    rows = conn.execute(select(scans_t.c.id, scans_t.c.key, scans_t.c.scanned, scans_t.c.region, scans_t.c.checker)
                        .where(scans_t.c.id > after).order_by(scans_t.c.id).limit(limit)).all()
    return [Check(r.id, r.key, r.scanned, r.region, r.checker) for r in rows]


def pending(conn: Connection, entry_after: int, check_after: int) -> int:
    """How many entries and consumer checks are newer than the cursors (for a progress bar)."""
    entries = conn.execute(select(func.count()).select_from(entries_t).where(entries_t.c.id > entry_after)).scalar()
    checks = conn.execute(select(func.count()).select_from(scans_t).where(scans_t.c.id > check_after)).scalar()
    return int(entries or 0) + int(checks or 0)


def chunks(conn: Connection, after: int, read) -> Iterator[list]:  # noqa: ANN001
    """Successive chunks from `read(conn, after)` until it runs dry."""
    while True:
        chunk = read(conn, after)
        if not chunk:
            return
        yield chunk
        after = chunk[-1].id
