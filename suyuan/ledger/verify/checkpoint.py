"""Checkpoints (C2SP tlog-checkpoint v1.0.0): a log's signed tree head.

The note text is at least three non-empty lines, each ending in a newline::

    <origin>
    <tree size, ASCII decimal, no leading zeroes unless 0>
    <root hash, standard base64 of 32 bytes>
    [<extension line>...]

This module is pure: it formats and parses the text and opens a signed
checkpoint with a verifier; it never signs.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from suyuan.errors import NoteError
from suyuan.ledger.verify.note import Verifier, decode_base64, open_note

__all__ = ["MAX_ORIGIN_BYTES", "MAX_TREE_SIZE", "Checkpoint", "open_checkpoint"]

HASH_SIZE = 32
MAX_TREE_SIZE = 2**63 - 1
"""Go's tlog.Tree holds the size in an int64."""
MAX_ORIGIN_BYTES = 255
"""Go's filippo.io/torchwood ParseCheckpoint limit; we neither emit nor accept longer."""

_DECIMAL = re.compile(r"0|[1-9][0-9]*")


def _check_line(value: str, what: str) -> None:
    if not isinstance(value, str):
        raise NoteError(f"checkpoint {what}: expected a string, got {type(value).__name__}")
    if value == "":
        raise NoteError(f"checkpoint {what} must not be empty")
    for c in value:
        if ord(c) < 0x20:
            raise NoteError(
                f"checkpoint {what} contains control character U+{ord(c):04X}; "
                "a checkpoint line is one line of text"
            )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise NoteError(f"checkpoint {what} is not valid UTF-8") from e


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: origin, tree size, RFC 9162 root hash, optional extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "origin")
        if len(self.origin.encode("utf-8")) > MAX_ORIGIN_BYTES:
            raise NoteError(
                f"checkpoint origin: expected at most {MAX_ORIGIN_BYTES} bytes, "
                f"got {len(self.origin.encode('utf-8'))}"
            )
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise NoteError(f"checkpoint tree size: expected an integer, got {self.size!r}")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise NoteError(
                f"checkpoint tree size: expected 0 to {MAX_TREE_SIZE}, got {self.size}"
            )
        if not isinstance(self.root_hash, (bytes, bytearray)) or len(self.root_hash) != HASH_SIZE:
            got = len(self.root_hash) if isinstance(self.root_hash, (bytes, bytearray)) else self.root_hash
            raise NoteError(f"checkpoint root hash: expected 32 bytes, got {got!r}")
        object.__setattr__(self, "root_hash", bytes(self.root_hash))
        if isinstance(self.extensions, str):
            raise NoteError("checkpoint extensions: expected a sequence of lines, got a string")
        object.__setattr__(self, "extensions", tuple(self.extensions))
        for n, line in enumerate(self.extensions, start=1):
            _check_line(line, f"extension line {n}")

    def body(self) -> str:
        """The note text: origin, size, base64 root and extension lines, each ending in newline."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        lines = [self.origin, str(self.size), root, *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint note text (tlog-checkpoint, "Note text"); strict.

        The text is what `open_note` returned: it must end in a newline. Raises
        NoteError with the reason for any malformed input.
        """
        if not isinstance(text, str):
            raise NoteError(f"checkpoint: expected text, got {type(text).__name__}")
        if not text.endswith("\n"):
            raise NoteError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise NoteError(
                f"checkpoint: expected at least 3 lines (origin, size, root hash), got {len(lines)}"
            )
        origin, size_text, root_text, *extensions = lines
        if origin == "":
            raise NoteError("checkpoint origin (line 1) must not be empty")
        if not _DECIMAL.fullmatch(size_text):
            raise NoteError(
                "checkpoint tree size (line 2): expected a decimal number without leading "
                f"zeroes, got {size_text[:40]!r}"
            )
        size = int(size_text)
        if size > MAX_TREE_SIZE:
            raise NoteError(
                f"checkpoint tree size (line 2): expected at most {MAX_TREE_SIZE}, got {size_text}"
            )
        root = decode_base64(root_text, "checkpoint root hash (line 3)", canonical=True)
        if len(root) != HASH_SIZE:
            raise NoteError(
                f"checkpoint root hash (line 3): expected 32 bytes, got {len(root)}"
            )
        for n, line in enumerate(extensions, start=4):
            if line == "":
                raise NoteError(f"checkpoint extension line {n} must not be empty")
        return cls(origin, size, root, tuple(extensions))


def open_checkpoint(
    note: bytes | str, verifier: Verifier | str, origin: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint with the log's verifier and parse it.

    `verifier` is a Verifier or a verifier key string. The checkpoint's origin
    must equal `origin` when given, else the verifier's key name (tlog-checkpoint,
    "Signatures": the key name SHOULD match the origin). Other signatures, such
    as witness cosignatures, are ignored.
    """
    if isinstance(verifier, str):
        verifier = Verifier.from_key(verifier)
    text, _ = open_note(note, [verifier])
    cp = Checkpoint.parse(text)
    expected = verifier.name if origin is None else origin
    if cp.origin != expected:
        raise NoteError(f"checkpoint origin: expected {expected!r}, got {cp.origin!r}")
    return cp
