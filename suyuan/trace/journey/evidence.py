"""An item's journey as evidence: the server's verdict and the offline bundle.

Which chains make the journey is decided in `suyuan.trace.journey.chains`:
the item's, its batch's, its product's and those of the parcels it travelled
in. A hash chain verifies only whole, so a parcel's chain is read in full
here; the verdict names, per parcel, the seqs the item was packed in
(`while_packed`). Both the verify endpoint and the bundle read those chains' stored
canonical bytes, their leaf indices and inclusion proofs computed from the
stored hash tiles against the latest signed checkpoint, and hand them to the
pure checker `suyuan.ledger.bundle.check_journey` — the same code the offline
verifier runs, so a raw-SQL edit behind the triggers is named by both.

The bundle is as of its checkpoint: it carries each chain's entries that are
in the checkpointed tree, and the log key signs, for each chain, how many
there are and the hash of the last (`suyuan.ledger.verify.heads`), so that a bundle
with an entry removed no longer verifies. Entries recorded after the
checkpoint stay out (each chain's `later` says how many) until a later bundle.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from suyuan.errors import InputError, NotFound
from suyuan.ledger import tilestore
from suyuan.ledger.verify import proofs
from suyuan.ledger.verify.bundle import Bundle, BundleChain, BundleEntry, ChainEvidence, EntryEvidence, PartyKey, PartyKeys, check_journey
from suyuan.ledger.verify.heads import ZERO_HEAD, ChainHead, ChainHeads
from suyuan.ledger.verify.checkpoint import Checkpoint, open_checkpoint
from suyuan.ledger.ledger import Ledger
from suyuan.ledger.models import Entry, Leaf
from suyuan.ledger.verify.receipt import Receipt
from suyuan.trace.journey.chains import Journey, JourneyChain, journey_chains
from suyuan.trace.parties.models import Party, PartyKey as PartyKeyRow

entries_t = Entry.__table__
leaves_t = Leaf.__table__
parties_t = Party.__table__
party_keys_t = PartyKeyRow.__table__

MAX_JOURNEY_ENTRIES = 20000
"""More entries than this in one item's chains is not a journey but a bulk read: use the export."""


@dataclass
class _Read:
    journey: Journey
    rows: dict[str, list[Any]]  # key -> rows (canonical, hash, seq, idx) in seq order
    checkpoint: Any  # the latest checkpoint row

    @property
    def pending(self) -> list[bytes]:
        return [bytes(r.hash) for rows in self.rows.values() for r in rows if r.idx is None]


def party_journey(chain_key: str) -> Journey:
    """A party's record as a journey of one chain, its own (`suyuan.trace.credit.chainkey`)."""
    return Journey(chain_key, (JourneyChain("party", chain_key),))


def _read(conn: Connection, item_key: str, journey: Journey | None = None) -> _Read:
    # The checkpoint first: every entry in its tree was committed with it, so the
    # entries read next include them all (and maybe newer ones, beyond its size).
    try:
        checkpoint = tilestore.latest_checkpoint(conn)
    except NotFound:
        checkpoint = None  # a fresh log: everything is pending
    journey = journey or journey_chains(conn, item_key)
    wanted = journey.keys
    total = conn.execute(select(func.count()).select_from(entries_t).where(entries_t.c.key.in_(wanted))).scalar()
    if total > MAX_JOURNEY_ENTRIES:
        raise InputError(f"Journey of {item_key} too large: expected at most {MAX_JOURNEY_ENTRIES} entries, "
                         f"got {total}; use GET /v1/exports/kde.csv for bulk records.", field="key")
    rows: dict[str, list[Any]] = {k: [] for k in wanted}
    for row in conn.execute(
        select(entries_t.c.key, entries_t.c.seq, entries_t.c.hash, entries_t.c.canonical, leaves_t.c.idx)
        .outerjoin(leaves_t, leaves_t.c.entry_id == entries_t.c.id)
        .where(entries_t.c.key.in_(wanted)).order_by(entries_t.c.key, entries_t.c.seq)
    ):
        rows[row.key].append(row)
    return _Read(journey, rows, checkpoint)


def _inclusion_proofs(conn: Connection, indices: list[int], size: int) -> dict[int, tuple[bytes, ...]]:
    """Inclusion proofs from the stored hash tiles, reading every tile needed in one query."""
    wanted = sorted({i for i in indices if i < size})
    ranges = {i: proofs.inclusion_ranges(i, size) for i in wanted}
    reader = tilestore.TileReader(conn).prefetch([r for rs in ranges.values() for r in rs])
    return {i: tuple(proofs.range_root(a, b, reader.node) for a, b in rs) for i, rs in ranges.items()}


