"""Who is calling: a party by API key, or a consumer by review token.

Both arrive as `Authorization: Bearer <secret>`; the prefix tells them apart
(`sy_` API keys, `rv_` review tokens issued at delivery). Public reads need
neither; every write needs one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from suyuan.errors import Forbidden, Unauthorized
from suyuan.trace.parties.registry import PartyView, authenticate

# What starts a review token (issued at delivery, `suyuan.trace.events.tokens`), not an API key.
REVIEW_TOKEN_PREFIX = "rv_"


@dataclass(frozen=True)
class Caller:
    """At most one of `party` and `review_token` is set; neither for an anonymous caller."""

    party: PartyView | None = None
    review_token: str | None = None


def bearer(authorization: str | None) -> str | None:
    """The secret of an `Authorization: Bearer <secret>` header, None when absent."""
    if not authorization:
        return None
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized(
            f"Invalid Authorization header: expected 'Bearer <API key>', got scheme {scheme[:20]!r}."
        )
    return secret.strip()


def identify(engine: Engine, authorization: str | None) -> Caller:
    """The caller of a write: Unauthorized for an unknown or revoked key; anonymous without one."""
    secret = bearer(authorization)
    if secret is None:
        return Caller()  # anonymous: capture and the write routes say what was expected
    if secret.startswith(REVIEW_TOKEN_PREFIX):
        return Caller(review_token=secret)
    with engine.connect() as conn:
        return Caller(party=authenticate(conn, secret))


def require_active(party: PartyView) -> PartyView:
    if not party.active:
        raise Forbidden(f"Party {party.id} is suspended: expected an active party.")
    return party


def require_roles(party: PartyView, *roles: str) -> PartyView:
    require_active(party)
    if not party.has(*roles):
        raise Forbidden(
            f"Role not allowed: expected {' or '.join(roles)}, got {', '.join(party.roles)}."
        )
    return party
