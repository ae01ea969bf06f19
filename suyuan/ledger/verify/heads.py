"""Chain heads: the log's signed statement of how long a journey's chains are.

A checkpoint proves that entries are *in* the log, never that a chain has no
entries beyond the ones shown. Until the log can prove a chain head is the
latest (a verifiable key index), a bundle carries, for each chain of the
journey, its length and head hash as of the bundle's checkpoint, signed by the
log key as a C2SP signed note whose text is::

    suyuan chain-heads v1
    <origin>
    <checkpoint tree size, ASCII decimal>
    <checkpoint root hash, standard base64 of 32 bytes>
    <subject: the item key whose journey this is>
    <role> <key> <count> <head>          one line per chain, in journey order

`count` is the number of entries of the chain in the checkpointed tree (seqs
0 to count-1), `head` the lower-case hex hash of entry count-1 (64 zeros when
count is 0). "As of the checkpoint": an entry recorded after it is not
counted, and the bundle does not carry it.

The first line contains spaces, so it can never be the origin line of a
checkpoint (a checkpoint's origin is its key name, which has no spaces), and
its second line is not a tree size: a chain-heads note is never mistaken for a
checkpoint, nor a checkpoint for one. It is signed with the log key under the
origin's name, like the checkpoint. This module is pure: it formats and parses
the text and opens a signed note with a verifier; it never signs.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from suyuan.errors import NoteError
from suyuan.ledger.verify.checkpoint import HASH_SIZE, MAX_TREE_SIZE
from suyuan.ledger.verify.note import Verifier, decode_base64, open_note

__all__ = ["HEADER", "ChainHead", "ChainHeads", "open_chain_heads"]

HEADER = "suyuan chain-heads v1"
ZERO_HEAD = "0" * 64
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_ROLE = re.compile(r"[a-z]{1,16}")
_KEY = re.compile(r"[!-~]{1,200}")  # printable ASCII, no space: a canonical (percent-encoded) key


@dataclass(frozen=True)
class ChainHead:
    """One chain as of the checkpoint: `count` entries, the last hashing to `head`."""

    role: str
    key: str
    count: int
    head: str

    def __post_init__(self) -> None:
        if not isinstance(self.role, str) or not _ROLE.fullmatch(self.role):
            raise NoteError(f"chain head role: expected 1-16 lower-case letters, got {self.role!r}")
        if not isinstance(self.key, str) or not _KEY.fullmatch(self.key):
            raise NoteError(f"chain head key: expected a ledger key without spaces, got {self.key!r}")
        if isinstance(self.count, bool) or not isinstance(self.count, int) or not 0 <= self.count <= MAX_TREE_SIZE:
            raise NoteError(f"chain head count of {self.key}: expected 0 to {MAX_TREE_SIZE}, got {self.count!r}")
        if not isinstance(self.head, str) or not _HEX64.fullmatch(self.head):
            raise NoteError(f"chain head of {self.key}: expected 64 lower-case hex digits, got {self.head!r}")
        if (self.count == 0) != (self.head == ZERO_HEAD):
            raise NoteError(f"chain head of {self.key}: expected 64 zeros exactly when the count is 0, "
                            f"got count {self.count} and head {self.head}")

    def line(self) -> str:
        return f"{self.role} {self.key} {self.count} {self.head}"


@dataclass(frozen=True)
class ChainHeads:
    """The heads of one journey's chains as of the checkpoint (origin, size, root)."""

    origin: str
    size: int
    root_hash: bytes
    subject: str
    chains: tuple[ChainHead, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str) or not self.origin or any(ord(c) < 0x20 for c in self.origin):
            raise NoteError(f"chain heads origin: expected one non-empty line, got {self.origin!r}")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or not 0 <= self.size <= MAX_TREE_SIZE:
            raise NoteError(f"chain heads tree size: expected 0 to {MAX_TREE_SIZE}, got {self.size!r}")
        if not isinstance(self.root_hash, (bytes, bytearray)) or len(self.root_hash) != HASH_SIZE:
            raise NoteError(f"chain heads root hash: expected {HASH_SIZE} bytes, got {self.root_hash!r}")
        object.__setattr__(self, "root_hash", bytes(self.root_hash))
        if not isinstance(self.subject, str) or not _KEY.fullmatch(self.subject):
            raise NoteError(f"chain heads subject: expected a ledger key without spaces, got {self.subject!r}")
        object.__setattr__(self, "chains", tuple(self.chains))
        if not self.chains:
            raise NoteError("chain heads: expected at least one chain line, got none")
        seen: set[str] = set()
        for chain in self.chains:
            if not isinstance(chain, ChainHead):
                raise NoteError(f"chain heads: expected ChainHead lines, got {type(chain).__name__}")
            if chain.key in seen:
                raise NoteError(f"chain heads: chain {chain.key} is listed twice")
            seen.add(chain.key)

    def get(self, key: str) -> ChainHead | None:
        return next((c for c in self.chains if c.key == key), None)

    def body(self) -> str:
        """The note text (see module doc), each line ending in a newline."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        lines = [HEADER, self.origin, str(self.size), root, self.subject, *(c.line() for c in self.chains)]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> ChainHeads:
        """Parse a chain-heads note text; strict, every malformed input raises NoteError."""
        if not isinstance(text, str):
            raise NoteError(f"chain heads: expected text, got {type(text).__name__}")
        if not text.endswith("\n"):
            raise NoteError("chain heads text must end with a newline")
        lines = text[:-1].split("\n")
        if lines[0] != HEADER:
            raise NoteError(f"chain heads line 1: expected {HEADER!r}, got {lines[0][:40]!r}")
        if len(lines) < 6:
            raise NoteError("chain heads: expected at least 6 lines (header, origin, size, root, subject, "
                            f"one chain), got {len(lines)}")
        _, origin, size_text, root_text, subject, *chain_lines = lines
        if not _DECIMAL.fullmatch(size_text) or int(size_text) > MAX_TREE_SIZE:
            raise NoteError(f"chain heads tree size (line 3): expected a decimal number without leading zeroes, "
                            f"got {size_text[:40]!r}")
        root = decode_base64(root_text, "chain heads root hash (line 4)", canonical=True)
        chains = []
        for n, line in enumerate(chain_lines, start=6):
            parts = line.split(" ")
            if len(parts) != 4 or not _DECIMAL.fullmatch(parts[2]):
                raise NoteError(f"chain heads line {n}: expected '<role> <key> <count> <head>', got {line[:80]!r}")
            chains.append(ChainHead(parts[0], parts[1], int(parts[2]), parts[3]))
        return cls(origin, int(size_text), root, subject, tuple(chains))


def open_chain_heads(note: bytes | str, verifier: Verifier | str) -> ChainHeads:
    """Verify a chain-heads note with the log's verifier and parse it.

    The origin line must equal the verifier's key name, as a checkpoint's does.
    Raises NoteError (its message starts "chain heads note") for a note the
    log key did not sign, or one that is not a chain-heads note.
    """
    if isinstance(verifier, str):
        verifier = Verifier.from_key(verifier)
    try:
        text, _ = open_note(note, [verifier])
    except NoteError as exc:  # keep the type (NoteSignatureError, ...), say which note failed
        exc.args = (f"chain heads note: {exc}",)
        raise
    heads = ChainHeads.parse(text)
    if heads.origin != verifier.name:
        raise NoteError(f"chain heads origin: expected {verifier.name!r}, got {heads.origin!r}")
    return heads
