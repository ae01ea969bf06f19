"""A party's credit score and level A-D, from its marks and its upheld findings.

Every mark (`suyuan.trace.credit.marks`: a pledge breach, an upheld complaint,
a failed inspection, a recall of its goods) and every upheld finding of the
integrity analytics (`suyuan.trace.credit.findings`) takes points off: its
weight is the setting for its kind (`SUYUAN_CREDIT_WEIGHTS`) times its
severity factor (`SUYUAN_CREDIT_SEVERITY_FACTORS`; a finding's score/1000),
halved every `SUYUAN_CREDIT_HALF_LIFE_DAYS` since it was recorded. A clean
history adds up to `SUYUAN_CREDIT_CLEAN_BONUS` points, reached after
`SUYUAN_CREDIT_CLEAN_DAYS` without a new mark:

    score = clamp(base - sum(weight * 2^(-age / half-life)) + bonus * min(1, clean days / clean_days), 0, 100)

The level is A, B or C from `SUYUAN_CREDIT_LEVELS` (lowest scores), else D;
a party on the dishonesty list is D whatever its score. Pure exponential
decay makes the sum incremental: `credit_sums` keeps, per kind and severity,
the sum of 2^((at - EPOCH) / half-life) over the unresolved marks, so a score
is a few rows away however long the record (`settle` rebuilds the sums when
the half-life setting changes). The explanation lists the marks and findings
that weigh most now, with their weight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, func, select, update

from suyuan.config import Settings
from suyuan.trace.credit.findings import upheld_findings
from suyuan.trace.credit.models import CreditMark, CreditParty, CreditSum
from suyuan.trace.parties.registry import get_party_in, parties_t

UTC = timezone.utc
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
LEVELS = ("A", "B", "C", "D")
SEVERITIES = ("low", "medium", "high")
EXPLAIN = 5  # how many marks and findings an explanation names
credit_parties_t, marks_t, sums_t = CreditParty.__table__, CreditMark.__table__, CreditSum.__table__


def _halvings(at: datetime, settings_or_days: Any) -> float:
    days = settings_or_days if isinstance(settings_or_days, int) else settings_or_days.credit_half_life_days
    return (at - EPOCH).total_seconds() / (days * 86400)


def anchor(at: datetime, half_life_days: int) -> float:
    """A mark's term in `credit_sums`: its weight at EPOCH-time scale (see module doc)."""
    return 2.0 ** _halvings(at, half_life_days)


def decay(at: datetime, now: datetime, half_life_days: int) -> float:
    """What is left of a weight recorded `at`, at `now`."""
    return 2.0 ** (-max(0.0, (now - at).total_seconds()) / (half_life_days * 86400))


def level_of(score: int, settings: Settings, listed: bool = False) -> str:
    if listed:
        return "D"
    for level in LEVELS[:3]:
        if score >= settings.credit_levels.get(level, 101):
            return level
    return "D"


def mark_weight(kind: str, severity: str, settings: Settings) -> float:
    return settings.credit_weights.get(kind, 0) * settings.credit_severity_factors.get(severity, 1.0)


@dataclass(frozen=True)
class Credit:
    party_id: str
    chain_key: str | None
    score: int
    level: str
    as_of: datetime
    explanation: list[dict[str, Any]]

    def public(self) -> dict[str, Any]:
        return {"party": self.party_id, "chain_key": self.chain_key, "score": self.score, "level": self.level,
                "as_of": self.as_of.isoformat(timespec="seconds").replace("+00:00", "Z"),
                "explanation": self.explanation}


def _state(conn: Connection, party_id: str) -> Any:
    return conn.execute(select(credit_parties_t).where(credit_parties_t.c.party_id == party_id)).first()


def _explained_marks(conn: Connection, party_id: str, buckets: list[Any], settings: Settings,
                     now: datetime) -> list[dict[str, Any]]:
    """The heaviest unresolved marks: within a bucket the newest weigh most, so EXPLAIN newest per bucket."""
    out = []
    for b in buckets:
        rows = conn.execute(select(marks_t.c.kind, marks_t.c.severity, marks_t.c.entry_hash, marks_t.c.key,
                                   marks_t.c.at)
                            .where(marks_t.c.party_id == party_id, marks_t.c.kind == b.kind,
                                   marks_t.c.severity == b.severity, marks_t.c.resolved_by.is_(None))
                            .order_by(marks_t.c.at.desc()).limit(EXPLAIN)).all()
        for r in rows:
            weight = mark_weight(r.kind, r.severity, settings) * decay(r.at, now, settings.credit_half_life_days)
            out.append({"kind": r.kind, "severity": r.severity, "entry": bytes(r.entry_hash).hex(), "key": r.key,
                        "at": r.at.isoformat(timespec="seconds").replace("+00:00", "Z"),
                        "weight": -round(weight, 1)})
    return out


