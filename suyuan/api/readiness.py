"""Readiness: the server takes requests only once the database answers and its schema is current.

Until then (a restart before the database is back, a database restored to
an older schema) every request but the operations endpoints answers 503 with
`Retry-After`, never a 500. Once ready the gate costs nothing; a database
error that means the database went away (`Unavailable`) closes it again, and
the next request after `RECHECK_SECONDS` looks again.
"""

from __future__ import annotations

import threading
import time

import anyio

from suyuan.api.errors import typed_response
from suyuan.errors import SuyuanError, Unavailable
from suyuan.ledger.faults import DATABASE_ERRORS
from suyuan.ledger.health import LogLag, SchemaProbe, log_lag

RECHECK_SECONDS = 0.5
RETRY_AFTER = 1
OPEN_PATHS = ("/healthz", "/readyz", "/metrics")  # answer whatever the state: they report it


class Readiness:
    """Whether the database answers with the current schema, checked at most every RECHECK_SECONDS."""

    def __init__(self, engine, max_lag_seconds: float):  # noqa: ANN001
        self.engine, self.max_lag_seconds = engine, max_lag_seconds
        self.ready = False
        self._probe: SchemaProbe | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self.refusal = lambda: None  # the log's LogForkRefused while it will not sign (set by the integrator)

    def problem(self) -> Unavailable | None:
        """Why the server is not ready (database, schema), or None; remembers the answer."""
        try:
            if self._probe is None:
                self._probe = SchemaProbe(self.engine)
            schema = self._probe.state()
        except DATABASE_ERRORS:
            self.ready = False
            return Unavailable(f"Not ready: expected the database to answer, got no answer; retry in "
                               f"{RETRY_AFTER} s.", retry_after=RETRY_AFTER)
        if not schema.is_current:
            self.ready = False
            return Unavailable(f"Not ready: expected the database at schema revision {schema.head}, got "
                               f"{schema.current}; run `suyuan db upgrade`.", retry_after=RETRY_AFTER * 5)
        self.ready = True
        return None

    def lag(self) -> tuple[LogLag | None, SuyuanError | None]:
        """The log's lag, and the problem it is when the oldest queued entry waited past the bound."""
        refused = self.refusal()
        if refused is not None:
            return None, Unavailable(f"Not ready: {refused}", retry_after=RETRY_AFTER * 5)
        try:
            lag = log_lag(self.engine)
        except DATABASE_ERRORS:
            return None, Unavailable("Not ready: expected the database to answer, got no answer.")
        if lag.oldest_age_seconds > self.max_lag_seconds:
            return lag, Unavailable(
                f"Not ready: expected the sequencer at most {self.max_lag_seconds:g} s behind, got "
                f"{lag.queued} entries queued, the oldest for {lag.oldest_age_seconds:.0f} s.",
                retry_after=RETRY_AFTER)
        return lag, None

    @property
    def head(self) -> str | None:
        return self._probe.head if self._probe else None

    def lost(self) -> None:
        """A request found the database gone: close the gate until a check passes again."""
        self.ready = False

    async def gate(self) -> Unavailable | None:
        """None when requests may pass; else why not. Checks in a worker thread, at most every RECHECK_SECONDS."""
        if self.ready:
            return None
        now = time.monotonic()
        with self._lock:
            fresh = now - self._checked < RECHECK_SECONDS
            if not fresh:
                self._checked = now
        if fresh:
            return Unavailable(f"Not ready: the server is starting or the database is away; retry in "
                               f"{RETRY_AFTER} s.", retry_after=RETRY_AFTER)
        return await anyio.to_thread.run_sync(self.problem)


class ReadinessGate:
    """Pure ASGI middleware: 503 with Retry-After for every request while not ready (see the module).

    The app's lifespan puts its `Readiness` on `app.state.readiness` once the ledger is open.
    """

    def __init__(self, app):  # noqa: ANN001
        self.app = app

    async def __call__(self, scope, receive, send):  # noqa: ANN001
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            return await self.app(scope, receive, send)
        readiness = getattr(scope["app"].state, "readiness", None)
        if readiness is None:
            problem = Unavailable(f"Not ready: the server is starting; retry in {RETRY_AFTER} s.",
                                  retry_after=RETRY_AFTER)
        else:
            problem = await readiness.gate()
        if problem is None:
            return await self.app(scope, receive, send)
        await typed_response(problem)(scope, receive, send)
