"""Signed notes (C2SP signed-note v1.0.0), verification side only.

A signed note is a text ending in a newline, a blank line, then one or more
signature lines ``— <key name> base64(key ID || signature)\\n`` (U+2014 EM DASH).
The parsing rules follow the specification and, where it leaves room, Go's
``golang.org/x/mod/sumdb/note`` (``note.Open``), which independent clients use
to check our checkpoints:

- the whole note is valid UTF-8 with no ASCII control character but newline;
- the text is everything up to and including the newline before the *last*
  blank line, so the text may itself contain blank lines;
- a key name is non-empty and has no Unicode space and no ``+``;
- a signature decodes (standard, padded base64) to at least 4 + 1 bytes;
- more than 100 signatures make the note malformed;
- signatures from unknown (name, key ID) pairs are ignored, a repeated
  signature by a known key is ignored, a failing signature by a known key
  rejects the whole note, and a note with no verified signature is rejected.

Only Ed25519 (signature type 0x01) verifier keys are supported
(`suyuan.ledger.verify.verifier`). This module imports no private-key,
database or web code.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass

from suyuan.errors import NoteError
# Verifier keys, key names and base64 are in `verifier`; their names stay importable from here.
from suyuan.ledger.verify.verifier import ALG_ED25519, Verifier, decode_base64, is_valid_name, key_id, shorten

__all__ = [
    "ALG_ED25519",
    "MAX_SIGNATURES",
    "SIGNATURE_PREFIX",
    "Note",
    "NoteSignatureError",
    "NoteUnverifiedError",
    "Signature",
    "Verifier",
    "check_note_text",
    "decode_base64",
    "format_signature_line",
    "is_valid_name",
    "key_id",
    "open_note",
    "parse_note",
]

MAX_SIGNATURES = 100
"""Go's note.Open rejects a note with more signatures than this."""

SIGNATURE_PREFIX = "\u2014 "
"""Every signature line starts with EM DASH (U+2014) and a space."""


class NoteSignatureError(NoteError):
    """A signature by a known key did not verify; the whole note is rejected."""

    def __init__(self, name: str, key_id: bytes):
        self.name = name
        self.key_id = key_id
        super().__init__(
            f"signature by key {name}+{key_id.hex()} does not verify over the note text"
        )


class NoteUnverifiedError(NoteError):
    """The note is well formed but no known key signed it."""

    def __init__(self, known: list[str], found: list[str]):
        self.known = known
        self.found = found
        super().__init__(
            "note has no valid signature from a known key: expected one of "
            f"{', '.join(known) or '(no keys)'}, got {', '.join(found) or '(none)'}"
        )


@dataclass(frozen=True)
class Signature:
    """One signature line of a note, verified or not."""

    name: str
    key_id: bytes
    signature: bytes
    """The signature bytes after the 4-byte key ID."""
    base64: str
    """The base64 text as it appeared on the line (key ID and signature)."""

    @property
    def key_label(self) -> str:
        return f"{self.name}+{self.key_id.hex()}"


@dataclass(frozen=True)
class Note:
    """A syntactically valid signed note: its text and every signature line."""

    text: str
    signatures: tuple[Signature, ...]


def format_signature_line(name: str, key_id_: bytes, signature: bytes) -> str:
    """``— <name> base64(key ID || signature)\\n`` for a signature over a note text."""
    if not is_valid_name(name):
        raise NoteError(
            f"invalid key name {name!r}: expected a non-empty name without spaces or '+'"
        )
    if len(key_id_) != 4:
        raise NoteError(f"key ID: expected 4 bytes, got {len(key_id_)}")
    if not signature:
        raise NoteError("signature: expected at least one byte, got none")
    b64 = base64.b64encode(bytes(key_id_) + bytes(signature)).decode("ascii")
    return f"{SIGNATURE_PREFIX}{name} {b64}\n"


def _to_bytes(note: bytes | str) -> bytes:
    if isinstance(note, str):
        try:
            return note.encode("utf-8")
        except UnicodeEncodeError as e:
            raise NoteError("note is not valid UTF-8: it contains a lone surrogate") from e
    if isinstance(note, (bytes, bytearray, memoryview)):
        return bytes(note)
    raise NoteError(f"note: expected bytes or str, got {type(note).__name__}")


