"""The consumer scan log: anonymous checks of a code, and the possible-clone signal.

A consumer's check is a read, so it is recorded outside the ledger. What is
kept: the key, the time, and the prefecture-level GB/T 2260 region when the
client offered one (`?region=` or an `X-Region` header); never an IP address.
Each check appends a `consumer_scans` row and upserts the key's
`consumer_scan_stats` row, returning the new totals, so the page learns "first
checked at T in region R; checked N times" without a scan of the log. On
PostgreSQL both writes are one statement (the append as a data-modifying
`WITH`); the write runs inside the page's own read transaction, so a scan costs
no second connection.

A serialised item is one physical thing: a code checked very often, or in two
provinces within a short window, is probably printed on more than one box.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Connection, Engine, bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from suyuan.config import Settings
from suyuan.trace import regions
from suyuan.trace.rules import aware
from suyuan.trace.scanlog_models import ConsumerScan, ConsumerScanStats

scans_t = ConsumerScan.__table__
stats_t = ConsumerScanStats.__table__
UTC = timezone.utc


@dataclass(frozen=True)
class ScanStats:
    """A key's consumer checks, this one included."""

    count: int
    first_at: datetime
    first_region: str | None
    far_at: datetime | None = None
    far_detail: str | None = None


def _upsert(insert):  # noqa: ANN001, ANN202
    """The stats upsert for one dialect's INSERT, with bound parameters, built once per process."""
    ins = insert(stats_t).values(
        key=bindparam("s_key"), count=1, first_at=bindparam("s_now"), first_region=bindparam("s_region"),
        last_at=bindparam("s_now"), region=bindparam("s_region"), region_at=bindparam("s_region_at"))
    has_region = ins.excluded.region.is_not(None)
    # SET expressions read the row's old values (both engines), so prev_* take the last region.
    return ins.on_conflict_do_update(index_elements=[stats_t.c.key], set_={
        "count": stats_t.c.count + 1,
        "last_at": ins.excluded.last_at,
        "first_region": func.coalesce(stats_t.c.first_region, ins.excluded.region),
        "region": case((has_region, ins.excluded.region), else_=stats_t.c.region),
        "region_at": case((has_region, ins.excluded.region_at), else_=stats_t.c.region_at),
        "prev_region": case((has_region, stats_t.c.region), else_=stats_t.c.prev_region),
        "prev_region_at": case((has_region, stats_t.c.region_at), else_=stats_t.c.prev_region_at),
    }).returning(stats_t.c.count, stats_t.c.first_at, stats_t.c.first_region, stats_t.c.prev_region,
                 stats_t.c.prev_region_at, stats_t.c.far_at, stats_t.c.far_detail)


_APPEND = scans_t.insert().values(key=bindparam("s_key"), scanned=bindparam("s_now"), region=bindparam("s_region"))
# PostgreSQL runs a data-modifying WITH exactly once even when unreferenced: one round trip for both writes.
_UPSERT = {"postgresql": _upsert(postgresql.insert).add_cte(_APPEND.cte("logged")), "sqlite": _upsert(sqlite.insert)}


def record_scan(conn: Connection, settings: Settings, key: str, region: str | None,
                now: datetime | None = None) -> ScanStats:
    """Record one consumer check of `key` (a registered code) in `conn`'s transaction; return its totals.

    The caller commits. The totals row stays locked until then, so the caller
    should write last and commit at once.
    """
    now = now or datetime.now(UTC)
    region = regions.coarse(region)
    params = {"s_key": key, "s_now": now, "s_region": region, "s_region_at": now if region else None}
    if conn.dialect.name == "postgresql":
        # A lost scan after a crash costs nothing; an fsync per page view costs throughput.
        conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        row = conn.execute(_UPSERT["postgresql"], params).one()
    else:
        conn.execute(_APPEND, params)
        row = conn.execute(_UPSERT["sqlite"], params).one()
    far_at, far_detail = aware(row.far_at), row.far_detail
    if far_at is None and _far_apart(row.prev_region, aware(row.prev_region_at), region, now, settings):
        far_at = now
        far_detail = f"{row.prev_region}@{aware(row.prev_region_at).isoformat()} {region}@{now.isoformat()}"
        conn.execute(update(stats_t).where(stats_t.c.key == key).values(far_at=far_at, far_detail=far_detail[:200]))
    return ScanStats(row.count, aware(row.first_at), row.first_region, far_at, far_detail)


def _far_apart(prev: str | None, prev_at: datetime | None, region: str | None, now: datetime,
               settings: Settings) -> bool:
    if not prev or not region or prev_at is None or prev[:2] == region[:2]:
        return False
    return abs(now - prev_at) <= timedelta(minutes=settings.scan_clone_window_minutes)


def scan_stats(engine: Engine, key: str) -> ScanStats | None:
    """A key's totals without recording a check (for inspectors and tests)."""
    with engine.connect() as conn:
        row = conn.execute(select(stats_t).where(stats_t.c.key == key)).first()
    if row is None:
        return None
    return ScanStats(row.count, aware(row.first_at), row.first_region, aware(row.far_at), row.far_detail)
