"""The courier scanner client behind `suyuan scan`.

A keyboard-wedge scanner types each code as a line; so does a person at a
keyboard, and so does a pipe. What a line may carry besides the code, and the
session's payload, is `suyuan.courier.lines`. Every line is parsed to a ledger key
(`suyuan.codes.gs1.parse`), turned into a dispatch, transit or deliver
statement with a client-made UUID as its id, written to the local queue
(`suyuan.courier.queue`) and then uploaded with the rest of the queue
through `POST /v1/events:batch?mode=per_event`. When the server cannot be
reached the scan stays queued; the next scan, the end of input or
`suyuan scan --sync` retries. The server records each statement id once, so
re-sending after a crash only yields "already recorded".

A scan the server refuses for a rule (an item not sold, a parcel of another
courier, an unregistered code) goes to the rejected list with the server's
reason, for the courier or the depot to follow up; it is never retried.

What the server answers for a recorded scan is kept in the queue with the
settled scan: the review tokens of a delivery (one per delivered item, the
shoppers' only way to review; `suyuan scan --tokens` exports them) and the
flags the scan raised, each shown once, on the item or parcel it is about.
"""

from __future__ import annotations

import csv
import os
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, TextIO

import httpx

from suyuan.codes.gs1 import parse
from suyuan.courier.lines import LINE_FORMAT, UsageError, line_payload, scan_time
from suyuan.courier.progress import ProgressBar
from suyuan.courier.queue import Flag, Queued, ReviewToken, ScanQueue
from suyuan.errors import InputError, SuyuanError

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
    flags: tuple[Flag, ...] = ()  # new ones only: a flag shown before is not shown again

    def line(self) -> str:
        tag = {"recorded": "OK", "duplicate": "DUP", "rejected": "REJECTED", "queued": "QUEUED",
               "invalid": "INVALID", "warning": "WARNING", "skipped": "SKIPPED"}[self.status]
        text = f"{tag:<8} {self.key or self.code[:80].replace(chr(9), ' ')}"
        if self.detail:
            text += f"  {self.detail}"
        return "\n".join([text, *self.flag_lines()])

    def flag_lines(self) -> list[str]:
        # A parcel's flags may be about the items in it: each line names its own key.
        return [f"{'FLAG':<8} {f.key}  {f.code}: {f.detail}" for f in self.flags]


@dataclass
class SyncReport:
    recorded: int = 0
    duplicates: int = 0
    rejected: int = 0
    remaining: int = 0
    tokens: int = 0  # review tokens kept
    outcomes: list[Outcome] = field(default_factory=list)
    error: str | None = None  # why the sync stopped early (offline, refused)

    def summary(self) -> str:
        text = (f"sync: {self.recorded} recorded, {self.duplicates} already recorded, "
                f"{self.rejected} rejected, {self.remaining} still queued")
        return text + (f" ({self.error.rstrip('.')})" if self.error else "")