def _parties(conn: Connection, rows: dict[str, list[Any]]) -> dict[str, PartyKeys]:
    """Names and every key (revoked ones too, with validity) of the parties that acted on the journey."""
    actors = sorted({r.actor for r in conn.execute(
        select(entries_t.c.actor).where(entries_t.c.key.in_(list(rows))).distinct()
    ) if r.actor})
    if not actors:
        return {}
    names = dict(conn.execute(select(parties_t.c.id, parties_t.c.name).where(parties_t.c.id.in_(actors))).all())
    keys: dict[str, list[PartyKey]] = {a: [] for a in names}
    for k in conn.execute(select(party_keys_t).where(party_keys_t.c.party_id.in_(list(names)))
                          .order_by(party_keys_t.c.id)):
        keys[k.party_id].append(PartyKey(base64.b64decode(k.public_key), k.created, k.revoked))
    return {pid: PartyKeys(pid, names[pid], tuple(keys[pid])) for pid in names}


def verify_item(ledger: Ledger, item_key: str) -> dict[str, Any]:
    """The server's verdict on an item's journey (see module doc); never trusts a stored hash."""
    with ledger.engine.connect() as conn:
        read = _read(conn, item_key)
        if read.checkpoint is None:
            checkpoint = Checkpoint(ledger.origin, 0, proofs.EMPTY_ROOT)
        else:
            checkpoint = open_checkpoint(read.checkpoint.note, ledger.verifier_key)
        indices = [r.idx for rows in read.rows.values() for r in rows if r.idx is not None]
        inclusion = _inclusion_proofs(conn, indices, checkpoint.size)
        parties = _parties(conn, read.rows)
    chains = [ChainEvidence(c.key, c.role, tuple(
        EntryEvidence(bytes(r.canonical), r.idx, inclusion.get(r.idx) if r.idx is not None else None,
                      stored_hash=bytes(r.hash))
        for r in read.rows[c.key])) for c in read.journey.chains]
    result = check_journey(chains, checkpoint, parties)
    problem = result.problem
    return {
        "key": item_key,
        "verdict": result.verdict,
        "checkpoint_size": checkpoint.size,
        "checkpoint_root": checkpoint.root_hash.hex(),
        "entries": sum(len(c.entries) for c in chains),
        "problem": problem.public() if problem else None,
        "chains": [c.public() | {"while_packed": j.public()["while_packed"]}
                   for c, j in zip(result.chains, read.journey.chains)],
    }


def _head(role: str, key: str, covered: list[Any]) -> ChainHead:
    """The chain's head as of the checkpoint: `covered` are its entries in the checkpointed tree."""
    if not covered:
        return ChainHead(role, key, 0, ZERO_HEAD)
    # The last seq, not the number of rows: a row deleted behind the triggers
    # then shows in the bundle as a missing seq rather than a shorter chain.
    return ChainHead(role, key, covered[-1].seq + 1, bytes(covered[-1].hash).hex())


def build_bundle(ledger: Ledger, item_key: str, *, wait: float = 5.0, journey: Journey | None = None) -> Bundle:
    """Everything needed to verify the item's journey offline, as of one checkpoint.

    Entries not yet in the log are integrated first (at most `wait` seconds);
    any still outside the checkpoint stay out of the bundle, counted in their
    chain's `later`. The log key signs every chain's head as of the checkpoint.
    A party's bundle passes its `journey` (`party_journey`): the party's own chain.
    """
    with ledger.engine.connect() as conn:
        read = _read(conn, item_key, journey)
    if read.pending and wait > 0:
        for h in read.pending:
            if ledger.wait_for_checkpoint(h, timeout=wait) is None:
                break
    with ledger.engine.connect() as conn:
        read = _read(conn, item_key, journey)
        if read.checkpoint is None:
            raise NotFound("The log has no checkpoint yet; retry in a second.")
        note, size = read.checkpoint.note, read.checkpoint.size
        covered = {key: [r for r in rows if r.idx is not None and r.idx < size] for key, rows in read.rows.items()}
        inclusion = _inclusion_proofs(conn, [r.idx for rows in covered.values() for r in rows], size)
        parties = _parties(conn, read.rows)

    def receipt(idx: int) -> str:
        return Receipt(index=idx, proof=inclusion[idx], checkpoint_note=note).format()

    chains = tuple(
        BundleChain(c.key, c.role, tuple(BundleEntry(bytes(r.canonical), receipt(r.idx)) for r in covered[c.key]),
                    later=len(read.rows[c.key]) - len(covered[c.key]))
        for c in read.journey.chains)
    heads = ChainHeads(ledger.origin, size, bytes(read.checkpoint.root), item_key,
                       tuple(_head(c.role, c.key, covered[c.key]) for c in read.journey.chains))
    return Bundle(item_key, ledger.origin, ledger.verifier_key, note, ledger.signer.sign_chain_heads(heads),
                  chains, tuple(parties.values()))
