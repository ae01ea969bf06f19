"""Credit repair (信用修复): the published way back, a party's request and an inspector's decision.

The party files a request (`repair_requested` on its own chain) naming its
findings and breaches that it has put right, with evidence (hashes of
documents); an inspector accepts or rejects it (`repair_decided`). An
accepted repair marks the named findings resolved and the named breaches
resolved by the decision's entry (nothing is deleted), and takes the party
off the dishonesty list where every ground of its listing is among them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import Connection, select, update

from suyuan.config import Settings
from suyuan.errors import RuleViolation
from suyuan.trace.credit import cases, dishonesty, findings, marks, score
from suyuan.trace.credit.models import CreditRepair

repairs_t = CreditRepair.__table__
OUTCOMES = ("accepted", "rejected")

CONDITIONS: dict[str, Any] = {
    "conditions": [
        {"zh": "已纠正失信行为并消除不良影响（如已召回、退款、赔偿）",
         "en": "The dishonest conduct has been corrected and its effects removed (goods recalled, money refunded, "
               "damages paid)"},
        {"zh": "已履行处罚决定和相关义务", "en": "Penalties and other obligations imposed have been fulfilled"},
        {"zh": "作出新的信用承诺", "en": "A new credit pledge has been made (POST /v1/pledges)"},
        {"zh": "修复申请提交后无新的同类失信记录", "en": "No new record of the same kind since the request"},
    ],
    "steps": [
        {"zh": "主体提交修复申请，列明已纠正的发现和违诺记录并附证据摘要",
         "en": "The party files a request (POST /v1/parties/{id}/repairs) naming the findings and pledge breaches "
               "it has put right, with the SHA-256 of its evidence"},
        {"zh": "监管人员审核并作出受理或驳回决定（链上记录）",
         "en": "An inspector accepts or rejects it (POST /v1/repairs/{entry}/decision), recorded on the ledger"},
        {"zh": "受理后，所列记录标记为已修复；以其为依据的严重失信名单移出",
         "en": "Once accepted, the named records are marked resolved by a new entry (nothing is deleted) and the "
               "party leaves the dishonesty list where they were its grounds"},
    ],
}


def request(conn: Connection, settings: Settings, party_id: str, entry: bytes, finding_ids: Sequence[int],
            breaches: Sequence[str], when: datetime) -> None:
    """Record a request whose findings and breaches were checked to be the party's own."""
    marks.ensure_party(conn, settings, party_id)
    conn.execute(repairs_t.insert().values(entry_hash=entry, party_id=party_id, findings=list(finding_ids),
                                           breaches=list(breaches), filed=when, status="open"))


def require_open(conn: Connection, party_id: str, repair: str, field: str = "data.repair") -> Any:
    """The open repair request of `party_id` whose entry is `repair` (hex); refused otherwise."""
    row = cases.case_of(conn, repairs_t, party_id, repair, field, "repair request")
    if row.status != "open":
        raise RuleViolation(f"Repair request {repair} is already {row.status}: a request is decided once.",
                            rule="repair_decided", field=field)
    return row


def decide(conn: Connection, settings: Settings, party_id: str, repair: Any, outcome: str, reason: str,
           inspector: str, entry: bytes) -> None:
    conn.execute(update(repairs_t).where(repairs_t.c.entry_hash == repair.entry_hash)
                 .values(status=outcome, decision_entry=entry))
    if outcome != "accepted":
        return
    findings.resolve(conn, repair.findings, inspector, reason, entry)
    marks.resolve(conn, settings, party_id, repair.breaches, entry)
    ground = dishonesty.grounds(conn, party_id)
    if ground is not None and (ground["findings"] or ground["breaches"]) \
            and set(ground["findings"]) <= set(repair.findings) and set(ground["breaches"]) <= set(repair.breaches):
        dishonesty.delist(conn, settings, party_id)
    else:
        score.refresh(conn, settings, party_id)


def public(row: Any) -> dict[str, Any]:
    return {"entry": bytes(row.entry_hash).hex(), "party": row.party_id, "findings": row.findings,
            "breaches": row.breaches, "filed": row.filed.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "status": row.status, "decision": bytes(row.decision_entry).hex() if row.decision_entry else None}


def of_party(conn: Connection, party_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(repairs_t).where(repairs_t.c.party_id == party_id).order_by(repairs_t.c.filed)).all()
    return [public(r) for r in rows]


def open_requests(conn: Connection, limit: int = 100) -> list[dict[str, Any]]:
    rows = conn.execute(select(repairs_t).where(repairs_t.c.status == "open").order_by(repairs_t.c.filed)
                        .limit(limit)).all()
    return [public(r) for r in rows]


def party_of(conn: Connection, entry: str) -> str:
    """The party of the repair request whose entry is `entry` (hex); NotFound otherwise."""
    return cases.party_of(conn, repairs_t, entry, "repair request")
