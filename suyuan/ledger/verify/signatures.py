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
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
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


def signer(public_keys: Sequence[bytes], statement: Mapping[str, Any], sig: bytes) -> int | None:
    """The index of the first of `public_keys` whose signature over `statement` `sig` is; None if none."""
    message = canonical(statement)
    return next((i for i, key in enumerate(public_keys) if verifies(key, message, sig)), None)


_POOL: ThreadPoolExecutor | None = None
_CPUS = os.cpu_count() or 1


def signers(public_keys: Sequence[bytes], signed: Sequence[tuple[bytes, bytes]]) -> list[int | None]:
    """`signer` of each (canonical message, sig) pair, in order, split across the machine's cores.

    cryptography's Ed25519 verify runs outside the GIL, so a batch's
    signatures are checked in one chunk per core at once.
    """
    global _POOL

    def chunk(pairs: Sequence[tuple[bytes, bytes]]) -> list[int | None]:
        return [next((i for i, key in enumerate(public_keys) if verifies(key, m, s)), None) for m, s in pairs]

    if _CPUS == 1 or len(signed) < 2 * _CPUS:
        return chunk(signed)
    if _POOL is None:
        _POOL = ThreadPoolExecutor(_CPUS, thread_name_prefix="suyuan-verify")
    size = -(-len(signed) // _CPUS)
    parts = _POOL.map(chunk, [signed[i:i + size] for i in range(0, len(signed), size)])
    return [found for part in parts for found in part]
