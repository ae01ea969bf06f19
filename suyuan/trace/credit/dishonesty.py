"""The dishonesty list (严重失信名单): who is on it, on what legal basis, and what it stops.

An inspector lists a party (`dishonest_listed` on its chain, with the legal
basis and optionally the findings and breaches that ground it) and delists it
(`dishonest_delisted`), or an accepted repair that resolves every named
ground delists it (`suyuan.trace.credit.repairs`). While listed, the party's
level is D and its writes are refused at once with 403 `dishonest_listed`
(`require_not_listed`), but for the repair request that is its way back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import Connection, select, update

from suyuan.config import Settings
from suyuan.errors import Forbidden
from suyuan.trace.credit import marks, score
from suyuan.trace.credit.models import CreditParty

credit_parties_t = CreditParty.__table__
LISTED_RULE = "dishonest_listed"
ALLOWED_WHILE_LISTED = ("repair_requested",)


def require_not_listed(conn: Connection, party_id: str, event_type: str, listing: Any = False) -> None:
    """Forbidden (403, rule `dishonest_listed`) for a listed party's write, but its repair request.

    `listing`: the party's `listing` row when the caller has read it already (a batch reads it once).
    """
    if event_type in ALLOWED_WHILE_LISTED:
        return
    row = listing_of(conn, party_id) if listing is False else listing
    if row is not None and row.listed:
        raise Forbidden(f"Party {party_id} is on the dishonesty list since "
                        f"{row.listed_at.date().isoformat()}: expected a party not listed to write; file a "
                        "credit repair (POST /v1/parties/{id}/repairs) to leave the list.",
                        field="authorization", rule="dishonest_listed")


def listing_of(conn: Connection, party_id: str) -> Any:
    """The party's (listed, listed_at) row; None for a party with no credit record yet."""
    return conn.execute(select(credit_parties_t.c.listed, credit_parties_t.c.listed_at)
                        .where(credit_parties_t.c.party_id == party_id)).first()


def list_party(conn: Connection, settings: Settings, party_id: str, entry: bytes, basis: str,
               findings: Sequence[int], breaches: Sequence[str], when: datetime) -> None:
    """List the party (the events room checked it was not: lifecycle `dishonest_listed`)."""
    marks.ensure_party(conn, settings, party_id)
    conn.execute(update(credit_parties_t).where(credit_parties_t.c.party_id == party_id).values(
        listed=True, listed_at=when, listed_basis=basis, listing_entry=entry,
        listing_grounds={"findings": list(findings), "breaches": list(breaches)}))
    score.refresh(conn, settings, party_id)


def is_listed(conn: Connection, party_id: str) -> bool:
    return bool(conn.execute(select(credit_parties_t.c.listed)
                             .where(credit_parties_t.c.party_id == party_id)).scalar())


def delist(conn: Connection, settings: Settings, party_id: str) -> None:
    conn.execute(update(credit_parties_t).where(credit_parties_t.c.party_id == party_id).values(listed=False))
    score.refresh(conn, settings, party_id)


def grounds(conn: Connection, party_id: str) -> dict[str, Any] | None:
    """The grounds of the party's current listing, None when not listed."""
    row = conn.execute(select(credit_parties_t.c.listed, credit_parties_t.c.listing_grounds)
                       .where(credit_parties_t.c.party_id == party_id)).first()
    if row is None or not row.listed:
        return None
    return row.listing_grounds or {"findings": [], "breaches": []}


def listed_page(conn: Connection, after: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """Listed parties by party id, ascending; `next` to page on."""
    query = select(credit_parties_t).where(credit_parties_t.c.listed.is_(True))
    if after is not None:
        query = query.where(credit_parties_t.c.party_id > after)
    rows = conn.execute(query.order_by(credit_parties_t.c.party_id).limit(limit + 1)).all()
    shown = [{"party": r.party_id, "chain_key": r.chain_key, "basis": r.listed_basis,
              "listed_at": r.listed_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
              "entry": bytes(r.listing_entry).hex(), "grounds": r.listing_grounds} for r in rows[:limit]]
    return shown, shown[-1]["party"] if len(rows) > limit else None