def check_note_text(text: str) -> None:
    """Raise NoteError unless `text` can be the text of a signed note.

    It must end in a newline, be valid UTF-8, and have no control character
    but newline (signed-note, "Format"). Used before signing.
    """
    raw = _to_bytes(text)
    _check_characters(raw, "note text")
    if not raw.endswith(b"\n"):
        raise NoteError("note text must end with a newline")


def _check_characters(raw: bytes, what: str) -> None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise NoteError(f"{what} is not valid UTF-8 (byte offset {e.start})") from e
    for i, b in enumerate(raw):
        if b < 0x20 and b != 0x0A:
            raise NoteError(
                f"{what} contains control character U+{b:04X} at byte offset {i}; "
                "only newline is allowed"
            )


def parse_note(note: bytes | str) -> Note:
    """Split a signed note into text and signatures without verifying any.

    Raises NoteError for every malformed input. The text must not be trusted
    until `open_note` has verified a signature over it.
    """
    raw = _to_bytes(note)
    _check_characters(raw, "note")

    split = raw.rfind(b"\n\n")
    if split < 0:
        raise NoteError("note has no blank line between its text and its signatures")
    text, sigs = raw[: split + 1], raw[split + 2 :]
    if not sigs:
        raise NoteError("note has no signature lines after its last blank line")
    if not sigs.endswith(b"\n"):
        raise NoteError("note must end with a newline after its last signature line")

    prefix = SIGNATURE_PREFIX.encode("utf-8")
    signatures: list[Signature] = []
    for number, line_bytes in enumerate(sigs[:-1].split(b"\n"), start=1):
        line = line_bytes.decode("utf-8")
        if not line_bytes.startswith(prefix):
            raise NoteError(
                f"signature line {number} must start with an em dash (U+2014) and a space, "
                f"got {shorten(line, 20)!r}"
            )
        name, _, b64 = line[len(SIGNATURE_PREFIX) :].partition(" ")
        if not is_valid_name(name):
            raise NoteError(
                f"signature line {number} key name: expected a non-empty name without "
                f"spaces or '+', got {name!r}"
            )
        if b64 == "":
            raise NoteError(f"signature line {number} has no signature after the key name")
        blob = decode_base64(b64, f"signature line {number}")
        if len(blob) < 5:
            raise NoteError(
                f"signature line {number}: expected a 4-byte key ID and a signature, "
                f"got {len(blob)} bytes"
            )
        if number > MAX_SIGNATURES:
            raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
        signatures.append(Signature(name, blob[:4], blob[4:], b64))

    return Note(text.decode("utf-8"), tuple(signatures))


def _verifier_map(verifiers: Verifier | Iterable[Verifier]) -> dict[tuple[str, bytes], Verifier]:
    if isinstance(verifiers, Verifier):
        verifiers = [verifiers]
    known: dict[tuple[str, bytes], Verifier] = {}
    for v in verifiers:
        if not isinstance(v, Verifier):
            raise TypeError(f"expected Verifier, got {type(v).__name__}")
        k = (v.name, bytes(v.key_id))
        if k in known and known[k] != v:
            # Two different keys under one (name, key ID): the trust configuration is broken.
            raise NoteError(f"ambiguous verifier keys: two keys are named {v.name}+{v.key_id.hex()}")
        known[k] = v
    return known


def open_note(
    note: bytes | str, verifiers: Verifier | Iterable[Verifier]
) -> tuple[str, list[Signature]]:
    """Parse and verify a signed note; return its text and the verified signatures.

    Follows Go's ``note.Open``: unknown keys are ignored; a known key's repeated
    signature is ignored; a known key's failing signature raises
    NoteSignatureError; no verified signature at all raises NoteUnverifiedError.
    """
    known = _verifier_map(verifiers)
    parsed = parse_note(note)
    msg = parsed.text.encode("utf-8")

    verified: list[Signature] = []
    seen: set[tuple[str, bytes]] = set()
    for sig in parsed.signatures:
        k = (sig.name, sig.key_id)
        v = known.get(k)
        if v is None or k in seen:
            continue
        seen.add(k)
        if not v.verify(msg, sig.signature):
            raise NoteSignatureError(sig.name, sig.key_id)
        verified.append(sig)

    if not verified:
        raise NoteUnverifiedError(
            sorted(f"{n}+{i.hex()}" for n, i in known),
            list(dict.fromkeys(s.key_label for s in parsed.signatures)),
        )
    return parsed.text, verified
