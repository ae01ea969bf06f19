"""Queue, then integrate: the single sequencer of the Merkle log.

Writers only enqueue (see `chain.py`); the sequencer takes queued entries in
order, gives them contiguous leaf indices, writes the hash tiles that grew and
signs one checkpoint per batch, all in one transaction (Trillian's and
Tessera's design). One sequencer at a time: a PostgreSQL advisory lock held for
the transaction makes it single across worker processes; in SQLite the
`BEGIN IMMEDIATE` write lock already does.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, func, select

from suyuan.ledger.verify import tiles
from suyuan.ledger.verify.checkpoint import Checkpoint as CheckpointBody
from suyuan.ledger.models import Checkpoint, Entry, Leaf, QueueItem, Tile
from suyuan.ledger.signer import LogSigner
from suyuan.ledger.tilestore import TileReader, tree_root

# An arbitrary constant naming the sequencer's lock among advisory locks.
SEQUENCER_LOCK = 0x5359_5951  # "SYYQ"

queue_t = QueueItem.__table__
entries_t = Entry.__table__
leaves_t = Leaf.__table__
tiles_t = Tile.__table__
checkpoints_t = Checkpoint.__table__


@dataclass(frozen=True)
class Integrated:
    old_size: int
    size: int
    root: bytes
    note: str


class Sequencer:
    """Integrates one log, named by its origin and signed with its key."""

    def __init__(self, engine: Engine, origin: str, signer: LogSigner):
        self.engine = engine
        self.origin = origin
        self.signer = signer

    def integrate(self, batch: int = 20000, *, wait: bool = False) -> Integrated | None:
        """Integrate up to `batch` queued entries; None if another sequencer holds the lock.

        Signs a checkpoint when the log grew, or when it has none yet.
        """
        with self.engine.begin() as conn:
            if not self._lock(conn, wait):
                return None
            size = conn.execute(select(func.max(checkpoints_t.c.size))).scalar()
            queued = conn.execute(
                select(queue_t.c.id, queue_t.c.entry_id, entries_t.c.hash)
                .join(entries_t, entries_t.c.id == queue_t.c.entry_id)
                .order_by(queue_t.c.id)
                .limit(batch)
            ).all()
            if size is not None and not queued:
                return Integrated(size, size, b"", "")
            size = size or 0
            if queued:
                self._add_leaves(conn, size, queued)
            new_size = size + len(queued)
            root = tree_root(conn, new_size)
            note = self.signer.sign_checkpoint(CheckpointBody(self.origin, new_size, root))
            conn.execute(checkpoints_t.insert().values(size=new_size, root=root, note=note))
            return Integrated(size, new_size, root, note)

    def integrate_all(self, batch: int = 20000) -> int:
        """Integrate until the queue is empty (waiting for the lock); return the tree size."""
        while True:
            done = self.integrate(batch, wait=True)
            if done is not None and done.size - done.old_size < batch:
                return done.size

    @staticmethod
    def _lock(conn: Connection, wait: bool) -> bool:
        if conn.dialect.name != "postgresql":
            return True
        if wait:
            conn.execute(select(func.pg_advisory_xact_lock(SEQUENCER_LOCK)))
            return True
        return bool(conn.execute(select(func.pg_try_advisory_xact_lock(SEQUENCER_LOCK))).scalar())

    @staticmethod
    def _add_leaves(conn: Connection, size: int, queued) -> None:  # noqa: ANN001
        conn.execute(
            leaves_t.insert(),
            [{"idx": size + i, "entry_id": row.entry_id} for i, row in enumerate(queued)],
        )
        conn.execute(queue_t.delete().where(queue_t.c.id.in_([row.id for row in queued])))
        reader = TileReader(conn)
        grown = tiles.build_tiles(size, [row.hash for row in queued], reader)
        conn.execute(
            tiles_t.insert(),
            [{"level": t.level, "idx": t.index, "width": t.width, "data": data} for t, data in grown],
        )
