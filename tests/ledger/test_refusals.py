"""Every refusal of the pure ledger code, word for word: what was expected and what came.

These messages reach people (a 4xx `detail`, `suyuan verify-receipt` and `verify-bundle`
output, `suyuan audit`), and the `field` of an InputError is what the API answers as
`field`: each case below pins the exception type, the whole message and the field, so a
check that is dropped, loosened or reworded fails here. The boundaries accepted are pinned
in test_limits.py.
"""

from __future__ import annotations

import base64
import hashlib
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from suyuan.errors import TimeFormatError, ChainBroken, InputError, NoteError, ProofError
from suyuan.ledger.verify.checkpoint import Checkpoint, open_checkpoint
from suyuan.ledger.verify.entry import ZERO_HASH, canonical, check_link, check_statement, make_entry
from suyuan.ledger.verify.heads import ChainHead, ChainHeads, open_chain_heads
from suyuan.ledger.verify.note import NoteSignatureError, NoteUnverifiedError, Verifier, check_note_text, decode_base64, format_signature_line, open_note, parse_note
from suyuan.ledger.verify.proofs import leaf_hash, node_hash
from suyuan.ledger.verify.receipt import Receipt
from suyuan.ledger.signer import LogSigner
from suyuan.ledger.verify.receipt import EntryNotIncluded, verify_receipt
from tests.ledger.helpers import assert_refused

ROOT = bytes(range(32))
ROOT64 = base64.b64encode(ROOT).decode()
# Fixed keys, so the key IDs in the messages are fixed too.
SIGNER = LogSigner(Ed25519PrivateKey.from_private_bytes(bytes(32)))
OTHER = LogSigner(Ed25519PrivateKey.from_private_bytes(bytes([1]) * 32))
VKEY = SIGNER.verifier_key("o")
ENTRY = canonical(make_entry({"key": "k", "type": "register", "time": "2026-11-27T08:00:00Z", "actor": None,
                              "data": {}, "id": str(uuid.UUID(int=1))}, None, 0, ZERO_HASH,
                             "2026-11-27T08:00:00.000000Z"))
CP_NOTE = SIGNER.sign_checkpoint(Checkpoint("o", 2, ROOT))
# ENTRY is leaf 0 of a two-leaf tree whose other leaf is b"other".
RECEIPT = Receipt(0, (leaf_hash(b"other"),), SIGNER.sign_checkpoint(
    Checkpoint("o", 2, node_hash(leaf_hash(ENTRY), leaf_hash(b"other"))))).format()
HEAD = ChainHead("item", "k", 0, ZERO_HASH)


def st(**kw):
    return {"key": "k", "type": "register", "time": "2026-11-27T08:00:00Z", "actor": None, "data": {},
            "id": str(uuid.UUID(int=1))} | kw


