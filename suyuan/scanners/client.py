"""The courier scanner client behind `suyuan scan`.

A keyboard-wedge scanner types each code as a line; so does a person at a
keyboard, and so does a pipe. Every line is parsed to a ledger key
(`suyuan.scanners.gs1.parse`), turned into a dispatch, transit or deliver
statement with a client-made UUID as its id, written to the local queue
(`suyuan.scanners.queue`) and then uploaded with the rest of the queue
through `POST /v1/events:batch?mode=per_event`. When the server cannot be
reached the scan stays queued; the next scan, the end of input or
`suyuan scan --sync` retries. The server records each statement id once, so
re-sending after a crash only yields "already recorded".

A scan the server refuses for a rule (an item not sold, a parcel of another
courier, an unregistered code) goes to the rejected list with the server's
reason, for the courier or the depot to follow up; it is never retried.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, TextIO

import httpx

from suyuan.errors import InputError, SuyuanError
from suyuan.scanners.gs1 import parse
from suyuan.scanners.progress import ProgressBar
from suyuan.scanners.queue import Queued, ScanQueue

ACTIONS = ("dispatch", "transit", "deliver")
BATCH_PATH = "/v1/events:batch"
DEFAULT_BATCH = 500


class Offline(SuyuanError):
    """The server could not be reached or answered 5xx; the scans stay queued."""


class ServerRefused(SuyuanError):
    """The server refused a whole upload (bad API key, suspended party); the scans stay queued."""

    def __init__(self, status: int, detail: str):
        self.status, self.detail = status, detail
        super().__init__(f"Server refused the upload ({status}): {detail}")


@dataclass(frozen=True)
class Outcome:
    """One line of the scanner's display."""

    status: str  # recorded | duplicate | rejected | queued | invalid | warning | skipped
    code: str
    key: str | None
    detail: str = ""
    id: str | None = None
    flags: tuple[str, ...] = ()

    def line(self) -> str:
        tag = {"recorded": "OK", "duplicate": "DUP", "rejected": "REJECTED", "queued": "QUEUED",
               "invalid": "INVALID", "warning": "WARNING", "skipped": "SKIPPED"}[self.status]
        text = f"{tag:<8} {self.key or self.code[:80]}"
        if self.detail:
            text += f"  {self.detail}"
        for flag in self.flags:
            text += f"\n{'FLAG':<8} {self.key}  {flag}"
        return text


@dataclass
class SyncReport:
    recorded: int = 0
    duplicates: int = 0
    rejected: int = 0
    remaining: int = 0
    outcomes: list[Outcome] = field(default_factory=list)
    error: str | None = None  # why the sync stopped early (offline, refused)

    def summary(self) -> str:
        text = (f"sync: {self.recorded} recorded, {self.duplicates} already recorded, "
                f"{self.rejected} rejected, {self.remaining} still queued")
        return text + (f" ({self.error})" if self.error else "")


def event_payload(action: str, *, waybill: str | None = None, weight_g: int | None = None,
                  from_region: str | None = None, to_region: str | None = None, hub: str | None = None,
                  region: str | None = None, direction: str = "arrive",
                  signed_by: str | None = None) -> dict[str, Any]:
    """The payload every scan of this session carries, checked before anything is queued.

    A wrong region code would otherwise be refused once per scan, long after
    the courier walked away.
    """
    if action not in ACTIONS:
        raise InputError(f"Invalid action {action!r}: expected dispatch, transit or deliver.", field="action")
    if action == "dispatch":
        data = {"waybill": waybill, "weight_g": weight_g, "from_region": from_region, "to_region": to_region}
    elif action == "transit":
        data = {"hub": hub, "region": region, "action": direction}
    else:
        data = {"signed_by": signed_by, "region": region}
    data = {k: v for k, v in data.items() if v is not None}
    # The payload models are plain pydantic classes; the client checks with
    # the server's own rules rather than a copy that could drift.
    from suyuan.trace import events

    spec = events.event_type(action)
    try:
        events.parse_payload(spec, "item", data)
    except InputError as exc:
        option = (exc.field or "").removeprefix("data.").replace("_", "-")
        raise InputError(f"{exc} Set it with --{option}.", field=exc.field) from None
    return data


