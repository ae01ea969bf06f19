"""The FastAPI application: `create_app(settings)` builds everything at start-up."""

from __future__ import annotations

import logging
import threading
import time
from contextlib import asynccontextmanager
from typing import Callable

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.responses import JSONResponse

from suyuan import __version__
from suyuan.api import contract, errors
from suyuan.api.analysis import AnalysisWorker
from suyuan.api.metrics import Metrics, RequestObserver
from suyuan.api.pagecache import STAMP_FILE, PageTags
from suyuan.api.readiness import OPEN_PATHS, Readiness, ReadinessGate
from suyuan.api.routes import codes, credit, dashboard, epcis, events, feedback, findings, flags, goods, inspect
from suyuan.api.routes import labels
from suyuan.api.routes import log, operations, parties, people, resolver, reviews, scans
from suyuan.config import Settings, get_settings
from suyuan.epcis.service import EpcisService
from suyuan.errors import LogForkRefused
from suyuan.ledger import duties
from suyuan.ledger.ledger import Ledger
from suyuan.ledger.sequencer import Integrated
from suyuan.runtime import open_ledger

logger = logging.getLogger("suyuan")
sequencer_log = logging.getLogger("suyuan.sequencer")
STOP_SECONDS = 60  # longest wait for the running integration to finish at shutdown


class BodyLimit:
    """Pure ASGI middleware: buffer the body up to the limit, refuse anything larger.

    Bodies are small (64 KiB by default), so buffering costs nothing and lets
    the refusal happen before any handler runs: nothing is written. `paths`
    gives larger limits to exact paths (batch capture takes up to 16 MiB).
    """

    def __init__(self, app, limit: int, paths: dict[str, int] | None = None):  # noqa: ANN001
        self.app, self.limit, self.paths = app, limit, paths or {}

    async def __call__(self, scope, receive, send):  # noqa: ANN001
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        limit = self.paths.get(scope["path"], self.limit)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            return await self._refuse(send, limit)
        chunks, seen = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > limit:
                return await self._refuse(send, limit)
            if not message.get("more_body"):
                break
        replayed = False

        async def replay():  # noqa: ANN202
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, send, limit: int) -> None:  # noqa: ANN001
        response = JSONResponse(
            {"detail": f"Request body too large: expected at most {limit} bytes.", "field": None},
            status_code=413,
        )
        await response({"type": "http"}, None, send)


