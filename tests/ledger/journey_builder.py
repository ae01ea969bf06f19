"""A journey's bundle built from the pure ledger parts alone: entries, a log, a checkpoint,
receipts and the signed chain heads, with no database or server in between.

Used by the offline bundle tests, so that every check `verify_bundle` makes can be hit in
milliseconds, and by hand: each piece (an entry's bytes, its receipt, the heads) can be
replaced by a forged one before the bundle is assembled.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from suyuan.ledger.verify import proofs
from suyuan.ledger.verify.bundle import Bundle, BundleChain, BundleEntry, PartyKey, PartyKeys
from suyuan.ledger.verify.checkpoint import Checkpoint
from suyuan.ledger.verify.entry import ZERO_HASH, canonical, make_entry
from suyuan.ledger.verify.heads import ChainHead, ChainHeads
from suyuan.ledger.verify.receipt import Receipt
from suyuan.ledger.signer import LogSigner

ORIGIN = "test.suyuan.example/log"
GTIN = "06901234000018"
PRODUCT = f"01/{GTIN}"
BATCH = f"{PRODUCT}/10/LOT1"
ITEM = f"{BATCH}/21/S1"
PARCEL = "00/069012340000000017"
PRODUCER = "7c0e8a2e-5b1f-4f1c-9a53-2a0f1c9d7e10"
RECORDED = "2026-11-27T08:00:00.000000Z"
RECORDED_AT = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass
class Journey:
    """Chains as lists of entry bytes, in journey order (item, batch, product, parcel)."""

    signer: LogSigner = field(default_factory=LogSigner.generate)
    party_key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    chains: dict[str, tuple[str, list[bytes]]] = field(default_factory=dict)
    leaves: list[bytes] = field(default_factory=list)  # entry bytes in log order
    n: int = 0

    @property
    def verifier_key(self) -> str:
        return self.signer.verifier_key(ORIGIN)

    def add(self, role: str, key: str, kind: str, signed: bool = False, recorded: str = RECORDED,
            time: str | None = None, **data: object) -> bytes:
        """Append an entry to `key`'s chain (and to the log); return its bytes."""
        _, chain = self.chains.setdefault(key, (role, []))
        self.n += 1
        statement = {"key": key, "type": kind, "time": time or f"2026-11-27T08:{self.n:02d}:00Z",
                     "actor": PRODUCER if signed else None, "data": dict(data),
                     "id": str(uuid.UUID(int=self.n))}
        sig = base64.b64encode(self.party_key.sign(canonical(statement))).decode() if signed else None
        prev = proofs.leaf_hash(chain[-1]).hex() if chain else ZERO_HASH
        raw = canonical(make_entry(statement, sig, len(chain), prev, recorded))
        chain.append(raw)
        self.leaves.append(raw)
        return raw

    def checkpoint(self, size: int | None = None) -> tuple[Checkpoint, str]:
        size = len(self.leaves) if size is None else size
        cp = Checkpoint(ORIGIN, size, proofs.root([proofs.leaf_hash(e) for e in self.leaves[:size]]))
        return cp, self.signer.sign_checkpoint(cp)

    def receipt(self, raw: bytes, note: str, size: int | None = None) -> str:
        hashes = [proofs.leaf_hash(e) for e in self.leaves[: len(self.leaves) if size is None else size]]
        index = self.leaves.index(raw)
        return Receipt(index=index, proof=tuple(proofs.inclusion_proof(index, hashes)), checkpoint_note=note).format()

    def heads(self, cp: Checkpoint, subject: str = ITEM, **override: tuple[int, str]) -> ChainHeads:
        lines = []
        for key, (role, chain) in self.chains.items():
            covered = [e for e in chain if self.leaves.index(e) < cp.size]
            count, head = override.get(key, (len(covered), proofs.leaf_hash(covered[-1]).hex() if covered
                                             else ZERO_HASH))
            lines.append(ChainHead(role, key, count, head))
        return ChainHeads(ORIGIN, cp.size, cp.root_hash, subject, tuple(lines))

    def parties(self, **key: object) -> tuple[PartyKeys, ...]:
        return (PartyKeys(PRODUCER, "连云港海鲜有限公司", (PartyKey(public_bytes(self.party_key), **key),)),)

    def bundle(self, size: int | None = None, heads: ChainHeads | None = None,
               parties: tuple[PartyKeys, ...] | None = None) -> Bundle:
        cp, note = self.checkpoint(size)
        heads = heads or self.heads(cp)
        chains = tuple(
            BundleChain(key, role, tuple(BundleEntry(e, self.receipt(e, note, cp.size)) for e in chain
                                         if self.leaves.index(e) < cp.size),
                        later=sum(1 for e in chain if self.leaves.index(e) >= cp.size))
            for key, (role, chain) in self.chains.items()
        )
        return Bundle(ITEM, ORIGIN, self.verifier_key, note, self.signer.sign_chain_heads(heads), chains,
                      self.parties() if parties is None else parties)


def recalled_journey() -> Journey:
    """Product, batch and item registered (the batch signed by its producer), the item packed in a
    parcel, dispatched and delivered, then the batch recalled: 4 chains, 9 entries."""
    j = Journey()
    j.add("product", PRODUCT, "register", name="东海带鱼")
    j.add("batch", BATCH, "register", signed=True, origin="连云港")
    j.add("item", ITEM, "register")
    j.add("item", ITEM, "sell", price="39.00")
    j.add("parcel", PARCEL, "pack", items=[ITEM])
    j.add("parcel", PARCEL, "dispatch", from_region="320700")
    j.add("item", ITEM, "deliver", region="310104")
    j.add("parcel", PARCEL, "deliver", region="310104")
    j.add("batch", BATCH, "recall", signed=True, reason="抽检不合格")
    return j


def with_chain(bundle: Bundle, key: str, entries: tuple[BundleEntry, ...]) -> Bundle:
    """The bundle with `key`'s chain carrying `entries` instead."""
    return replace(bundle, chains=tuple(replace(c, entries=entries) if c.key == key else c for c in bundle.chains))


def chain_of(bundle: Bundle, key: str) -> BundleChain:
    return next(c for c in bundle.chains if c.key == key)
