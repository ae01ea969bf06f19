"""Checkpoints (C2SP tlog-checkpoint v1.0.0)."""

from __future__ import annotations

import base64
import json

import pytest

from tests.conformance import vector
from suyuan.errors import NoteError
from suyuan.ledger.verify.checkpoint import Checkpoint, open_checkpoint
from suyuan.ledger.verify.note import NoteSignatureError, NoteUnverifiedError, parse_note
from suyuan.ledger.signer import LogSigner

ROOT = bytes(range(32))
ROOT64 = base64.b64encode(ROOT).decode()
ORIGIN = "suyuan.example/log"



@pytest.fixture(scope="module")
def vectors() -> dict:
    return json.loads(vector("signed-note", "vectors.json").read_text(encoding="utf-8"))


def test_vector_checkpoint_format_example_parses(vectors):
    ex = vectors["checkpoint_format_example"]
    note = parse_note(ex["note"])  # its public key is not published: syntax only
    cp = Checkpoint.parse(note.text)
    assert cp.origin == ex["origin"]
    assert cp.size == ex["tree_size"]
    assert cp.root_hash == base64.b64decode(ex["root_hash_b64"])
    assert cp.extensions == ()
    assert cp.body() == note.text
    assert [s.name for s in note.signatures] == [ex["origin"]]


def test_vector_checkpoint_unverifiable_without_its_key(vectors):
    other = LogSigner.generate().verifier(vectors["checkpoint_format_example"]["origin"])
    with pytest.raises(NoteUnverifiedError):
        open_checkpoint(vectors["checkpoint_format_example"]["note"], other)


def test_body_layout():
    cp = Checkpoint(ORIGIN, 20852163, ROOT, ("ext one", "ext-two"))
    assert cp.body() == f"{ORIGIN}\n20852163\n{ROOT64}\next one\next-two\n"
    assert Checkpoint.parse(cp.body()) == cp
    assert Checkpoint(ORIGIN, 0, ROOT).body() == f"{ORIGIN}\n0\n{ROOT64}\n"


def test_extensions_list_is_stored_as_tuple():
    assert Checkpoint(ORIGIN, 1, ROOT, ["x"]).extensions == ("x",)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (f"{ORIGIN}\n1\n{ROOT64}", "must end with a newline"),
        (f"{ORIGIN}\n1\n", "expected at least 3 lines"),
        (f"\n1\n{ROOT64}\n", "origin .* must not be empty"),
        (f"{ORIGIN}\n01\n{ROOT64}\n", "without leading zeroes, got '01'"),
        (f"{ORIGIN}\n00\n{ROOT64}\n", "without leading zeroes"),
        (f"{ORIGIN}\n+1\n{ROOT64}\n", "without leading zeroes"),
        (f"{ORIGIN}\n-1\n{ROOT64}\n", "without leading zeroes"),
        (f"{ORIGIN}\n1 \n{ROOT64}\n", "without leading zeroes"),
        (f"{ORIGIN}\n\n{ROOT64}\n", "without leading zeroes"),
        (f"{ORIGIN}\n١\n{ROOT64}\n", "without leading zeroes"),  # Arabic-Indic digit one
        (f"{ORIGIN}\n9223372036854775808\n{ROOT64}\n", "expected at most 9223372036854775807"),
        (f"{ORIGIN}\n1\n{ROOT64.rstrip('=')}\n", "not valid standard base64"),
        (f"{ORIGIN}\n1\n{base64.urlsafe_b64encode(bytes([0xFF]) * 32).decode()}\n", "not valid standard base64"),
        (f"{ORIGIN}\n1\n{base64.b64encode(bytes(31)).decode()}\n", "expected 32 bytes, got 31"),
        (f"{ORIGIN}\n1\n{base64.b64encode(bytes(33)).decode()}\n", "expected 32 bytes, got 33"),
        (f"{ORIGIN}\n1\n{ROOT64[:-2]}B=\n", "not canonical base64"),
        (f"{ORIGIN}\n1\n\n", "not valid standard base64|expected 32 bytes"),
        (f"{ORIGIN}\n1\n{ROOT64}\n\n", "extension line 4 must not be empty"),
        (f"{ORIGIN}\n1\n{ROOT64}\next\n\nmore\n", "extension line 5 must not be empty"),
        ("o" * 256 + f"\n1\n{ROOT64}\n", "expected at most 255 bytes, got 256"),
        (f"{ORIGIN}\r\n1\n{ROOT64}\n", r"control character U\+000D"),
    ],
)
def test_malformed_checkpoint_text(text, match):
    with pytest.raises(NoteError, match=match):
        Checkpoint.parse(text)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("", 1, ROOT), "origin must not be empty"),
        (("a\nb", 1, ROOT), r"origin contains control character U\+000A"),
        ((ORIGIN, -1, ROOT), "expected 0 to"),
        ((ORIGIN, 2**63, ROOT), "expected 0 to"),
        ((ORIGIN, True, ROOT), "expected an integer"),
        ((ORIGIN, 1, bytes(31)), "expected 32 bytes"),
        ((ORIGIN, 1, ROOT, ("",)), "extension line 1 must not be empty"),
        ((ORIGIN, 1, ROOT, ("a\nb",)), "extension line 1 contains control character"),
        ((ORIGIN, 1, ROOT, "abc"), "expected a sequence of lines"),
    ],
)
def test_checkpoint_refuses_what_it_could_not_emit(args, match):
    with pytest.raises(NoteError, match=match):
        Checkpoint(*args)


