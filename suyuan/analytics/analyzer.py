"""Running the detectors: in bulk over the ledger (`analyze`) or incrementally (`Analyzer.step`).

An `Analyzer` keeps the `Facts` it has read and two cursors (the last entry
and the last consumer check it has seen). Each step reads what is newer,
feeds it in, runs the selected detectors over what the feed touched, and
stores their candidates in one transaction. A fresh analyzer reads the whole
ledger first, so a server's analyzer after a restart, and `suyuan analyze`,
find exactly the findings that are already stored (idempotent by
fingerprint). Detection reads and writes only the findings tables: it never
holds a lock a capture waits on, and nothing it does can fail a capture.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable

from sqlalchemy import Engine

from suyuan.analytics import loading
from suyuan.analytics.candidates import Candidate, selected
from suyuan.analytics.facts import Dirty, Facts
from suyuan.analytics.store import Stored, store
from suyuan.config import Settings

Progress = Callable[[int, int], None]  # (done, total)
LOOKBACK = 1000  # entry ids re-read each step (see `step`)


@dataclass
class Report:
    entries: int = 0
    checks: int = 0
    candidates: int = 0
    stored: Stored = field(default_factory=Stored)
    seconds: float = 0.0
    by_type: dict[str, int] = field(default_factory=dict)


class Analyzer:
    def __init__(self, engine: Engine, settings: Settings, types: Iterable[str] | None = None) -> None:
        self.engine, self.settings = engine, settings
        self.types = list(types) if types else None
        self.facts = Facts()
        self.entry_cursor = 0
        self.check_cursor = 0

    def step(self, *, since: datetime | None = None, progress: Progress | None = None,
             limit: int | None = None) -> Report:
        """Read everything newer than the cursors, detect over what it touched, store the findings.

        With `since`, entries and checks older than it are read (they are the
        context) but only what they and newer ones touch after `since` is judged.
        `limit` stops reading entries after about that many (a server's step).
        """
        started = time.perf_counter()
        report, dirty = Report(), Dirty()
        with self.engine.connect() as conn:
            total = loading.pending(conn, self.entry_cursor, self.check_cursor) if progress else 0
            # Entry ids are drawn before commit, so on PostgreSQL an entry can commit after one with a
            # higher id that a step has already read: look back a little; `feed` skips what it has seen.
            start = max(0, self.entry_cursor - LOOKBACK) if self.entry_cursor else 0
            for chunk in loading.chunks(conn, start, loading.entries_after):
                self.entry_cursor = max(self.entry_cursor, chunk[-1].id)
                seen = self.facts.count
                _keep(dirty, self.facts.feed(chunk), since, chunk[-1].recorded)
                report.entries += self.facts.count - seen
                _tick(progress, report, total)
                if limit is not None and report.entries >= limit:
                    break
            for checks in loading.chunks(conn, self.check_cursor, loading.checks_after):
                self.check_cursor = checks[-1].id
                report.checks += len(checks)
                _keep(dirty, self.facts.feed_checks(checks), since, checks[-1].scanned)
                _tick(progress, report, total)
        if dirty:
            found = self.detect(dirty)
            report.candidates = len(found)
            for c in found:
                report.by_type[c.type] = report.by_type.get(c.type, 0) + 1
            with self.engine.begin() as conn:
                report.stored = store(conn, found)
        report.seconds = time.perf_counter() - started
        return report

    def detect(self, dirty: Dirty) -> list[Candidate]:
        return [c for d in selected(self.types) for c in d.run(self.facts, dirty, self.settings)]


def _keep(dirty: Dirty, touched: Dirty, since: datetime | None, newest: datetime) -> None:
    # A chunk is in id order, so its newest time tells whether any of it is after `since`.
    if since is None or newest >= since:
        dirty.update(touched)


def _tick(progress: Progress | None, report: Report, total: int) -> None:
    if progress is not None:
        progress(report.entries + report.checks, max(total, report.entries + report.checks))


def analyze(engine: Engine, settings: Settings, *, since: datetime | None = None,
            types: Iterable[str] | None = None, progress: Progress | None = None) -> Report:
    """Run the detectors over the whole ledger (`suyuan analyze`); rerunning adds no duplicates."""
    return Analyzer(engine, settings, types).step(since=since, progress=progress)
