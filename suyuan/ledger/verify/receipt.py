"""Receipts: the C2SP ``c2sp.org/tlog-proof@v1`` text for one log entry.

Layout (c2sp.org/tlog-proof, "Format"), lines separated by U+000A::

    c2sp.org/tlog-proof@v1
    extra <base64 opaque data>          (only when there is extra data)
    index <zero-based leaf index, decimal, no leading zeroes unless 0>
    <base64 inclusion proof hash>       (zero or more, leaf's sibling first,
    ...                                  up to the root's child; RFC 6962 2.1.1)
    <empty line>
    <the signed checkpoint note, verbatim, ending in a newline>

Parsing (`Receipt.parse`) is strict and purely syntactic; every malformed
input raises NoteError. `verify_receipt` then checks one: the checkpoint's
signature by the log's key and the entry's inclusion proof against its root.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

from suyuan.errors import NoteError, ProofError, RootMismatchError, VerificationError
from suyuan.ledger.verify import proofs
from suyuan.ledger.verify.checkpoint import Checkpoint, open_checkpoint
from suyuan.ledger.verify.note import Verifier, decode_base64, parse_note

__all__ = ["HEADER", "MAX_INDEX", "MAX_PROOF_LENGTH", "EntryNotIncluded", "Receipt", "verify_receipt"]

HEADER = "c2sp.org/tlog-proof@v1"
HASH_SIZE = 32
MAX_INDEX = 2**64 - 1
MAX_PROOF_LENGTH = 64
"""An inclusion proof in a tree of at most 2**64 leaves has at most 64 hashes."""

_DECIMAL = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class Receipt:
    """An entry's index, its inclusion proof and the signed checkpoint it proves against.

    `extra` is opaque, unauthenticated data (None when absent; the spec omits
    the line rather than writing empty data, so b"" is refused).
    """

    index: int
    proof: tuple[bytes, ...]
    checkpoint_note: str
    extra: bytes | None = None

    def __post_init__(self) -> None:
        if isinstance(self.index, bool) or not isinstance(self.index, int):
            raise NoteError(f"receipt index: expected an integer, got {self.index!r}")
        if not 0 <= self.index <= MAX_INDEX:
            raise NoteError(f"receipt index: expected 0 to {MAX_INDEX}, got {self.index}")
        if isinstance(self.proof, (bytes, bytearray, str)) or not isinstance(self.proof, Sequence):
            raise NoteError("receipt proof: expected a sequence of 32-byte hashes")
        proof = tuple(bytes(h) if isinstance(h, bytearray) else h for h in self.proof)
        if len(proof) > MAX_PROOF_LENGTH:
            raise NoteError(
                f"receipt proof: expected at most {MAX_PROOF_LENGTH} hashes, got {len(proof)}"
            )
        for n, h in enumerate(proof):
            if not isinstance(h, bytes) or len(h) != HASH_SIZE:
                got = len(h) if isinstance(h, bytes) else type(h).__name__
                raise NoteError(f"receipt proof hash {n}: expected 32 bytes, got {got}")
        object.__setattr__(self, "proof", proof)
        if self.extra is not None:
            if not isinstance(self.extra, (bytes, bytearray)):
                raise NoteError(f"receipt extra data: expected bytes, got {type(self.extra).__name__}")
            if len(self.extra) == 0:
                raise NoteError("receipt extra data is empty: use extra=None to omit the line")
            object.__setattr__(self, "extra", bytes(self.extra))
        if not isinstance(self.checkpoint_note, str):
            raise NoteError(
                f"receipt checkpoint: expected a signed note string, got {type(self.checkpoint_note).__name__}"
            )
        # Syntax only; the signature is checked by verify_receipt with the log's key.
        text = parse_note(self.checkpoint_note).text
        size = Checkpoint.parse(text).size
        if self.index >= size:
            raise NoteError(
                f"receipt index {self.index} is outside the checkpointed tree of size {size}"
            )

    def format(self) -> str:
        """The ``c2sp.org/tlog-proof@v1`` text (store it as ``*.tlog-proof``)."""
        lines = [HEADER]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode("ascii"))
        lines.append(f"index {self.index}")
        lines.extend(base64.b64encode(h).decode("ascii") for h in self.proof)
        return "\n".join(lines) + "\n\n" + self.checkpoint_note

    @classmethod
    def parse(cls, text: str | bytes) -> Receipt:
        """Parse a ``c2sp.org/tlog-proof@v1`` text; NoteError with the reason if malformed."""
        lines = _Lines(_as_text(text))
        header = lines.next(f"the first line {HEADER!r}")
        if header != HEADER:
            raise NoteError(f"receipt first line: expected {HEADER!r}, got {header[:40]!r}")

        line = lines.next("an 'index' line")
        extra = None
        if line.startswith("extra "):
            payload = line[len("extra ") :]
            if payload == "":
                raise NoteError("receipt 'extra' line has no data: omit the line instead")
            extra = decode_base64(payload, "receipt extra data", canonical=True)
            line = lines.next("an 'index' line")
        index = _parse_index(line)
        proof = _parse_proof(lines)

        checkpoint_note = lines.rest()
        if checkpoint_note == "":
            raise NoteError("receipt has no checkpoint after the empty line")
        return cls(index, proof, checkpoint_note, extra)


class _Lines:
    """A receipt's text, read one newline-terminated line at a time."""

    def __init__(self, text: str):
        self.text, self.pos = text, 0

    def next(self, expecting: str) -> str:
        end = self.text.find("\n", self.pos)
        if end < 0:
            raise NoteError(f"receipt ends early: expected {expecting}")
        line = self.text[self.pos : end]
        self.pos = end + 1
        return line

    def rest(self) -> str:
        return self.text[self.pos :]