def test_sign_and_open_checkpoint():
    signer = LogSigner.generate()
    cp = Checkpoint(ORIGIN, 9, ROOT)
    note = signer.sign_checkpoint(cp)
    assert note.startswith(cp.body() + "\n\u2014 " + ORIGIN + " ")
    assert open_checkpoint(note, signer.verifier(ORIGIN)) == cp
    assert open_checkpoint(note, signer.verifier_key(ORIGIN)) == cp
    assert open_checkpoint(note.encode(), signer.verifier(ORIGIN), origin=ORIGIN) == cp


def test_open_checkpoint_origin_must_match_key_name_or_expected_origin():
    signer = LogSigner.generate()
    # Signed with a key name different from the origin (allowed: only a SHOULD).
    note = signer.sign_note(Checkpoint("other.example/log", 3, ROOT).body(), ORIGIN)
    with pytest.raises(NoteError, match="origin: expected 'suyuan.example/log', got 'other.example/log'"):
        open_checkpoint(note, signer.verifier(ORIGIN))
    assert open_checkpoint(note, signer.verifier(ORIGIN), origin="other.example/log").size == 3
    good = signer.sign_checkpoint(Checkpoint(ORIGIN, 3, ROOT))
    with pytest.raises(NoteError, match="origin: expected 'x.example', got 'suyuan.example/log'"):
        open_checkpoint(good, signer.verifier(ORIGIN), origin="x.example")


def test_open_checkpoint_wrong_key_and_tampering():
    signer, other = LogSigner.generate(), LogSigner.generate()
    note = signer.sign_checkpoint(Checkpoint(ORIGIN, 9, ROOT))
    with pytest.raises(NoteUnverifiedError):
        open_checkpoint(note, other.verifier(ORIGIN))
    with pytest.raises(NoteSignatureError):
        open_checkpoint(note.replace("\n9\n", "\n10\n"), signer.verifier(ORIGIN))


def test_open_checkpoint_rejects_signed_but_malformed_body():
    signer = LogSigner.generate()
    note = signer.sign_note(f"{ORIGIN}\n007\n{ROOT64}\n", ORIGIN)
    with pytest.raises(NoteError, match="leading zeroes"):
        open_checkpoint(note, signer.verifier(ORIGIN))


def test_witness_cosignatures_are_ignored():
    log, witness = LogSigner.generate(), LogSigner.generate()
    note = log.sign_checkpoint(Checkpoint(ORIGIN, 5, ROOT))
    text = parse_note(note).text
    cosig = witness.sign_note(text, "witness.example").split("\n\n")[-1]
    assert open_checkpoint(note + cosig, log.verifier(ORIGIN)).size == 5
