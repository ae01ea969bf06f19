"""The hash-chain link check, alone and as `suyuan audit` uses it.

An entry that sits in the log (it has a leaf, a valid receipt, a signed
checkpoint over it) but does not link to its predecessor is exactly what the
link check exists for: only `prev` says it forked its chain.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from suyuan.errors import ChainBroken
from suyuan.ledger.audit import audit
from suyuan.ledger.chain import append
from suyuan.ledger.verify.entry import ZERO_HASH, canonical, check_link, make_entry
from suyuan.ledger.ledger import Ledger
from suyuan.ledger.models import Entry
from suyuan.ledger.verify.proofs import leaf_hash
from tests.ledger.helpers import forge_next, item_key, statement

ORIGIN = "links.suyuan.example/log"
RECORDED = "2026-11-27T08:00:01Z"
KEY = item_key(7, "LINK")


def _raw(seq: int, prev: str, key: str = KEY) -> bytes:
    return canonical(make_entry(statement(key), None, seq, prev, RECORDED))


def test_a_first_entry_linking_to_zero_passes_and_returns_the_parsed_entry():
    raw = _raw(0, ZERO_HASH)
    entry = check_link(KEY, 0, ZERO_HASH, raw, leaf_hash(raw))
    assert (entry.key, entry.seq, entry.hash) == (KEY, 0, leaf_hash(raw))


@pytest.mark.parametrize(("make", "what", "words"), [
    (lambda: (0, ZERO_HASH, _raw(0, "ab" * 32), None), "prev", f"prev expected {ZERO_HASH}, got {'ab' * 32}"),
    (lambda: (1, "cd" * 32, _raw(1, "ab" * 32), None), "prev", f"prev expected {'cd' * 32}, got {'ab' * 32}"),
    (lambda: (1, ZERO_HASH, _raw(0, ZERO_HASH), None), "position", f"position expected {KEY}#1, got {KEY}#0"),
    (lambda: (0, ZERO_HASH, _raw(0, ZERO_HASH, item_key(8, "X")), None), "position", f"got {item_key(8, 'X')}#0"),
    (lambda: (0, ZERO_HASH, _raw(0, ZERO_HASH), b"\x00" * 32), "hash", f"hash expected {'00' * 32}"),
    (lambda: (0, ZERO_HASH, _raw(0, ZERO_HASH) + b" ", None), "malformed", "a canonical ledger entry"),
])
def test_each_broken_link_is_named(make, what, words):
    seq, prev, raw, stored = make()
    with pytest.raises(ChainBroken) as caught:
        check_link(KEY, seq, prev, raw, stored)
    assert caught.value.what == what and caught.value.seq == seq
    assert words in str(caught.value)


def test_audit_names_an_integrated_entry_that_does_not_link(engine, log_signer):
    first = append(engine, statement(KEY))
    append(engine, statement(KEY, "list"))
    ledger = Ledger(engine, ORIGIN, log_signer)
    ledger.integrate(wait=True)
    assert audit(engine, ledger.verifier_key, ORIGIN).summary().startswith("audit ok")

    forged = forge_next(engine, KEY, first.hash.hex(), seq=2)  # links past seq 1
    ledger.integrate(wait=True)
    with engine.connect() as conn:  # in the log, signed: only the link check can object
        assert conn.execute(select(Entry.hash).where(Entry.seq == 2)).scalar() == leaf_hash(forged)
    with pytest.raises(ChainBroken) as caught:
        audit(engine, ledger.verifier_key, ORIGIN)
    assert (caught.value.key, caught.value.seq, caught.value.what) == (KEY, 2, "prev")
    assert caught.value.got == first.hash.hex()
