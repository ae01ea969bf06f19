"""Statement signatures: Ed25519 (RFC 8032) over a statement's RFC 8785 canonical bytes.

The one place a statement signature is checked, by capture (against a
party's current keys) and by the offline bundle verifier (against the keys a
bundle carries). Pure: no database, no signing, no key files. A signature
travels as base64 of its 64 bytes (RFC 8032 §5.1.6), a public key as base64
of its 32 bytes.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from suyuan.ledger.verify.entry import canonical

SIGNATURE_BYTES = 64
PUBLIC_KEY_BYTES = 32


def decode(value: Any, size: int) -> bytes | None:
    """The bytes of base64 `value` if it is exactly `size` bytes long, else None."""
    if not isinstance(value, str):
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == size else None


def verifies(public_key: bytes, message: bytes, sig: bytes) -> bool:
    """Whether `sig` is an Ed25519 signature of `message` by `public_key` (raw 32 bytes)."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(sig, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def signer(public_keys: Sequence[bytes], statement: Mapping[str, Any], sig: bytes,
           message: bytes | None = None) -> int | None:
    """The index of the first of `public_keys` whose signature over `statement` `sig` is; None if none.

    `message`: the statement's canonical bytes, when the caller has made them already.
    """
    message = canonical(statement) if message is None else message
    return next((i for i, key in enumerate(public_keys) if verifies(key, message, sig)), None)
