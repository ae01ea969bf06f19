"""Who appends an event: the caller's credentials against the event type, the actor and the sig.

A review or complaint is appended with a review token (its actor is the
token's pseudonym); everything else by an active party with one of the
event type's roles, whose registered key must sign the statement.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import Connection

from suyuan.errors import Forbidden, InputError, Unauthorized
from suyuan.trace.credit import dishonesty
from suyuan.trace.events import payloads as ev
from suyuan.trace.events import rules
from suyuan.trace.events.tokens import consumer_actor, token_digest
from suyuan.trace.parties.keys import check_signature
from suyuan.trace.parties.registry import PartyView, get_party_in


class Lookups(Protocol):
    """Parties and their keys, read once per batch rather than once per statement."""

    def party(self, conn: Connection, party_id: str) -> PartyView: ...

    def keys(self, conn: Connection, party_id: str) -> list[str]: ...

    def listing(self, conn: Connection, party_id: str) -> Any: ...


def check_caller(conn: Connection, spec: ev.EventType, statement: dict[str, Any], sig: str | None,
                 party: PartyView | None, review_token: str | None,
                 lookups: Lookups | None = None, message: bytes | None = None) -> tuple[dict[str, Any], bytes | None]:
    """Check who is appending; fill in a missing actor. Returns the statement and any token digest.

    `message`: the statement's canonical bytes, when the caller has them (what a sig signs).
    """
    original = statement
    if spec.roles == (ev.TOKEN_HOLDER,):
        digest = _token_holder(spec, review_token)
        expected_actor = consumer_actor(digest)
    else:
        party = _party(conn, spec, party, review_token, lookups)
        digest, expected_actor = None, party.id
    if statement.get("actor") is None:
        if sig is not None:
            raise InputError("Missing actor: a signed statement must name its actor.", field="actor")
        statement = {**statement, "actor": expected_actor}
    elif statement["actor"] != expected_actor:
        raise Forbidden(
            f"Invalid actor: expected {expected_actor} (the authenticated caller), got {statement['actor']}.",
            field="actor",
        )
    if party is not None:
        check_signature(conn, party.id, statement, sig, lookups.keys(conn, party.id) if lookups else None,
                        message if statement is original else None)
    return statement, digest


def _token_holder(spec: ev.EventType, review_token: str | None) -> bytes:
    if not review_token:
        raise Unauthorized(
            f"Missing review token: a {spec.name} needs 'Authorization: Bearer rv_...' "
            "with the token issued at delivery."
        )
    return token_digest(review_token)


def _party(conn: Connection, spec: ev.EventType, party: PartyView | None, review_token: str | None,
           lookups: Lookups | None) -> PartyView:
    if review_token is not None:
        raise Unauthorized(
            f"Invalid credentials for {spec.name}: a review token only reviews or complains; "
            "expected a party's API key."
        )
    if party is None:
        raise Unauthorized("Missing credentials: expected an 'Authorization: Bearer <API key>' header.")
    # The state may have changed since the caller authenticated (suspension).
    party = lookups.party(conn, party.id) if lookups else get_party_in(conn, party.id)
    if not party.active:
        raise Forbidden(f"Party {party.id} is suspended: expected an active party to write.")
    rules.require_role(party.roles, spec.roles, spec.name)
    dishonesty.require_not_listed(conn, party.id, spec.name,
                                  lookups.listing(conn, party.id) if lookups else False)
    return party
