"""Reading findings for inspectors: one page of them by filter, and one with its evidence entries.

Paged like every list of the API: by id, ascending; `after` is the `next` of
the previous page (the last id it held) and `next` is None on the last page.
A finding's evidence is shown entry by entry (key, seq, type, event time,
recorded time, log index once integrated), each with the links that let
anyone check it: the entry (`GET /v1/events/{hash}`) and its receipt.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from suyuan.errors import NotFound
from suyuan.ledger.models import Entry, Leaf
from suyuan.trace.findings.models import Finding, FindingKey

findings_t = Finding.__table__
finding_keys_t = FindingKey.__table__
entries_t, leaves_t = Entry.__table__, Leaf.__table__

DEFAULT_PAGE = 100
MAX_PAGE = 1000


def _iso(value: Any) -> str | None:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z") if value is not None else None


def public(row: Any) -> dict[str, Any]:
    """A finding as the API shows it in a list (no evidence entries)."""
    return {"id": row.id, "type": row.type, "reason": row.reason, "score": row.score,
            "subject_party": row.subject_party, "subject_keys": list(row.subject_keys),
            "evidence": list(row.evidence), "detail": row.detail, "status": row.status,
            "created": _iso(row.created), "updated": _iso(row.updated),
            "fingerprint": bytes(row.fingerprint).hex(), "decision": _decision(row)}


def _decision(row: Any) -> dict[str, Any] | None:
    if row.status == "open":
        return None
    entry = bytes(row.decision_entry).hex() if row.decision_entry else None
    return {"status": row.status, "by": row.decided_by, "reason": row.decision_reason, "entry": entry,
            "at": _iso(row.updated)}


def list_findings(engine: Engine, *, type: str | None = None, reason: str | None = None, party: str | None = None,
                  key: str | None = None, status: str | None = None, after: int = 0,
                  limit: int = DEFAULT_PAGE) -> dict[str, Any]:
    """One page of findings, oldest first: `{"findings": [...], "next": <last id> or None at the end}`."""
    query = select(findings_t).where(findings_t.c.id > after)
    for column, value in ((findings_t.c.type, type), (findings_t.c.reason, reason),
                          (findings_t.c.subject_party, party), (findings_t.c.status, status)):
        if value:
            query = query.where(column == value)
    if key:
        query = query.where(findings_t.c.id.in_(
            select(finding_keys_t.c.finding_id).where(finding_keys_t.c.key == key)))
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(findings_t.c.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {"findings": [public(r) for r in rows], "next": rows[-1].id if more else None}


def finding_row(conn: Connection, finding_id: int, *, lock: bool = False) -> Any:
    """The finding's row; NotFound when there is none."""
    query = select(findings_t).where(findings_t.c.id == finding_id)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"No finding has id {finding_id}.")
    return row


def get_finding(engine: Engine, finding_id: int) -> dict[str, Any]:
    """The finding with its evidence entries, oldest first as the detector named them."""
    with engine.connect() as conn:
        row = finding_row(conn, finding_id)
        return public(row) | {"evidence_entries": evidence_entries(conn, list(row.evidence))}


def evidence_entries(conn: Connection, hashes: list[str]) -> list[dict[str, Any]]:
    """Each hash's entry (key, seq, type, times, log index, links); `found` False for a hash with no entry."""
    digests = [bytes.fromhex(h) for h in hashes]
    rows = {bytes(r.hash): r for r in conn.execute(
        select(entries_t.c.hash, entries_t.c.key, entries_t.c.seq, entries_t.c.type, entries_t.c.canonical,
               entries_t.c.recorded, leaves_t.c.idx)
        .outerjoin(leaves_t, leaves_t.c.entry_id == entries_t.c.id)
        .where(entries_t.c.hash.in_(digests)))} if digests else {}
    out = []
    for h, digest in zip(hashes, digests):
        r = rows.get(digest)
        links = {"entry": f"/v1/events/{h}", "receipt": f"/v1/events/{h}/receipt"}
        if r is None:
            out.append({"hash": h, "found": False, "key": None, "seq": None, "type": None, "time": None,
                        "recorded": None, "log_index": None, "links": links})
            continue
        statement = json.loads(bytes(r.canonical)).get("statement", {})
        out.append({"hash": h, "found": True, "key": r.key, "seq": r.seq, "type": r.type,
                    "time": statement.get("time"), "recorded": _iso(r.recorded), "log_index": r.idx,
                    "links": links})
    return out


def counts(engine: Engine) -> dict[tuple[str, str], int]:
    """How many findings there are per (type, status), for the metrics."""
    with engine.connect() as conn:
        rows = conn.execute(select(findings_t.c.type, findings_t.c.status, func.count())
                            .group_by(findings_t.c.type, findings_t.c.status)).all()
    return {(r[0], r[1]): int(r[2]) for r in rows}
