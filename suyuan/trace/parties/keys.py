"""Party keys: registering Ed25519 public keys and requiring a party's statements to be signed.

A party with a registered public key must sign every statement it appends;
the signature travels in the entry's `sig` as base64 of the 64-byte Ed25519
signature over the statement's RFC 8785 bytes, checked by
`suyuan.ledger.verify.signatures` (the offline verifier's check too). Keys
are never deleted: a rotated-out key is marked revoked, stops being accepted
for new statements, and stays available to verify the entries it signed.
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from suyuan.errors import Conflict, InputError, Unauthorized
from suyuan.ledger.verify import signatures
from suyuan.ledger.verify.entry import canonical
from suyuan.trace.parties.models import PartyKey

party_keys_t = PartyKey.__table__


def _decode(value: str, size: int, field: str, what: str) -> bytes:
    raw = signatures.decode(value, size)
    if raw is None:
        raise InputError(f"Invalid {field}: expected {what} as base64 of {size} bytes.", field=field)
    return raw


def _public_key(value: str) -> bytes:
    return _decode(value, signatures.PUBLIC_KEY_BYTES, "public_key", "an Ed25519 public key")


def _signature(value: str) -> bytes:
    return _decode(value, signatures.SIGNATURE_BYTES, "sig", "an Ed25519 signature")


def add_party_key(engine: Engine, party_id: str, public_key_b64: str, *, revoke_others: bool = False) -> None:
    """Register an Ed25519 public key (base64 of 32 bytes); optionally retire the party's others."""
    _public_key(public_key_b64)
    with engine.begin() as conn:
        if conn.execute(select(party_keys_t.c.id).where(party_keys_t.c.public_key == public_key_b64)).first():
            raise Conflict("This public key is already registered; generate a new key pair.")
        if revoke_others:
            conn.execute(update(party_keys_t).where(party_keys_t.c.party_id == party_id,
                                                    party_keys_t.c.revoked.is_(None))
                         .values(revoked=datetime.now(timezone.utc)))
        conn.execute(party_keys_t.insert().values(party_id=party_id, public_key=public_key_b64))


def party_public_keys(conn: Connection, party_id: str, *, current_only: bool = True) -> list[str]:
    query = select(party_keys_t.c.public_key).where(party_keys_t.c.party_id == party_id)
    if current_only:
        query = query.where(party_keys_t.c.revoked.is_(None))
    return list(conn.execute(query.order_by(party_keys_t.c.id)).scalars())


def list_party_keys(engine: Engine, party_id: str) -> list[dict[str, Any]]:
    """Every key the party ever registered, revoked ones included: what a verifier needs."""
    with engine.connect() as conn:
        rows = conn.execute(select(party_keys_t).where(party_keys_t.c.party_id == party_id)
                            .order_by(party_keys_t.c.id)).all()
    return [{"public_key": r.public_key, "created": r.created.isoformat(),
             "revoked": r.revoked.isoformat() if r.revoked else None} for r in rows]


def sign_statement(private_key: Any, statement: dict[str, Any]) -> str:
    """Base64 Ed25519 signature over the statement's canonical bytes (for clients and the demo)."""
    return base64.b64encode(private_key.sign(canonical(statement))).decode()


def verify_statement(public_key_b64: str, statement: dict[str, Any], sig: str) -> bool:
    """Whether base64 `sig` signs `statement` under base64 `public_key_b64`; InputError if malformed."""
    raw_sig = _signature(sig)
    return signatures.signer([_public_key(public_key_b64)], statement, raw_sig) is not None


def check_signature(conn: Connection, party_id: str, statement: dict[str, Any], sig: str | None,
                    keys: list[str] | None = None, message: bytes | None = None) -> None:
    """Unsigned when a key is registered: 401; malformed: 422; not by a current key: 401.

    `keys`: the party's current public keys, when the caller already has them;
    `message`: the statement's canonical bytes, when the caller made them already.
    """
    keys = party_public_keys(conn, party_id) if keys is None else keys
    if not keys:
        if sig is not None:
            raise InputError(
                f"Unexpected sig: party {party_id} has no registered public key; register one or omit sig.",
                field="sig",
            )
        return
    if sig is None:
        raise Unauthorized(
            f"Missing sig: party {party_id} has a registered public key, so its statements must be signed.",
            field="sig",
        )
    raw_sig = _signature(sig)
    if signatures.signer([_public_key(k) for k in keys], statement, raw_sig, message) is None:
        raise Unauthorized(
            "Invalid sig: expected an Ed25519 signature over the statement's canonical bytes "
            f"by a current key of party {party_id}.",
            field="sig",
        )
