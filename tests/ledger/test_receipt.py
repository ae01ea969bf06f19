"""Receipts (C2SP tlog-proof@v1) and their offline verification."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from suyuan.errors import NoteError, ProofError, RootMismatchError, VerificationError
from suyuan.ledger.verify import proofs
from suyuan.ledger.verify.checkpoint import Checkpoint
from suyuan.ledger.verify.note import NoteSignatureError, NoteUnverifiedError
from suyuan.ledger.verify.receipt import HEADER, Receipt
from suyuan.ledger.signer import LogSigner
from suyuan.ledger.verify.receipt import EntryNotIncluded, verify_receipt

ORIGIN = "suyuan.example/log"
SIGNER = LogSigner.generate()
VKEY = SIGNER.verifier_key(ORIGIN)
ENTRIES = [json.dumps({"v": 1, "seq": i}).encode() for i in range(9)]
LEAVES = [proofs.leaf_hash(e) for e in ENTRIES]
CHECKPOINT = Checkpoint(ORIGIN, len(LEAVES), proofs.root(LEAVES))
NOTE = SIGNER.sign_checkpoint(CHECKPOINT)


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def receipt_for(index: int, *, extra: bytes | None = None) -> str:
    return Receipt(index, proofs.inclusion_proof(index, LEAVES), NOTE, extra).format()


# --- format ------------------------------------------------------------------


def test_format_layout():
    proof = proofs.inclusion_proof(5, LEAVES)
    text = Receipt(5, proof, NOTE).format()
    assert text == "\n".join([HEADER, "index 5", *map(b64, proof)]) + "\n\n" + NOTE
    assert text.endswith("\n")


def test_format_layout_with_extra():
    proof = proofs.inclusion_proof(0, LEAVES)
    text = Receipt(0, proof, NOTE, extra=b"vrf proof").format()
    assert text.startswith(f"{HEADER}\nextra {b64(b'vrf proof')}\nindex 0\n{b64(proof[0])}\n")


def test_round_trip_every_leaf_and_size():
    for size in range(1, 10):
        leaves = LEAVES[:size]
        note = SIGNER.sign_checkpoint(Checkpoint(ORIGIN, size, proofs.root(leaves)))
        for i in range(size):
            r = Receipt(i, proofs.inclusion_proof(i, leaves), note, b"x" if i % 2 else None)
            assert Receipt.parse(r.format()) == r
            assert Receipt.parse(r.format().encode()) == r
            assert verify_receipt(r.format(), VKEY, ENTRIES[i]).size == size


def test_single_leaf_tree_has_empty_proof():
    note = SIGNER.sign_checkpoint(Checkpoint(ORIGIN, 1, LEAVES[0]))
    text = Receipt(0, [], note).format()
    assert text == f"{HEADER}\nindex 0\n\n{note}"
    assert verify_receipt(text, VKEY, ENTRIES[0]).root_hash == LEAVES[0]


def test_proof_list_is_stored_as_tuple():
    r = Receipt(5, list(proofs.inclusion_proof(5, LEAVES)), NOTE)
    assert isinstance(r.proof, tuple)
    hash(r)


# --- parse: malformed inputs -------------------------------------------------

P5 = [b64(h) for h in proofs.inclusion_proof(5, LEAVES)]


def build(*head: str, note: str = NOTE) -> str:
    return "\n".join(head) + "\n\n" + note


MALFORMED = [
    ("empty", "", "ends early"),
    ("no-header", build("index 5", *P5), "first line: expected 'c2sp.org/tlog-proof@v1'"),
    ("wrong-version", build("c2sp.org/tlog-proof@v2", "index 5", *P5), "first line"),
    ("header-crlf", build(HEADER + "\r", "index 5", *P5), "first line"),
    ("header-only", HEADER + "\n", "ends early"),
    ("no-index", build(HEADER, *P5), "expected 'index <n>'"),
    ("index-leading-zero", build(HEADER, "index 05", *P5), "without leading zeroes, got '05'"),
    ("index-negative", build(HEADER, "index -5", *P5), "without leading zeroes"),
    ("index-plus", build(HEADER, "index +5", *P5), "without leading zeroes"),
    ("index-empty", build(HEADER, "index ", *P5), "without leading zeroes"),
    ("index-two-spaces", build(HEADER, "index  5", *P5), "without leading zeroes"),
    ("index-tab", build(HEADER, "index\t5", *P5), "expected 'index <n>'"),
    ("index-too-big", build(HEADER, f"index {2**64}", *P5), "expected at most"),
    ("extra-after-index", build(HEADER, "index 5", "extra AAAA", *P5), "proof hash 0"),
    ("extra-empty", build(HEADER, "extra ", "index 5", *P5), "has no data"),
    ("extra-bad-base64", build(HEADER, "extra !!!", "index 5", *P5), "extra data is not valid"),
    ("extra-twice", build(HEADER, "extra AAAA", "extra AAAA", "index 5", *P5), "expected 'index <n>'"),
    ("proof-bad-base64", build(HEADER, "index 5", P5[0][:-1], *P5[1:]), "proof hash 0 is not valid"),
    ("proof-short-hash", build(HEADER, "index 5", b64(bytes(31)), *P5[1:]), "proof hash 0: expected 32 bytes, got 31"),
    ("proof-non-canonical", build(HEADER, "index 5", P5[0][:-2] + ("B=" if P5[0][-2] != "B" else "C="), *P5[1:]), "not canonical"),
    ("proof-too-long", build(HEADER, "index 5", *([P5[0]] * 65)), "at most 64 hashes"),
    ("no-blank-line", "\n".join([HEADER, "index 5", *P5]) + "\n" + NOTE, "proof hash 4 is not valid"),
    ("no-checkpoint", "\n".join([HEADER, "index 5", *P5]) + "\n\n", "no checkpoint after the empty line"),
    ("checkpoint-unsigned", build(HEADER, "index 5", *P5, note=CHECKPOINT.body()), "no blank line|signature"),
    ("checkpoint-not-a-checkpoint", build(HEADER, "index 5", *P5, note=SIGNER.sign_note("hi\n", ORIGIN)), "checkpoint: expected at least 3 lines"),
    ("index-outside-tree", build(HEADER, "index 9", *P5), "index 9 is outside the checkpointed tree of size 9"),
    ("non-utf8", (build(HEADER, "index 5", *P5)).encode() + b"\xff", "not valid UTF-8"),
]


@pytest.mark.parametrize(("text", "match"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_receipts(text, match):
    with pytest.raises(NoteError, match=match):
        Receipt.parse(text)
    with pytest.raises(NoteError, match=match):
        verify_receipt(text, VKEY, ENTRIES[5])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"index": -1}, "expected 0 to"),
        ({"index": True}, "expected an integer"),
        ({"proof": [bytes(31)]}, "proof hash 0: expected 32 bytes, got 31"),
        ({"proof": b"x" * 32}, "expected a sequence of 32-byte hashes"),
        ({"extra": b""}, "use extra=None"),
        ({"checkpoint_note": "nonsense"}, "no blank line"),
        ({"index": 9}, "outside the checkpointed tree of size 9"),
    ],
)
def test_receipt_refuses_what_it_could_not_emit(kwargs, match):
    args = {"index": 5, "proof": proofs.inclusion_proof(5, LEAVES), "checkpoint_note": NOTE}
    with pytest.raises(NoteError, match=match):
        Receipt(**{**args, **kwargs})


# --- end to end --------------------------------------------------------------


def test_verify_receipt_passes_and_returns_checkpoint():
    for i in range(len(ENTRIES)):
        assert verify_receipt(receipt_for(i), VKEY, ENTRIES[i]) == CHECKPOINT
    assert verify_receipt(receipt_for(3), SIGNER.verifier(ORIGIN), ENTRIES[3], origin=ORIGIN)


def test_extra_data_is_ignored_by_verification():
    assert verify_receipt(receipt_for(2, extra=b"anything"), VKEY, ENTRIES[2]) == CHECKPOINT


def test_wrong_entry_bytes():
    with pytest.raises(
        EntryNotIncluded, match="entry is not at index 5 of the checkpointed tree of size 9: root mismatch"
    ) as e:
        verify_receipt(receipt_for(5), VKEY, ENTRIES[4])
    assert isinstance(e.value, RootMismatchError) and e.value.expected == CHECKPOINT.root_hash
    assert (e.value.index, e.value.size) == (5, 9)


def test_wrong_index():
    proof = proofs.inclusion_proof(5, LEAVES)
    # Index 4 has a proof of the same length in a tree of 9: it parses, then mismatches.
    text = Receipt(4, proof, NOTE).format()
    with pytest.raises(EntryNotIncluded, match="not at index 4"):
        verify_receipt(text, VKEY, ENTRIES[5])
    # Index 8 needs a one-hash proof: the proof is malformed for it.
    text = Receipt(8, proof, NOTE).format()
    with pytest.raises(ProofError, match="index 8 .* size 9 is malformed: wrong proof size 4, want 1"):
        verify_receipt(text, VKEY, ENTRIES[5])


def test_wrong_key():
    other = LogSigner.generate().verifier_key(ORIGIN)
    with pytest.raises(NoteUnverifiedError, match="no valid signature from a known key"):
        verify_receipt(receipt_for(5), other, ENTRIES[5])


def test_wrong_origin():
    with pytest.raises(NoteError, match="origin: expected 'elsewhere.example', got"):
        verify_receipt(receipt_for(5), VKEY, ENTRIES[5], origin="elsewhere.example")


def test_bad_verifier_key():
    with pytest.raises(NoteError, match="verifier key"):
        verify_receipt(receipt_for(5), "not-a-key", ENTRIES[5])


def test_tampered_proof():
    proof = list(proofs.inclusion_proof(5, LEAVES))
    for k in range(len(proof)):
        bad = list(proof)
        bad[k] = bytes([bad[k][0] ^ 1]) + bad[k][1:]
        with pytest.raises(EntryNotIncluded):
            verify_receipt(Receipt(5, bad, NOTE).format(), VKEY, ENTRIES[5])
    with pytest.raises(ProofError, match="wrong proof size 3, want 4"):
        verify_receipt(Receipt(5, proof[:-1], NOTE).format(), VKEY, ENTRIES[5])
    with pytest.raises(ProofError, match="wrong proof size 5, want 4"):
        verify_receipt(Receipt(5, [*proof, proof[0]], NOTE).format(), VKEY, ENTRIES[5])


def test_tampered_checkpoint():
    text = receipt_for(5).replace("\n9\n", "\n10\n")
    with pytest.raises(NoteSignatureError, match="does not verify"):
        verify_receipt(text, VKEY, ENTRIES[5])


def test_failures_are_verification_errors():
    for text, entry in [(receipt_for(5), ENTRIES[4]), ("junk", ENTRIES[5])]:
        with pytest.raises(VerificationError):
            verify_receipt(text, VKEY, entry)


def test_verify_imports_no_write_path():
    code = (
        "import json, sys, suyuan.ledger.verify.receipt\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'fastapi', 'starlette', 'psycopg2', 'alembic') "
        "or m in ('suyuan.ledger.signer', 'suyuan.ledger.db', 'suyuan.ledger.sequencer', "
        "'suyuan.ledger.ledger', 'suyuan.api', 'suyuan.config'))))\n"
    )
    repo = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo
    )
    assert json.loads(out.stdout) == []
