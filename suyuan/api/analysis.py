"""Incremental integrity analysis inside `serve`: one `Analyzer` stepped by a background thread.

The thread keeps one `suyuan.analytics.Analyzer` (its facts and cursors) and
steps it every `SUYUAN_ANALYTICS_INTERVAL` seconds, and soon after a capture
route answers (`nudge`, set by the request observer), so a finding shows up
within moments of the entry that proves it. It runs outside every capture's
transaction: a capture never waits on it, and a failed step is logged and
retried: a fresh analyzer reads the ledger again (storing is idempotent, so
nothing is found twice), after a pause that doubles with each failure in a
row, up to `MAX_PAUSE_SECONDS`, so a detector's bug cannot keep the database busy.
"""

from __future__ import annotations

import logging
import threading
import time

from suyuan.analytics import Analyzer, Report
from suyuan.config import Settings
from suyuan.ledger.ledger import Ledger

logger = logging.getLogger("suyuan.analytics")
STOP_SECONDS = 60  # longest wait for the running step at shutdown
SETTLE_SECONDS = 0.05  # after a nudge, let a burst of captures land before reading them
MAX_PAUSE_SECONDS = 300.0


class AnalysisWorker:
    """Steps an `Analyzer` in the background until `stop`."""

    def __init__(self, ledger: Ledger, settings: Settings) -> None:
        self.engine, self.settings = ledger.engine, settings
        self.analyzer = Analyzer(self.engine, settings)
        self.nudge = threading.Event()
        self.steps = 0  # successful steps
        self.failures = 0
        self.failing = 0  # failures in a row
        self.last: Report | None = None
        self.last_at: float | None = None  # time.time() of the last successful step
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="suyuan-analytics", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.nudge.set()
        self._thread.join(timeout=STOP_SECONDS)

    def step(self) -> Report:
        """One step, now; a failure leaves a fresh analyzer to read everything again next time."""
        try:
            report = self.analyzer.step()
        except Exception:
            # Facts fed before the failure may be half a chunk: start over from the ledger (idempotent).
            self.analyzer = Analyzer(self.engine, self.settings)
            raise
        self.steps += 1
        self.last, self.last_at = report, time.time()
        return report

    def lag_seconds(self) -> float | None:
        """Seconds since the last successful step (None before the first)."""
        return None if self.last_at is None else max(0.0, time.time() - self.last_at)

    def _pause(self) -> float:
        interval = self.settings.analytics_interval
        return min(interval * 2 ** min(self.failing, 20), max(interval, MAX_PAUSE_SECONDS)) if self.failing else interval

    def _run(self) -> None:
        while not self._stop.is_set():
            self.nudge.clear()
            try:
                report = self.step()
                self.failing = 0
                if report.stored.created or report.stored.updated:
                    logger.info("analysed", extra={"fields": {
                        "event": "analyse", "entries": report.entries, "checks": report.checks,
                        "created": report.stored.created, "updated": report.stored.updated,
                        "duration_ms": round(report.seconds * 1000, 3)}})
            except Exception:  # never stop analysing for one bad step (a database blip, a detector's bug)
                self.failures += 1
                self.failing += 1
                logger.exception("analysis step failed; retrying in %.1f s", self._pause())
                self._stop.wait(self._pause())
                continue
            if self.nudge.wait(self._pause()) and not self._stop.is_set():
                self._stop.wait(SETTLE_SECONDS)