class ScannerClient:
    """Scans to statements, statements to the queue, the queue to the server."""

    def __init__(self, server: str, api_key: str | None, queue: ScanQueue, *,
                 http: httpx.Client | None = None, batch_size: int = DEFAULT_BATCH,
                 timeout: float = 10.0, retry_interval: float = 30.0):
        if not api_key:
            raise UsageError("Missing API key: pass --key or set SUYUAN_API_KEY to the courier's key.",
                             field="key")
        if not 1 <= batch_size <= 10000:
            raise UsageError(f"Invalid --batch-size: expected 1 to 10000, got {batch_size}.", field="batch_size")
        if not retry_interval >= 0:
            raise UsageError(f"Invalid --retry-interval: expected seconds, 0 or more, got {retry_interval}.",
                             field="retry_interval")
        url = httpx.URL(server)
        if url.scheme not in ("http", "https") or not url.host:
            raise UsageError(f"Invalid server URL {server[:200]!r}: expected http:// or https:// and a host, "
                             "e.g. http://127.0.0.1:8000 (--server or SUYUAN_SERVER_URL).", field="server")
        self.server = server.rstrip("/")
        self.queue, self.batch_size, self.retry_interval = queue, batch_size, retry_interval
        headers = {"Authorization": f"Bearer {api_key}", "X-Suyuan-Client": queue.client_id}
        if http is None:
            http = httpx.Client(base_url=self.server, timeout=httpx.Timeout(timeout, connect=3.0))
        http.headers.update(headers)
        self.http = http
        self._offline_since: float | None = None
        self._seen: set[tuple[str, str]] = set()
        self.tokens_kept = 0  # review tokens this client kept in the queue since it started

    def close(self) -> None:
        self.http.close()

    # --- one scan ---------------------------------------------------------------

    def scan(self, line: str, action: str, data: dict[str, Any], now: datetime | None = None) -> list[Outcome]:
        """Handle one scanned line; returns the lines to display (this scan and any synced backlog).

        `data` is the session's payload (`event_payload`); a dispatch line may
        add its own fields after the code (`LINE_FORMAT`).
        """
        code, *fields = line.strip("\r\n").split("\t")
        if not code.strip():
            return [Outcome("invalid", line.strip("\r\n"), None, f"No code before the tab: expected {LINE_FORMAT}.")] \
                if any(f.strip() for f in fields) else []
        result = parse(code)
        if result.key is None:
            return [Outcome("invalid", code, None, result.key_error or "no ledger key in this code")]
        key = result.key
        try:
            payload = line_payload(action, data, fields)
        except InputError as exc:
            return [Outcome("invalid", code, key, str(exc))]
        if (key, action) in self._seen:
            # Wedge scanners fire twice when a code is held under the beam: one scan, one event.
            return [Outcome("skipped", code, key, f"already scanned for {action} in this session")]
        self._seen.add((key, action))
        shown: list[Outcome] = []
        if action == "dispatch":
            shown += self._registration_warning(code, key)
        statement = {"key": key, "type": action, "time": scan_time(now), "actor": None, "data": payload,
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
            done, rejected, tokens, flags, outcomes = [], [], [], [], []
            for row, item in zip(rows, answered):
                outcome = _outcome(row, item)
                outcomes.append(outcome)
                if outcome.status == "rejected":
                    err = item.get("error") or {}
                    rejected.append((row.id, item["status"], err.get("rule"), outcome.detail))
                    report.rejected += 1
                    continue
                done.append(row.id)
                if outcome.status == "duplicate":
                    report.duplicates += 1
                else:
                    report.recorded += 1
                tokens += _tokens(row, item)
                flags += _flags(row, item)
            new = self.queue.settle(done, rejected, tokens=tokens, flags=flags)
            report.tokens += len(tokens)
            self.tokens_kept += len(tokens)
            for outcome in outcomes:
                mine = tuple(f for f in new if f.statement_id == outcome.id)
                report.outcomes.append(replace(outcome, flags=mine))
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
            raise Offline(f"server unreachable: {exc.__class__.__name__} at {self.server}") from None
        if r.status_code == 413:
            raise _TooLarge()
        if r.status_code >= 500 or r.status_code == 409:
            # 409 on a whole batch: a concurrent request created the same goods; nothing was kept.
            self._offline_since = time.monotonic()
            raise Offline(f"server answered {r.status_code}: {_detail(r)}")
        if r.status_code != 200:
            raise ServerRefused(r.status_code, _detail(r))
        try:
            results = r.json()["results"]
        except (ValueError, KeyError, TypeError):
            raise ServerRefused(r.status_code, f"expected a suyuan server's batch answer from {self.server}, "
                                f"got {r.headers.get('content-type') or 'no content type'}") from None
        if not isinstance(results, list) or len(results) != len(rows):
            got = len(results) if isinstance(results, list) else type(results).__name__
            raise ServerRefused(r.status_code, f"expected {len(rows)} results, got {got}")
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
    tokens = len(item.get("review_tokens") or {})
    kept = f"; {tokens} review token{'s' if tokens != 1 else ''} kept" if tokens else ""
    if status == 201:
        return Outcome("recorded", row.code, key,
                       f"{row.statement['type']} recorded (seq {item.get('seq')}){kept}", row.id)
    if status == 200:
        return Outcome("duplicate", row.code, key, f"already recorded; not recorded again{kept}", row.id)
    err = item.get("error") or {}
    return Outcome("rejected", row.code, key, str(err.get("detail") or f"refused with status {status}"), row.id)


def _tokens(row: Queued, item: dict[str, Any]) -> list[ReviewToken]:
    answered = item.get("review_tokens") or {}
    return [ReviewToken(k, t, row.id, row.statement["key"], "") for k, t in answered.items()]


def _flags(row: Queued, item: dict[str, Any]) -> list[Flag]:
    return [Flag(row.id, f.get("key") or row.statement["key"], f["code"], f.get("detail", ""))
            for f in item.get("flags") or ()]


def sync_with_progress(client: ScannerClient, stream: TextIO) -> SyncReport:
    """`suyuan scan --sync`: the whole queue with a progress bar on `stream`."""
    total = client.queue.pending_count()
    with ProgressBar(total, "scans uploaded", stream) as bar:
        report = client.sync(progress=bar.advance)
    return report


def write_tokens(tokens: Iterable[ReviewToken], out: TextIO) -> int:
    """`suyuan scan --tokens`: CSV with the header `item_key,token`, one row per token; returns the count."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["item_key", "token"])
    n = 0
    for t in tokens:
        writer.writerow([t.item_key, t.token])
        n += 1
    return n


def private_file(path: str | Path) -> TextIO:
    """A text file only its owner may read, replacing any file there: review tokens are secrets."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise UsageError(f"Cannot write {str(path)[:200]}: {exc.strerror or exc}; expected a writable "
                         "file path for --out.", field="out") from None
    os.fchmod(fd, 0o600)  # the file may have been there with a wider mode
    return os.fdopen(fd, "w", encoding="utf-8", newline="")