CASES = [
    pytest.param(lambda: check_statement([]), InputError, 'Invalid statement: expected a JSON object.', 'statement', id='entry-not-dict'),
    pytest.param(lambda: check_statement(st(extra=1)), InputError, "Unknown statement field 'extra': expected only key, type, time, actor, data, id.", 'extra', id='entry-extra'),
    pytest.param(lambda: check_statement({k: v for k, v in st().items() if k != "time"}), InputError, "Missing statement field 'time'.", 'time', id='entry-missing'),
    pytest.param(lambda: check_statement(st(type="Register")), InputError, "Invalid type: expected lower-case letters, digits and '_' (at most 64), got 'Register'.", 'type', id='entry-type'),
    pytest.param(lambda: check_statement(st(type=5)), InputError, "Invalid type: expected lower-case letters, digits and '_' (at most 64), got 5.", 'type', id='entry-type-int'),
    pytest.param(lambda: check_statement(st(type="a" * 65)), InputError, "Invalid type: expected lower-case letters, digits and '_' (at most 64), got 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'.", 'type', id='entry-type-long'),
    pytest.param(lambda: check_statement(st(time="2026-11-27T08:00:00")), TimeFormatError, "Invalid time: expected an RFC 3339 timestamp with offset like 2026-11-27T08:00:00Z, got '2026-11-27T08:00:00'.", 'time', id='entry-time-naive'),
    pytest.param(lambda: check_statement(st(time="2026-11-27")), TimeFormatError, "Invalid time: expected an RFC 3339 timestamp with offset like 2026-11-27T08:00:00Z, got '2026-11-27'.", 'time', id='entry-time-date'),
    pytest.param(lambda: check_statement(st(time="2026-11-27Tnoon")), TimeFormatError, "Invalid time: expected an RFC 3339 timestamp with offset like 2026-11-27T08:00:00Z, got '2026-11-27Tnoon'.", 'time', id='entry-time-bad'),
    pytest.param(lambda: check_statement(st(time=5)), TimeFormatError, 'Invalid time: expected an RFC 3339 timestamp with offset like 2026-11-27T08:00:00Z, got 5.', 'time', id='entry-time-int'),
    pytest.param(lambda: check_statement(st(actor="")), InputError, 'Invalid actor: expected null or a string of 1-200 characters.', 'actor', id='entry-actor-empty'),
    pytest.param(lambda: check_statement(st(actor="a" * 201)), InputError, 'Invalid actor: expected null or a string of 1-200 characters.', 'actor', id='entry-actor-long'),
    pytest.param(lambda: check_statement(st(actor=5)), InputError, 'Invalid actor: expected null or a string of 1-200 characters.', 'actor', id='entry-actor-int'),
    pytest.param(lambda: check_statement(st(data=[])), InputError, 'Invalid data: expected a JSON object, got list.', 'data', id='entry-data'),
    pytest.param(lambda: check_statement(st(id="nope")), InputError, "Invalid id: expected a UUID like 3f2b8c1e-0d6a-4e4b-9a53-2a0f1c9d7e10, got 'nope'.", 'id', id='entry-id'),
    pytest.param(lambda: check_statement(st(id=5)), InputError, 'Invalid id: expected a UUID like 3f2b8c1e-0d6a-4e4b-9a53-2a0f1c9d7e10, got 5.', 'id', id='entry-id-int'),
    pytest.param(lambda: canonical({"a": [1, {"b": 1.5}]}), InputError, 'Invalid number at /a/1/b: expected an integer or a decimal string, got the float 1.5.', '/a/1/b', id='json-float'),
    pytest.param(lambda: canonical(1.5), InputError, 'Invalid number at /: expected an integer or a decimal string, got the float 1.5.', None, id='json-float-top'),
    pytest.param(lambda: canonical({"n": 2**53}), InputError, 'Invalid number at /n: expected an integer within ±(2^53-1), got 9007199254740992; send large numbers as decimal strings.', '/n', id='json-big'),
    pytest.param(lambda: canonical([-(2**53)]), InputError, 'Invalid number at /0: expected an integer within ±(2^53-1), got -9007199254740992; send large numbers as decimal strings.', '/0', id='json-big-neg'),
    pytest.param(lambda: canonical({"a": {1: 2}}), InputError, 'Invalid object key at /a: expected a string.', None, id='json-key'),
    pytest.param(lambda: canonical({1: 2}), InputError, 'Invalid object key at /: expected a string.', None, id='json-key-top'),
    pytest.param(lambda: canonical({"a": {"b": b"x"}}), InputError, 'Invalid value at /a/b: expected JSON, got bytes.', None, id='json-type'),
    pytest.param(lambda: canonical(b"x"), InputError, 'Invalid value at /: expected JSON, got bytes.', None, id='json-type-top'),
    pytest.param(lambda: canonical({"a": "\ud800"}), InputError, 'Value cannot be canonicalised (RFC 8785): input contains non-UTF-8 codepoints.', None, id='json-rfc'),
    pytest.param(lambda: check_link("k", 0, ZERO_HASH, b"{}"), ChainBroken, "chain 'k' broken at seq 0: malformed expected a canonical ledger entry, got entry is not a ledger entry: 'statement'", ..., id='link-malformed'),
    pytest.param(lambda: check_link("k", 0, ZERO_HASH, b'{"prev":"0","recorded":"r","seq":0,"statement":{"key":"k","n":1.5},"v":1}'), ChainBroken, "chain 'k' broken at seq 0: malformed expected a canonical ledger entry, got Invalid number at /statement/n: expected an integer or a decimal string, got the float 1.5.", ..., id='link-float'),
    pytest.param(lambda: check_link("k", 0, ZERO_HASH, canonical({"prev": ZERO_HASH, "recorded": "r", "seq": 0, "statement": {"key": "k"}, "v": 2})), ChainBroken, "chain 'k' broken at seq 0: malformed expected a canonical ledger entry, got entry version: expected 1, got 2", ..., id='link-version'),
    pytest.param(lambda: check_link("k", 0, ZERO_HASH, b'{"v":1,"prev":"0","recorded":"r","seq":0,"statement":{"key":"k"}}'), ChainBroken, "chain 'k' broken at seq 0: malformed expected a canonical ledger entry, got entry bytes are not RFC 8785 canonical", ..., id='link-noncanonical'),
    pytest.param(lambda: check_link("j", 0, ZERO_HASH, ENTRY), ChainBroken, "chain 'j' broken at seq 0: position expected j#0, got k#0", ..., id='link-position-key'),
    pytest.param(lambda: check_link("k", 1, ZERO_HASH, ENTRY), ChainBroken, "chain 'k' broken at seq 1: position expected k#1, got k#0", ..., id='link-position-seq'),
    pytest.param(lambda: check_link("k", 0, ZERO_HASH, ENTRY, b"\x01" * 32), ChainBroken, "chain 'k' broken at seq 0: hash expected 0101010101010101010101010101010101010101010101010101010101010101, got 136ba65233c10f8c622b657448d97335c707ed9500ffadcdd6489d2bf2c708ba", ..., id='link-hash'),
    pytest.param(lambda: check_link("k", 0, "ab" * 32, ENTRY), ChainBroken, "chain 'k' broken at seq 0: prev expected abababababababababababababababababababababababababababababababab, got 0000000000000000000000000000000000000000000000000000000000000000", ..., id='link-prev'),
    pytest.param(lambda: Checkpoint("", 1, ROOT), NoteError, 'checkpoint origin must not be empty', ..., id='cp-origin-empty'),
    pytest.param(lambda: Checkpoint(5, 1, ROOT), NoteError, 'checkpoint origin: expected a string, got int', ..., id='cp-origin-type'),
    pytest.param(lambda: Checkpoint("a\tb", 1, ROOT), NoteError, 'checkpoint origin contains control character U+0009; a checkpoint line is one line of text', ..., id='cp-origin-ctrl'),
    pytest.param(lambda: Checkpoint("a\ud800", 1, ROOT), NoteError, 'checkpoint origin is not valid UTF-8', ..., id='cp-origin-surrogate'),
    pytest.param(lambda: Checkpoint("a" * 256, 1, ROOT), NoteError, 'checkpoint origin: expected at most 255 bytes, got 256', ..., id='cp-origin-long'),
    pytest.param(lambda: Checkpoint("溯" * 86, 1, ROOT), NoteError, 'checkpoint origin: expected at most 255 bytes, got 258', ..., id='cp-origin-long-utf8'),
    pytest.param(lambda: Checkpoint("o", True, ROOT), NoteError, 'checkpoint tree size: expected an integer, got True', ..., id='cp-size-bool'),
    pytest.param(lambda: Checkpoint("o", "1", ROOT), NoteError, "checkpoint tree size: expected an integer, got '1'", ..., id='cp-size-str'),
    pytest.param(lambda: Checkpoint("o", -1, ROOT), NoteError, 'checkpoint tree size: expected 0 to 9223372036854775807, got -1', ..., id='cp-size-neg'),
    pytest.param(lambda: Checkpoint("o", 2**63, ROOT), NoteError, 'checkpoint tree size: expected 0 to 9223372036854775807, got 9223372036854775808', ..., id='cp-size-big'),
    pytest.param(lambda: Checkpoint("o", 1, b"x"), NoteError, 'checkpoint root hash: expected 32 bytes, got 1', ..., id='cp-root-short'),
    pytest.param(lambda: Checkpoint("o", 1, "x" * 32), NoteError, "checkpoint root hash: expected 32 bytes, got 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'", ..., id='cp-root-type'),
    pytest.param(lambda: Checkpoint("o", 1, ROOT, "ext"), NoteError, 'checkpoint extensions: expected a sequence of lines, got a string', ..., id='cp-ext-str'),
    pytest.param(lambda: Checkpoint("o", 1, ROOT, ("",)), NoteError, 'checkpoint extension line 1 must not be empty', ..., id='cp-ext-empty'),
    pytest.param(lambda: Checkpoint("o", 1, ROOT, ("a", "b\x7f\x01")), NoteError, 'checkpoint extension line 2 contains control character U+0001; a checkpoint line is one line of text', ..., id='cp-ext-ctrl'),
    pytest.param(lambda: Checkpoint.parse(b"o\n1\n"), NoteError, 'checkpoint: expected text, got bytes', ..., id='cpp-type'),
    pytest.param(lambda: Checkpoint.parse("o\n1\nroot"), NoteError, 'checkpoint text must end with a newline', ..., id='cpp-nl'),
    pytest.param(lambda: Checkpoint.parse("o\n1\n"), NoteError, 'checkpoint: expected at least 3 lines (origin, size, root hash), got 2', ..., id='cpp-short'),
    pytest.param(lambda: Checkpoint.parse(f"\n1\n{ROOT64}\n"), NoteError, 'checkpoint origin (line 1) must not be empty', ..., id='cpp-origin'),
    pytest.param(lambda: Checkpoint.parse(f"o\n01\n{ROOT64}\n"), NoteError, "checkpoint tree size (line 2): expected a decimal number without leading zeroes, got '01'", ..., id='cpp-size'),
    pytest.param(lambda: Checkpoint.parse(f"o\n{'1' * 50}\n{ROOT64}\n"), NoteError, 'checkpoint tree size (line 2): expected at most 9223372036854775807, got 11111111111111111111111111111111111111111111111111', ..., id='cpp-size-long'),
    pytest.param(lambda: Checkpoint.parse(f"o\n{2**63}\n{ROOT64}\n"), NoteError, 'checkpoint tree size (line 2): expected at most 9223372036854775807, got 9223372036854775808', ..., id='cpp-size-big'),
    pytest.param(lambda: Checkpoint.parse("o\n1\nAAAA\n"), NoteError, 'checkpoint root hash (line 3): expected 32 bytes, got 3', ..., id='cpp-root'),
    pytest.param(lambda: Checkpoint.parse("o\n1\nA*AA\n"), NoteError, "checkpoint root hash (line 3) is not valid standard base64: 'A*AA'", ..., id='cpp-root-b64'),
    pytest.param(lambda: Checkpoint.parse(f"o\n1\n{ROOT64[:-2]}B=\n"), NoteError, "checkpoint root hash (line 3) is not canonical base64: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHhB='", ..., id='cpp-root-noncanon'),
    pytest.param(lambda: Checkpoint.parse(f"o\n1\n{ROOT64}\next\n\n"), NoteError, 'checkpoint extension line 5 must not be empty', ..., id='cpp-ext'),
    pytest.param(lambda: open_checkpoint(SIGNER.sign_checkpoint(Checkpoint("other", 1, ROOT)), SIGNER.verifier("other"), "o"), NoteError, "checkpoint origin: expected 'o', got 'other'", ..., id='cpo-origin'),
    pytest.param(lambda: open_checkpoint(SIGNER.sign_note(Checkpoint("other", 1, ROOT).body(), "o"), SIGNER.verifier_key("o")), NoteError, "checkpoint origin: expected 'o', got 'other'", ..., id='cpo-origin-name'),
    pytest.param(lambda: parse_note(5), NoteError, 'note: expected bytes or str, got int', ..., id='note-type'),
    pytest.param(lambda: parse_note("a\ud800\n\n— o AAAAAAAA\n"), NoteError, 'note is not valid UTF-8: it contains a lone surrogate', ..., id='note-surrogate'),
    pytest.param(lambda: parse_note(b"a\xff\n\n"), NoteError, 'note is not valid UTF-8 (byte offset 1)', ..., id='note-utf8'),
    pytest.param(lambda: parse_note("a\tb\n\n— o AAAAAAAA\n"), NoteError, 'note contains control character U+0009 at byte offset 1; only newline is allowed', ..., id='note-ctrl'),
    pytest.param(lambda: parse_note("text\n— o AAAAAAAA\n"), NoteError, 'note has no blank line between its text and its signatures', ..., id='note-blank'),
    pytest.param(lambda: parse_note("text\n\n"), NoteError, 'note has no signature lines after its last blank line', ..., id='note-nosigs'),
    pytest.param(lambda: parse_note("text\n\n— o AAAAAAAA"), NoteError, 'note must end with a newline after its last signature line', ..., id='note-end'),
    pytest.param(lambda: parse_note("text\n\n- o AAAAAAAA\n"), NoteError, "signature line 1 must start with an em dash (U+2014) and a space, got '- o AAAAAAAA'", ..., id='note-dash'),
    pytest.param(lambda: parse_note("text\n\n— a+b AAAAAAAA\n"), NoteError, "signature line 1 key name: expected a non-empty name without spaces or '+', got 'a+b'", ..., id='note-name'),
    pytest.param(lambda: parse_note("text\n\n— o\n"), NoteError, 'signature line 1 has no signature after the key name', ..., id='note-nob64'),
    pytest.param(lambda: parse_note("text\n\n— o AAA*\n"), NoteError, "signature line 1 is not valid standard base64: 'AAA*'", ..., id='note-b64'),
    pytest.param(lambda: parse_note("text\n\n— o AAAA\n"), NoteError, 'signature line 1: expected a 4-byte key ID and a signature, got 3 bytes', ..., id='note-short'),
    pytest.param(lambda: parse_note("text\n\n" + "— o AAAAAAAA\n" * 101), NoteError, 'note has more than 100 signatures', ..., id='note-many'),
    pytest.param(lambda: check_note_text("text"), NoteError, 'note text must end with a newline', ..., id='note-text-nl'),
    pytest.param(lambda: check_note_text("te\x00xt\n"), NoteError, 'note text contains control character U+0000 at byte offset 2; only newline is allowed', ..., id='note-text-ctrl'),
    pytest.param(lambda: check_note_text("te\udcffxt\n"), NoteError, 'note is not valid UTF-8: it contains a lone surrogate', ..., id='note-text-utf8'),
    pytest.param(lambda: format_signature_line("a b", b"1234", b"s"), NoteError, "invalid key name 'a b': expected a non-empty name without spaces or '+'", ..., id='sigline-name'),
    pytest.param(lambda: format_signature_line("o", b"123", b"s"), NoteError, 'key ID: expected 4 bytes, got 3', ..., id='sigline-id'),
    pytest.param(lambda: format_signature_line("o", b"1234", b""), NoteError, 'signature: expected at least one byte, got none', ..., id='sigline-sig'),
    pytest.param(lambda: Verifier.from_key(5), NoteError, 'verifier key: expected a string, got int', ..., id='vkey-type'),
    pytest.param(lambda: Verifier.from_key("o+abcd"), NoteError, "verifier key: expected '<name>+<8 hex digits>+<base64 key>', got 'o+abcd'", ..., id='vkey-parts'),
    pytest.param(lambda: Verifier.from_key("a b+01234567+AQ=="), NoteError, "verifier key name: expected a non-empty name without spaces or '+', got 'a b'", ..., id='vkey-name'),
    pytest.param(lambda: Verifier.from_key("o+0123456+AQ=="), NoteError, "verifier key ID: expected 8 hex digits, got '0123456'", ..., id='vkey-hex'),
    pytest.param(lambda: Verifier.from_key("o+01234567+"), NoteError, 'verifier key data: expected an algorithm byte and a key, got nothing', ..., id='vkey-empty'),
    pytest.param(lambda: Verifier.from_key("o+01234567+" + VKEY.split("+", 2)[2]), NoteError, 'verifier key ID of o: expected f8955667 (from name and key), got 01234567', ..., id='vkey-id'),
    pytest.param(lambda: Verifier.from_key(f"o+{hashlib.sha256(b'o' + bytes([10, 2]) + bytes(32)).hexdigest()[:8]}+" + base64.b64encode(bytes([2]) + bytes(32)).decode()), NoteError, 'verifier key algorithm: expected 0x01 (Ed25519), got 0x02', ..., id='vkey-alg'),
    pytest.param(lambda: Verifier.from_key(f"o+{hashlib.sha256(b'o' + bytes([10, 1]) + bytes(31)).hexdigest()[:8]}+" + base64.b64encode(bytes([1]) + bytes(31)).decode()), NoteError, 'verifier key: expected a 32-byte Ed25519 public key, got 31 bytes', ..., id='vkey-len'),
    pytest.param(lambda: Verifier("a b", b"1234", bytes(32)), NoteError, "invalid key name 'a b': expected a non-empty name without spaces or '+'", ..., id='verifier-name'),
    pytest.param(lambda: Verifier("a+b", b"1234", bytes(32)), NoteError, "invalid key name 'a+b': expected a non-empty name without spaces or '+'", ..., id='verifier-name-plus'),
    pytest.param(lambda: Verifier("a\u3000b", b"1234", bytes(32)), NoteError, "invalid key name 'a\\u3000b': expected a non-empty name without spaces or '+'", ..., id='verifier-name-space'),
    pytest.param(lambda: Verifier("o", b"1234", bytes(31)), NoteError, 'Ed25519 public key: expected 32 bytes, got 31', ..., id='verifier-key'),
    pytest.param(lambda: Verifier("o", b"1234", bytes(32)), NoteError, 'key ID of o: expected 38a39445, got 31323334', ..., id='verifier-id'),
    pytest.param(lambda: decode_base64("AA=A", "thing"), NoteError, "thing is not valid standard base64: 'AA=A'", ..., id='b64-bad'),
    pytest.param(lambda: decode_base64("AAA", "thing"), NoteError, "thing is not valid standard base64: 'AAA'", ..., id='b64-len'),
    pytest.param(lambda: decode_base64("*" * 100, "thing"), NoteError, "thing is not valid standard base64: '************************************************************...'", ..., id='b64-long'),
    pytest.param(lambda: decode_base64("AB==", "thing", canonical=True), NoteError, "thing is not canonical base64: 'AB=='", ..., id='b64-canon'),
    pytest.param(lambda: open_note(SIGNER.sign_note("t\n", "o"), [OTHER.verifier("o")]), NoteUnverifiedError, 'note has no valid signature from a known key: expected one of o+eb039232, got o+f8955667', ..., id='open-unverified'),
    pytest.param(lambda: open_note(SIGNER.sign_note("t\n", "o"), []), NoteUnverifiedError, 'note has no valid signature from a known key: expected one of (no keys), got o+f8955667', ..., id='open-unverified-nokeys'),
    pytest.param(lambda: open_note(SIGNER.sign_note("t\n", "o").replace("t\n", "u\n", 1), SIGNER.verifier("o")), NoteSignatureError, 'signature by key o+f8955667 does not verify over the note text', ..., id='open-bad-sig'),
    pytest.param(lambda: open_note(SIGNER.sign_note("t\n", "o"), [5]), TypeError, 'expected Verifier, got int', ..., id='open-type'),
    pytest.param(lambda: Receipt(True, (), CP_NOTE), NoteError, 'receipt index: expected an integer, got True', ..., id='rcpt-index-bool'),
    pytest.param(lambda: Receipt(-1, (), CP_NOTE), NoteError, 'receipt index: expected 0 to 18446744073709551615, got -1', ..., id='rcpt-index-neg'),
    pytest.param(lambda: Receipt(2**64, (), CP_NOTE), NoteError, 'receipt index: expected 0 to 18446744073709551615, got 18446744073709551616', ..., id='rcpt-index-big'),
    pytest.param(lambda: Receipt(0, b"x" * 32, CP_NOTE), NoteError, 'receipt proof: expected a sequence of 32-byte hashes', ..., id='rcpt-proof-bytes'),
    pytest.param(lambda: Receipt(0, 5, CP_NOTE), NoteError, 'receipt proof: expected a sequence of 32-byte hashes', ..., id='rcpt-proof-int'),
    pytest.param(lambda: Receipt(0, (ROOT,) * 65, CP_NOTE), NoteError, 'receipt proof: expected at most 64 hashes, got 65', ..., id='rcpt-proof-long'),
    pytest.param(lambda: Receipt(0, (ROOT, b"x"), CP_NOTE), NoteError, 'receipt proof hash 1: expected 32 bytes, got 1', ..., id='rcpt-proof-hash'),
    pytest.param(lambda: Receipt(0, (ROOT, "x"), CP_NOTE), NoteError, 'receipt proof hash 1: expected 32 bytes, got str', ..., id='rcpt-proof-hash-type'),
    pytest.param(lambda: Receipt(0, (), CP_NOTE, "x"), NoteError, 'receipt extra data: expected bytes, got str', ..., id='rcpt-extra-type'),
    pytest.param(lambda: Receipt(0, (), CP_NOTE, b""), NoteError, 'receipt extra data is empty: use extra=None to omit the line', ..., id='rcpt-extra-empty'),
    pytest.param(lambda: Receipt(0, (), b"note"), NoteError, 'receipt checkpoint: expected a signed note string, got bytes', ..., id='rcpt-cp-type'),
    pytest.param(lambda: Receipt(3, (), CP_NOTE), NoteError, 'receipt index 3 is outside the checkpointed tree of size 2', ..., id='rcpt-outside'),
    pytest.param(lambda: Receipt.parse(5), NoteError, 'receipt: expected text, got int', ..., id='rcptp-type'),
    pytest.param(lambda: Receipt.parse(b"c2sp\xff"), NoteError, 'receipt is not valid UTF-8 (byte offset 4)', ..., id='rcptp-utf8'),
    pytest.param(lambda: Receipt.parse("c2sp.org/tlog-proof@v1"), NoteError, "receipt ends early: expected the first line 'c2sp.org/tlog-proof@v1'", ..., id='rcptp-early'),
    pytest.param(lambda: Receipt.parse("c2sp.org/tlog-proof@v2\nindex 0\n\n" + CP_NOTE), NoteError, "receipt first line: expected 'c2sp.org/tlog-proof@v1', got 'c2sp.org/tlog-proof@v2'", ..., id='rcptp-header'),
    pytest.param(lambda: Receipt.parse("c2sp.org/tlog-proof@v1\n"), NoteError, "receipt ends early: expected an 'index' line", ..., id='rcptp-noindex'),
    pytest.param(lambda: Receipt.parse("c2sp.org/tlog-proof@v1\nextra \nindex 0\n\n" + CP_NOTE), NoteError, "receipt 'extra' line has no data: omit the line instead", ..., id='rcptp-extra-empty'),
    pytest.param(lambda: Receipt.parse("c2sp.org/tlog-proof@v1\nextra AB==\nindex 0\n\n" + CP_NOTE), NoteError, "receipt extra data is not canonical base64: 'AB=='", ..., id='rcptp-extra-b64'),
    pytest.param(lambda: Receipt.parse("c2sp.org/tlog-proof@v1\nextra AA==\n"), NoteError, "receipt ends early: expected an 'index' line", ..., id='rcptp-extra-noindex'),
    pytest.param(lambda: Receipt.parse("c2sp.org/tlog-proof@v1\nindex x\n\n" + CP_NOTE), NoteError, "receipt index: expected a decimal number without leading zeroes, got 'x'", ..., id='rcptp-index'),
    pytest.param(lambda: Receipt.parse("c2sp.org/tlog-proof@v1\nindex 01\n\n" + CP_NOTE), NoteError, "receipt index: expected a decimal number without leading zeroes, got '01'", ..., id='rcptp-index-lead'),
    pytest.param(lambda: Receipt.parse(f"c2sp.org/tlog-proof@v1\nindex {2**64}\n\n" + CP_NOTE), NoteError, 'receipt index: expected at most 18446744073709551615, got 18446744073709551616', ..., id='rcptp-index-big'),
    pytest.param(lambda: Receipt.parse("c2sp.org/tlog-proof@v1\nindex 0\n" + ROOT64), NoteError, 'receipt ends early: expected proof hashes followed by an empty line and the checkpoint', ..., id='rcptp-proofs-end'),
    pytest.param(lambda: Receipt.parse("c2sp.org/tlog-proof@v1\nindex 0\nAAAA\n\n" + CP_NOTE), NoteError, 'receipt proof hash 0: expected 32 bytes, got 3', ..., id='rcptp-proof-len'),
    pytest.param(lambda: Receipt.parse("c2sp.org/tlog-proof@v1\nindex 0\n" + (ROOT64 + "\n") * 65 + "\n" + CP_NOTE), NoteError, 'receipt proof: expected at most 64 hashes', ..., id='rcptp-proof-many'),
    pytest.param(lambda: Receipt.parse("c2sp.org/tlog-proof@v1\nindex 0\n\n"), NoteError, 'receipt has no checkpoint after the empty line', ..., id='rcptp-nocp'),
    pytest.param(lambda: ChainHead("Item", "k", 0, ZERO_HASH), NoteError, "chain head role: expected 1-16 lower-case letters, got 'Item'", ..., id='heads-role'),
    pytest.param(lambda: ChainHead(5, "k", 0, ZERO_HASH), NoteError, 'chain head role: expected 1-16 lower-case letters, got 5', ..., id='heads-role-type'),
    pytest.param(lambda: ChainHead("item", "a b", 0, ZERO_HASH), NoteError, "chain head key: expected a ledger key without spaces, got 'a b'", ..., id='heads-key'),
    pytest.param(lambda: ChainHead("item", 5, 0, ZERO_HASH), NoteError, 'chain head key: expected a ledger key without spaces, got 5', ..., id='heads-key-type'),
    pytest.param(lambda: ChainHead("item", "k", False, ZERO_HASH), NoteError, 'chain head count of k: expected 0 to 9223372036854775807, got False', ..., id='heads-count-bool'),
    pytest.param(lambda: ChainHead("item", "k", -1, ZERO_HASH), NoteError, 'chain head count of k: expected 0 to 9223372036854775807, got -1', ..., id='heads-count-neg'),
    pytest.param(lambda: ChainHead("item", "k", 2**63, "ab" * 32), NoteError, 'chain head count of k: expected 0 to 9223372036854775807, got 9223372036854775808', ..., id='heads-count-big'),
    pytest.param(lambda: ChainHead("item", "k", 1, "AB" * 32), NoteError, "chain head of k: expected 64 lower-case hex digits, got 'ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB'", ..., id='heads-head'),
    pytest.param(lambda: ChainHead("item", "k", 1, 5), NoteError, 'chain head of k: expected 64 lower-case hex digits, got 5', ..., id='heads-head-type'),
    pytest.param(lambda: ChainHead("item", "k", 1, ZERO_HASH), NoteError, 'chain head of k: expected 64 zeros exactly when the count is 0, got count 1 and head 0000000000000000000000000000000000000000000000000000000000000000', ..., id='heads-zero-count'),
    pytest.param(lambda: ChainHead("item", "k", 0, "ab" * 32), NoteError, 'chain head of k: expected 64 zeros exactly when the count is 0, got count 0 and head abababababababababababababababababababababababababababababababab', ..., id='heads-zero-head'),
    pytest.param(lambda: ChainHeads("", 1, ROOT, "k", (HEAD,)), NoteError, "chain heads origin: expected one non-empty line, got ''", ..., id='heads-origin'),
    pytest.param(lambda: ChainHeads("a\x1fb", 1, ROOT, "k", (HEAD,)), NoteError, "chain heads origin: expected one non-empty line, got 'a\\x1fb'", ..., id='heads-origin-ctrl'),
    pytest.param(lambda: ChainHeads(5, 1, ROOT, "k", (HEAD,)), NoteError, 'chain heads origin: expected one non-empty line, got 5', ..., id='heads-origin-type'),
    pytest.param(lambda: ChainHeads("o", True, ROOT, "k", (HEAD,)), NoteError, 'chain heads tree size: expected 0 to 9223372036854775807, got True', ..., id='heads-size-bool'),
    pytest.param(lambda: ChainHeads("o", -1, ROOT, "k", (HEAD,)), NoteError, 'chain heads tree size: expected 0 to 9223372036854775807, got -1', ..., id='heads-size-neg'),
    pytest.param(lambda: ChainHeads("o", 2**63, ROOT, "k", (HEAD,)), NoteError, 'chain heads tree size: expected 0 to 9223372036854775807, got 9223372036854775808', ..., id='heads-size-big'),
    pytest.param(lambda: ChainHeads("o", 1, b"x", "k", (HEAD,)), NoteError, "chain heads root hash: expected 32 bytes, got b'x'", ..., id='heads-root'),
    pytest.param(lambda: ChainHeads("o", 1, "x" * 32, "k", (HEAD,)), NoteError, "chain heads root hash: expected 32 bytes, got 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'", ..., id='heads-root-type'),
    pytest.param(lambda: ChainHeads("o", 1, ROOT, "a b", (HEAD,)), NoteError, "chain heads subject: expected a ledger key without spaces, got 'a b'", ..., id='heads-subject'),
    pytest.param(lambda: ChainHeads("o", 1, ROOT, 5, (HEAD,)), NoteError, 'chain heads subject: expected a ledger key without spaces, got 5', ..., id='heads-subject-type'),
    pytest.param(lambda: ChainHeads("o", 1, ROOT, "k", ()), NoteError, 'chain heads: expected at least one chain line, got none', ..., id='heads-none'),
    pytest.param(lambda: ChainHeads("o", 1, ROOT, "k", (HEAD, "x")), NoteError, 'chain heads: expected ChainHead lines, got str', ..., id='heads-line-type'),
    pytest.param(lambda: ChainHeads("o", 1, ROOT, "k", (HEAD, HEAD)), NoteError, 'chain heads: chain k is listed twice', ..., id='heads-twice'),
    pytest.param(lambda: ChainHeads.parse(b"x\n"), NoteError, 'chain heads: expected text, got bytes', ..., id='headsp-type'),
    pytest.param(lambda: ChainHeads.parse("suyuan chain-heads v1"), NoteError, 'chain heads text must end with a newline', ..., id='headsp-nl'),
    pytest.param(lambda: ChainHeads.parse("suyuan chain-heads v2\no\n1\n" + ROOT64 + "\nk\nitem k 0 " + ZERO_HASH + "\n"), NoteError, "chain heads line 1: expected 'suyuan chain-heads v1', got 'suyuan chain-heads v2'", ..., id='headsp-header'),
    pytest.param(lambda: ChainHeads.parse("suyuan chain-heads v1\no\n1\n" + ROOT64 + "\nk\n"), NoteError, 'chain heads: expected at least 6 lines (header, origin, size, root, subject, one chain), got 5', ..., id='headsp-short'),
    pytest.param(lambda: ChainHeads.parse("suyuan chain-heads v1\no\n01\n" + ROOT64 + "\nk\nitem k 0 " + ZERO_HASH + "\n"), NoteError, "chain heads tree size (line 3): expected a decimal number without leading zeroes, got '01'", ..., id='headsp-size'),
    pytest.param(lambda: ChainHeads.parse(f"suyuan chain-heads v1\no\n{2**63}\n" + ROOT64 + "\nk\nitem k 0 " + ZERO_HASH + "\n"), NoteError, "chain heads tree size (line 3): expected a decimal number without leading zeroes, got '9223372036854775808'", ..., id='headsp-size-big'),
    pytest.param(lambda: ChainHeads.parse("suyuan chain-heads v1\no\n1\nAB==\nk\nitem k 0 " + ZERO_HASH + "\n"), NoteError, "chain heads root hash (line 4) is not canonical base64: 'AB=='", ..., id='headsp-root'),
    pytest.param(lambda: ChainHeads.parse("suyuan chain-heads v1\no\n1\n" + ROOT64 + "\nk\nitem k 0\n"), NoteError, "chain heads line 6: expected '<role> <key> <count> <head>', got 'item k 0'", ..., id='headsp-line'),
    pytest.param(lambda: ChainHeads.parse("suyuan chain-heads v1\no\n1\n" + ROOT64 + "\nk\nitem k 0 " + ZERO_HASH + "\nitem j 01 " + ZERO_HASH + "\n"), NoteError, "chain heads line 7: expected '<role> <key> <count> <head>', got 'item j 01 0000000000000000000000000000000000000000000000000000000000000000'", ..., id='headsp-line-count'),
    pytest.param(lambda: open_chain_heads(SIGNER.sign_note(ChainHeads("other", 1, ROOT, "k", (HEAD,)).body(), "o"), SIGNER.verifier_key("o")), NoteError, "chain heads origin: expected 'o', got 'other'", ..., id='headso-origin'),
    pytest.param(lambda: verify_receipt(RECEIPT, SIGNER.verifier_key("o"), b"other"), EntryNotIncluded, 'entry is not at index 0 of the checkpointed tree of size 2: root mismatch: expected 617c8e94aca007686c4352345ab7be77459d7e8fe6f8bf20d214b33f6fbeb5ee, calculated 884ae5359e0fdc0c7ec8b9c256fd6d157210a9b6403e919460629b34646b5dd7', ..., id='vr-mismatch'),
    pytest.param(lambda: verify_receipt(RECEIPT, SIGNER.verifier_key("o"), ENTRY, origin="p"), NoteError, "checkpoint origin: expected 'p', got 'o'", ..., id='vr-origin'),
    pytest.param(lambda: verify_receipt(Receipt(0, (), SIGNER.sign_checkpoint(Checkpoint("o", 2, ROOT))).format(), VKEY, ENTRY), ProofError, 'inclusion proof for index 0 in the checkpointed tree of size 2 is malformed: wrong proof size 0, want 1', ..., id='vr-proof'),
]


@pytest.mark.parametrize("refused, kind, message, field", CASES)
def test_refusal_names_what_was_expected_and_what_came(refused, kind, message, field):
    assert_refused(refused, kind, message, field)