def _as_text(text: str | bytes) -> str:
    if isinstance(text, (bytes, bytearray)):
        try:
            return bytes(text).decode("utf-8")
        except UnicodeDecodeError as e:
            raise NoteError(f"receipt is not valid UTF-8 (byte offset {e.start})") from e
    if not isinstance(text, str):
        raise NoteError(f"receipt: expected text, got {type(text).__name__}")
    return text


def _parse_index(line: str) -> int:
    """The leaf index of an ``index <n>`` line: decimal, no leading zeroes, at most 2**64-1."""
    if not line.startswith("index "):
        raise NoteError(f"receipt: expected 'index <n>', got {line[:40]!r}")
    index_text = line[len("index ") :]
    if not _DECIMAL.fullmatch(index_text):
        raise NoteError(
            "receipt index: expected a decimal number without leading zeroes, "
            f"got {index_text[:40]!r}"
        )
    index = int(index_text)
    if index > MAX_INDEX:
        raise NoteError(f"receipt index: expected at most {MAX_INDEX}, got {index_text}")
    return index


def _parse_proof(lines: _Lines) -> tuple[bytes, ...]:
    """The proof hashes, one base64 line each, up to the empty line before the checkpoint."""
    proof: list[bytes] = []
    while True:
        line = lines.next("proof hashes followed by an empty line and the checkpoint")
        if line == "":
            return tuple(proof)
        if len(proof) == MAX_PROOF_LENGTH:
            raise NoteError(f"receipt proof: expected at most {MAX_PROOF_LENGTH} hashes")
        h = decode_base64(line, f"receipt proof hash {len(proof)}", canonical=True)
        if len(h) != HASH_SIZE:
            raise NoteError(
                f"receipt proof hash {len(proof)}: expected 32 bytes, got {len(h)}"
            )
        proof.append(h)


class EntryNotIncluded(RootMismatchError):
    """The entry and proof lead to another root than the signed checkpoint's."""

    def __init__(self, index: int, size: int, expected: bytes, calculated: bytes):
        super().__init__(expected, calculated)
        self.index = index
        self.size = size
        self.args = (
            f"entry is not at index {index} of the checkpointed tree of size {size}: "
            f"root mismatch: expected {expected.hex()}, calculated {calculated.hex()}",
        )


def verify_receipt(
    receipt_text: str | bytes,
    verifier_key: str | Verifier,
    entry_bytes: bytes,
    origin: str | None = None,
) -> Checkpoint:
    """Check that `entry_bytes` is in the log, per a ``c2sp.org/tlog-proof@v1`` receipt.

    Steps: parse the receipt; open its checkpoint with the log's verifier key
    (origin must equal `origin`, or the key name when None); hash the entry as
    an RFC 9162 leaf; check the inclusion proof against the checkpoint's root.
    Returns the verified checkpoint. Raises NoteError for a malformed or
    unsigned receipt, ProofError for a proof malformed for its tree, and
    EntryNotIncluded (a RootMismatchError) when the proof does not lead to the root.
    The receipt's extra data is not authenticated and is not used.
    """
    receipt = Receipt.parse(receipt_text)
    verifier = verifier_key if isinstance(verifier_key, Verifier) else Verifier.from_key(verifier_key)
    checkpoint = open_checkpoint(receipt.checkpoint_note, verifier, origin)

    index, size = receipt.index, checkpoint.size
    if index >= size:  # Receipt checks this too; kept so the check sits next to its use.
        raise ProofError(f"entry index {index} is outside the checkpointed tree of size {size}")

    leaf = proofs.leaf_hash(bytes(entry_bytes))
    try:
        proofs.verify_inclusion(leaf, index, size, list(receipt.proof), checkpoint.root_hash)
    except RootMismatchError as e:
        raise EntryNotIncluded(
            index, size, checkpoint.root_hash, getattr(e, "calculated", b"")
        ) from e
    except ProofError as e:
        raise ProofError(
            f"inclusion proof for index {index} in the checkpointed tree of size {size} "
            f"is malformed: {e}"
        ) from e
    except VerificationError:
        raise
    except ValueError as e:
        raise ProofError(
            f"inclusion proof for index {index} in the checkpointed tree of size {size} "
            f"is malformed: {e}"
        ) from e
    return checkpoint
