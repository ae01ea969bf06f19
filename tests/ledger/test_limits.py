"""The edges the pure ledger code accepts: the last value inside each limit is taken, and
what is stored is normalised (bytes, tuples). test_refusals.py pins the first value outside.
"""

from __future__ import annotations

import base64
import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from suyuan.ledger.verify.checkpoint import MAX_ORIGIN_BYTES, MAX_TREE_SIZE, Checkpoint, open_checkpoint
from suyuan.ledger.verify.entry import ZERO_HASH, canonical, check_statement
from suyuan.ledger.verify.heads import ChainHead, ChainHeads
from suyuan.ledger.verify.note import MAX_SIGNATURES, Verifier, decode_base64, open_note, parse_note
from suyuan.ledger.verify.proofs import leaf_hash, node_hash
from suyuan.ledger.verify.receipt import MAX_INDEX, MAX_PROOF_LENGTH, Receipt
from suyuan.ledger.signer import LogSigner
from suyuan.ledger.verify.receipt import verify_receipt

ROOT = bytes(range(32))
SIGNER = LogSigner(Ed25519PrivateKey.from_private_bytes(bytes(32)))


def st(**kw):
    return {"key": "k", "type": "register", "time": "2026-11-27T08:00:00Z", "actor": None, "data": {},
            "id": str(uuid.UUID(int=1))} | kw


def test_statement_limits():
    for ok in (st(actor="a"), st(actor="a" * 200), st(type="a" * 64), st(type="a_1"),
               st(time="2026-11-27T16:00:00+08:00"), st(id=str(uuid.UUID(int=1)).upper())):
        assert check_statement(ok) is ok
    no_actor = {k: v for k, v in st().items() if k != "actor"}
    assert check_statement(no_actor) is no_actor
    assert canonical({"n": 2**53 - 1, "m": -(2**53 - 1)}) == b'{"m":-9007199254740991,"n":9007199254740991}'
    # Keys outside the BMP sort by UTF-16 code units (RFC 8785), not by code point.
    assert canonical({"\U0001f600": 1, "\uffff": 2}) == '{"\U0001f600":1,"\uffff":2}'.encode()
    assert canonical({"b": [True, None, "é"], "a": {}}) == '{"a":{},"b":[true,null,"é"]}'.encode()


def test_checkpoint_limits_and_normal_form():
    for size in (0, 1, MAX_TREE_SIZE):
        assert Checkpoint("o", size, ROOT).size == size
    long_origin = "a" * MAX_ORIGIN_BYTES
    assert Checkpoint(long_origin, 1, ROOT).origin == long_origin
    cp = Checkpoint("o b", 5, bytearray(ROOT), ["ext one"])
    assert type(cp.root_hash) is bytes and cp.extensions == ("ext one",)
    assert cp.body() == f"o b\n5\n{base64.b64encode(ROOT).decode()}\next one\n"
    assert Checkpoint.parse(cp.body()) == cp
    big = Checkpoint("o", MAX_TREE_SIZE, ROOT)
    assert Checkpoint.parse(big.body()) == big
    note = SIGNER.sign_checkpoint(Checkpoint("o", 3, ROOT))
    assert open_checkpoint(note, SIGNER.verifier("o")).size == 3
    assert open_checkpoint(note, SIGNER.verifier_key("o"), "o").size == 3


def test_chain_heads_limits_and_normal_form():
    assert ChainHead("abcdefghijklmnop", "!~", MAX_TREE_SIZE, "ab" * 32).count == MAX_TREE_SIZE
    heads = ChainHeads("o b", 0, bytearray(ROOT), "k", [ChainHead("item", "k", 0, ZERO_HASH)])
    assert type(heads.root_hash) is bytes and type(heads.chains) is tuple
    assert ChainHeads.parse(heads.body()) == heads
    assert ChainHeads("o", MAX_TREE_SIZE, ROOT, "k", heads.chains).size == MAX_TREE_SIZE


def test_receipt_limits_and_normal_form():
    note = SIGNER.sign_checkpoint(Checkpoint("o", 2, ROOT))
    hashes = [bytearray(ROOT)] * MAX_PROOF_LENGTH
    receipt = Receipt(1, hashes, note, bytearray(b"x"))
    assert type(receipt.proof) is tuple and all(type(h) is bytes for h in receipt.proof)
    assert type(receipt.extra) is bytes
    assert Receipt.parse(receipt.format()) == receipt
    assert Receipt.parse(receipt.format().encode()) == receipt
    assert receipt.format().startswith("c2sp.org/tlog-proof@v1\nextra eA==\nindex 1\n")
    assert Receipt(0, [], note).format() == "c2sp.org/tlog-proof@v1\nindex 0\n\n" + note
    assert MAX_INDEX == 2**64 - 1 and MAX_PROOF_LENGTH == 64


