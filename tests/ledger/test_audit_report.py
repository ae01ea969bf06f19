"""`suyuan audit`, exactly: the counts it reports on an honest log, and each kind of damage
behind the append-only triggers named by its own sentence (leaf, queue, checkpoint, tile, chain)."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import delete, func, select, text, update

from suyuan.errors import ChainBroken, VerificationError
from suyuan.ledger.verify import proofs
from suyuan.ledger.audit import AuditReport, CompactRange, audit
from suyuan.ledger.chain import append_many
from suyuan.ledger.ledger import Ledger
from suyuan.ledger.models import Checkpoint, Entry, Leaf, QueueItem, Tile
from tests.ledger.helpers import item_key, statement

ORIGIN = "test.suyuan.example/log"


@pytest.fixture
def ledger(engine, log_signer):
    led = Ledger(engine, ORIGIN, log_signer)
    led.integrate()  # the empty checkpoint
    append_many(engine, [(statement(item_key(i % 3, f"S{i % 3}")), None) for i in range(7)])
    led.integrate()
    append_many(engine, [(statement(item_key(i % 3, f"S{i % 3}")), None) for i in range(5)])
    led.integrate()
    return led


def _unguard(conn, table):
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    else:
        conn.execute(text(f"DROP TRIGGER {table}_no_update"))
        conn.execute(text(f"DROP TRIGGER {table}_no_delete"))


def _audit(ledger, origin=ORIGIN):
    return audit(ledger.engine, ledger.verifier_key, origin)


def _fails(ledger, kind=VerificationError):
    with pytest.raises(kind) as caught:
        _audit(ledger)
    return str(caught.value)


def test_compact_range_root_is_the_tree_root_at_every_size():
    leaves = [proofs.leaf_hash(bytes([i])) for i in range(70)]
    edge = CompactRange()
    assert edge.root() == proofs.root([]) == proofs.EMPTY_ROOT
    for n, leaf in enumerate(leaves, start=1):
        edge.append(leaf)
        assert edge.size == n and edge.root() == proofs.root(leaves[:n]), n


def test_an_honest_log_is_counted_exactly(ledger):
    with ledger.engine.connect() as conn:
        n_tiles = conn.execute(select(func.count()).select_from(Tile)).scalar_one()
    report = _audit(ledger)
    assert report == AuditReport(entries=12, chains=3, tree_size=12, checkpoints=3, tiles=n_tiles)
    assert n_tiles >= 2
    assert report.summary() == (f"audit ok: 12 entries in 3 chains, tree size 12, 3 checkpoints signed and "
                                f"consistent, {n_tiles} tiles match")


def test_queued_entries_are_counted_but_not_in_the_tree(ledger):
    append_many(ledger.engine, [(statement(item_key(9)), None)])
    report = _audit(ledger)
    assert (report.entries, report.chains, report.tree_size) == (13, 4, 12)


def test_another_origin_is_refused(ledger):
    with pytest.raises(VerificationError) as caught:
        _audit(ledger, "other.example/log")
    assert str(caught.value) == (f"checkpoint of size 0: checkpoint origin: expected 'other.example/log', "
                                 f"got '{ORIGIN}'")


def test_a_missing_leaf_is_named(ledger):
    with ledger.engine.begin() as conn:
        _unguard(conn, "log_leaves")
        conn.execute(delete(Leaf).where(Leaf.idx == 5))
    assert _fails(ledger) == "leaf index 5: missing (next stored leaf is 6)"


def test_an_entry_neither_in_the_log_nor_queued_is_named(ledger):
    append_many(ledger.engine, [(statement(item_key(8)), None), (statement(item_key(9)), None)])
    with ledger.engine.begin() as conn:
        ids = conn.execute(select(QueueItem.entry_id).order_by(QueueItem.entry_id)).scalars().all()
        conn.execute(delete(QueueItem))
    assert _fails(ledger) == f"entry id {ids[0]}: neither in the log nor queued for it"


def test_a_checkpoint_beyond_the_leaves_is_named(ledger):
    with ledger.engine.begin() as conn:
        _unguard(conn, "log_leaves")
        last = conn.execute(select(Leaf.entry_id).where(Leaf.idx == 11)).scalar_one()
        conn.execute(delete(Leaf).where(Leaf.idx == 11))
        conn.execute(QueueItem.__table__.insert().values(entry_id=last))
    assert _fails(ledger) == "checkpoint of size 12: the log has only 11 leaves"


@pytest.mark.parametrize("column", ["root", "size"])
def test_a_checkpoint_row_that_differs_from_its_note_is_named(ledger, column):
    with ledger.engine.begin() as conn:
        _unguard(conn, "checkpoints")
        value = b"\x01" * 32 if column == "root" else 8
        conn.execute(update(Checkpoint).where(Checkpoint.size == 7).values(**{column: value}))
    size = 7 if column == "root" else 8
    assert _fails(ledger) == f"checkpoint of size {size}: stored size/root differ from the signed note"


def test_a_checkpoint_note_not_signed_by_the_log_is_named(ledger):
    with ledger.engine.begin() as conn:
        _unguard(conn, "checkpoints")
        note = conn.execute(select(Checkpoint.note).where(Checkpoint.size == 7)).scalar_one()
        conn.execute(update(Checkpoint).where(Checkpoint.size == 7).values(note=note.replace("\n7\n", "\n6\n")))
    assert _fails(ledger).startswith("checkpoint of size 7: signature by key test.suyuan.example/log+")


def test_a_changed_tile_is_named(ledger):
    with ledger.engine.begin() as conn:
        _unguard(conn, "log_tiles")
        tile = conn.execute(select(Tile).order_by(Tile.level, Tile.idx, Tile.width.desc())).first()
        data = bytearray(tile.data)
        data[random.randrange(len(data))] ^= 1
        conn.execute(update(Tile).where((Tile.level == tile.level) & (Tile.idx == tile.idx)
                                        & (Tile.width == tile.width)).values(data=bytes(data)))
    assert _fails(ledger) == (f"tile {tile.level}/000 width {tile.width}: stored hashes differ from those "
                              "recomputed from the entries")


def test_a_gap_in_a_chain_is_named_by_key_and_seq(ledger):
    key = item_key(1, "S1")
    with ledger.engine.begin() as conn:
        for table in ("entries", "log_leaves"):
            _unguard(conn, table)
        gone = conn.execute(select(Entry.id).where((Entry.key == key) & (Entry.seq == 1))).scalar_one()
        conn.execute(delete(Leaf).where(Leaf.entry_id == gone))
        conn.execute(delete(Entry).where(Entry.id == gone))
    assert _fails(ledger, ChainBroken) == f"chain '{key}' broken at seq 1: position expected {key}#1, got {key}#2"


def test_a_tile_the_entries_do_not_make_is_named(ledger):
    with ledger.engine.begin() as conn:
        conn.execute(Tile.__table__.insert().values(level=5, idx=0, width=1, data=b"\x00" * 32))
    assert _fails(ledger) == ("tile 5/000 width 1: stored hashes differ from those recomputed from the entries")
