"""Per-key hash chains: links, idempotency, conflicts and concurrency on both engines."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import select

from suyuan.errors import Conflict, InputError
from suyuan.ledger.chain import append
from suyuan.ledger.verify.entry import ZERO_HASH, ParsedEntry
from suyuan.ledger.models import Entry, Leaf, QueueItem
from suyuan.ledger.sequencer import Sequencer
from suyuan.ledger.verify.proofs import leaf_hash
from tests.ledger.helpers import item_key, statement


def _chain(engine, key):
    with engine.connect() as conn:
        rows = conn.execute(
            select(Entry.canonical).where(Entry.key == key).order_by(Entry.seq)
        ).scalars().all()
    return [ParsedEntry.from_bytes(bytes(r)) for r in rows]


def _assert_contiguous(entries):
    prev = ZERO_HASH
    for i, e in enumerate(entries):
        assert (e.seq, e.prev) == (i, prev), f"fork or gap at seq {i}"
        prev = e.hash.hex()


def test_first_entry_links_to_zero_and_next_to_previous(engine):
    first = append(engine, statement(kind="register", name="对虾"))
    second = append(engine, statement(kind="list", price="88.00"))
    assert first.seq == 0 and second.seq == 1
    e0, e1 = _chain(engine, item_key())
    assert e0.prev == ZERO_HASH and e1.prev == first.hash.hex()
    assert leaf_hash(first.entry) == first.hash


def test_entry_layout_is_exactly_the_design(engine):
    st = statement(weight_g=1000)
    done = append(engine, st, sig="c2ln")
    obj = json.loads(done.entry)
    assert set(obj) == {"v", "statement", "sig", "seq", "prev", "recorded"}
    assert obj["v"] == 1 and obj["statement"] == st and obj["sig"] == "c2ln"
    # canonical bytes are stored verbatim and are RFC 8785: keys sorted, no spaces
    assert done.entry.startswith(b'{"prev":"0000') and b" " not in done.entry.split(b'"recorded"')[0]


def test_retry_returns_original_and_different_statement_conflicts(engine):
    st = statement()
    first = append(engine, st)
    again = append(engine, dict(st))
    assert not again.created and again.hash == first.hash and again.seq == first.seq
    with pytest.raises(Conflict, match="already used for a different statement"):
        append(engine, {**st, "data": {"other": 1}})
    assert len(_chain(engine, item_key())) == 1


@pytest.mark.parametrize("bad, message", [
    ({"data": {"w": 1.5}}, "got the float 1.5"),
    ({"data": {"w": 2**60}}, "within ±"),
    ({"time": "yesterday"}, "RFC 3339"),
    ({"time": "2026-11-27T08:00:00"}, "RFC 3339"),
    ({"id": "not-a-uuid"}, "expected a UUID"),
    ({"type": "Bad Type"}, "lower-case"),
    ({"data": []}, "expected a JSON object"),
    ({"extra": 1}, "Unknown statement field 'extra'"),
])
def test_bad_statements_write_nothing(engine, bad, message):
    with pytest.raises(InputError, match=message):
        append(engine, {**statement(), **bad})
    with engine.connect() as conn:
        assert conn.execute(select(Entry.id)).first() is None
        assert conn.execute(select(QueueItem.id)).first() is None


def _hammer(engine, keys):
    results, errors = [], []

    def work(key):
        try:
            results.append(append(engine, statement(key)))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    return results


def _assert_all_in_the_log(engine, signer, results):
    size = Sequencer(engine, "test.suyuan.example/log", signer).integrate_all()
    with engine.connect() as conn:
        logged = set(conn.execute(select(Entry.hash).join(Leaf, Leaf.entry_id == Entry.id)).scalars())
    assert size == len(logged) and {r.hash for r in results} <= {bytes(h) for h in logged}


def test_32_concurrent_writers_on_one_key_make_one_contiguous_chain(engine, log_signer):
    key = item_key(7, "HOT")
    results = _hammer(engine, [key] * 32)
    assert sorted(r.seq for r in results) == list(range(32))
    _assert_contiguous(_chain(engine, key))
    _assert_all_in_the_log(engine, log_signer, results)


def test_32_concurrent_writers_on_distinct_keys(engine, log_signer):
    keys = [item_key(8, f"K{i}") for i in range(32)]
    results = _hammer(engine, keys)
    assert all(r.seq == 0 for r in results) and len(results) == 32
    for key in keys:
        _assert_contiguous(_chain(engine, key))
    _assert_all_in_the_log(engine, log_signer, results)


def test_concurrent_retries_of_one_statement_record_it_once(engine):
    st = statement(item_key(9, "RETRY"))
    results = []
    threads = [threading.Thread(target=lambda: results.append(append(engine, dict(st)))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.created for r in results) == 1 and len({r.hash for r in results}) == 1
    assert len(_chain(engine, item_key(9, "RETRY"))) == 1


def test_appends_to_different_keys_do_not_wait_on_each_other(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time by design; this is PostgreSQL's promise")
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from suyuan.ledger.chain import append_in

    busy = item_key(10, "BUSY")
    append(engine, statement(busy))
    holder = engine.connect()
    tx = holder.begin()
    append_in(holder, statement(busy))  # holds the lock on BUSY's chain, uncommitted
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '2s'"))
            assert append_in(conn, statement(item_key(10, "FREE"))).seq == 0
        with pytest.raises(OperationalError, match="lock timeout"):
            with engine.begin() as conn:
                conn.execute(text("SET LOCAL lock_timeout = '200ms'"))
                append_in(conn, statement(busy))
    finally:
        tx.rollback()
        holder.close()
