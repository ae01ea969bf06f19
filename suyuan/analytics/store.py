"""Candidates into the findings table: insert the new, refresh the open, leave decided ones alone.

Idempotent by fingerprint (`Candidate.fingerprint`): a candidate found again
updates the open finding it made before (its score, keys, evidence and
sentence, as more evidence arrives) and adds no row; a finding an inspector
has decided keeps what was decided on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable

from sqlalchemy import Connection, select, update

from suyuan.analytics.candidates import Candidate
from suyuan.trace.findings.models import Finding, FindingKey

findings_t = Finding.__table__
finding_keys_t = FindingKey.__table__
CHUNK = 500


@dataclass
class Stored:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: Stored) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


def store(conn: Connection, candidates: Iterable[Candidate]) -> Stored:
    """Write candidates (one per fingerprint; the last wins) in `conn`'s transaction."""
    by_print = {c.fingerprint(): c for c in candidates}
    prints = list(by_print)
    done = Stored()
    for start in range(0, len(prints), CHUNK):
        chunk = prints[start:start + CHUNK]
        existing = {r.fingerprint: r for r in conn.execute(
            select(findings_t.c.id, findings_t.c.fingerprint, findings_t.c.status, findings_t.c.score,
                   findings_t.c.evidence, findings_t.c.subject_keys, findings_t.c.detail)
            .where(findings_t.c.fingerprint.in_(chunk)))}
        fresh = [by_print[p] for p in chunk if p not in existing]
        _insert(conn, fresh)
        done.created += len(fresh)
        for p, row in existing.items():
            if _refresh(conn, row, by_print[p]):
                done.updated += 1
            else:
                done.unchanged += 1
    return done


def _insert(conn: Connection, fresh: list[Candidate]) -> None:
    for c in fresh:
        ident = conn.execute(findings_t.insert().values(
            type=c.type, reason=c.reason, score=c.score, subject_party=c.subject_party,
            subject_keys=list(c.subject_keys), evidence=list(c.evidence), detail=c.detail[:1000],
            fingerprint=c.fingerprint(), status="open")).inserted_primary_key[0]
        if c.subject_keys:
            conn.execute(finding_keys_t.insert(),
                         [{"finding_id": ident, "key": k} for k in dict.fromkeys(c.subject_keys)])


def _refresh(conn: Connection, row, c: Candidate) -> bool:  # noqa: ANN001
    """Update an open finding that the candidate sees more of; decided findings stay as decided."""
    if row.status != "open":
        return False
    if (row.score, list(row.evidence), list(row.subject_keys), row.detail) == \
            (c.score, list(c.evidence), list(c.subject_keys), c.detail[:1000]):
        return False
    # Still open when written: an inspector's decision committed since the read keeps its evidence.
    conn.execute(update(findings_t).where(findings_t.c.id == row.id, findings_t.c.status == "open").values(
        score=c.score, evidence=list(c.evidence), subject_keys=list(c.subject_keys), detail=c.detail[:1000],
        updated=datetime.now(timezone.utc)))
    known = set(conn.execute(select(finding_keys_t.c.key).where(finding_keys_t.c.finding_id == row.id)).scalars())
    new = [k for k in dict.fromkeys(c.subject_keys) if k not in known]
    if new:
        conn.execute(finding_keys_t.insert(), [{"finding_id": row.id, "key": k} for k in new])
    return True
