"""The service layer for typed events: one transaction per capture.

`capture` checks the statement, the caller and the rules, updates the domain
state tables and appends to the ledger (`suyuan.ledger.chain.append_in`) in
the same transaction, so the entry, the state and the flags land whole or not
at all. The subject's state row is locked first (`FOR UPDATE` in PostgreSQL;
SQLite's `BEGIN IMMEDIATE` serialises writers), then a retry of an already
recorded statement id is answered with the original entry, without running
the rules again.

Where the parts live: one event's checks and state (`prepare`), who is
calling (`caller`), the lifecycle table (`lifecycle`) and the handlers of
each event type (`handlers`), an atomic batch (`atomic`), review tokens
(`tokens`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from suyuan.config import Settings
from suyuan.errors import Conflict, InputError, SuyuanError
from suyuan.ledger.chain import append_in, find_retry
from suyuan.trace.events.atomic import Abort, Items, capture_atomic
from suyuan.trace.events.prepare import BatchResult, Captured, finish, prepare
from suyuan.trace.events.tokens import REVIEW_TOKEN_PREFIX
from suyuan.trace.parties.registry import PartyView

__all__ = ["REVIEW_TOKEN_PREFIX", "BatchResult", "Captured", "capture", "capture_in", "capture_many"]


def capture(engine: Engine, settings: Settings, statement: dict[str, Any], sig: str | None = None, *,
            party: PartyView | None = None, review_token: str | None = None,
            now: datetime | None = None) -> Captured:
    """Capture one typed event in its own transaction (see module doc)."""
    try:
        with engine.begin() as conn:
            return capture_in(conn, settings, statement, sig, party=party,
                              review_token=review_token, now=now)
    except IntegrityError:
        # A concurrent transaction recorded the same statement id first:
        # answer as a retry is answered, or let the error stand.
        with engine.connect() as conn:
            found = find_retry(conn, statement, sig)
        if found is None:
            # Two requests created the same goods at once; the other won.
            raise Conflict(
                f"Another request recorded {statement.get('key')} at the same time: "
                "read its state and retry this statement if it still applies."
            ) from None
        return Captured(found)


def capture_in(conn: Connection, settings: Settings, statement: dict[str, Any], sig: str | None = None, *,
               party: PartyView | None = None, review_token: str | None = None,
               now: datetime | None = None) -> Captured:
    """Capture one typed event inside the caller's transaction."""
    prepared = prepare(conn, settings, statement, sig, party=party, review_token=review_token, now=now)
    if isinstance(prepared, Captured):
        return prepared
    return finish(prepared, append_in(conn, prepared.statement, sig, prepared.now))


def capture_many(engine: Engine, settings: Settings, items: Iterable[tuple[dict[str, Any], str | None]], *,
                 party: PartyView | None = None, review_token: str | None = None, mode: str = "atomic",
                 now: datetime | None = None,
                 refused: dict[int, SuyuanError] | None = None) -> list[BatchResult]:
    """Capture several events in one transaction.

    `atomic` (EPCIS capture's default): the first refusal rolls everything
    back; the failing statement carries its error and the others are marked
    skipped. `per_event`: each statement runs in a savepoint, refused ones are
    rolled back alone and the rest are kept. `refused` holds errors found
    before capture (malformed shapes), by index. With a `review_token` the
    batch is a consumer's (its reviews and complaints), and the token's
    allowance holds across the batch as across requests.
    """
    refused = refused or {}
    if mode not in ("atomic", "per_event"):
        raise InputError(f"Invalid mode {mode!r}: expected atomic or per_event.", field="mode")
    items = list(items)
    results = [BatchResult(i, st.get("id") if isinstance(st, dict) else None) for i, (st, _) in enumerate(items)]
    try:
        with engine.begin() as conn:
            if mode == "atomic":
                capture_atomic(conn, settings, items, results, party, review_token, now, refused)
            else:
                _capture_each(conn, settings, items, results, party, review_token, now, refused)
    except Abort:
        for other in results:
            if other.error is None:
                other.captured, other.skipped = None, True
    except IntegrityError:
        # A concurrent request created some of the same goods first; nothing of this batch was kept.
        raise Conflict(
            "Another request recorded some of these goods at the same time: nothing was written; "
            "retry the batch (recorded statement ids answer as retries)."
        ) from None
    return results


def _capture_each(conn: Connection, settings: Settings, items: Items, results: list[BatchResult],
                  party: PartyView | None, review_token: str | None, now: datetime | None,
                  refused: dict[int, SuyuanError]) -> None:
    """per_event: each statement in its own savepoint; a refused one is rolled back alone."""
    for result, (st, sig) in zip(results, items):
        try:
            if result.index in refused:
                raise refused[result.index]
            with conn.begin_nested():
                result.captured = capture_in(conn, settings, st, sig, party=party,
                                             review_token=review_token, now=now)
        except SuyuanError as exc:
            result.error = exc