class Integrator:
    """Runs the sequencer in the background so entries reach a checkpoint within a second."""

    def __init__(self, ledger: Ledger, interval: float, batch: int,
                 on_run: Callable[[Integrated, float], None] | None = None):
        self.ledger, self.interval, self.batch, self.on_run = ledger, interval, batch, on_run
        self.refusal: LogForkRefused | None = None  # why the log will not sign, if it will not
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="suyuan-integrator", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop after the running integration, if any, has committed (SIGTERM ends here)."""
        self._stop.set()
        self._thread.join(timeout=STOP_SECONDS)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                started = time.perf_counter()
                done = self.ledger.integrate(self.batch)
                busy = done is not None and done.size - done.old_size >= self.batch
                if done is not None and done.size > done.old_size and self.on_run:
                    self.on_run(done, time.perf_counter() - started)
                self.refusal = None
            except LogForkRefused as exc:  # signs nothing until an operator acts: say so once, keep looking
                if self.refusal is None:
                    logger.error("%s", exc)
                self.refusal, busy = exc, False
            except Exception:  # keep integrating after a transient database error
                logger.exception("integration failed; retrying")
                busy = False
            if not busy:
                self._stop.wait(self.interval)


def _run_logger(metrics: Metrics) -> Callable[[Integrated, float], None]:
    """One log line and one count per sequencer run that signed a checkpoint (which pages show: tags go)."""

    def on_run(done: Integrated, seconds: float) -> None:
        metrics.integrations.inc()
        if metrics.written is not None:
            metrics.written()
        sequencer_log.info("integrated", extra={"fields": {
            "event": "integrate", "old_size": done.old_size, "size": done.size,
            "leaves": done.size - done.old_size, "duration_ms": round(seconds * 1000, 3)}})

    return on_run


def _start_analysis(app: FastAPI, ledger: Ledger, settings: Settings) -> Callable[[], None] | None:
    """Start the analysis if this process takes its duty (of several `serve --workers`, one does); its stop."""
    duty = duties.take(ledger.engine, duties.ANALYSIS)
    if duty is None:
        return None
    worker = AnalysisWorker(ledger, settings)
    app.state.analysis = worker
    app.state.metrics.captured = worker.nudge  # a capture route's answer wakes it
    worker.start()

    def stop() -> None:
        worker.stop()
        duty.release()

    return stop


def _middleware(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(resolver.Revalidations)  # innermost: behind the readiness gate, counted by the observer
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes,
                       paths={events.BATCH_PATH: settings.max_batch_body_bytes,
                              goods.SERIALISE_PATH: settings.max_batch_body_bytes,
                              scans.DECODE_PATH: settings.max_image_bytes,
                              epcis.CAPTURE_PATH: settings.max_batch_body_bytes})
    # Outermost last: every answer is counted and logged, the gate's 503s and the 413s too.
    app.add_middleware(ReadinessGate)
    app.state.metrics = Metrics(app, frozenset(r.path for r in resolver.router.routes))
    app.add_middleware(RequestObserver, metrics=app.state.metrics)
    app.state.page_tags = PageTags(settings.scan_page_max_age_seconds > 0, settings.data_dir / STAMP_FILE)
    app.state.metrics.written = app.state.page_tags.written


def create_app(settings: Settings | None = None, *, integrate: bool = True, analyse: bool | None = None) -> FastAPI:
    """The app; `integrate` runs the sequencer in the background, `analyse` (default: as `integrate`) the
    integrity analysis when `SUYUAN_ANALYTICS_ENABLED`. Tests turn both off to decide when each runs."""
    settings = settings or get_settings()
    analyse = integrate if analyse is None else analyse

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # noqa: ANN202
        ledger = open_ledger(settings)
        app.state.ledger = ledger
        app.state.readiness = Readiness(ledger.engine, settings.ready_max_lag_seconds)
        app.state.readiness.problem()  # looked at once before the first request, so a new worker is ready at once
        app.state.epcis = EpcisService(ledger.engine, settings, background=integrate)
        integrator = None
        if integrate:
            integrator = Integrator(ledger, settings.integrate_interval, settings.integrate_batch,
                                    on_run=_run_logger(app.state.metrics))
            integrator.start()
            app.state.readiness.refusal = lambda: integrator.refusal
        stop_analysis = _start_analysis(app, ledger, settings) if analyse and settings.analytics_enabled else None
        try:
            yield
        finally:
            if stop_analysis:
                stop_analysis()
            if integrator:
                integrator.stop()
            app.state.epcis.stop()
            if getattr(app.state, "check_queue", None) is not None:
                app.state.check_queue.stop()  # log the checks answered 304 before the engine goes
            ledger.engine.dispose()

    app = FastAPI(
        title="suyuan 溯源",
        version=__version__,
        description="Product-traceability ledger: hash-chained product events keyed by GS1 "
        "barcode, a public Merkle log (RFC 9162, C2SP tlog-tiles) and signed checkpoints.",
        lifespan=lifespan,
    )
    app.state.settings = settings  # what `suyuan.api.deps.get_settings` hands the routes
    _middleware(app, settings)
    errors.install(app)
    contract.install(app, OPEN_PATHS)
    for room in (operations, log, events, credit, dashboard, parties, goods, flags, findings, inspect, reviews,
                 people, codes, labels, scans, feedback, epcis):
        app.include_router(room.router)
    app.mount("/static", StaticFiles(packages=[("suyuan.api", "static")]), name="static")
    # Keep last: the resolver's Digital Link paths (/01/..., /00/...) must not shadow /v1 or /log.
    app.include_router(resolver.router)
    return app
