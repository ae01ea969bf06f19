"""What credit reads of the findings of the integrity analytics (`suyuan.trace.findings`).

Detectors write findings (`suyuan.analytics`); an inspector upholds or
dismisses them. Credit weighs the upheld ones of a party (`upheld_findings`),
a repair names findings of the party itself (`require_own`) and an accepted
repair marks them resolved (`resolve`). `record_finding` stores one, for
tests and tools that import findings from elsewhere.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, select, update

from suyuan.errors import InputError
from suyuan.trace.findings.models import STATUSES, Finding, FindingKey

findings_t = Finding.__table__
finding_keys_t = FindingKey.__table__


def upheld_findings(conn: Connection, party_id: str) -> list[Any]:
    return conn.execute(select(findings_t.c.id, findings_t.c.type, findings_t.c.reason, findings_t.c.score,
                               findings_t.c.created, findings_t.c.updated)
                        .where(findings_t.c.subject_party == party_id, findings_t.c.status == "upheld")
                        .order_by(findings_t.c.id)).all()


def require_own(conn: Connection, party_id: str, ids: Sequence[int], field: str) -> None:
    """InputError naming `<field>.<i>` unless every finding in `ids` is about `party_id`."""
    if not ids:
        return
    owners = dict(conn.execute(select(findings_t.c.id, findings_t.c.subject_party)
                               .where(findings_t.c.id.in_(list(ids)))).all())
    for i, ident in enumerate(ids):
        if owners.get(ident) != party_id:
            whose = "no finding" if ident not in owners else f"a finding about party {owners[ident]}"
            raise InputError(f"Invalid {field}.{i}: expected a finding about party {party_id}, got {whose} "
                             f"(id {ident}).", field=f"{field}.{i}")


def resolve(conn: Connection, ids: Iterable[int], by: str, reason: str, entry: bytes) -> None:
    """Mark findings resolved by an accepted repair (`entry`): nothing is deleted."""
    ids = list(ids)
    if ids:
        conn.execute(update(findings_t).where(findings_t.c.id.in_(ids)).values(
            status="resolved", decided_by=by, decision_reason=reason[:500], decision_entry=entry,
            updated=datetime.now(timezone.utc)))


def record_finding(conn: Connection, *, type: str, reason: str, score: int, subject_party: str | None,
                   subject_keys: Sequence[str] = (), evidence: Sequence[str] = (), status: str = "open",
                   decided_by: str | None = None, when: datetime | None = None) -> int:
    """Store one finding (idempotent by its fingerprint) and answer its id."""
    if status not in STATUSES:
        raise InputError(f"Invalid status {status!r}: expected one of {', '.join(STATUSES)}.", field="status")
    fingerprint = hashlib.sha256(json.dumps([type, reason, subject_party, sorted(subject_keys),
                                             sorted(evidence)]).encode()).digest()
    found = conn.execute(select(findings_t.c.id).where(findings_t.c.fingerprint == fingerprint)).scalar()
    if found is not None:
        return found
    values: dict[str, Any] = {"type": type, "reason": reason, "score": score, "subject_party": subject_party,
                              "subject_keys": list(subject_keys), "evidence": list(evidence),
                              "fingerprint": fingerprint, "status": status, "decided_by": decided_by}
    if when is not None:
        values |= {"created": when, "updated": when}
    ident = conn.execute(findings_t.insert().values(**values)).inserted_primary_key[0]
    if subject_keys:
        conn.execute(finding_keys_t.insert(), [{"finding_id": ident, "key": k} for k in dict.fromkeys(subject_keys)])
    return ident
