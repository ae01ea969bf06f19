"""Checking a journey's chains: the one check behind the online verdict and the offline bundle.

Evidence is a chain's entries as bytes, each with where the log says it is (a
leaf index and an inclusion proof against one checkpoint), and the public keys
of the parties that signed. `check_journey` checks, entry by entry and chain by
chain:

1. the bytes are a ledger entry in RFC 8785 canonical form;
2. it sits where it claims (its key is the chain's, seqs run 0, 1, 2, ...);
3. its ``prev`` is the hash of the entry before it (64 zeros at seq 0);
4. it is in the log: its inclusion proof (RFC 9162 §2.1.3.2) leads from
   SHA-256(0x00 ‖ bytes) to the root of the checkpoint, whose signature the
   caller has verified;
5. when signed, the signature verifies under a key its actor held when the
   entry was recorded;
6. with the log's signed chain heads: every listed chain holds exactly its
   signed count of entries, seq 0 to count-1, the last hashing to the signed
   head; a removed entry (first, middle or last) is named by its chain and seq
   ("missing"), a chain the heads do not list is "unlisted".

The first entry that fails is named by key, seq and what failed (`BadEntry`).
The server builds evidence from its own tables (`suyuan.trace.journey.chains`),
an inspector from a bundle (`suyuan.ledger.verify.bundle`), so the online
verdict and the offline one cannot drift apart. Pure: imports only pure ledger
modules (a test checks it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any


from suyuan.errors import ChainBroken, ProofError, RootMismatchError, SuyuanError, VerificationError
from suyuan.ledger.verify import proofs, signatures
from suyuan.ledger.verify.checkpoint import Checkpoint
from suyuan.ledger.verify.entry import ZERO_HASH, ParsedEntry, check_link
from suyuan.ledger.verify.heads import ChainHead, ChainHeads
from suyuan.timestamps import parse_time

__all__ = [
    "BadEntry", "PartyKey", "PartyKeys", "EntryEvidence", "ChainEvidence", "ChainResult", "JourneyResult",
    "check_chain", "check_journey", "journey_lines",
]  # fmt: skip

KEY_CLOCK_SKEW = timedelta(minutes=5)
"""A key's `created` comes from the database clock, `recorded` from the app's: allow this much skew."""


class BadEntry(VerificationError):
    """The first entry of a journey that does not verify, and what failed.

    `code` is stable: malformed, position, missing, hash, link, pending,
    receipt, not_included, signature, head (the chain ends elsewhere than its
    signed head), unlisted (a chain the signed heads do not name).
    """

    def __init__(self, key: str, seq: int, code: str, what: str):
        self.key, self.seq, self.code, self.what = key, seq, code, what
        super().__init__(f"entry {key} seq {seq}: {what}")

    def public(self) -> dict[str, Any]:
        return {"key": self.key, "seq": self.seq, "code": self.code, "what": self.what}


# --- evidence: what is checked, wherever it came from ----------------------------------


@dataclass(frozen=True)
class PartyKey:
    """An Ed25519 public key of a party and when it was valid (revoked keys stay, to verify old entries)."""

    public_key: bytes
    created: datetime | None = None
    revoked: datetime | None = None

    def valid_at(self, when: datetime) -> bool:
        if self.revoked is not None and when >= self.revoked:
            return False
        return self.created is None or when + KEY_CLOCK_SKEW >= self.created


@dataclass(frozen=True)
class PartyKeys:
    id: str
    name: str | None
    keys: tuple[PartyKey, ...] = ()


@dataclass(frozen=True)
class EntryEvidence:
    """One entry's bytes and where the log says it is.

    `stored_hash` is the hash a server's table holds (None offline);
    `index` and `proof` place it in the checkpointed tree (None: not in the
    log yet); `receipt_problem` says why a receipt could not be read.
    """

    raw: bytes
    index: int | None = None
    proof: tuple[bytes, ...] | None = None
    stored_hash: bytes | None = None
    receipt_problem: str | None = None


@dataclass(frozen=True)
class ChainEvidence:
    key: str
    role: str
    entries: tuple[EntryEvidence, ...]


@dataclass
class ChainResult:
    key: str
    role: str
    entries: int
    head: str | None = None  # hash of the last entry checked good
    problem: BadEntry | None = None

    def public(self) -> dict[str, Any]:
        return {"key": self.key, "role": self.role, "entries": self.entries, "head": self.head,
                "ok": self.problem is None,
                "problem": self.problem.public() if self.problem else None}


@dataclass
class JourneyResult:
    checkpoint: Checkpoint
    chains: list[ChainResult]
    entries: list[tuple[str, ParsedEntry]] = field(default_factory=list)  # (role, entry), all good
    heads: ChainHeads | None = None  # the log's signed chain heads (bundles only)

    @property
    def problem(self) -> BadEntry | None:
        """The first problem, in chain order (item, batch, product, parcels)."""
        return next((c.problem for c in self.chains if c.problem is not None), None)

    @property
    def verdict(self) -> str:
        problem = self.problem
        if problem is None:
            return "ok"
        others = [c.problem for c in self.chains if c.problem is not None and c.problem.code != "pending"]
        return "pending" if not others else "broken"


def _check_signature(entry: ParsedEntry, parties: Mapping[str, PartyKeys]) -> str | None:
    """None if the entry is unsigned or signed by a key its actor held when it was recorded."""
    if entry.sig is None:
        return None
    actor = entry.statement.get("actor")
    party = parties.get(actor) if isinstance(actor, str) else None
    if party is None or not party.keys:
        return f"signed, but no public key of actor {actor} is known"
    sig = signatures.decode(entry.sig, signatures.SIGNATURE_BYTES)
    if sig is None:
        return "sig is not base64 of a 64-byte Ed25519 signature"
    try:
        recorded = None if entry.recorded is None else parse_time(entry.recorded, "recorded", assume_utc=True)
    except ValueError:
        return f"recorded time {entry.recorded!r} is not an RFC 3339 timestamp"
    found = signatures.signer([key.public_key for key in party.keys], entry.statement, sig)
    if found is None:
        return f"signature does not verify under any of the {len(party.keys)} known keys of actor {actor}"
    key = party.keys[found]
    if recorded is not None and not key.valid_at(recorded):
        return (f"signed by a key of actor {actor} that was not valid when the entry was recorded "
                f"({entry.recorded}): valid from {key.created} until {key.revoked}")
    return None


def check_chain(chain: ChainEvidence, checkpoint: Checkpoint, parties: Mapping[str, PartyKeys],
                head: ChainHead | None = None) -> tuple[ChainResult, list[ParsedEntry]]:
    """Check one chain from seq 0; stop at its first bad entry (see module doc for the order).

    With `head` (the log's signed head as of `checkpoint`), the chain must also
    end exactly there: `head.count` entries, the last hashing to `head.head`.
    """
    result = ChainResult(chain.key, chain.role, len(chain.entries))
    good: list[ParsedEntry] = []
    prev = ZERO_HASH
    for seq, ev in enumerate(chain.entries):
        problem = _check_entry(chain.key, seq, prev, ev, checkpoint, parties)
        if isinstance(problem, BadEntry):
            result.problem = problem
            break
        good.append(problem)
        prev = problem.hash.hex()
        result.head = prev
    if result.problem is None and head is not None:
        result.problem = _check_head(chain.key, len(good), prev, head, checkpoint)
    return result, good


def _check_head(key: str, count: int, last: str, head: ChainHead, checkpoint: Checkpoint) -> BadEntry | None:
    """None if a chain of `count` good entries ending in hash `last` is the signed head."""
    as_of = f"the log's signed head as of tree size {checkpoint.size} is {head.count} entries ending in {head.head}"
    if count < head.count:
        return BadEntry(key, count, "missing", f"seq {count} is missing: expected {head.count} entries "
                        f"(seq 0 to {head.count - 1}), got {count}; {as_of}")
    if count > head.count:
        return BadEntry(key, head.count, "head", f"entry is beyond the chain's head: expected {head.count} "
                        f"entries, got {count}; {as_of}")
    if last != head.head:
        return BadEntry(key, count - 1, "head", f"last entry hashes to {last}, expected the signed head "
                        f"{head.head}; {as_of}")
    return None


def _check_entry(key: str, seq: int, prev: str, ev: EntryEvidence, checkpoint: Checkpoint,
                 parties: Mapping[str, PartyKeys]) -> ParsedEntry | BadEntry:
    try:
        entry = check_link(key, seq, prev, ev.raw, ev.stored_hash)
    except ChainBroken as exc:
        return (exc.what == "position" and _missing(key, seq, ev.raw)) or _broken(exc)
    if ev.receipt_problem is not None:
        return BadEntry(key, seq, "receipt", ev.receipt_problem)
    if ev.index is None or ev.proof is None:
        return BadEntry(key, seq, "pending", "not in the log yet: no leaf index; retry in a second")
    if ev.index >= checkpoint.size:
        return BadEntry(key, seq, "pending", f"leaf {ev.index} is after the checkpoint of size "
                        f"{checkpoint.size}; retry in a second")
    try:
        proofs.verify_inclusion(entry.hash, ev.index, checkpoint.size, list(ev.proof), checkpoint.root_hash)
    except RootMismatchError as exc:
        return BadEntry(key, seq, "not_included", f"not leaf {ev.index} of the checkpointed tree of size "
                        f"{checkpoint.size}: root expected {exc.expected.hex()}, calculated "
                        f"{exc.calculated.hex()}")
    except (ProofError, ValueError) as exc:
        return BadEntry(key, seq, "receipt", f"inclusion proof for leaf {ev.index} is malformed: {exc}")
    sig_problem = _check_signature(entry, parties)
    if sig_problem is not None:
        return BadEntry(key, seq, "signature", sig_problem)
    return entry


def _missing(key: str, seq: int, raw: bytes) -> BadEntry | None:
    """The entry at `seq` is absent if the one in its place is a later entry of the same chain."""
    try:
        entry = ParsedEntry.from_bytes(raw)
    except SuyuanError:
        return None
    later = entry.key == key and isinstance(entry.seq, int) and not isinstance(entry.seq, bool) and entry.seq > seq
    if not later:
        return None
    gap = f"seq {seq} is" if entry.seq == seq + 1 else f"seqs {seq} to {entry.seq - 1} are"
    return BadEntry(key, seq, "missing", f"{gap} missing: expected {key}#{seq}, got {key}#{entry.seq}")


def _broken(exc: ChainBroken) -> BadEntry:
    if exc.what == "malformed":
        return BadEntry(exc.key, exc.seq, "malformed", exc.got)
    if exc.what == "position":
        return BadEntry(exc.key, exc.seq, "position", f"expected {exc.expected}, got {exc.got}")
    if exc.what == "hash":
        return BadEntry(exc.key, exc.seq, "hash", f"stored hash {exc.expected}, but the stored bytes "
                        f"hash to {exc.got}")
    return BadEntry(exc.key, exc.seq, "link", f"prev expected {exc.expected}, got {exc.got}")


def check_journey(chains: Sequence[ChainEvidence], checkpoint: Checkpoint,
                  parties: Mapping[str, PartyKeys], heads: ChainHeads | None = None) -> JourneyResult:
    """Check every chain; the checkpoint (and `heads`, when given) must already be verified by the caller.

    With `heads`, each chain it lists must end at its signed head and a chain it
    does not list is a problem ("unlisted").
    """
    result = JourneyResult(checkpoint, [], heads=heads)
    for chain in chains:
        head = heads.get(chain.key) if heads is not None else None
        if heads is not None and head is None:
            result.chains.append(ChainResult(chain.key, chain.role, len(chain.entries), problem=BadEntry(
                chain.key, 0, "unlisted", "chain is not among the chains the log signed for this journey")))
            continue
        chain_result, good = check_chain(chain, checkpoint, parties, head)
        result.chains.append(chain_result)
        result.entries.extend((chain.role, e) for e in good)
    return result


# --- the journey, for people ------------------------------------------------------------


def _short(data: Any, limit: int = 70) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def journey_lines(result: JourneyResult, names: Mapping[str, str | None] | None = None) -> list[str]:
    """One line per verified entry, by event time: time, type, key, actor, short data."""
    names = names or {}
    rows = sorted(result.entries, key=lambda re: (str(re[1].statement.get("time")), str(re[1].recorded),
                                                  re[1].key, re[1].seq))
    lines = []
    for role, e in rows:
        st = e.statement
        actor = st.get("actor") or "-"
        label = names.get(actor)
        who = f"{label} ({actor[:8]})" if label else actor
        lines.append(f"{st.get('time')}  {st.get('type', '?'):<13} {role:<7} {e.key}#{e.seq}  {who}  "
                     f"{_short(st.get('data'))}")
    return lines
