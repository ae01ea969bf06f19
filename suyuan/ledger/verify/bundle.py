"""Offline evidence for one journey: the bundle format and its verification.

A bundle holds everything an inspector needs to check an item's record
without trusting the server (DESIGN.md, "Proofs and receipts"): the entries
of every chain the journey touches (item, batch, product, parcels), a C2SP
``tlog-proof@v1`` receipt per entry against ONE signed checkpoint, the
checkpoint, the log's signed chain heads as of that checkpoint
(`suyuan.ledger.verify.heads`: which chains make the journey, and each one's length
and head hash), and the public keys of the parties that signed. With the log's
verifier key, `verify_bundle` checks the heads note (signed by the log key,
about this checkpoint and this item, listing the item's own, batch and product
chains), then, entry by entry and chain by chain:

1. the bytes are a ledger entry in RFC 8785 canonical form;
2. it sits where it claims (its key is the chain's, seqs run 0, 1, 2, ...);
3. its ``prev`` is the hash of the entry before it (64 zeros at seq 0);
4. it is in the log: its receipt's inclusion proof (RFC 9162 §2.1.3.2) leads
   from SHA-256(0x00 ‖ bytes) to the root of the checkpoint, whose signature
   (C2SP signed note) the log key verifies;
5. when signed, the signature verifies under a key its actor held when the
   entry was recorded;
6. the chain is complete: every chain of the heads note is in the bundle, and
   holds exactly its signed count of entries, seq 0 to count-1, the last
   hashing to the signed head. A removed entry (first, middle or last) is
   named by its chain and seq ("missing").

The first entry that fails is named by key, seq and what failed.

Heads are as of the bundle's checkpoint: the bundle carries each chain's
entries up to the checkpoint and no further; `later` on a chain says (unsigned)
how many newer entries were not in the log yet, and a later bundle shows them.
What a bundle proves: the chains are complete as of the checkpoint *according
to the log's signed statement*. What it does not prove: that the log operator
did not sign a false head or a short list of parcels — that needs a
verifiable key index or witnesses (a later issue) — nor anything after the
checkpoint. A false heads note is signed evidence against the log.

`check_journey` is the same check over evidence the server reads from its own
tables (`suyuan.trace.journey.chains`), so the online verdict and the offline one
cannot drift apart. Pure: imports only pure ledger modules (a test checks it).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from suyuan.errors import ChainBroken, ProofError, RootMismatchError, SuyuanError, VerificationError
from suyuan.ledger.verify import proofs
from suyuan.ledger.verify.checkpoint import Checkpoint, open_checkpoint
from suyuan.ledger.verify.entry import ZERO_HASH, ParsedEntry, canonical, check_link
from suyuan.ledger.verify.heads import ChainHead, ChainHeads, open_chain_heads
from suyuan.ledger.verify.note import Verifier
from suyuan.ledger.verify.receipt import Receipt
from suyuan.timestamps import parse_time

__all__ = [
    "FORMAT", "BadEntry", "BundleError", "HeadsError", "Bundle", "BundleChain", "BundleEntry", "PartyKey",
    "PartyKeys", "EntryEvidence", "ChainEvidence", "ChainResult", "JourneyResult",
    "check_journey", "journey_needs", "verify_bundle", "journey_lines",
]  # fmt: skip

FORMAT = "suyuan.bundle/v2"
"""v2 added the signed chain heads; a v1 bundle cannot show that it hides nothing, so it is refused."""
ROLES = ("item", "batch", "product", "parcel")
KEY_CLOCK_SKEW = timedelta(minutes=5)
"""A key's `created` comes from the database clock, `recorded` from the app's: allow this much skew."""


class BundleError(VerificationError):
    """The bundle itself is malformed (not JSON, missing fields, bad base64)."""


class HeadsError(VerificationError):
    """The chain-heads note does not fit the bundle: another checkpoint or item, or a needed chain unlisted."""


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


def _utc(value: str | None) -> datetime | None:
    if value is None:
        return None
    # Bundles from servers that predate the UTC column type carry SQLite's naive key times.
    return parse_time(value, "bundle time", assume_utc=True)


def _check_signature(entry: ParsedEntry, parties: Mapping[str, PartyKeys]) -> str | None:
    """None if the entry is unsigned or signed by a key its actor held when it was recorded."""
    if entry.sig is None:
        return None
    actor = entry.statement.get("actor")
    party = parties.get(actor) if isinstance(actor, str) else None
    if party is None or not party.keys:
        return f"signed, but no public key of actor {actor} is known"
    try:
        sig = base64.b64decode(entry.sig, validate=True)
    except (binascii.Error, ValueError, TypeError):
        sig = b""
    if len(sig) != 64:
        return "sig is not base64 of a 64-byte Ed25519 signature"
    message = canonical(entry.statement)
    try:
        recorded = _utc(entry.recorded)
    except (ValueError, TypeError, AttributeError):
        return f"recorded time {entry.recorded!r} is not an RFC 3339 timestamp"
    for key in party.keys:
        try:
            Ed25519PublicKey.from_public_bytes(key.public_key).verify(sig, message)
        except (InvalidSignature, ValueError):
            continue
        if recorded is not None and not key.valid_at(recorded):
            return (f"signed by a key of actor {actor} that was not valid when the entry was recorded "
                    f"({entry.recorded}): valid from {key.created} until {key.revoked}")
        return None
    return f"signature does not verify under any of the {len(party.keys)} known keys of actor {actor}"


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


# --- the bundle file ---------------------------------------------------------------------


@dataclass(frozen=True)
class BundleEntry:
    raw: bytes
    receipt: str | None


@dataclass(frozen=True)
class BundleChain:
    key: str
    role: str
    entries: tuple[BundleEntry, ...]
    later: int = 0
    """Entries recorded after the checkpoint, not carried (the server's word, unsigned)."""


def _need(obj: Any, name: str, kind: type, where: str) -> Any:
    if not isinstance(obj, dict) or name not in obj:
        raise BundleError(f"bundle {where}: missing field {name!r}")
    value = obj[name]
    if not isinstance(value, kind):
        raise BundleError(f"bundle {where}.{name}: expected {kind.__name__}, got {type(value).__name__}")
    return value


@dataclass(frozen=True)
class Bundle:
    subject: str
    origin: str
    verifier_key: str
    checkpoint: str
    heads: str
    chains: tuple[BundleChain, ...]
    parties: tuple[PartyKeys, ...]

    def to_json(self) -> dict[str, Any]:
        def when(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "format": FORMAT,
            "subject": self.subject,
            "log": {"origin": self.origin, "verifier_key": self.verifier_key},
            "checkpoint": self.checkpoint,
            "heads": self.heads,
            "chains": [{"key": c.key, "role": c.role, "entries": [
                {"canonical": base64.b64encode(e.raw).decode(), "receipt": e.receipt} for e in c.entries
            ], "later": c.later} for c in self.chains],
            "parties": [{"id": p.id, "name": p.name, "keys": [
                {"public_key": base64.b64encode(k.public_key).decode(), "created": when(k.created),
                 "revoked": when(k.revoked)} for k in p.keys
            ]} for p in self.parties],
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: bytes | str | dict[str, Any]) -> "Bundle":
        """Parse and shape-check a bundle; every malformed input raises BundleError."""
        if isinstance(data, (bytes, str)):
            try:
                data = json.loads(data)
            except (ValueError, UnicodeDecodeError) as exc:
                raise BundleError(f"bundle is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise BundleError("bundle: expected a JSON object")
        if data.get("format") != FORMAT:
            raise BundleError(f"bundle format: expected {FORMAT!r}, got {data.get('format')!r}")
        log = _need(data, "log", dict, "")
        chains = []
        for i, c in enumerate(_need(data, "chains", list, "")):
            where = f"chains.{i}"
            role = _need(c, "role", str, where)
            if role not in ROLES:
                raise BundleError(f"bundle {where}.role: expected one of {', '.join(ROLES)}, got {role!r}")
            entries = []
            for j, e in enumerate(_need(c, "entries", list, where)):
                try:
                    raw = base64.b64decode(_need(e, "canonical", str, f"{where}.entries.{j}"), validate=True)
                except (binascii.Error, ValueError) as exc:
                    raise BundleError(f"bundle {where}.entries.{j}.canonical: not base64: {exc}") from exc
                receipt = e.get("receipt")
                if receipt is not None and not isinstance(receipt, str):
                    raise BundleError(f"bundle {where}.entries.{j}.receipt: expected text or null")
                entries.append(BundleEntry(raw, receipt))
            later = c.get("later", 0)
            if isinstance(later, bool) or not isinstance(later, int) or later < 0:
                raise BundleError(f"bundle {where}.later: expected a count of entries, got {later!r}")
            chains.append(BundleChain(_need(c, "key", str, where), role, tuple(entries), later))
        parties = []
        for i, p in enumerate(data.get("parties") or []):
            keys = []
            for j, k in enumerate(_need(p, "keys", list, f"parties.{i}")):
                where = f"parties.{i}.keys.{j}"
                try:
                    public = base64.b64decode(_need(k, "public_key", str, where), validate=True)
                    created, revoked = _utc(k.get("created")), _utc(k.get("revoked"))
                except (binascii.Error, ValueError, TypeError, AttributeError) as exc:
                    raise BundleError(f"bundle {where}: {exc}") from exc
                if len(public) != 32:
                    raise BundleError(f"bundle {where}.public_key: expected 32 bytes, got {len(public)}")
                keys.append(PartyKey(public, created, revoked))
            parties.append(PartyKeys(_need(p, "id", str, f"parties.{i}"), p.get("name"), tuple(keys)))
        return cls(_need(data, "subject", str, ""), _need(log, "origin", str, "log"),
                   _need(log, "verifier_key", str, "log"), _need(data, "checkpoint", str, ""),
                   _need(data, "heads", str, ""), tuple(chains), tuple(parties))


def _evidence(entry: BundleEntry, checkpoint_note: str) -> EntryEvidence:
    if entry.receipt is None:
        return EntryEvidence(entry.raw)
    try:
        receipt = Receipt.parse(entry.receipt)
    except VerificationError as exc:
        return EntryEvidence(entry.raw, receipt_problem=f"receipt is malformed: {exc}")
    if receipt.checkpoint_note != checkpoint_note:
        return EntryEvidence(entry.raw, receipt_problem="receipt is against another checkpoint than "
                             "the bundle's")
    return EntryEvidence(entry.raw, receipt.index, receipt.proof)


def journey_needs(subject: str) -> list[tuple[str, str]]:
    """(role, key) of the chains an item key names by itself: the item's, its batch's (with a lot), its product's.

    Its parcels are known only from the log (the heads note lists them).
    """
    parts = subject.split("/")
    needs = [("item", subject)]
    if len(parts) >= 4 and parts[0] == "01":
        if parts[2] == "10":
            needs.append(("batch", "/".join(parts[:4])))
        needs.append(("product", "/".join(parts[:2])))
    return needs


def _open_heads(bundle: Bundle, verifier: Verifier, checkpoint: Checkpoint) -> ChainHeads:
    """The bundle's chain heads, signed by the log, about its checkpoint and item; HeadsError otherwise."""
    heads = open_chain_heads(bundle.heads, verifier)
    if (heads.size, heads.root_hash) != (checkpoint.size, checkpoint.root_hash):
        raise HeadsError(f"chain heads note is as of another checkpoint: expected tree size {checkpoint.size} "
                         f"root {base64.b64encode(checkpoint.root_hash).decode()}, got tree size {heads.size} "
                         f"root {base64.b64encode(heads.root_hash).decode()}")
    if heads.subject != bundle.subject:
        raise HeadsError(f"chain heads note is about another item: expected {bundle.subject}, got {heads.subject}")
    for role, key in journey_needs(bundle.subject):
        head = heads.get(key)
        if head is None or head.role != role:
            got = f"role {head.role!r}" if head else "no line"
            raise HeadsError(f"chain heads note: the journey of {bundle.subject} needs the {role} chain {key}, "
                             f"got {got}")
    return heads


def verify_bundle(bundle: Bundle, log_key: str | Verifier) -> JourneyResult:
    """Verify a bundle with the log's verifier key alone (no database, no server).

    Raises NoteError when the checkpoint or the chain-heads note is not signed
    by `log_key`, HeadsError when the heads note does not fit the bundle; entry
    problems, and chains shorter or longer than their signed heads, are
    reported in the result (`problem`, `verdict`), not raised. Chains are
    checked in the order the heads note lists them; a listed chain absent
    from the bundle is checked as an empty one (so its seq 0 is missing).
    """
    verifier = log_key if isinstance(log_key, Verifier) else Verifier.from_key(log_key.strip())
    checkpoint = open_checkpoint(bundle.checkpoint, verifier)
    heads = _open_heads(bundle, verifier, checkpoint)
    given = {}
    for i, c in enumerate(bundle.chains):
        if c.key in given:
            raise BundleError(f"bundle chains.{i}: chain {c.key} appears twice")
        head = heads.get(c.key)
        if head is not None and head.role != c.role:
            raise BundleError(f"bundle chains.{i}.role: expected {head.role!r} (the log's signed heads), "
                              f"got {c.role!r}")
        given[c.key] = c
    ordered = [given.get(h.key, BundleChain(h.key, h.role, ())) for h in heads.chains]
    ordered += [c for c in bundle.chains if heads.get(c.key) is None]
    chains = [ChainEvidence(c.key, c.role, tuple(_evidence(e, bundle.checkpoint) for e in c.entries))
              for c in ordered]
    return check_journey(chains, checkpoint, {p.id: p for p in bundle.parties}, heads)


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