def test_verify_receipt_returns_the_checkpoint():
    entry = b"entry"
    cp = Checkpoint("o", 2, node_hash(leaf_hash(entry), leaf_hash(b"other")))
    receipt = Receipt(0, (leaf_hash(b"other"),), SIGNER.sign_checkpoint(cp)).format()
    assert verify_receipt(receipt, SIGNER.verifier("o"), entry) == cp
    assert verify_receipt(receipt.encode(), SIGNER.verifier_key("o"), bytearray(entry), origin="o") == cp


def test_note_limits():
    sig = SIGNER.sign_note("t\n", "o").split("\n\n")[1]
    many = parse_note("t\n\n" + "— x AAAAAAAA\n" * (MAX_SIGNATURES - 1) + sig)
    assert len(many.signatures) == MAX_SIGNATURES
    assert open_note("t\n\n" + "— x AAAAAAAA\n" * (MAX_SIGNATURES - 1) + sig, SIGNER.verifier("o"))[0] == "t\n"
    five = parse_note("t\n\n— 溯源 AAAAAAA=\n").signatures[0]
    assert (five.name, five.key_id, five.signature, five.base64) == ("溯源", b"\0\0\0\0", b"\0", "AAAAAAA=")
    assert five.key_label == "溯源+00000000"
    # The text may be a lone newline, or hold blank lines itself: it ends before the last one.
    assert parse_note("\n\n— o AAAAAAAA\n").text == "\n"
    assert parse_note("a\n\nb\n\n— o AAAAAAAA\n").text == "a\n\nb\n"
    text, verified = open_note(SIGNER.sign_note("a\n\nb\n", "o") + sig, [SIGNER.verifier("o")])
    assert text == "a\n\nb\n" and len(verified) == 1  # a repeated signature counts once
    assert decode_base64("", "x") == b"" and decode_base64("AB==", "x") == b"\0"
    assert decode_base64("AA==", "x", canonical=True) == b"\0"


def test_verifier_round_trip():
    v = SIGNER.verifier("o")
    assert Verifier.from_key(v.key_string()) == v and str(v) == v.key_string()
    assert v.key_string() == f"o+{v.key_id.hex()}+{base64.b64encode(bytes([1]) + SIGNER.public_key).decode()}"
    assert v.verify(b"m", SIGNER._key.sign(b"m")) and not v.verify(b"m", SIGNER._key.sign(b"m")[:63])
    assert not v.verify(b"n", SIGNER._key.sign(b"m"))


def test_chain_heads_at_the_largest_tree_size_parse_back():
    top = ChainHeads("o", MAX_TREE_SIZE, ROOT, "k", (ChainHead("item", "k", MAX_TREE_SIZE, "ab" * 32),))
    assert ChainHeads.parse(top.body()) == top


def test_note_errors_carry_what_they_name():
    from suyuan.ledger.verify.note import NoteSignatureError, NoteUnverifiedError, is_valid_name

    bad = NoteSignatureError("o", b"\x01\x02\x03\x04")
    assert (bad.name, bad.key_id) == ("o", b"\x01\x02\x03\x04")
    unverified = NoteUnverifiedError(["a+00000001", "b+00000002"], ["c+00000003", "d+00000004"])
    assert (unverified.known, unverified.found) == (["a+00000001", "b+00000002"], ["c+00000003", "d+00000004"])
    assert str(unverified) == ("note has no valid signature from a known key: expected one of a+00000001, "
                               "b+00000002, got c+00000003, d+00000004")
    assert not is_valid_name("o\ud800") and is_valid_name("溯源")


def test_a_parsed_entry_keeps_its_bytes():
    from suyuan.ledger.verify.entry import ParsedEntry, make_entry

    raw = canonical(make_entry(st(), None, 0, ZERO_HASH, "2026-11-27T08:00:00.000000Z"))
    entry = ParsedEntry.from_bytes(raw)
    assert entry.raw == raw and entry.hash == leaf_hash(raw) and entry.statement == st()
