"""Review tokens: what delivery hands a shopper, and all the server keeps of it (its SHA-256).

A token is `rv_` and 256 random bits; it binds its holder to one delivery of
one item (`deliveries`, `review_tokens`). The prefix is how the caller's
`Authorization` tells a review token from an API key (`suyuan.trace.parties.auth`).
"""

from __future__ import annotations

import hashlib
import secrets

from suyuan.trace.events.models import Delivery, ReviewToken
from suyuan.trace.parties.auth import REVIEW_TOKEN_PREFIX

tokens_t = ReviewToken.__table__
deliveries_t = Delivery.__table__

__all__ = ["REVIEW_TOKEN_PREFIX", "consumer_actor", "deliveries_t", "new_token", "token_digest", "tokens_t"]


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def new_token() -> tuple[str, bytes]:
    """A fresh review token (256 random bits after `rv_`) and the digest that is all the server keeps."""
    token = REVIEW_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, token_digest(token)


def consumer_actor(digest: bytes) -> str:
    """A consumer's pseudonymous actor: no personal data, stable per review token."""
    return "consumer:" + digest[:8].hex()
