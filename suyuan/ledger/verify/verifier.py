"""Verifier keys of signed notes (C2SP signed-note v1.0.0, "Verifier keys"), Ed25519 only.

A verifier key is the text ``<name>+<hex key ID>+<base64(0x01 || public key)>``;
the key ID is SHA-256(name || 0x0A || 0x01 || public key)[:4]. Parsing accepts
what Go's ``golang.org/x/mod/sumdb/note`` (``note.NewVerifier``) accepts. Key
names and base64 follow the rules of the note format, so `suyuan.ledger.verify.note`
uses them from here. Imports no private-key, database or web code.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from suyuan.errors import NoteError

__all__ = ["ALG_ED25519", "Verifier", "decode_base64", "is_valid_name", "key_id", "shorten"]

ALG_ED25519 = 0x01
"""Signature type identifier byte for Ed25519 (signed-note, "Signature types")."""

_ED25519_PUBLIC_KEY_SIZE = 32
_ED25519_SIGNATURE_SIZE = 64

# Go's unicode.IsSpace: the Latin-1 spaces plus the White_Space property.
_UNICODE_SPACES = frozenset(
    "\t\n\v\f\r \u0085\u00a0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_HEX8 = re.compile(r"[0-9A-Fa-f]{8}")


def is_valid_name(name: str) -> bool:
    """A key name is non-empty with no Unicode space and no plus (signed-note, "Format")."""
    return (
        isinstance(name, str)
        and name != ""
        and "+" not in name
        and not any(c in _UNICODE_SPACES for c in name)
        and _is_utf8_encodable(name)
    )


def _is_utf8_encodable(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return True


def decode_base64(s: str, what: str, *, canonical: bool = False) -> bytes:
    """Decode standard, padded base64 (RFC 4648 section 4) or raise NoteError.

    Accepts exactly what Go's ``base64.StdEncoding.DecodeString`` accepts on a
    single line; with ``canonical`` the text must also be the one encoding of
    the bytes (unused trailing bits zero), as for hashes we emit ourselves.
    """
    if not _BASE64.fullmatch(s) or len(s) % 4 != 0:
        raise NoteError(f"{what} is not valid standard base64: {shorten(s)!r}")
    try:
        raw = base64.b64decode(s, validate=True)
    except binascii.Error as e:  # pragma: no cover - the pattern above rules this out
        raise NoteError(f"{what} is not valid standard base64: {shorten(s)!r}") from e
    if canonical and base64.b64encode(raw).decode("ascii") != s:
        raise NoteError(f"{what} is not canonical base64: {shorten(s)!r}")
    return raw


def shorten(s: str, limit: int = 60) -> str:
    return s if len(s) <= limit else s[:limit] + "..."


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte Ed25519 key ID: SHA-256(name || 0x0A || 0x01 || public key)[:4].

    signed-note v1.0.0, "Ed25519 signatures".
    """
    h = hashlib.sha256()
    h.update(name.encode("utf-8"))
    h.update(b"\n")
    h.update(bytes([ALG_ED25519]))
    h.update(public_key)
    return h.digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """An Ed25519 note verifier: key name, 4-byte key ID and 32-byte public key."""

    name: str
    key_id: bytes
    public_key: bytes

    def __post_init__(self) -> None:
        if not is_valid_name(self.name):
            raise NoteError(
                f"invalid key name {self.name!r}: expected a non-empty name without spaces or '+'"
            )
        if len(self.public_key) != _ED25519_PUBLIC_KEY_SIZE:
            raise NoteError(
                f"Ed25519 public key: expected 32 bytes, got {len(self.public_key)}"
            )
        want = key_id(self.name, self.public_key)
        if self.key_id != want:
            raise NoteError(
                f"key ID of {self.name}: expected {want.hex()}, got {bytes(self.key_id).hex()}"
            )

    @classmethod
    def from_public_key(cls, name: str, public_key: bytes) -> Verifier:
        """The verifier for a raw 32-byte Ed25519 public key under `name`."""
        return cls(name, key_id(name, public_key), bytes(public_key))

    @classmethod
    def from_key(cls, vkey: str) -> Verifier:
        """Parse a verifier key ``<name>+<hex key ID>+<base64(0x01 || public key)>``.

        Accepts what Go's ``note.NewVerifier`` accepts, Ed25519 only.
        """
        if not isinstance(vkey, str):
            raise NoteError(f"verifier key: expected a string, got {type(vkey).__name__}")
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise NoteError(
                f"verifier key: expected '<name>+<8 hex digits>+<base64 key>', got {shorten(vkey)!r}"
            )
        name, hex8, key64 = parts
        if not is_valid_name(name):
            raise NoteError(
                f"verifier key name: expected a non-empty name without spaces or '+', got {name!r}"
            )
        if not _HEX8.fullmatch(hex8):
            raise NoteError(f"verifier key ID: expected 8 hex digits, got {hex8!r}")
        key = decode_base64(key64, "verifier key data")
        if not key:
            raise NoteError("verifier key data: expected an algorithm byte and a key, got nothing")
        claimed = bytes.fromhex(hex8)
        want = hashlib.sha256(name.encode("utf-8") + b"\n" + key).digest()[:4]
        if claimed != want:
            raise NoteError(
                f"verifier key ID of {name}: expected {want.hex()} (from name and key), got {hex8}"
            )
        if key[0] != ALG_ED25519:
            raise NoteError(
                f"verifier key algorithm: expected 0x01 (Ed25519), got 0x{key[0]:02x}"
            )
        if len(key) != 1 + _ED25519_PUBLIC_KEY_SIZE:
            raise NoteError(
                f"verifier key: expected a 32-byte Ed25519 public key, got {len(key) - 1} bytes"
            )
        return cls(name, claimed, key[1:])

    def key_string(self) -> str:
        """The verifier key text ``<name>+<hex key ID>+<base64(0x01 || public key)>``."""
        data = base64.b64encode(bytes([ALG_ED25519]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{data}"

    def verify(self, msg: bytes, sig: bytes) -> bool:
        """Report whether `sig` is this key's Ed25519 signature of `msg` (RFC 8032)."""
        if len(sig) != _ED25519_SIGNATURE_SIZE:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(sig, msg)
        except (InvalidSignature, ValueError):
            return False
        return True

    def __str__(self) -> str:
        return self.key_string()
