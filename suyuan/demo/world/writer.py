"""Writing the world through the real capture path, in recorded order.

People first: every buyer and recipient the timeline names is sealed in the
vault in bulk (`people.store_many`, one transaction per storer), so the
statements can carry their commitments. Then the events, sorted by recorded
time, in transactions of `chunk` statements: each statement through
`capture_in` with its party (or, for a review, the review token the
delivery answered) and `now=` its recorded time, so the ledger's recorded
times follow the simulated clock; consumer checks through
`scanlog.record_scan` in the same transactions. Events recorded after the
world's end are left out (the rest of their journey is in the future).
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime, timedelta
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import Engine

from suyuan.config import Settings
from suyuan.demo.world import schedule
from suyuan.demo.world.cast import Cast, Who
from suyuan.demo.world.timeline import Ev, Timeline
from suyuan.errors import SuyuanError
from suyuan.trace.events.atomic import Abort, capture_atomic
from suyuan.trace.events.capture import BatchResult, capture_in
from suyuan.trace.journey.scanlog import record_scan
from suyuan.trace.parties.registry import PartyView
from suyuan.trace.privacy import people
from suyuan.trace.privacy.vault import Vault, vault_master_key

WINDOW = timedelta(minutes=30)  # of recorded time: one party's events in it may be one batch
SMALL_GROUP = 3
Progress = Callable[[int, int, float], None]  # written, total, seconds so far


@dataclass
class Written:
    events: int = 0
    checks: int = 0
    people: int = 0
    left_out: int = 0
    by_type: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    flags: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class WorldWriteError(Exception):
    """A statement of the world was refused: a bug in the generator, named with the event."""


def store_people(engine: Engine, settings: Settings, cast: Cast, wanted: set[Who],
                 parties: dict[str, PartyView]) -> dict[Who, str]:
    """Seal every person the timeline names, one transaction per storer; their commitments."""
    vault = Vault(engine, vault_master_key(settings))
    by_storer: dict[str, list[Who]] = defaultdict(list)
    for who in sorted(wanted, key=lambda w: (w.storer, w.kind, w.shopper)):
        by_storer[who.storer].append(who)
    commitments: dict[Who, str] = {}
    for storer, whos in by_storer.items():
        for kind in ("consumer", "recipient"):
            group = [w for w in whos if w.kind == kind]
            if not group:
                continue
            stored = people.store_many(engine, vault, parties[storer], [cast.shopper_fields(w) for w in group], kind)
            commitments.update({w: s["commitment"] for w, s in zip(group, stored)})
    return commitments


def write(engine: Engine, settings: Settings, tl: Timeline, commitments: dict[Who, str], chunk: int,
          progress: Progress | None = None) -> Written:
    """Every event in recorded order, in per-party atomic batches (`schedule`), one transaction a window."""
    events = sorted((e for e in tl.events if e.rec <= tl.end), key=lambda e: (e.rec, e.seq))
    done = Written(left_out=len(tl.events) - len(events))
    deps = schedule.predecessors(events)
    tokens: dict[str, dict[str, str]] = {}  # deliver statement id -> item key -> review token
    nows: dict[int, datetime] = {}
    started = time.perf_counter()
    spans = list(schedule.windows(events, WINDOW, chunk))
    k = 0
    while k < len(spans):  # a transaction holds whole windows, about `chunk` events
        lo = spans[k][0]
        with engine.begin() as conn:
            while k < len(spans) and spans[k][1] - lo <= max(chunk, spans[k][1] - spans[k][0]):
                _write_window(conn, settings, events, deps, spans[k], nows, commitments, tokens, done)
                k += 1
        if progress is not None:
            progress(spans[k - 1][1], len(events), time.perf_counter() - started)
    return done


def _write_window(conn, settings: Settings, events: list[Ev], deps: list[tuple[int, ...]],  # noqa: ANN001
                  span: tuple[int, int], nows: dict[int, datetime], commitments: dict[Who, str],
                  tokens: dict[str, dict[str, str]], done: Written) -> None:
    lo, hi = span
    for group in (g for r in schedule.rounds(events, deps, lo, hi, nows) for g in r):
        if len(group) < SMALL_GROUP:  # a batch costs a few round trips more than it saves on one or two
            for i in group:
                _capture(conn, settings, events[i], commitments, tokens, done, nows[i])
        else:
            _capture_batch(conn, settings, [events[i] for i in group], nows[group[0]], commitments, tokens, done)
    for ev in events[lo:hi]:
        if ev.type == "scan":
            record_scan(conn, settings, ev.key, ev.region, ev.rec, checker=ev.checker, watch=True)
            done.checks += 1


def _capture_batch(conn, settings: Settings, batch: list[Ev], now: datetime,  # noqa: ANN001
                   commitments: dict[Who, str], tokens: dict[str, dict[str, str]], done: Written) -> None:
    """One party's events (or one review token's) as an atomic batch, as `capture_many` captures them."""
    token = None
    if batch[0].token_of is not None:
        delivery, key = batch[0].token_of
        token = tokens[delivery][key]
    items = [(ev.statement(commitments), None) for ev in batch]
    results = [BatchResult(i, st["id"]) for i, (st, _) in enumerate(items)]
    try:
        capture_atomic(conn, settings, items, results, batch[0].party, token, now, {})
    except Abort:
        failed = next(r for r in results if r.error is not None)
        ev, st = batch[failed.index], items[failed.index][0]
        raise WorldWriteError(f"{ev.type} of {ev.key} at {st['time']} (recorded {now.isoformat()}) by "
                              f"{ev.party.name if ev.party else 'a shopper'} refused: {failed.error}") from None
    for ev, (st, _), result in zip(batch, items, results):
        if ev.type == "deliver":
            tokens[st["id"]] = result.captured.review_tokens
        done.events += 1
        done.by_type[ev.type] += 1
        for flag in result.captured.flags:
            done.flags[flag.code] += 1


def write_each(engine: Engine, settings: Settings, tl: Timeline, commitments: dict[Who, str], chunk: int,
               progress: Progress | None = None) -> Written:
    """The plain way (slower): every statement through `capture_in` with its own recorded time,
    `chunk` a transaction."""
    events = sorted((e for e in tl.events if e.rec <= tl.end), key=lambda e: (e.rec, e.seq))
    done = Written(left_out=len(tl.events) - len(events))
    tokens: dict[str, dict[str, str]] = {}  # deliver statement id -> item key -> review token
    started = time.perf_counter()
    for i in range(0, len(events), chunk):
        with engine.begin() as conn:
            for ev in events[i:i + chunk]:
                if ev.type == "scan":
                    record_scan(conn, settings, ev.key, ev.region, ev.rec, checker=ev.checker, watch=True)
                    done.checks += 1
                    continue
                _capture(conn, settings, ev, commitments, tokens, done)
        if progress is not None:
            progress(min(i + chunk, len(events)), len(events), time.perf_counter() - started)
    return done


def _capture(conn, settings: Settings, ev: Ev, commitments: dict[Who, str],  # noqa: ANN001
             tokens: dict[str, dict[str, str]], done: Written, now: datetime | None = None) -> None:
    token = None
    if ev.token_of is not None:
        delivery, key = ev.token_of
        token = tokens[delivery][key]
    st = ev.statement(commitments)
    try:
        captured = capture_in(conn, settings, st, party=ev.party, review_token=token, now=now or ev.rec)
    except SuyuanError as exc:
        raise WorldWriteError(f"{ev.type} of {ev.key} at {st['time']} (recorded {ev.rec.isoformat()}) by "
                              f"{ev.party.name if ev.party else 'a shopper'} refused: {exc}") from exc
    if ev.type == "deliver":
        tokens[st["id"]] = captured.review_tokens
    done.events += 1
    done.by_type[ev.type] += 1
    for flag in captured.flags:
        done.flags[flag.code] += 1
