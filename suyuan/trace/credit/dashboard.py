"""What the inspector dashboard (`/inspect`) shows: findings over time, the worst-rated parties, queues.

Findings are counted per week for the last `WEEKS` weeks, by type and by
province of the goods they concern (the origin region of the batch of their
first key, GB/T 2260; `unknown` when they name none). The worst-rated parties
are ranked by their stored score, lowest first.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, select

from suyuan.codes import regions
from suyuan.config import Settings
from suyuan.trace.credit import record, score
from suyuan.trace.credit.findings import finding_keys_t, findings_t
from suyuan.trace.credit.models import CreditParty
from suyuan.trace.goods.registry import batches_t
from suyuan.trace.parties.registry import parties_t

WEEKS = 8
WORST = 10
CANDIDATES = 500  # parties with upheld findings scored for the worst-rated list, at most
UNKNOWN = "unknown"
credit_parties_t = CreditParty.__table__


def _batch_of(key: str) -> str | None:
    parts = key.split("/")
    return "/".join(parts[:4]) if len(parts) >= 4 and parts[0] == "01" and parts[2] == "10" else None


def findings_over_time(engine: Engine, now: datetime | None = None) -> dict[str, Any]:
    """{weeks: [start dates], by_type: {type: [count per week]}, by_region: {province: [...]}}."""
    now = now or datetime.now(timezone.utc)
    start = (now - timedelta(weeks=WEEKS)).replace(hour=0, minute=0, second=0, microsecond=0)
    with engine.connect() as conn:
        rows = conn.execute(select(findings_t.c.id, findings_t.c.type, findings_t.c.created)
                            .where(findings_t.c.created >= start).order_by(findings_t.c.id)).all()
        keys: dict[int, str] = {}
        for fid, key in conn.execute(select(finding_keys_t.c.finding_id, finding_keys_t.c.key)
                                     .where(finding_keys_t.c.finding_id.in_([r.id for r in rows]))
                                     .order_by(finding_keys_t.c.finding_id, finding_keys_t.c.key)):
            keys.setdefault(fid, key)
        batches = {b for b in (_batch_of(k) for k in keys.values()) if b}
        origin = dict(conn.execute(select(batches_t.c.key, batches_t.c.origin_region)
                                   .where(batches_t.c.key.in_(sorted(batches)))).all())
    by_type: dict[str, list[int]] = {}
    by_region: dict[str, list[int]] = {}
    for r in rows:
        week = min(WEEKS - 1, max(0, int((r.created - start).total_seconds() // (7 * 86400))))
        region = origin.get(_batch_of(keys.get(r.id, "")) or "")
        province = regions.name(region[:2] + "0000") if region else UNKNOWN
        by_type.setdefault(r.type, [0] * WEEKS)[week] += 1
        by_region.setdefault(province, [0] * WEEKS)[week] += 1
    weeks = [(start + timedelta(weeks=i)).date().isoformat() for i in range(WEEKS)]
    return {"weeks": weeks, "by_type": dict(sorted(by_type.items())), "by_region": dict(sorted(by_region.items()))}


def worst_parties(engine: Engine, settings: Settings, limit: int = WORST) -> list[dict[str, Any]]:
    """The lowest-scored parties, scored now: the lowest stored scores, and every party with upheld
    findings (which may have come after its last credit event)."""
    with engine.connect() as conn:
        stored = conn.execute(select(credit_parties_t.c.party_id).order_by(credit_parties_t.c.score,
                                                                           credit_parties_t.c.party_id)
                              .limit(2 * limit)).scalars().all()
        found = conn.execute(select(findings_t.c.subject_party).where(findings_t.c.status == "upheld",
                                                                      findings_t.c.subject_party.is_not(None))
                             .distinct().limit(CANDIDATES)).scalars().all()
        scored = [score.compute(conn, settings, pid) for pid in dict.fromkeys([*stored, *found])]
        scored.sort(key=lambda c: (c.score, c.party_id))
        shown = scored[:limit]
        names = dict(conn.execute(select(parties_t.c.id, parties_t.c.name)
                                  .where(parties_t.c.id.in_([c.party_id for c in shown]))).all())
    return [{"id": c.party_id, "name": names.get(c.party_id), "score": c.score, "level": c.level,
             "listed": any(e["kind"] == "dishonest_listed" for e in c.explanation)} for c in shown]


def dashboard(engine: Engine, settings: Settings) -> dict[str, Any]:
    return {"findings": findings_over_time(engine), "worst": worst_parties(engine, settings),
            **record.inspector_queue(engine)}
