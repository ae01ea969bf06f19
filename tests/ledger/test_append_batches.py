"""Appends in batches: repeats inside one batch, retries that differ only in key order or
signature, batches larger than one IN list, the entry size limit, and what each row stores."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from suyuan.errors import Conflict, InputError
from suyuan.ledger.chain import append, append_in, append_many, find_retry, recorded_ids
from suyuan.ledger.verify.entry import MAX_ENTRY_BYTES, ZERO_HASH, ParsedEntry, canonical, make_entry
from suyuan.ledger.models import Entry, QueueItem
from tests.ledger.helpers import item_key, statement

NOW = datetime(2026, 11, 27, 8, 30, 1, 250000, tzinfo=timezone.utc)


def _rows(engine):
    with engine.connect() as conn:
        return conn.execute(select(Entry.key, Entry.seq, Entry.type, Entry.actor, Entry.statement_id,
                                   Entry.canonical).order_by(Entry.id)).all()


def test_the_entry_records_the_time_and_the_row_its_columns(engine):
    st = statement(kind="register", actor=None) | {"actor": "7c0e8a2e-5b1f-4f1c-9a53-2a0f1c9d7e10"}
    with engine.begin() as conn:
        done = append_in(conn, st, None, now=NOW)
    entry = ParsedEntry.from_bytes(done.entry)
    assert entry.recorded == "2026-11-27T08:30:01.250000Z"
    assert json.loads(done.entry) == {"v": 1, "statement": st, "seq": 0, "prev": ZERO_HASH,
                                      "recorded": "2026-11-27T08:30:01.250000Z"}
    [row] = _rows(engine)
    assert (row.key, row.seq, row.type, row.actor, row.statement_id) == (
        st["key"], 0, "register", st["actor"], st["id"])
    assert bytes(row.canonical) == done.entry
    with engine.connect() as conn:
        assert conn.execute(select(QueueItem.entry_id)).scalars().all() == [1]


def test_a_statement_repeated_inside_one_batch_is_recorded_once(engine):
    a, b = statement(kind="register"), statement(kind="list", price="1.00")
    done = append_many(engine, [(a, None), (a, None), (b, None)])
    assert [(d.seq, d.created) for d in done] == [(0, True), (0, False), (1, True)]
    assert done[1].entry == done[0].entry and done[1].hash == done[0].hash and done[1].key == a["key"]
    assert done[1].log_index is None
    assert [(r.seq, r.statement_id) for r in _rows(engine)] == [(0, a["id"]), (1, b["id"])]
    with pytest.raises(Conflict) as caught:
        append_many(engine, [(b | {"id": a["id"]}, None)])
    assert str(caught.value) == (f"Statement id {a['id']} was already used for a different statement; "
                                 "send a new id for a new statement.")
    with pytest.raises(Conflict, match=f"^Statement id {b['id']} was already used"):
        append_many(engine, [(a | {"id": b["id"]}, None), (b, None)])


def test_a_retry_is_the_same_statement_whatever_its_key_order_but_not_with_another_sig(engine):
    st = statement(kind="register", name="对虾", grade="A")
    first = append(engine, st, "c2ln")
    reordered = json.loads(json.dumps(dict(reversed(list(st.items())))))
    reordered["data"] = dict(reversed(list(st["data"].items())))
    again = append(engine, reordered, "c2ln")
    assert (again.created, again.entry, again.hash, again.key, again.seq) == (
        False, first.entry, first.hash, first.key, first.seq)
    with pytest.raises(Conflict):
        append(engine, st, None)
    with pytest.raises(Conflict):
        append(engine, st, "b3RoZXI=")
    with engine.connect() as conn:
        found = find_retry(conn, reordered, "c2ln")
        assert (found.entry, found.created) == (first.entry, False)
        assert find_retry(conn, statement(), None) is None
        assert set(recorded_ids(conn, [st["id"], statement()["id"]])) == {st["id"]}


def test_a_batch_larger_than_one_in_list_appends_and_retries_every_statement(engine):
    sts = [statement(key=item_key(1, f"S{i}")) for i in range(1001)] + [statement(key=item_key(1, "S0"), kind="list")]
    done = append_many(engine, [(s, None) for s in sts])
    assert [d.seq for d in done] == [0] * 1001 + [1]
    assert done[-1].created and json.loads(done[-1].entry)["prev"] == done[0].hash.hex()
    again = append_many(engine, [(s, None) for s in sts])
    assert [(a.created, a.seq, a.entry) for a in again] == [(False, d.seq, d.entry) for d in done]
    more = append(engine, statement(key=item_key(1, "S1000"), kind="list"))
    assert more.seq == 1 and json.loads(more.entry)["prev"] == done[1000].hash.hex()


def test_an_entry_of_exactly_the_limit_is_taken_and_one_byte_more_refused(engine):
    def entry_size(st):
        return len(canonical(make_entry(st, None, 0, ZERO_HASH, "2026-11-27T08:30:01.250000Z")))

    st = statement(kind="register", pad="")
    st["data"]["pad"] = "x" * (MAX_ENTRY_BYTES - entry_size(st))
    assert entry_size(st) == MAX_ENTRY_BYTES
    with engine.begin() as conn:
        assert len(append_in(conn, st, None, now=NOW).entry) == MAX_ENTRY_BYTES
    over = statement(key=item_key(2), kind="register", pad="")
    over["data"]["pad"] = "x" * (MAX_ENTRY_BYTES - entry_size(over) + 1)
    with engine.begin() as conn, pytest.raises(InputError) as caught:
        append_in(conn, over, None, now=NOW)
    assert str(caught.value) == (f"Entry too large: expected at most {MAX_ENTRY_BYTES} canonical bytes, "
                                 f"got {MAX_ENTRY_BYTES + 1}.")


def test_a_lone_surrogate_is_refused_as_bad_input_and_writes_nothing(engine):
    with pytest.raises(InputError, match=r"^Value cannot be canonicalised \(RFC 8785\): "):
        append(engine, statement(kind="register", name="\ud800"))
    assert _rows(engine) == []


def test_a_retry_of_a_batch_over_two_in_lists_finds_every_original(engine):
    # Ids are looked up 1,000 per IN list: a batch past 2,000 needs the third list too.
    batch = [(statement(kind="register"), None) for _ in range(2101)]
    first = append_many(engine, batch)
    again = append_many(engine, batch)
    assert all(d.created for d in first) and not any(d.created for d in again)
    assert [d.hash for d in again] == [d.hash for d in first]
    assert len(_rows(engine)) == 2101
