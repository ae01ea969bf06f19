"""Statement signatures (suyuan.ledger.verify.signatures): Ed25519 over RFC 8785 bytes, pure."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from suyuan.ledger.verify import signatures
from suyuan.ledger.verify.entry import canonical

STATEMENT = {"key": "01/06901234567892/21/SN1", "type": "list", "time": "2026-11-27T08:00:00Z",
             "actor": "p1", "data": {"price": "88.00", "shop": "鲜到家"}, "id": "3f2b8c1e-0d6a-4e4b-9a53-2a0f1c9d7e10"}


def _raw(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def test_a_signature_over_the_canonical_bytes_verifies_whatever_the_key_order():
    private = Ed25519PrivateKey.generate()
    sig = private.sign(canonical(STATEMENT))
    reordered = dict(reversed(list(STATEMENT.items())))
    assert signatures.signer([_raw(private)], reordered, sig) == 0
    assert signatures.verifies(_raw(private), canonical(STATEMENT), sig)


def test_the_signer_is_the_first_key_that_verifies_and_none_when_none_does():
    a, b = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    sig = b.sign(canonical(STATEMENT))
    assert signatures.signer([_raw(a), _raw(b)], STATEMENT, sig) == 1
    assert signatures.signer([_raw(a)], STATEMENT, sig) is None
    assert signatures.signer([], STATEMENT, sig) is None
    changed = STATEMENT | {"data": {"price": "8.00", "shop": "鲜到家"}}
    assert signatures.signer([_raw(b)], changed, sig) is None
    assert signatures.signer([b"\x00" * 31, _raw(b)], STATEMENT, sig) == 1  # a malformed key is no signer


def test_decode_takes_base64_of_exactly_the_size():
    raw = bytes(range(64))
    assert signatures.decode(base64.b64encode(raw).decode(), 64) == raw
    assert signatures.decode(base64.b64encode(raw[:63]).decode(), 64) is None
    assert signatures.decode("not base64!", 64) is None
    assert signatures.decode(None, 64) is None