def compute(conn: Connection, settings: Settings, party_id: str, now: datetime | None = None, *,
            explain: bool = True) -> Credit:
    """The party's credit now (NotFound for an unknown party): a few indexed reads, however long its record.

    `explain=False` (the scan page, which shows the level only) skips reading the marks that explain it.
    """
    now = now or datetime.now(UTC)
    created = conn.execute(select(parties_t.c.created).where(parties_t.c.id == party_id)).scalar()
    if created is None:
        get_party_in(conn, party_id)  # raises NotFound
    state = _state(conn, party_id)
    if state is not None and state.half_life_days != settings.credit_half_life_days:
        settle(conn, settings, party_id)
    h = settings.credit_half_life_days
    buckets = [b for b in conn.execute(select(sums_t).where(sums_t.c.party_id == party_id)) if b.count > 0]
    scale = 2.0 ** (-_halvings(now, h))
    penalty = sum(mark_weight(b.kind, b.severity, settings) * b.anchored * scale for b in buckets)
    explanation = _explained_marks(conn, party_id, buckets, settings, now) if explain else []
    last = state.last_mark if state is not None else None
    for f in upheld_findings(conn, party_id):
        at = f.updated or f.created
        weight = settings.credit_weights.get("finding", 0) * (f.score / 1000) * decay(at, now, h)
        penalty += weight
        last = at if last is None or at > last else last
        explanation.append({"kind": "finding", "finding": f.id, "type": f.type, "reason": f.reason,
                            "at": at.isoformat(timespec="seconds").replace("+00:00", "Z"),
                            "weight": -round(weight, 1)})
    explanation.sort(key=lambda e: e["weight"])
    explanation = explanation[:EXPLAIN]
    since = last or created or now
    clean = min(1.0, max(0.0, (now - since).total_seconds()) / (settings.credit_clean_days * 86400))
    bonus = settings.credit_clean_bonus * clean
    if bonus >= 0.05:
        explanation.append({"kind": "clean_history", "days": int((now - since).total_seconds() // 86400),
                            "weight": round(bonus, 1)})
    score = int(round(max(0.0, min(100.0, settings.credit_base_score - penalty + bonus))))
    listed = bool(state is not None and state.listed)
    if listed:
        explanation.insert(0, {"kind": "dishonest_listed", "entry": bytes(state.listing_entry).hex(),
                               "basis": state.listed_basis, "weight": None})
    return Credit(party_id, state.chain_key if state is not None else None, score,
                  level_of(score, settings, listed), now, explanation)


def refresh(conn: Connection, settings: Settings, party_id: str, now: datetime | None = None) -> Credit:
    """Recompute and store the party's score and level (capture calls it as credit events arrive)."""
    credit = compute(conn, settings, party_id, now)
    conn.execute(update(credit_parties_t).where(credit_parties_t.c.party_id == party_id)
                 .values(score=credit.score, level=credit.level, as_of=credit.as_of))
    return credit


def add_to_sums(conn: Connection, party_id: str, kind: str, severity: str, at: datetime, half_life_days: int,
                sign: int = 1) -> None:
    """Add (sign 1) or take out (sign -1) one mark's term of the party's sums."""
    term = sign * anchor(at, half_life_days)
    row = conn.execute(select(sums_t.c.anchored, sums_t.c.count).where(
        sums_t.c.party_id == party_id, sums_t.c.kind == kind, sums_t.c.severity == severity)).first()
    if row is None:
        conn.execute(sums_t.insert().values(party_id=party_id, kind=kind, severity=severity,
                                            anchored=max(0.0, term), count=max(0, sign)))
        return
    count = max(0, row.count + sign)
    conn.execute(update(sums_t).where(sums_t.c.party_id == party_id, sums_t.c.kind == kind,
                                      sums_t.c.severity == severity)
                 .values(anchored=max(0.0, row.anchored + term) if count else 0.0, count=count))


def settle(conn: Connection, settings: Settings, party_id: str) -> None:
    """Rebuild a party's sums from its marks, under the current half-life (after the setting changed)."""
    h = settings.credit_half_life_days
    sums: dict[tuple[str, str], list[float]] = {}
    for r in conn.execute(select(marks_t.c.kind, marks_t.c.severity, marks_t.c.at)
                          .where(marks_t.c.party_id == party_id, marks_t.c.resolved_by.is_(None))):
        entry = sums.setdefault((r.kind, r.severity), [0.0, 0])
        entry[0] += anchor(r.at, h)
        entry[1] += 1
    conn.execute(sums_t.delete().where(sums_t.c.party_id == party_id))
    if sums:
        conn.execute(sums_t.insert(), [{"party_id": party_id, "kind": k, "severity": s, "anchored": v[0],
                                        "count": v[1]} for (k, s), v in sums.items()])
    conn.execute(update(credit_parties_t).where(credit_parties_t.c.party_id == party_id)
                 .values(half_life_days=h))


def mark_count(conn: Connection, party_id: str) -> int:
    return conn.execute(select(func.count()).select_from(marks_t).where(marks_t.c.party_id == party_id)).scalar()
