"""Queue, then integrate: the single sequencer of the Merkle log.

Writers only enqueue (see `chain.py`); the sequencer takes queued entries in
order, gives them contiguous leaf indices, writes the hash tiles that grew and
signs one checkpoint per batch, all in one transaction (Trillian's and
Tessera's design). One sequencer at a time: a PostgreSQL advisory lock held for
the transaction makes it single across worker processes; in SQLite the
`BEGIN IMMEDIATE` write lock already does.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, func, select

from suyuan.errors import NotInitialised
from suyuan.ledger.verify import tiles
from suyuan.ledger.verify.checkpoint import Checkpoint as CheckpointBody
from suyuan.ledger.models import Checkpoint, Entry, Leaf, QueueItem, Tile
from suyuan.ledger.published import Published, PublishedState
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

    def __init__(self, engine: Engine, origin: str, signer: LogSigner, published: PublishedState | None = None):
        self.engine = engine
        self.origin = origin
        self.signer = signer
        self.published = published  # None: no memory outside the database (library use, tests)
        self._verified: Published | None = None  # the remembered checkpoint this database was seen to extend
        self._saving = threading.Lock()  # request threads integrate too (`wait=true`)

    def integrate(self, batch: int = 20000, *, wait: bool = False) -> Integrated | None:
        """Integrate up to `batch` queued entries; None if another sequencer holds the lock.

        Signs a checkpoint when the log grew, or when it has none yet. Raises
        LogForkRefused, signing nothing, when the tree does not extend the
        checkpoint published last (see `suyuan.ledger.published`).
        """
        with self.engine.begin() as conn:
            if not self._lock(conn, wait):
                return None
            latest = conn.execute(select(checkpoints_t.c.size, checkpoints_t.c.root)
                                  .order_by(checkpoints_t.c.size.desc()).limit(1)).first()
            queued = conn.execute(
                select(queue_t.c.id, queue_t.c.entry_id, entries_t.c.hash)
                .join(entries_t, entries_t.c.id == queue_t.c.entry_id)
                .order_by(queue_t.c.id)
                .limit(batch)
            ).all()
            if latest is not None and not queued:
                self._guard(conn, latest.size, latest.root)
                done = Integrated(latest.size, latest.size, b"", "")
                new = Published(self.origin, latest.size, latest.root)
            else:
                size = latest.size if latest is not None else 0
                if queued:
                    self._add_leaves(conn, size, queued)
                new_size = size + len(queued)
                root = tree_root(conn, new_size)
                self._guard(conn, new_size, root)  # before signing: nothing signed on a fork
                note = self.signer.sign_checkpoint(CheckpointBody(self.origin, new_size, root))
                conn.execute(checkpoints_t.insert().values(size=new_size, root=root, note=note))
                done = Integrated(size, new_size, root, note)
                new = Published(self.origin, new_size, root)
        self._remember(new)  # committed: the checkpoint can be served from now on
        return done

    def _guard(self, conn: Connection, size: int, root: bytes) -> None:
        if self.published is None or self.published.last in (None, self._verified):
            return
        self.published.check(self.origin, size, lambda n: root if n == size else tree_root(conn, n))
        self._verified = self.published.last

    def _remember(self, new: Published) -> None:
        if self.published is None:
            return
        with self._saving:
            last = self.published.last
            if last is None or new.size > last.size:
                self.published.save(new)
            self._verified = self.published.last

    def recover(self) -> tuple[Published | None, Published]:
        """Accept the database's log as it is: remember its latest checkpoint (`suyuan log recover`).

        Returns what was remembered before and what is now. The checkpoints
        published after the remembered one in the lost database stay out
        there; verifiers holding them will see a fork: tell them.
        """
        if self.published is None:
            raise ValueError("expected a sequencer with a published state, got none")
        with self.engine.connect() as conn:
            latest = conn.execute(select(checkpoints_t.c.size, checkpoints_t.c.root)
                                  .order_by(checkpoints_t.c.size.desc()).limit(1)).first()
        if latest is None:
            raise NotInitialised("The database has no checkpoint yet: run `suyuan init` first.")
        before = self.published.last
        self.published.save(Published(self.origin, latest.size, latest.root))
        self._verified = self.published.last
        return before, self.published.last

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
