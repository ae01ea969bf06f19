"""The ledger service: one log's identity (origin, key) plus its storage.

Everything the API and the CLI do with the ledger goes through here, so that
transactions live in one layer. Several `Ledger`s (shards) can share a process:
nothing here is a module-level singleton.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from suyuan.errors import NotFound
from suyuan.ledger import tilestore
from suyuan.ledger.chain import Appended, append, append_many, leaves_t
from suyuan.ledger.models import Entry
from suyuan.ledger.verify.receipt import Receipt
from suyuan.ledger.published import PublishedState
from suyuan.ledger.sequencer import Integrated, Sequencer
from suyuan.ledger.signer import LogSigner

entries_t = Entry.__table__


@dataclass(frozen=True)
class StoredEntry:
    canonical: bytes
    hash: bytes
    key: str
    seq: int
    log_index: int | None

    @property
    def entry(self) -> dict[str, Any]:
        return json.loads(self.canonical)

    def public(self) -> dict[str, Any]:
        return {
            "hash": self.hash.hex(),
            "key": self.key,
            "seq": self.seq,
            "log_index": self.log_index,
            "entry": self.entry,
            "canonical": base64.b64encode(self.canonical).decode(),
        }


class Ledger:
    def __init__(self, engine: Engine, origin: str, signer: LogSigner, published: PublishedState | None = None):
        self.engine = engine
        self.origin = origin
        self.signer = signer
        self.sequencer = Sequencer(engine, origin, signer, published)
        self.verifier_key = signer.verifier_key(origin)

    def _read(self):  # noqa: ANN202
        return self.engine.connect().execution_options(readonly=True)

    # --- writing -------------------------------------------------------------

    def append(self, statement: dict[str, Any], sig: str | None = None) -> Appended:
        return append(self.engine, statement, sig)

    def append_many(self, items) -> list[Appended]:  # noqa: ANN001
        return append_many(self.engine, items)

    def integrate(self, batch: int = 20000, *, wait: bool = False) -> Integrated | None:
        return self.sequencer.integrate(batch, wait=wait)

    def wait_for_checkpoint(self, entry_hash: bytes, timeout: float = 10.0) -> int | None:
        """Integrate (or wait for the sequencer) until the entry is checkpointed."""
        deadline = time.monotonic() + timeout
        while True:
            with self._read() as conn:
                index = tilestore.leaf_index_of(conn, entry_hash)
            if index is not None:
                return index
            if time.monotonic() > deadline:
                return None
            if self.integrate() is None:
                time.sleep(0.01)

    # --- reading -------------------------------------------------------------

    def _row_to_entry(self, row) -> StoredEntry:  # noqa: ANN001
        return StoredEntry(row.canonical, row.hash, row.key, row.seq, row.idx)

    def _entries_query(self):  # noqa: ANN202
        return select(
            entries_t.c.canonical, entries_t.c.hash, entries_t.c.key, entries_t.c.seq, leaves_t.c.idx
        ).outerjoin(leaves_t, leaves_t.c.entry_id == entries_t.c.id)

    def entry(self, entry_hash: bytes) -> StoredEntry:
        with self._read() as conn:
            row = conn.execute(self._entries_query().where(entries_t.c.hash == entry_hash)).first()
        if row is None:
            raise NotFound(f"No entry has hash {entry_hash.hex()}.")
        return self._row_to_entry(row)

    def chain(self, key: str, after: int = -1, limit: int = 1000) -> list[StoredEntry]:
        with self._read() as conn:
            rows = conn.execute(
                self._entries_query()
                .where(entries_t.c.key == key, entries_t.c.seq > after)
                .order_by(entries_t.c.seq)
                .limit(limit)
            ).all()
        return [self._row_to_entry(r) for r in rows]

    def checkpoint(self) -> str:
        with self._read() as conn:
            return tilestore.latest_checkpoint(conn).note

    def receipt(self, entry_hash: bytes) -> str:
        """C2SP tlog-proof@v1 text for the entry against the latest checkpoint."""
        with self._read() as conn:
            stored = conn.execute(self._entries_query().where(entries_t.c.hash == entry_hash)).first()
            if stored is None:
                raise NotFound(f"No entry has hash {entry_hash.hex()}.")
            if stored.idx is None:
                raise NotFound(
                    f"Entry {entry_hash.hex()} is not in the log yet; retry in a second."
                )
            cp = tilestore.latest_checkpoint(conn)
            proof = tilestore.inclusion_proof(conn, stored.idx, cp.size)
        return Receipt(index=stored.idx, proof=proof, checkpoint_note=cp.note).format()

    def consistency(self, first: int, second: int) -> dict[str, Any]:
        with self._read() as conn:
            cp1 = tilestore.checkpoint_at(conn, first)
            cp2 = tilestore.checkpoint_at(conn, second)
            proof = tilestore.consistency_proof(conn, first, second)
        b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
        return {
            "first": first, "second": second,
            "first_root": b64(cp1.root), "second_root": b64(cp2.root),
            "proof": [b64(p) for p in proof],
        }

    def hash_tile(self, level: int, index: int, width: int) -> bytes:
        with self._read() as conn:
            return tilestore.hash_tile(conn, level, index, width)

    def entry_tile(self, index: int, width: int) -> bytes:
        with self._read() as conn:
            return tilestore.entry_tile(conn, index, width)
