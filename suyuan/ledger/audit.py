"""`suyuan audit`: recompute every chain and the whole tree from stored bytes.

Trusts nothing but the stored canonical bytes and the log's public key: every
entry's hash and link, every leaf, every tile, every checkpoint's signature and
root. Checkpoint roots are recomputed from one list of leaves, so checkpoints
that all match are consistent with each other by construction. The first
problem found is reported with its key, seq or leaf index.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from suyuan.errors import ChainBroken, SuyuanError, VerificationError
from suyuan.ledger.verify import tiles
from suyuan.ledger.verify.checkpoint import open_checkpoint
from suyuan.ledger.verify.entry import ZERO_HASH, check_link
from suyuan.ledger.models import Checkpoint, Entry, Leaf, QueueItem, Tile
from suyuan.ledger.verify.note import Verifier
from suyuan.ledger.verify.proofs import node_hash, root

entries_t = Entry.__table__
leaves_t = Leaf.__table__
checkpoints_t = Checkpoint.__table__
tiles_t = Tile.__table__
queue_t = QueueItem.__table__


@dataclass(frozen=True)
class AuditReport:
    entries: int
    chains: int
    tree_size: int
    checkpoints: int
    tiles: int

    def summary(self) -> str:
        return (
            f"audit ok: {self.entries} entries in {self.chains} chains, tree size "
            f"{self.tree_size}, {self.checkpoints} checkpoints signed and consistent, "
            f"{self.tiles} tiles match"
        )


class CompactRange:
    """The right edge of a Merkle tree being built leaf by leaf (RFC 9162 §2.1.1)."""

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (height, hash), heights decreasing

    def append(self, leaf: bytes) -> None:
        h, height = leaf, 0
        while self._stack and self._stack[-1][0] == height:
            h = node_hash(self._stack.pop()[1], h)
            height += 1
        self._stack.append((height, h))
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return root([])
        h = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            h = node_hash(left, h)
        return h


class AuditFailure(VerificationError):
    pass


def audit(engine: Engine, verifier_key: str, origin: str) -> AuditReport:
    verifier = Verifier.from_key(verifier_key)
    with engine.connect().execution_options(readonly=True) as conn:
        hashes, n_entries, n_chains = _audit_chains(conn)
        leaf_hashes = _audit_leaves(conn, hashes)
        n_cp = _audit_checkpoints(conn, leaf_hashes, verifier, origin)
        n_tiles = _audit_tiles(conn, leaf_hashes)
    return AuditReport(n_entries, n_chains, len(leaf_hashes), n_cp, n_tiles)


def _audit_chains(conn) -> tuple[dict[int, bytes], int, int]:  # noqa: ANN001
    """Walk every chain in order; return entry id -> recomputed hash."""
    hashes: dict[int, bytes] = {}
    key, expected_seq, prev, chains = None, 0, ZERO_HASH, 0
    rows = conn.execution_options(yield_per=5000).execute(
        select(entries_t.c.id, entries_t.c.key, entries_t.c.seq, entries_t.c.hash,
               entries_t.c.canonical).order_by(entries_t.c.key, entries_t.c.seq)
    )
    for row in rows:
        if row.key != key:
            key, expected_seq, prev, chains = row.key, 0, ZERO_HASH, chains + 1
        if row.seq != expected_seq:
            raise ChainBroken(row.key, expected_seq, f"{row.key}#{expected_seq}",
                              f"{row.key}#{row.seq}", "position")
        parsed = check_link(row.key, row.seq, prev, bytes(row.canonical), bytes(row.hash))
        hashes[row.id] = parsed.hash
        prev, expected_seq = parsed.hash.hex(), expected_seq + 1
    return hashes, len(hashes), chains


def _audit_leaves(conn, hashes: dict[int, bytes]) -> list[bytes]:  # noqa: ANN001
    leaf_hashes: list[bytes] = []
    for idx, entry_id in conn.execute(select(leaves_t.c.idx, leaves_t.c.entry_id).order_by(leaves_t.c.idx)):
        if idx != len(leaf_hashes):
            raise AuditFailure(f"leaf index {len(leaf_hashes)}: missing (next stored leaf is {idx})")
        leaf_hashes.append(hashes.pop(entry_id))
    queued = set(conn.execute(select(queue_t.c.entry_id)).scalars())
    lost = sorted(set(hashes) - queued)
    if lost:
        raise AuditFailure(f"entry id {lost[0]}: neither in the log nor queued for it")
    return leaf_hashes


def _audit_checkpoints(conn, leaf_hashes: list[bytes], verifier: Verifier, origin: str) -> int:  # noqa: ANN001
    edge, count = CompactRange(), 0
    for row in conn.execute(select(checkpoints_t).order_by(checkpoints_t.c.size)):
        try:
            cp = open_checkpoint(row.note, verifier, origin)
        except SuyuanError as exc:
            raise AuditFailure(f"checkpoint of size {row.size}: {exc}") from exc
        if cp.size != row.size or cp.root_hash != bytes(row.root):
            raise AuditFailure(f"checkpoint of size {row.size}: stored size/root differ from the signed note")
        if cp.size > len(leaf_hashes):
            raise AuditFailure(f"checkpoint of size {cp.size}: the log has only {len(leaf_hashes)} leaves")
        while edge.size < cp.size:
            edge.append(leaf_hashes[edge.size])
        if edge.root() != cp.root_hash:
            raise AuditFailure(
                f"checkpoint of size {cp.size}: root expected {cp.root_hash.hex()}, "
                f"recomputed {edge.root().hex()} (a leaf below index {cp.size} changed)"
            )
        count += 1
    return count


def _audit_tiles(conn, leaf_hashes: list[bytes]) -> int:  # noqa: ANN001
    rebuilt = {(t.level, t.index): data for t, data in tiles.build_tiles(0, leaf_hashes, lambda l, i: b"")}
    count = 0
    for row in conn.execute(select(tiles_t).order_by(tiles_t.c.level, tiles_t.c.idx, tiles_t.c.width)):
        want = rebuilt.get((row.level, row.idx), b"")[: row.width * 32]
        if bytes(row.data) != want or len(want) != row.width * 32:
            raise AuditFailure(f"tile {row.level}/{tiles.format_index(row.idx)} width {row.width}: "
                               "stored hashes differ from those recomputed from the entries")
        count += 1
    return count

