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
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import Engine

from suyuan.config import Settings
from suyuan.demo.world.cast import Cast, Who
from suyuan.demo.world.timeline import Ev, Timeline
from suyuan.errors import SuyuanError
from suyuan.trace.events.capture import capture_in
from suyuan.trace.journey.scanlog import record_scan
from suyuan.trace.parties.registry import PartyView
from suyuan.trace.privacy import people
from suyuan.trace.privacy.vault import Vault, vault_master_key

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
             tokens: dict[str, dict[str, str]], done: Written) -> None:
    token = None
    if ev.token_of is not None:
        delivery, key = ev.token_of
        token = tokens[delivery][key]
    st = ev.statement(commitments)
    try:
        captured = capture_in(conn, settings, st, party=ev.party, review_token=token, now=ev.rec)
    except SuyuanError as exc:
        raise WorldWriteError(f"{ev.type} of {ev.key} at {st['time']} (recorded {ev.rec.isoformat()}) by "
                              f"{ev.party.name if ev.party else 'a shopper'} refused: {exc}") from exc
    if ev.type == "deliver":
        tokens[st["id"]] = captured.review_tokens
    done.events += 1
    done.by_type[ev.type] += 1
    for flag in captured.flags:
        done.flags[flag.code] += 1
