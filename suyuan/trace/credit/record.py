"""What the public sees of credit: a party's record, the rankings, warnings and the dishonesty list.

One function per answer of the API (`suyuan.api.routes.credit`), each in
its own read transaction. `disclosure` is what a scan page shows of the
parties of its goods: real name, licences, credit level, pledges and the
active warnings about them or the goods' batch.
"""

from __future__ import annotations

import time as clock
from datetime import datetime, timezone
from typing import Any, Sequence

from sqlalchemy import Connection, Engine, and_, func, literal, or_, select

from suyuan.config import Settings
from suyuan.errors import InputError
from suyuan.trace.credit import chainkey, complaints, dishonesty, pledges, repairs, score, warnings
from suyuan.trace.credit.models import CreditParty
from suyuan.trace.parties.registry import PartyView, get_party_in, parties_t, view_of

credit_parties_t = CreditParty.__table__
UTC = timezone.utc


def credit(engine: Engine, settings: Settings, party_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        return score.compute(conn, settings, party_id).public()


def party_record(engine: Engine, settings: Settings, party_id: str) -> dict[str, Any]:
    """The party's public page: who it is, its credit, pledges, active warnings, listing and repairs."""
    now = datetime.now(UTC)
    with engine.connect() as conn:
        party = get_party_in(conn, party_id)
        current = score.compute(conn, settings, party_id, now)
        active, _ = warnings.active(conn, now.date(), parties=[party_id], limit=100)
        listed = dishonesty.grounds(conn, party_id) is not None
        return party.public() | {
            "chain_key": current.chain_key or chainkey.party_key(conn, party_id),
            "credit": {"score": current.score, "level": current.level, "as_of": current.public()["as_of"]},
            "pledges": pledges.of_party(conn, party_id), "warnings": active, "dishonest": listed,
            "complaints": complaints.of_party(conn, party_id, limit=20), "repairs": repairs.of_party(conn, party_id),
        }


def _cursor(after: str | None) -> tuple[int, str] | None:
    if after is None:
        return None
    level, _, ident = after.partition(":")
    if not level.isdigit() or not ident:
        raise InputError(f"Invalid after: expected the `next` of the previous page (<score>:<id>), got {after!r}.",
                         field="after")
    return int(level), ident


def parties_by_credit(engine: Engine, settings: Settings, role: str | None, after: str | None,
                      limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """Parties by stored credit score, best first (ties by id), with their level; `next` pages on.

    The stored score is the one computed at the party's last credit event; a
    party with no credit event yet ranks at the base score.
    """
    s = func.coalesce(credit_parties_t.c.score, settings.credit_base_score).label("credit_score")
    query = (select(parties_t, s, credit_parties_t.c.level, credit_parties_t.c.listed)
             .select_from(parties_t.outerjoin(credit_parties_t, credit_parties_t.c.party_id == parties_t.c.id)))
    cursor = _cursor(after)
    if cursor is not None:
        query = query.where(or_(s < cursor[0], and_(s == cursor[0], parties_t.c.id > cursor[1])))
    if role is not None:
        query = query.where((literal(",") + parties_t.c.roles + literal(",")).like(f"%,{role},%"))
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(s.desc(), parties_t.c.id).limit(limit + 1)).all()
    out = []
    for r in rows[:limit]:
        level = "D" if r.listed else (r.level or score.level_of(r.credit_score, settings))
        out.append(view_of(r).public() | {"credit": {"score": r.credit_score, "level": level}})
    following = f"{rows[limit - 1].credit_score}:{rows[limit - 1].id}" if len(rows) > limit else None
    return out, following


def active_warnings(engine: Engine, after: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
    if after is not None and (len(after) != 64 or any(c not in "0123456789abcdef" for c in after)):
        raise InputError(f"Invalid after: expected the `next` of the previous page, got {after[:80]!r}.",
                         field="after")
    with engine.connect() as conn:
        return warnings.active(conn, datetime.now(UTC).date(), after=after, limit=limit)


def dishonest(engine: Engine, after: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
    with engine.connect() as conn:
        shown, following = dishonesty.listed_page(conn, after, limit)
        names = dict(conn.execute(select(parties_t.c.id, parties_t.c.name)
                                  .where(parties_t.c.id.in_([s["party"] for s in shown]))).all())
    return [s | {"name": names.get(s["party"])} for s in shown], following


def disclosure(conn: Connection, settings: Settings, party_ids: Sequence[str | None],
               keys: Sequence[str], cache: PartyCredit | None = None) -> dict[str, Any]:
    """For a scan page: each party's name, licences, level and pledges, and the active warnings.

    With a `cache`, a party's part may be up to its `ttl` old; the warnings are read every time.
    """
    ids = [p for p in dict.fromkeys(party_ids) if p]
    now = datetime.now(UTC)
    parties = {pid: (cache.get(conn, settings, pid, now) if cache is not None
                     else party_credit(conn, settings, pid, now)) for pid in ids}
    active, _ = warnings.active(conn, now.date(), parties=ids, keys=list(keys), limit=50)
    return {"parties": parties, "warnings": active}


def party_credit(conn: Connection, settings: Settings, pid: str, now: datetime) -> dict[str, Any]:
    """A party's public credit: name, licences, level, score and pledges."""
    party: PartyView = get_party_in(conn, pid)
    current = score.compute(conn, settings, pid, now, explain=False)
    return {"id": pid, "name": party.name, "licences": list(party.licences), "level": current.level,
            "score": current.score, "pledges": pledges.of_party(conn, pid)}


class PartyCredit:
    """Parties' public credit kept per process for `ttl` seconds: a producer's and a merchant's credit
    is the same on every one of their items' pages, and a scan page may be as stale as its checkpoint size."""

    def __init__(self, ttl: float = 1.0, size: int = 4096) -> None:
        self.ttl, self.size = ttl, size
        self._kept: dict[str, tuple[float, dict[str, Any]]] = {}

    def get(self, conn: Connection, settings: Settings, pid: str, now: datetime) -> dict[str, Any]:
        at = clock.monotonic()
        kept = self._kept.get(pid)
        if kept is not None and at - kept[0] < self.ttl:
            return kept[1]
        value = party_credit(conn, settings, pid, now)
        if len(self._kept) >= self.size:
            self._kept.clear()
        self._kept[pid] = (at, value)
        return value


def complaint_party(engine: Engine, entry: str) -> str:
    """The party a complaint (its entry hash) is about; NotFound when there is none."""
    with engine.connect() as conn:
        return complaints.party_of(conn, entry)


def repair_party(engine: Engine, entry: str) -> str:
    with engine.connect() as conn:
        return repairs.party_of(conn, entry)


def inspector_queue(engine: Engine) -> dict[str, Any]:
    """Open complaints, open repair requests and recent warnings, for inspectors."""
    with engine.connect() as conn:
        return {"complaints": complaints.open_complaints(conn), "repairs": repairs.open_requests(conn),
                "warnings": warnings.recent(conn)}


def chain_key(engine: Engine, party_id: str) -> str:
    """The party's chain key (NotFound for an unknown party)."""
    with engine.connect() as conn:
        return chainkey.party_key(conn, party_id)


def require_subject(party_id: str | None, field: str = "party") -> str:
    if not party_id:
        raise InputError(f"Missing {field}: expected the party (or the batch) the warning is about.", field=field)
    return party_id
