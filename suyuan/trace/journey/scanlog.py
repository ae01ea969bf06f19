"""The consumer scan log: anonymous checks of a code, and the possible-clone signal.

A consumer's check is a read, so it is recorded outside the ledger. What is
kept: the key, the time, the prefecture-level GB/T 2260 region when the
client offered one (`?region=` or an `X-Region` header), and a checker
pseudonym (`checker_id`): a keyed hash of the client's address and the day,
never the address itself. Each check appends a `consumer_scans` row and
upserts the key's `consumer_scan_stats` row, returning the new totals, so the
page learns "first checked at T in region R; checked N times" without a scan
of the log. On PostgreSQL both writes are one statement (the append as a
data-modifying `WITH`); the write runs inside the page's own read transaction,
so a scan costs no second connection.

A serialised item is one physical thing: a code checked by many different
people within a window, or in two provinces within a short window, is
probably printed on more than one box. Only consumer checks count: courier
scans are ledger events and never pass through here. People, not page views,
are counted, so a shopper reloading their own page is one checker. When
either signal fires on an item, a flag (`consumer_checks_many`,
`consumer_checks_far_apart`) is recorded for inspectors, at most once per key,
code and window, so `GET /v1/flags?key=` says why the page warns.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import Connection, Engine, bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from suyuan.config import Settings
from suyuan.codes import regions
from suyuan.trace.events.models import Flag
from suyuan.trace.journey.scanlog_models import ConsumerScan, ConsumerScanStats

scans_t = ConsumerScan.__table__
stats_t = ConsumerScanStats.__table__
flags_t = Flag.__table__
UTC = timezone.utc
CHINA = timezone(timedelta(hours=8), "CST")
# The info string under which the server derives the checker salt from its log key.
CHECKER_SALT_PURPOSE = b"suyuan/scanlog/v1/checker-salt"
MANY, FAR_APART = "consumer_checks_many", "consumer_checks_far_apart"
CLONE_FLAGS = (MANY, FAR_APART)
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanStats:
    """A key's consumer checks, this one included.

    `far_at` is when its consumer checks were first seen in two provinces
    within the window (it stays set); `checkers` is the number of distinct
    checkers within the count window when this check made it reach the
    threshold (None otherwise, or when it was flagged within the window already).
    """

    count: int
    first_at: datetime
    first_region: str | None
    far_at: datetime | None = None
    far_detail: str | None = None
    checkers: int | None = None


def checker_id(salt: bytes, address: str, day: date) -> str:
    """The pseudonym of one client on one day: HMAC-SHA256(salt, "YYYY-MM-DD|address"), 16 bytes hex.

    One client reloading a page is one checker for the day; the same client
    on another day is another checker, so pseudonyms link nothing across days.
    Without the salt (a server secret) nobody can test addresses against them.
    """
    message = f"{day.isoformat()}|{address}".encode("utf-8", "replace")
    return hmac.new(salt, message, hashlib.sha256).hexdigest()[:32]


def china_day(now: datetime) -> date:
    """The calendar day in China: a new day, and new pseudonyms, at local midnight."""
    return now.astimezone(CHINA).date()


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


_APPEND = scans_t.insert().values(key=bindparam("s_key"), scanned=bindparam("s_now"), region=bindparam("s_region"),
                                  checker=bindparam("s_checker"))
# PostgreSQL runs a data-modifying WITH exactly once even when unreferenced: one round trip for both writes.
_UPSERT = {"postgresql": _upsert(postgresql.insert).add_cte(_APPEND.cte("logged")), "sqlite": _upsert(sqlite.insert)}


_CHECKERS = (select(func.count(func.distinct(scans_t.c.checker)))
             .where(scans_t.c.key == bindparam("key"), scans_t.c.scanned > bindparam("since")))
# Two checks by this checker within the window (this one and an earlier one): nobody new.
_SEEN = select(func.count()).select_from(
    select(scans_t.c.id).where(scans_t.c.key == bindparam("key"), scans_t.c.checker == bindparam("checker"),
                               scans_t.c.scanned > bindparam("since")).limit(2).subquery())
_FLAGGED = (select(flags_t.c.id).where(flags_t.c.key == bindparam("key"), flags_t.c.code == bindparam("code"),
                                       flags_t.c.created > bindparam("since")).limit(1))


def record_scan(conn: Connection, settings: Settings, key: str, region: str | None,
                now: datetime | None = None, *, checker: str | None = None,
                watch: bool = False, relaxed: bool = False) -> ScanStats:
    """Record one consumer check of `key` (a registered code, or a serial under a registered GTIN); return totals.

    `checker` is the client's `checker_id` for today. `watch` (serialised
    items) runs the clone tests and records their flags. The caller commits.
    The totals row stays locked until then, so the caller should write last
    and commit at once. `relaxed`: the transaction already commits without waiting for the disk.
    """
    now = now or datetime.now(UTC)
    region = regions.coarse(region)
    params = {"s_key": key, "s_now": now, "s_region": region, "s_region_at": now if region else None,
              "s_checker": checker}
    if conn.dialect.name == "postgresql":
        # A lost scan after a crash costs nothing; an fsync per page view costs throughput.
        if not relaxed:
            conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        row = conn.execute(_UPSERT["postgresql"], params).one()
    else:
        conn.execute(_APPEND, params)
        row = conn.execute(_UPSERT["sqlite"], params).one()
    far_at, far_detail = row.far_at, row.far_detail
    if _far_apart(row.prev_region, row.prev_region_at, region, now, settings):
        pair = f"{row.prev_region}@{row.prev_region_at.isoformat()} {region}@{now.isoformat()}"
        if far_at is None:
            far_at, far_detail = now, pair
            conn.execute(update(stats_t).where(stats_t.c.key == key).values(far_at=far_at, far_detail=pair[:200]))
        if watch:
            _flag_once(conn, key, FAR_APART, now, settings.scan_clone_window_minutes,
                       f"consumer checks in two provinces within {settings.scan_clone_window_minutes} minutes: "
                       f"region {row.prev_region} at {row.prev_region_at.isoformat()}, "
                       f"region {region} at {now.isoformat()}")
    checkers = None
    # Fewer checks than the threshold cannot be that many checkers; a check without a checker adds none.
    if watch and checker is not None and row.count >= settings.scan_clone_count:
        checkers = _many_checkers(conn, settings, key, checker, row.count, now)
    return ScanStats(row.count, row.first_at, row.first_region, far_at, far_detail, checkers)


def consumer_check(settings: Settings, salt: bytes, address: str, region: str | None, *,
                   watch: bool) -> Callable[[Connection, str], ScanStats]:
    """The `record_check` of a public record: log one check by the client at `address`, at the time it runs.

    The address leaves this function only as today's `checker_id` under `salt`.
    """
    def check(conn: Connection, key: str) -> ScanStats:
        now = datetime.now(UTC)
        return record_scan(conn, settings, key, region, now, checker=checker_id(salt, address, china_day(now)),
                           watch=watch)

    return check


def _many_checkers(conn: Connection, settings: Settings, key: str, checker: str, count: int,
                   now: datetime) -> int | None:
    """Distinct checkers within the count window if they reach the threshold (and flag it), else None.

    Only a checker new in the window can raise the number, so a reload costs
    two index probes, and the count runs at most about threshold times per
    key and window (after that the flag answers). Concurrent checks of one
    key wait on its stats row, locked by the upsert, so this test and the
    flag it writes are not raced.
    """
    minutes = settings.scan_clone_count_window_minutes
    since = now - timedelta(minutes=minutes)
    if conn.execute(_FLAGGED, {"key": key, "code": MANY, "since": since}).first() is not None:
        return None  # already flagged in this window: the page warns from the flag
    if conn.execute(_SEEN, {"key": key, "checker": checker, "since": since}).scalar() > 1:
        return None
    checkers = conn.execute(_CHECKERS, {"key": key, "since": since}).scalar() or 0
    if checkers < settings.scan_clone_count:
        return None
    _insert_flag(conn, key, MANY, now, f"{checkers} distinct checkers within {minutes} minutes "
                 f"(threshold {settings.scan_clone_count}); {count} consumer checks in all")
    return checkers


def _flag_once(conn: Connection, key: str, code: str, now: datetime, minutes: int, detail: str) -> None:
    """Record a consumer-check flag unless the key got one with this code within the window."""
    since = now - timedelta(minutes=minutes)
    if conn.execute(_FLAGGED, {"key": key, "code": code, "since": since}).first() is None:
        _insert_flag(conn, key, code, now, detail)


def _insert_flag(conn: Connection, key: str, code: str, now: datetime, detail: str) -> None:
    # No entry raised it: entry_hash stays null. `created` is set here so the window test
    # compares times taken from one clock.
    conn.execute(flags_t.insert().values(entry_hash=None, key=key, code=code, detail=detail[:500], created=now))


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
    return ScanStats(row.count, row.first_at, row.first_region, row.far_at, row.far_detail)


@dataclass(frozen=True)
class DeferredCheck:
    """A consumer check answered without building the page (an HTTP 304), to be logged shortly."""

    key: str
    region: str | None
    checker: str | None
    watch: bool
    at: datetime


class CheckQueue:
    """Consumer checks answered from the HTTP cache, logged in batches on one thread, off the request path.

    A revalidated page (`If-None-Match` -> 304) is still a check by a person,
    so it is counted as the page counts itself (`record_scan`, clone tests and
    flags included), with the time of the request, only a moment later and
    many checks to a transaction. Keys are written in order, so two workers'
    batches never wait on each other's totals rows crosswise. `on_flag(key)`
    hears of a key whose checks now warrant the possible-clone warning.
    """

    def __init__(self, engine: Engine, settings: Settings, *, interval: float = 0.2,
                 on_flag: Callable[[str], None] | None = None) -> None:
        self.engine, self.settings, self.interval, self.on_flag = engine, settings, interval, on_flag
        self._pending: list[DeferredCheck] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="suyuan-scanlog", daemon=True)
        self._thread.start()

    def add(self, salt: bytes, address: str, key: str, region: str | None, *, watch: bool) -> None:
        now = datetime.now(UTC)
        check = DeferredCheck(key, region, checker_id(salt, address, china_day(now)), watch, now)
        with self._lock:
            self._pending.append(check)

    def flush(self) -> int:
        """Log every check queued so far, in one transaction; the number logged."""
        with self._lock:
            checks, self._pending = self._pending, []
        if not checks:
            return 0
        flagged = []
        try:
            with self.engine.begin() as conn:
                for n, c in enumerate(sorted(checks, key=lambda c: (c.key, c.at))):
                    stats = record_scan(conn, self.settings, c.key, c.region, c.at, checker=c.checker, watch=c.watch,
                                        relaxed=n > 0)
                    if c.watch and (stats.checkers is not None or stats.far_at == c.at):
                        flagged.append(c.key)
        except Exception:  # noqa: BLE001 - a lost batch of checks must not stop the next ones
            logger.exception("could not log %d consumer checks", len(checks))
            return 0
        for key in flagged if self.on_flag else ():
            self.on_flag(key)
        return len(checks)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()