def scan_time(now: datetime | None = None) -> str:
    """RFC 3339 UTC with seconds: when the code was scanned, not when it reached the server."""
    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ScannerClient:
    """Scans to statements, statements to the queue, the queue to the server."""

    def __init__(self, server: str, api_key: str | None, queue: ScanQueue, *,
                 http: httpx.Client | None = None, batch_size: int = DEFAULT_BATCH,
                 timeout: float = 10.0, retry_interval: float = 30.0):
        if not api_key:
            raise InputError("Missing API key: pass --key or set SUYUAN_API_KEY to the courier's key.",
                             field="key")
        if not 1 <= batch_size <= 10000:
            raise InputError(f"Invalid batch size: expected 1 to 10000, got {batch_size}.", field="batch_size")
        self.queue, self.batch_size, self.retry_interval = queue, batch_size, retry_interval
        headers = {"Authorization": f"Bearer {api_key}", "X-Suyuan-Client": queue.client_id}
        if http is None:
            http = httpx.Client(base_url=server.rstrip("/"), timeout=httpx.Timeout(timeout, connect=3.0))
        http.headers.update(headers)
        self.http = http
        self._offline_since: float | None = None
        self._seen: set[tuple[str, str]] = set()

    def close(self) -> None:
        self.http.close()

    # --- one scan ---------------------------------------------------------------

    def scan(self, code: str, action: str, data: dict[str, Any], now: datetime | None = None) -> list[Outcome]:
        """Handle one scanned line; returns the lines to display (this scan and any synced backlog)."""
        code = code.strip("\r\n")
        if not code.strip():
            return []
        result = parse(code)
        if result.key is None:
            return [Outcome("invalid", code, None, result.key_error or "no ledger key in this code")]
        key = result.key
        if (key, action) in self._seen:
            # Wedge scanners fire twice when a code is held under the beam: one scan, one event.
            return [Outcome("skipped", code, key, f"already scanned for {action} in this session")]
        self._seen.add((key, action))
        shown: list[Outcome] = []
        if action == "dispatch":
            shown += self._registration_warning(code, key)
        statement = {"key": key, "type": action, "time": scan_time(now), "actor": None, "data": data,
                     "id": str(uuid.uuid4())}
        queued = self.queue.add(code, statement)
        if self._should_wait():
            return shown + [self._queued(queued, "offline, will retry")]
        report = self.sync()
        mine = [o for o in report.outcomes if o.id == queued.id]
        others = [o for o in report.outcomes if o.id != queued.id]
        if not mine:
            return shown + others + [self._queued(queued, report.error or "waiting")]
        return shown + others + mine

    def _queued(self, queued: Queued, why: str) -> Outcome:
        return Outcome("queued", queued.code, queued.statement["key"],
                       f"{why} ({self.queue.pending_count()} waiting)", queued.id)

    def _should_wait(self) -> bool:
        return self._offline_since is not None and time.monotonic() - self._offline_since < self.retry_interval

    def _registration_warning(self, code: str, key: str) -> list[Outcome]:
        """At dispatch: is the code registered? A code never registered may be counterfeit."""
        if self._should_wait():
            return [Outcome("warning", code, key, "registration not checked: server unreachable")]
        try:
            r = self.http.get(f"/v1/goods/{key}")
        except httpx.TransportError:
            self._offline_since = time.monotonic()
            return [Outcome("warning", code, key, "registration not checked: server unreachable")]
        if r.status_code == 404:
            return [Outcome("warning", code, key, "never registered: possible counterfeit, "
                            "hold the parcel and report it before it leaves")]
        return []

    # --- the queue ------------------------------------------------------------------

    def sync(self, progress: Callable[[int], None] | None = None) -> SyncReport:
        """Upload the queue in batches, oldest first; stops early (keeping the rest) when offline."""
        report = SyncReport()
        batch_size = self.batch_size
        while True:
            rows = self.queue.peek(batch_size)
            if not rows:
                break
            try:
                answered = self._upload(rows)
            except _TooLarge:
                if batch_size == 1:
                    report.error = "a single scan is larger than the server accepts"
                    break
                batch_size = max(1, batch_size // 2)
                continue
            except (Offline, ServerRefused) as exc:
                report.error = str(exc)
                break
            done, rejected = [], []
            for row, item in zip(rows, answered):
                outcome = _outcome(row, item)
                report.outcomes.append(outcome)
                if outcome.status == "rejected":
                    err = item.get("error") or {}
                    rejected.append((row.id, item["status"], err.get("rule"), outcome.detail))
                    report.rejected += 1
                else:
                    done.append(row.id)
                    if outcome.status == "duplicate":
                        report.duplicates += 1
                    else:
                        report.recorded += 1
            self.queue.settle(done, rejected)
            self._offline_since = None
            if progress:
                progress(len(rows))
        report.remaining = self.queue.pending_count()
        return report

    def _upload(self, rows: list[Queued]) -> list[dict[str, Any]]:
        body = {"events": [{"statement": row.statement} for row in rows]}
        try:
            r = self.http.post(BATCH_PATH, params={"mode": "per_event"}, json=body)
        except httpx.TransportError as exc:
            self._offline_since = time.monotonic()
            raise Offline(f"server unreachable: {exc.__class__.__name__}") from None
        if r.status_code == 413:
            raise _TooLarge()
        if r.status_code >= 500 or r.status_code == 409:
            # 409 on a whole batch: a concurrent request created the same goods; nothing was kept.
            self._offline_since = time.monotonic()
            raise Offline(f"server answered {r.status_code}: {_detail(r)}")
        if r.status_code != 200:
            raise ServerRefused(r.status_code, _detail(r))
        results = r.json()["results"]
        if len(results) != len(rows):
            raise ServerRefused(r.status_code, f"expected {len(rows)} results, got {len(results)}")
        return results

    # --- the loop ----------------------------------------------------------------------

    def run(self, lines: Iterable[str], action: str, data: dict[str, Any], out: TextIO) -> SyncReport:
        """Scan every line, print each outcome, retry the backlog at the end of input."""
        for line in lines:
            for outcome in self.scan(line, action, data):
                print(outcome.line(), file=out, flush=True)
        final = SyncReport(remaining=self.queue.pending_count())
        if final.remaining:
            self._offline_since = None  # one last try before leaving
            final = self.sync()
            for outcome in final.outcomes:
                print(outcome.line(), file=out, flush=True)
        return final


class _TooLarge(Exception):
    pass


def _detail(r: httpx.Response) -> str:
    try:
        return str(r.json().get("detail") or r.text[:200])
    except ValueError:
        return r.text[:200] or r.reason_phrase


def _outcome(row: Queued, item: dict[str, Any]) -> Outcome:
    key, status = row.statement["key"], item.get("status", 0)
    flags = tuple(f"{f['code']}: {f['detail']}" for f in item.get("flags") or ())
    if status == 201:
        return Outcome("recorded", row.code, key, f"{row.statement['type']} recorded (seq {item.get('seq')})",
                       row.id, flags)
    if status == 200:
        return Outcome("duplicate", row.code, key, "already recorded; not recorded again", row.id)
    err = item.get("error") or {}
    return Outcome("rejected", row.code, key, str(err.get("detail") or f"refused with status {status}"), row.id)


def sync_with_progress(client: ScannerClient, stream: TextIO) -> SyncReport:
    """`suyuan scan --sync`: the whole queue with a progress bar on `stream`."""
    total = client.queue.pending_count()
    with ProgressBar(total, "scans uploaded", stream) as bar:
        report = client.sync(progress=bar.advance)
    return report
