"""What the server runs for EPCIS: the capture jobs' worker, and the indexer catching up with the log."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from suyuan.config import Settings
from suyuan.epcis import index
from suyuan.epcis.jobs import Jobs

logger = logging.getLogger("suyuan.epcis")


class EpcisService:
    """Started with the server: unfinished jobs of a previous run are marked failed, then jobs run."""

    def __init__(self, engine: Engine, settings: Settings, *, background: bool = True):
        self.engine = engine
        self.jobs = Jobs(engine, settings)
        self.stopped = self.jobs.fail_unfinished()
        self._stop = threading.Event()
        self._thread = None
        if background:
            self._thread = threading.Thread(target=self._index, args=(settings.integrate_interval,),
                                            name="suyuan-epcis-index", daemon=True)
            self._thread.start()

    def _index(self, interval: float) -> None:
        while not self._stop.is_set():
            try:
                busy = index.catch_up(self.engine) > 0
            except Exception:  # keep indexing after a transient database error
                logger.exception("EPCIS indexing failed; retrying")
                busy = False
            if not busy:
                self._stop.wait(max(interval, 0.5))

    def stop(self) -> None:
        self._stop.set()
        self.jobs.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=10)
