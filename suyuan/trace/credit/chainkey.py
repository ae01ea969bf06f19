"""A party's own chain: its ledger key, `417/<GLN-13>` (GS1 AI 417, party GLN).

A party registered with a GLN (`parties.gln`) has the chain `417/<gln>`. A
party without one gets a suyuan key of the same form in GS1's
restricted-circulation range (GS1 prefixes 020-029, numbers GS1 never assigns
and that suyuan refuses as a registered GLN, `check_gln`): `02`, then ten
digits of SHA-256("suyuan party key" ‖ party id ‖ attempt) read as a number
modulo 10^10, then the GS1 check digit. Attempt 0 comes first; should that
number already name another party's chain (about one chance in a million
with a hundred thousand parties), the next attempt is taken, so the key is
unique. It is kept in `credit_parties` from the party's first credit event and
never changes, even if the party registers a GLN later (its chain stays where
its entries are).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from sqlalchemy import Connection, select
from stdnum import ean

from suyuan.codes.gs1 import validate_key
from suyuan.errors import InputError, NotFound
from suyuan.trace.credit.models import CreditParty
from suyuan.trace.parties.registry import get_party_in, parties_t

credit_parties_t = CreditParty.__table__
PARTY_AI = "417"
_MAX_ATTEMPTS = 1000


def gln_check_digit(first12: str) -> str:
    """The GS1 mod-10 check digit of a GLN's first 12 digits."""
    return ean.calc_check_digit(first12)


def derived_gln(party_id: str, attempt: int = 0) -> str:
    """The suyuan GLN of a party without one, at `attempt` (see module doc)."""
    digest = hashlib.sha256(f"suyuan party key\n{party_id}\n{attempt}".encode()).digest()
    body = "02" + str(int.from_bytes(digest, "big") % 10**10).zfill(10)
    return body + gln_check_digit(body)


def key_of_gln(gln: str) -> str:
    return f"{PARTY_AI}/{gln}"


def check_party_key(key: str) -> str:
    """The GLN of a party key `417/<GLN-13>`; InputError naming `key` otherwise."""
    parts = key.split("/") if isinstance(key, str) else []
    if len(parts) != 2 or parts[0] != PARTY_AI or not parts[1].isdigit() or len(parts[1]) != 13:
        raise InputError(f"Invalid key {str(key)[:60]!r}: expected a party key 417/<GLN-13>.", field="key")
    if gln_check_digit(parts[1][:12]) != parts[1][12]:
        raise InputError(f"Invalid key {key}: GLN check digit expected {gln_check_digit(parts[1][:12])}, "
                         f"got {parts[1][12]}.", field="key")
    return parts[1]


def validate_chain_key(key: str) -> str:
    """`key` if it is a goods key (`validate_key`) or a party key 417/<GLN-13>; InputError otherwise."""
    if isinstance(key, str) and key.startswith(PARTY_AI + "/"):
        check_party_key(key)
        return key
    return validate_key(key)


def stored_key(conn: Connection, party_id: str) -> str | None:
    return conn.execute(select(credit_parties_t.c.chain_key)
                        .where(credit_parties_t.c.party_id == party_id)).scalar()


def _taken(conn: Connection, key: str) -> bool:
    return conn.execute(select(credit_parties_t.c.party_id).where(credit_parties_t.c.chain_key == key)).first() \
        is not None


def party_key(conn: Connection, party_id: str) -> str:
    """The chain key of a party, as it is or would be at its first credit event (NotFound: no such party)."""
    found = stored_key(conn, party_id)
    if found is not None:
        return found
    party = get_party_in(conn, party_id)
    if party.gln:
        return key_of_gln(party.gln)
    for attempt in range(_MAX_ATTEMPTS):
        key = key_of_gln(derived_gln(party_id, attempt))
        if not _taken(conn, key):
            return key
    raise RuntimeError("no free party key")  # pragma: no cover - 1000 collisions in 10^10


def ensure(conn: Connection, party_id: str, settings_half_life: int, base_score: int, level: str) -> str:
    """The party's chain key, its `credit_parties` row made first if missing (the key fixed from then on)."""
    found = stored_key(conn, party_id)
    if found is not None:
        return found
    key = party_key(conn, party_id)
    conn.execute(credit_parties_t.insert().values(
        party_id=party_id, chain_key=key, score=base_score, level=level, as_of=datetime.now(timezone.utc),
        half_life_days=settings_half_life, listed=False))
    return key


def party_of_key(conn: Connection, key: str, *, lock: bool = False) -> str:
    """The party whose chain `key` is; NotFound when no party has it."""
    gln = check_party_key(key)
    query = select(credit_parties_t.c.party_id).where(credit_parties_t.c.chain_key == key)
    if lock:
        query = query.with_for_update()
    found = conn.execute(query).scalar()
    if found is not None:
        return found
    found = conn.execute(select(parties_t.c.id).where(parties_t.c.gln == gln)).scalar()
    if found is not None and stored_key(conn, found) in (None, key):
        return found
    raise NotFound(f"No party has the chain {key}: read it from GET /v1/parties/{{id}}/credit (chain_key).")
