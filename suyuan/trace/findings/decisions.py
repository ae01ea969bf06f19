"""An inspector's decision on a finding: upheld or dismissed, once, recorded on the ledger.

The decision is a `finding_decided` entry (`suyuan.trace.events.finding_desk`)
whose data repeats what was decided on, the finding's id, type, reason,
fingerprint and evidence, so the entry alone says who decided what about
which evidence, and the findings table (which detectors may recompute) is
not the record of it. In the entry's transaction the finding takes the
decision: its status, who, why, the entry's hash, when. A finding decided
once (upheld, dismissed, or resolved by a repair) is refused a second
decision with rule `finding_decided`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, update

from suyuan.errors import RuleViolation
from suyuan.trace.findings.models import Finding
from suyuan.trace.findings.queries import finding_row

findings_t = Finding.__table__
DECISIONS = ("upheld", "dismissed")
DECIDED_RULE = "finding_decided"


def require_open(conn: Connection, finding_id: int, field: str = "data.finding") -> Any:
    """The open finding `finding_id`, locked; NotFound if none, RuleViolation if already decided."""
    row = finding_row(conn, finding_id, lock=True)
    if row.status != "open":
        raise RuleViolation(f"Finding {finding_id} is already {row.status}: expected an open finding, a finding "
                            "is decided once.", rule=DECIDED_RULE, field=field)
    return row


def decision_data(row: Any, decision: str, reason: str) -> dict[str, Any]:
    """The `finding_decided` entry's data for a decision on the finding `row`: no personal data."""
    return {"finding": row.id, "finding_type": row.type, "finding_reason": row.reason,
            "fingerprint": bytes(row.fingerprint).hex(), "evidence": list(row.evidence),
            "decision": decision, "reason": reason}


def mismatch(row: Any, data: dict[str, Any]) -> str | None:
    """The first field of `data` that does not repeat the finding `row` as stored, or None."""
    expected = decision_data(row, data.get("decision", ""), data.get("reason", ""))
    for name in ("finding_type", "finding_reason", "fingerprint", "evidence"):
        if data.get(name) != expected[name]:
            return name
    return None


def decide(conn: Connection, finding_id: int, decision: str, by: str, reason: str, entry: bytes,
           now: datetime | None = None) -> None:
    """Give the finding its decision (the entry `entry` records it)."""
    conn.execute(update(findings_t).where(findings_t.c.id == finding_id).values(
        status=decision, decided_by=by, decision_reason=reason[:500], decision_entry=entry,
        updated=now or datetime.now(timezone.utc)))
