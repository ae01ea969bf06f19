"""Marks: the entries that weigh on a party's score, and their resolution.

A mark is a pledge breach on the party's chain, an upheld complaint about it,
a failed inspection of its goods or a recall of one of its batches, each with
a severity. Adding one updates the party's decayed sums (`score.add_to_sums`)
and its stored score and level in the same transaction; an accepted repair
resolves breaches by a new entry (`resolve`), taking them out of the sums.
"""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlalchemy import Connection, select, update

from suyuan.config import Settings
from suyuan.errors import InputError
from suyuan.trace.credit import chainkey, score
from suyuan.trace.credit.models import CreditMark, CreditParty

marks_t = CreditMark.__table__
credit_parties_t = CreditParty.__table__
KINDS = ("complaint", "inspection", "breach", "recall")


def ensure_party(conn: Connection, settings: Settings, party_id: str) -> str:
    """The party's chain key, with its credit row made if it had none."""
    base = settings.credit_base_score
    return chainkey.ensure(conn, party_id, settings.credit_half_life_days, base, score.level_of(base, settings))


def add(conn: Connection, settings: Settings, party_id: str, kind: str, severity: str, entry: bytes, key: str,
        at: datetime) -> None:
    """Record a mark against `party_id` and rescore it."""
    ensure_party(conn, settings, party_id)
    state = conn.execute(select(credit_parties_t.c.half_life_days, credit_parties_t.c.last_mark)
                         .where(credit_parties_t.c.party_id == party_id)).first()
    conn.execute(marks_t.insert().values(party_id=party_id, kind=kind, severity=severity, entry_hash=entry,
                                         key=key, at=at))
    score.add_to_sums(conn, party_id, kind, severity, at, state.half_life_days)
    if state.last_mark is None or at > state.last_mark:
        conn.execute(update(credit_parties_t).where(credit_parties_t.c.party_id == party_id).values(last_mark=at))
    score.refresh(conn, settings, party_id)


def require_breaches(conn: Connection, party_id: str, entries: Sequence[str], field: str) -> None:
    """InputError naming `<field>.<i>` unless each hash is an unresolved breach recorded against `party_id`."""
    for i, hexhash in enumerate(entries):
        row = conn.execute(select(marks_t.c.party_id, marks_t.c.resolved_by).where(
            marks_t.c.entry_hash == bytes.fromhex(hexhash), marks_t.c.kind == "breach")).first()
        if row is None or row.party_id != party_id:
            whose = "no breach" if row is None else f"a breach of party {row.party_id}"
            raise InputError(f"Invalid {field}.{i}: expected the hash of a pledge breach recorded against party "
                             f"{party_id}, got {whose}.", field=f"{field}.{i}")


def resolve(conn: Connection, settings: Settings, party_id: str, entries: Sequence[str], by: bytes) -> None:
    """Resolve the party's marks whose entries are `entries` (hex) by entry `by`."""
    h = conn.execute(select(credit_parties_t.c.half_life_days)
                     .where(credit_parties_t.c.party_id == party_id)).scalar()
    for hexhash in entries:
        row = conn.execute(select(marks_t).where(marks_t.c.entry_hash == bytes.fromhex(hexhash),
                                                 marks_t.c.party_id == party_id,
                                                 marks_t.c.resolved_by.is_(None))).first()
        if row is None:
            continue
        conn.execute(update(marks_t).where(marks_t.c.id == row.id).values(resolved_by=by))
        score.add_to_sums(conn, party_id, row.kind, row.severity, row.at, h, sign=-1)


def check_severity(value: str, field: str = "severity") -> str:
    if value not in score.SEVERITIES:
        raise InputError(f"Invalid {field}: expected one of {', '.join(score.SEVERITIES)}, got {value!r}.",
                         field=field)
    return value
