"""The Merkle log: sequencing, stored tiles, checkpoints, proofs from tiles, append-only tables, audit."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from suyuan.errors import ChainBroken, VerificationError
from suyuan.ledger import tilestore
from suyuan.ledger.verify import proofs
from suyuan.ledger.audit import audit
from suyuan.ledger.chain import append, append_many
from suyuan.ledger.verify.checkpoint import open_checkpoint
from suyuan.ledger.ledger import Ledger
from suyuan.ledger.models import LEDGER_TABLES, Entry, Leaf
from suyuan.ledger.verify.note import Verifier
from suyuan.ledger.verify.receipt import verify_receipt
from tests.ledger.helpers import item_key, statement

ORIGIN = "test.suyuan.example/log"


@pytest.fixture
def ledger(engine, log_signer):
    return Ledger(engine, ORIGIN, log_signer)


def _fill(ledger, n, key_count=7):
    items = [(statement(item_key(i % key_count, f"S{i % key_count}")), None) for i in range(n)]
    for i in range(0, n, 500):
        append_many(ledger.engine, items[i : i + 500])


def _leaf_hashes(engine):
    with engine.connect() as conn:
        return [bytes(h) for h in conn.execute(
            select(Entry.hash).join(Leaf, Leaf.entry_id == Entry.id).order_by(Leaf.idx)
        ).scalars()]


def test_first_integration_signs_an_empty_checkpoint(ledger):
    done = ledger.integrate()
    assert (done.size, done.root) == (0, proofs.root([]))
    cp = open_checkpoint(ledger.checkpoint(), Verifier.from_key(ledger.verifier_key), ORIGIN)
    assert cp.size == 0


def test_batches_get_contiguous_leaves_and_a_checkpoint_each(ledger):
    sizes = []
    for batch in (1, 5, 300, 17):
        _fill(ledger, batch)
        sizes.append(ledger.integrate().size)
    assert sizes == [1, 6, 306, 323]
    hashes = _leaf_hashes(ledger.engine)
    assert len(hashes) == 323
    with ledger.engine.connect() as conn:
        for size in sizes:
            assert bytes(tilestore.checkpoint_at(conn, size).root) == proofs.root(hashes[:size])


def test_proofs_from_stored_tiles_equal_in_memory_proofs(ledger):
    rng = random.Random(7)
    sizes = []
    for _ in range(8):
        _fill(ledger, rng.randint(1, 160))
        sizes.append(ledger.integrate().size)
    hashes = _leaf_hashes(ledger.engine)
    with ledger.engine.connect() as conn:
        for size in sizes:
            for index in {0, size - 1, rng.randrange(size)}:
                assert tilestore.inclusion_proof(conn, index, size) == proofs.inclusion_proof(
                    index, hashes[:size]), (index, size)
        for a in sizes:
            for b in sizes:
                if a <= b:
                    assert tilestore.consistency_proof(conn, a, b) == proofs.consistency_proof(
                        a, hashes[:b]), (a, b)


def test_hash_tiles_match_the_leaves(ledger):
    _fill(ledger, 700)
    ledger.integrate()
    hashes = _leaf_hashes(ledger.engine)
    assert ledger.hash_tile(0, 0, 256) == b"".join(hashes[:256])
    assert ledger.hash_tile(0, 2, 188) == b"".join(hashes[512:700])
    assert ledger.hash_tile(1, 0, 2) == proofs.root(hashes[:256]) + proofs.root(hashes[256:512])


def test_receipt_verifies_offline(ledger):
    done = append(ledger.engine, statement())
    _fill(ledger, 40)
    ledger.integrate()
    receipt = ledger.receipt(done.hash)
    cp = verify_receipt(receipt, ledger.verifier_key, done.entry)
    assert cp.size == 41
    with pytest.raises(VerificationError):
        verify_receipt(receipt, ledger.verifier_key, done.entry.replace(b"register", b"registeR"))


def test_second_sequencer_waits_its_turn(ledger):
    _fill(ledger, 50)
    assert ledger.sequencer.integrate_all(batch=20) == 50
    assert ledger.integrate().size == 50  # nothing queued: no new checkpoint


@pytest.mark.parametrize("table", LEDGER_TABLES)
def test_ledger_tables_refuse_update_and_delete(ledger, table):
    _fill(ledger, 3)
    ledger.integrate()
    column = {"chains": "key", "entries": "type", "log_leaves": "idx", "log_tiles": "width",
              "checkpoints": "note"}[table]
    for sql in (f"UPDATE {table} SET {column} = {column}", f"DELETE FROM {table}"):
        with pytest.raises(DBAPIError, match=f"refused: {table} is an append-only ledger table"):
            with ledger.engine.begin() as conn:
                conn.execute(text(sql))


def _drop_triggers(conn, table):
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    else:
        conn.execute(text(f"DROP TRIGGER {table}_no_update"))


def test_audit_passes_on_an_honest_log(ledger):
    _fill(ledger, 600)
    ledger.integrate()
    _fill(ledger, 30)
    ledger.integrate()
    report = audit(ledger.engine, ledger.verifier_key, ORIGIN)
    assert (report.entries, report.tree_size, report.checkpoints) == (630, 630, 2)


def test_audit_names_an_entry_edited_behind_the_triggers(ledger):
    _fill(ledger, 20)
    ledger.integrate()
    with ledger.engine.begin() as conn:
        _drop_triggers(conn, "entries")
        row = conn.execute(select(Entry.id, Entry.key, Entry.seq, Entry.canonical)
                           .order_by(Entry.id).limit(1)).first()
        forged = bytes(row.canonical).replace(b'"register"', b'"recall"')
        conn.execute(Entry.__table__.update().where(Entry.id == row.id).values(canonical=forged))
    with pytest.raises(ChainBroken, match=f"chain '{row.key}' broken at seq {row.seq}: hash expected"):
        audit(ledger.engine, ledger.verifier_key, ORIGIN)


def test_audit_names_a_rehashed_entry_by_its_successor_or_the_checkpoint(ledger):
    _fill(ledger, 20, key_count=1)
    ledger.integrate()
    with ledger.engine.begin() as conn:
        _drop_triggers(conn, "entries")
        row = conn.execute(select(Entry.id, Entry.key, Entry.canonical).where(Entry.seq == 19)).first()
        forged = bytes(row.canonical).replace(b'"register"', b'"recall"')
        conn.execute(Entry.__table__.update().where(Entry.id == row.id)
                     .values(canonical=forged, hash=proofs.leaf_hash(forged)))
    with pytest.raises(VerificationError, match="checkpoint of size 20: root expected"):
        audit(ledger.engine, ledger.verifier_key, ORIGIN)
