"""Capture jobs (EPCIS 2.0 REST binding): `POST /epcis/capture` answers at once, the work runs after.

A job is a row of `epcis_capture_jobs`, written when the document is accepted
and updated when the capture ends; the capture runs in a background thread of
the server process (`Jobs`, one worker, so jobs run in the order they came).
The document itself is held only in memory: when the server stops with jobs
unfinished, the next start marks them failed (`fail_unfinished`) rather than
resuming them. Their events may or may not have been written; sending the
document again is safe, because an eventID already recorded answers as a retry.
"""

from __future__ import annotations

import json
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, select, update

from suyuan.config import Settings
from suyuan.epcis.capture import EventResult, capture_events
from suyuan.epcis.models import CaptureJob
from suyuan.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    InputError,
    NotFound,
    RuleViolation,
    SuyuanError,
    Unauthorized,
)
from suyuan.trace.parties.registry import PartyView

jobs_t = CaptureJob.__table__
logger = logging.getLogger("suyuan.epcis")
UTC = timezone.utc
STOPPED = ("The server stopped before this capture job finished; its events may or may not have been "
           "recorded. Capture the document again: events already recorded answer as retries of their "
           "eventIDs, so nothing is recorded twice.")

# error class -> (EPCIS exception type, HTTP status), most specific first
_PROBLEMS = (
    (Unauthorized, "epcisException:SecurityException", 401),
    (Forbidden, "epcisException:SecurityException", 403),
    (RuleViolation, "epcisException:ValidationException", 409),
    (Conflict, "epcisException:ValidationException", 409),
    (BadRequest, "epcisException:ValidationException", 400),
    (InputError, "epcisException:ValidationException", 422),
)


def problem(exc: BaseException, instance: str | None = None, event_id: str | None = None) -> dict[str, Any]:
    """An RFC 7807 problem object for one refusal, with suyuan's `field` and `rule`."""
    kind, status = next(((t, s) for cls, t, s in _PROBLEMS if isinstance(exc, cls)),
                        ("epcisException:ImplementationException", 500))
    out: dict[str, Any] = {"type": kind, "title": type(exc).__name__, "status": status, "detail": str(exc)}
    if instance is not None:
        out["instance"] = instance
    if event_id is not None:
        out["eventID"] = event_id
    for name in ("field", "rule"):
        if getattr(exc, name, None):
            out[name] = getattr(exc, name)
    return out


def event_problems(results: list[EventResult]) -> list[dict[str, Any]]:
    return [problem(r.error, f"/epcisBody/eventList/{r.index}", r.event_id) for r in results if r.error]


def public(row: Any) -> dict[str, Any]:
    """A job as `GET /epcis/capture/{id}` shows it."""
    def when(value: datetime | None) -> str | None:
        if value is None:
            return None
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    return {"captureID": row.id, "createdAt": when(row.created_at), "finishedAt": when(row.finished_at),
            "running": row.running, "success": row.success, "captureErrorBehaviour": row.error_behaviour,
            "errors": json.loads(row.errors), "events": row.events, "captured": row.captured}


class Jobs:
    """The server's capture jobs: their table, and the thread that runs them."""

    def __init__(self, engine: Engine, settings: Settings):
        self.engine, self.settings = engine, settings
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="suyuan-epcis-capture")

    def fail_unfinished(self) -> int:
        """Mark the jobs a stopped server left running as failed; how many there were."""
        with self.engine.begin() as conn:
            return conn.execute(
                update(jobs_t).where(jobs_t.c.running.is_(True)).values(
                    running=False, success=False, finished_at=datetime.now(UTC),
                    errors=json.dumps([{"type": "epcisException:ImplementationException", "title": "Stopped",
                                        "status": 500, "detail": STOPPED}], ensure_ascii=False))
            ).rowcount

    def submit(self, party: PartyView, events: list[Any], declared: dict[str, str], behaviour: str,
               epc_format: str) -> str:
        """Record a job for a schema-valid document and queue its capture; the job's id."""
        job_id = str(uuid.uuid4())
        with self.engine.begin() as conn:
            conn.execute(jobs_t.insert().values(id=job_id, party_id=party.id, created_at=datetime.now(UTC),
                                                running=True, error_behaviour=behaviour, events=len(events)))
        self._pool.submit(self._run, job_id, party, events, declared, behaviour, epc_format)
        return job_id

    def _run(self, job_id: str, party: PartyView, events: list[Any], declared: dict[str, str], behaviour: str,
             epc_format: str) -> None:
        try:
            results = capture_events(self.engine, self.settings, party, events, declared, behaviour=behaviour,
                                     epc_format=epc_format)
            errors = event_problems(results)
            captured = sum(1 for r in results if r.written)
        except SuyuanError as exc:
            errors, captured = [problem(exc)], 0
        except Exception as exc:  # a job must end, whatever happened: its row says so
            logger.exception("capture job %s failed", job_id)
            errors, captured = [problem(exc)], 0
        with self.engine.begin() as conn:
            conn.execute(update(jobs_t).where(jobs_t.c.id == job_id).values(
                running=False, success=not errors, finished_at=datetime.now(UTC), captured=captured,
                errors=json.dumps(errors, ensure_ascii=False)))

    def get(self, job_id: str, party: PartyView) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(jobs_t).where(jobs_t.c.id == job_id)).first()
        if row is None or (row.party_id != party.id and not party.has("admin")):
            raise NotFound(f"No capture job {job_id[:60]!r} of yours: check the Location the capture answered.")
        return public(row)

    def list(self, party: PartyView, limit: int = 100) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(jobs_t).where(jobs_t.c.party_id == party.id)
                                .order_by(jobs_t.c.created_at.desc()).limit(limit)).all()
        return [public(r) for r in rows]

    def wait(self) -> None:
        """Block until every queued job has run (tests and the benchmark use it)."""
        self._pool.submit(lambda: None).result()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
