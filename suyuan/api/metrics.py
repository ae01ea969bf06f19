"""Prometheus metrics (`GET /metrics`, prometheus-client's text format) and one log line per request.

One registry per app, so several apps (tests, shards) in one process never
share counters. Requests are counted by route template (`/v1/chains/{key:path}`,
never the path itself, so item keys add no series) and status; capture routes
have a latency histogram; the log's lag, checkpoint size and queue are read
from the database at scrape time. The scan page's hits are its routes'
requests (GS1 Digital Link paths).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from suyuan.ledger.faults import DATABASE_ERRORS
from suyuan.ledger.health import log_lag
from suyuan.trace.findings.queries import counts as finding_counts

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
CAPTURE_ROUTES = frozenset({"/v1/events", "/v1/events:batch", "/epcis/capture", "/epcis/events",
                            "/scan/review", "/scan/complain", "/scan/{action}", "/v1/goods/products",
                            "/v1/goods/items:serialise"})
UNMATCHED = "(unmatched)"  # any path no route serves: one series, whatever was asked
CAPTURE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

access_log = logging.getLogger("suyuan.access")


class LogCollector(Collector):
    """The sequencer's lag and the checkpoint size, read when scraped (nothing when the database is away)."""

    def __init__(self, app):  # noqa: ANN001
        self.app = app

    def collect(self):  # noqa: ANN201
        ledger = getattr(self.app.state, "ledger", None)
        if ledger is None:
            return
        try:
            lag = log_lag(ledger.engine)
        except DATABASE_ERRORS:
            return
        yield GaugeMetricFamily("suyuan_log_queued_leaves", "Entries recorded and waiting for the sequencer.",
                                value=lag.queued)
        yield GaugeMetricFamily("suyuan_log_oldest_queued_age_seconds",
                                "How long the oldest entry waiting for the sequencer has waited (0: none).",
                                value=lag.oldest_age_seconds)
        yield GaugeMetricFamily("suyuan_log_checkpoint_size", "Tree size of the latest signed checkpoint.",
                                value=lag.checkpoint_size or 0)


class FindingsCollector(Collector):
    """Findings by type and status, and how long ago the server's analysis last ran, read when scraped."""

    def __init__(self, app):  # noqa: ANN001
        self.app = app

    def collect(self):  # noqa: ANN201
        ledger = getattr(self.app.state, "ledger", None)
        if ledger is None:
            return
        try:
            counted = finding_counts(ledger.engine)
        except DATABASE_ERRORS:
            return
        findings = GaugeMetricFamily("suyuan_findings", "Findings of the integrity analytics, by type and status.",
                                     labels=["type", "status"])
        for (kind, status), n in sorted(counted.items()):
            findings.add_metric([kind, status], n)
        yield findings
        worker = getattr(self.app.state, "analysis", None)
        lag = worker.lag_seconds() if worker is not None else None
        if lag is not None:
            yield GaugeMetricFamily("suyuan_analysis_lag_seconds", "Seconds since the background analysis last "
                                    "ran to the end of the ledger.", value=lag)
            yield GaugeMetricFamily("suyuan_analysis_failures", "Background analysis steps that failed.",
                                    value=worker.failures)


class Metrics:
    """The app's registry and instruments."""

    def __init__(self, app, scan_routes: frozenset[str]):  # noqa: ANN001
        self.registry = CollectorRegistry()
        self.scan_routes = scan_routes
        self.requests = Counter("suyuan_http_requests", "HTTP requests answered, by route template and status.",
                                ["method", "route", "status"], registry=self.registry)
        self.capture = Histogram("suyuan_capture_duration_seconds", "Time to answer a capture request.",
                                 ["route"], buckets=CAPTURE_BUCKETS, registry=self.registry)
        self.scan_hits = Counter("suyuan_scan_page_hits", "Scan page (GS1 Digital Link) requests, by route.",
                                 ["route"], registry=self.registry)
        self.integrations = Counter("suyuan_log_integrations", "Sequencer runs that signed a checkpoint.",
                                    registry=self.registry)
        self.registry.register(LogCollector(app))
        self.registry.register(FindingsCollector(app))
        self.captured: threading.Event | None = None  # set when a capture route answers (background analysis)
        self.written: Callable[[], None] | None = None  # called when any write request succeeds (page tags)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        if self.written is not None and method not in ("GET", "HEAD", "OPTIONS") and status < 400:
            self.written()
        if method == "POST" and route in CAPTURE_ROUTES:
            self.capture.labels(route).observe(seconds)
            if self.captured is not None and status < 400:
                self.captured.set()
        if route in self.scan_routes:
            self.scan_hits.labels(route).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def route_template(scope) -> str:  # noqa: ANN001
    route = scope.get("route")
    return getattr(route, "path", None) or UNMATCHED


class RequestObserver:
    """Pure ASGI middleware: counts every answered request and logs one line for it.

    The line holds the method, the route template, the status and the time
    taken: no path values, no query string (it may carry a review token), no
    headers (Authorization), no client address.
    """

    def __init__(self, app, metrics: Metrics):  # noqa: ANN001
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):  # noqa: ANN001
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500  # what the client sees if the app fails before it answers

        async def sending(message):  # noqa: ANN001, ANN202
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            self.metrics.observe(scope["method"], route, status, seconds)
            access_log.info("request", extra={"fields": {
                "event": "request", "method": scope["method"], "route": route, "status": status,
                "duration_ms": round(seconds * 1000, 3)}})
