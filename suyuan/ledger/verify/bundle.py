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
chains) and the checkpoint's signature (C2SP signed note), reads each entry's
receipt (its leaf index and inclusion proof against that checkpoint), and hands
the evidence to the journey check (`suyuan.ledger.verify.journey`): canonical
form, position, links, inclusion, signatures, and every chain of the heads note
complete up to its signed head. The first entry that fails is named by key,
seq and what failed.

Heads are as of the bundle's checkpoint: the bundle carries each chain's
entries up to the checkpoint and no further; `later` on a chain says (unsigned)
how many newer entries were not in the log yet, and a later bundle shows them.
What a bundle proves: the chains are complete as of the checkpoint *according
to the log's signed statement*. What it does not prove: that the log operator
did not sign a false head or a short list of parcels — that needs a
verifiable key index or witnesses (a later issue) — nor anything after the
checkpoint. A false heads note is signed evidence against the log.

The server runs the same journey check over evidence from its own tables, so
the online verdict and the offline one cannot drift apart. Pure: imports only
pure ledger modules (a test checks it).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from suyuan.errors import VerificationError
from suyuan.ledger.verify.checkpoint import Checkpoint, open_checkpoint
from suyuan.ledger.verify.heads import ChainHeads, open_chain_heads
# The journey check's names stay importable from here, where the server and the CLI found them.
from suyuan.ledger.verify.journey import (
    BadEntry,
    ChainEvidence,
    ChainResult,
    EntryEvidence,
    JourneyResult,
    PartyKey,
    PartyKeys,
    check_journey,
    journey_lines,
)
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
ROLES = ("item", "batch", "product", "parcel", "party")  # party: a party's own chain, 417/<GLN>


class BundleError(VerificationError):
    """The bundle itself is malformed (not JSON, missing fields, bad base64)."""


class HeadsError(VerificationError):
    """The chain-heads note does not fit the bundle: another checkpoint or item, or a needed chain unlisted."""


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


def _key_time(value: str | None, where: str) -> datetime | None:
    # Bundles from servers that predate the UTC column type carry SQLite's naive key times.
    return None if value is None else parse_time(value, where, assume_utc=True)


def _need(obj: Any, name: str, kind: type, where: str) -> Any:
    """`obj[name]`, of type `kind`; `where` is the path of `obj` in the bundle ("" at the top)."""
    if not isinstance(obj, dict) or name not in obj:
        raise BundleError(f"bundle{' ' + where if where else ''}: missing field {name!r}")
    value = obj[name]
    if not isinstance(value, kind):
        path = f"{where}.{name}" if where else name
        raise BundleError(f"bundle {path}: expected {kind.__name__}, got {type(value).__name__}")
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
                    created, revoked = _key_time(k.get("created"), "created"), _key_time(k.get("revoked"), "revoked")
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
    """(role, key) of the chains an item key names by itself: the item's, its batch's (with a lot), its product's;
    a party key `417/<GLN>` names its own chain alone.

    Its parcels are known only from the log (the heads note lists them).
    """
    parts = subject.split("/")
    if parts[0] == "417":  # a party's record: its own chain
        return [("party", subject)]
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
