"""Chain heads: the log's signed length and head hash of each chain of a journey."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from suyuan.errors import NoteError
from suyuan.ledger.verify import heads as heads_module
from suyuan.ledger.verify.checkpoint import Checkpoint, open_checkpoint
from suyuan.ledger.verify.heads import HEADER, ChainHead, ChainHeads, open_chain_heads
from suyuan.ledger.verify.note import NoteSignatureError
from suyuan.ledger.signer import LogSigner

ORIGIN = "suyuan.example/log"
ROOT = bytes(range(32))
ROOT64 = base64.b64encode(ROOT).decode()
ITEM = "01/06901234000018/10/LOT1/21/S%2F1"
HEAD = "ab" * 32
ZERO = "0" * 64


def journey(**kw) -> ChainHeads:
    chains = (ChainHead("item", ITEM, 3, HEAD), ChainHead("batch", "01/06901234000018/10/LOT1", 2, "cd" * 32),
              ChainHead("parcel", "00/069012340000000017", 0, ZERO))
    return ChainHeads(**({"origin": ORIGIN, "size": 41, "root_hash": ROOT, "subject": ITEM, "chains": chains} | kw))


def test_body_layout_and_round_trip():
    heads = journey()
    assert heads.body() == (
        f"{HEADER}\n{ORIGIN}\n41\n{ROOT64}\n{ITEM}\n"
        f"item {ITEM} 3 {HEAD}\n"
        f"batch 01/06901234000018/10/LOT1 2 {'cd' * 32}\n"
        f"parcel 00/069012340000000017 0 {ZERO}\n"
    )
    assert ChainHeads.parse(heads.body()) == heads
    assert heads.get(ITEM).count == 3 and heads.get("01/nope") is None


def test_signed_by_the_log_key_and_opened_with_its_verifier():
    signer = LogSigner.generate()
    note = signer.sign_chain_heads(journey())
    assert open_chain_heads(note, signer.verifier_key(ORIGIN)) == journey()
    # One changed character of the text: the log key's signature no longer verifies.
    forged = note.replace(f"item {ITEM} 3 ", f"item {ITEM} 2 ")
    with pytest.raises(NoteSignatureError) as caught:
        open_chain_heads(forged, signer.verifier(ORIGIN))
    assert str(caught.value).startswith("chain heads note: signature by key suyuan.example/log+")
    with pytest.raises(NoteError, match="chain heads note: note has no valid signature from a known key"):
        open_chain_heads(note, LogSigner.generate().verifier(ORIGIN))
    # Signed by the right key but naming another origin.
    other = signer.sign_note(journey(origin="other.example/log").body(), ORIGIN)
    with pytest.raises(NoteError, match="chain heads origin: expected 'suyuan.example/log', got 'other.example/log'"):
        open_chain_heads(other, signer.verifier(ORIGIN))


def test_never_mistaken_for_a_checkpoint_nor_a_checkpoint_for_it():
    signer = LogSigner.generate()
    heads_note = signer.sign_chain_heads(journey())
    with pytest.raises(NoteError):
        open_checkpoint(heads_note, signer.verifier(ORIGIN))
    with pytest.raises(NoteError):
        Checkpoint.parse(journey().body())
    checkpoint_note = signer.sign_checkpoint(Checkpoint(ORIGIN, 41, ROOT))
    with pytest.raises(NoteError, match="chain heads line 1: expected 'suyuan chain-heads v1', got 'suyuan.example/log'"):
        open_chain_heads(checkpoint_note, signer.verifier(ORIGIN))


@pytest.mark.parametrize(("text", "match"), [
    (f"{HEADER}\n{ORIGIN}\n41\n{ROOT64}\n{ITEM}\nitem {ITEM} 3 {HEAD}", "must end with a newline"),
    (f"suyuan chain-heads v2\n{ORIGIN}\n41\n{ROOT64}\n{ITEM}\nitem {ITEM} 3 {HEAD}\n", "line 1: expected"),
    (f"{HEADER}\n{ORIGIN}\n41\n{ROOT64}\n{ITEM}\n", "expected at least 6 lines"),
    (f"{HEADER}\n{ORIGIN}\n041\n{ROOT64}\n{ITEM}\nitem {ITEM} 3 {HEAD}\n", "tree size .line 3."),
    (f"{HEADER}\n{ORIGIN}\n41\nAAAA\n{ITEM}\nitem {ITEM} 3 {HEAD}\n", "root hash: expected 32 bytes"),
    (f"{HEADER}\n{ORIGIN}\n41\n{ROOT64}\n{ITEM}\nitem {ITEM} 3\n", "line 6: expected '<role> <key> <count> <head>'"),
    (f"{HEADER}\n{ORIGIN}\n41\n{ROOT64}\n{ITEM}\nitem {ITEM} 03 {HEAD}\n", "line 6: expected"),
    (f"{HEADER}\n{ORIGIN}\n41\n{ROOT64}\n{ITEM}\nitem {ITEM} 3 {HEAD.upper()}\n", "64 lower-case hex digits"),
    (f"{HEADER}\n{ORIGIN}\n41\n{ROOT64}\n{ITEM}\nitem {ITEM} 0 {HEAD}\n", "64 zeros exactly when the count is 0"),
    (f"{HEADER}\n{ORIGIN}\n41\n{ROOT64}\n{ITEM}\nitem {ITEM} 3 {ZERO}\n", "64 zeros exactly when the count is 0"),
    (f"{HEADER}\n{ORIGIN}\n41\n{ROOT64}\n{ITEM}\nItem {ITEM} 3 {HEAD}\n", "role: expected 1-16 lower-case"),
    (f"{HEADER}\n{ORIGIN}\n41\n{ROOT64}\n{ITEM}\nitem {ITEM} 3 {HEAD}\nitem {ITEM} 3 {HEAD}\n", "listed twice"),
    (f"{HEADER}\n\n41\n{ROOT64}\n{ITEM}\nitem {ITEM} 3 {HEAD}\n", "origin: expected one non-empty line"),
], ids=["no-newline", "header", "no-chain", "size", "root", "fields", "count", "hex", "zero-count",
        "zero-head", "role", "twice", "origin"])
def test_parse_is_strict(text, match):
    with pytest.raises(NoteError, match=match):
        ChainHeads.parse(text)


def test_module_is_pure() -> None:
    source = Path(heads_module.__file__).read_text(encoding="utf-8")
    imports = {line.split()[1] for line in source.splitlines() if line.startswith(("import ", "from "))}
    assert imports <= {"__future__", "base64", "re", "dataclasses", "suyuan.errors", "suyuan.ledger.verify.checkpoint",
                       "suyuan.ledger.verify.note"}, imports
