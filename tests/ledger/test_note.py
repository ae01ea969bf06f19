"""Signed notes (C2SP signed-note v1.0.0) and the log key file."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.conformance import vector
from suyuan.errors import ConfigError, NoteError, VerificationError
from suyuan.ledger.verify.note import NoteSignatureError, NoteUnverifiedError, Verifier, format_signature_line, is_valid_name, key_id, open_note, parse_note
from suyuan.ledger.signer import LogSigner, create_key_file, load_key_file

EM = "\u2014"



@pytest.fixture(scope="module")
def vectors() -> dict:
    return json.loads(vector("signed-note", "vectors.json").read_text(encoding="utf-8"))


# --- conformance vectors -----------------------------------------------------


def test_vector_examples_verify(vectors):
    failures = []
    examples = vectors["verifier_examples"]
    for ex in examples:
        v = Verifier.from_key(ex["verifier_key"])
        try:
            text, sigs = open_note(ex["note"], [v])
        except NoteError as e:
            if ex["valid"]:
                failures.append(f"{ex['verifier_key']}: {e}")
            continue
        if not ex["valid"]:
            failures.append(f"{ex['verifier_key']}: verified but should not")
        elif text != ex["text"] or [s.name for s in sigs] != [v.name]:
            failures.append(f"{ex['verifier_key']}: got text {text!r}")
    assert not failures, f"{len(failures)} of {len(examples)} failed:\n" + "\n".join(failures)


def test_vector_key_id_matches_verifier_key(vectors):
    for ex in vectors["verifier_examples"]:
        name, hex8, key64 = ex["verifier_key"].split("+", 2)
        pub = base64.b64decode(key64)[1:]
        assert key_id(name, pub).hex() == hex8
        v = Verifier.from_key(ex["verifier_key"])
        assert (v.name, v.key_id.hex(), v.public_key) == (name, hex8, pub)
        assert v.key_string() == ex["verifier_key"]


def test_vector_tampered_text_fails(vectors):
    ex = vectors["verifier_examples"][0]
    v = Verifier.from_key(ex["verifier_key"])
    tampered = ex["note"].replace("example message", "exemplary message")
    with pytest.raises(NoteSignatureError, match=r"example\.com/foo\+530d903a does not verify"):
        open_note(tampered, [v])


def test_vector_tampered_signature_fails(vectors):
    ex = vectors["verifier_examples"][0]
    v = Verifier.from_key(ex["verifier_key"])
    text, _, line = ex["note"].rpartition("\n\n")
    name, b64 = line.removeprefix(EM + " ").rstrip("\n").split(" ")
    blob = bytearray(base64.b64decode(b64))
    blob[10] ^= 0x01  # inside the Ed25519 signature, after the key ID
    bad = f"{text}\n\n{EM} {name} {base64.b64encode(bytes(blob)).decode()}\n"
    with pytest.raises(NoteSignatureError, match="does not verify"):
        open_note(bad, [v])


def test_vector_with_unknown_key_is_unverified(vectors):
    ex = vectors["verifier_examples"][0]
    other = LogSigner.generate().verifier("example.com/foo")
    with pytest.raises(NoteUnverifiedError, match=r"no valid signature from a known key"):
        open_note(ex["note"], [other])


def test_go_note_package_example_is_reproduced_byte_for_byte():
    # The worked example in golang.org/x/mod/sumdb/note's package documentation.
    skey_data = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
    signer = LogSigner(Ed25519PrivateKey.from_private_bytes(skey_data[1:]))
    text = (
        "If you think cryptography is the answer to your problem,\n"
        "then you don't know what your problem is.\n"
    )
    signed = signer.sign_note(text, "PeterNeumann")
    assert signed == (
        text + "\n" + EM + " PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgY"
        "N1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    )
    vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    assert signer.verifier_key("PeterNeumann") == vkey
    assert open_note(signed.encode(), [Verifier.from_key(vkey)])[0] == text


# --- verifier keys -----------------------------------------------------------

GOOD_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"


@pytest.mark.parametrize(
    ("vkey", "match"),
    [
        ("example.com/foo", r"expected '<name>\+<8 hex digits>\+<base64 key>'"),
        ("example.com/foo+530d903a", r"expected '<name>\+<8 hex digits>\+<base64 key>'"),
        ("+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "name: expected a non-empty"),
        ("exa mple+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "name: expected"),
        ("example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "8 hex digits, got '530d903'"),
        ("example.com/foo+530d903g+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "8 hex digits"),
        ("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2", "not valid standard base64"),
        ("example.com/foo+530d903a+", "expected an algorithm byte"),
        ("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "expected 530d903a .*got 530d903b"),
        ("example.com/bar+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "key ID of example.com/bar: expected"),
    ],
)
def test_malformed_verifier_keys(vkey, match):
    with pytest.raises(NoteError, match=match):
        Verifier.from_key(vkey)


def test_verifier_key_with_wrong_algorithm_or_length():
    pub = LogSigner.generate().public_key
    for blob, match in [
        (b"\x02" + pub, r"expected 0x01 \(Ed25519\), got 0x02"),
        (b"\x01" + pub[:31], "expected a 32-byte Ed25519 public key, got 31 bytes"),
    ]:
        kid = hashlib.sha256(b"n\n" + blob).digest()[:4].hex()
        with pytest.raises(NoteError, match=match):
            Verifier.from_key(f"n+{kid}+{base64.b64encode(blob).decode()}")


def test_uppercase_hex_key_id_is_accepted_like_go():
    name, hex8, rest = GOOD_VKEY.split("+", 2)
    assert Verifier.from_key(f"{name}+{hex8.upper()}+{rest}") == Verifier.from_key(GOOD_VKEY)


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("example.com/log", True),
        ("溯源.example/日志", True),
        ("", False),
        ("a+b", False),
        ("a b", False),
        ("a\tb", False),
        ("a\u00a0b", False),
        ("a\u3000b", False),
        ("a\u2028b", False),
    ],
)
def test_key_name_rules(name, ok):
    assert is_valid_name(name) is ok


# --- signing and opening -----------------------------------------------------


def test_sign_and_open_round_trip():
    signer = LogSigner.generate()
    text = "suyuan.example/log\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
    note = signer.sign_note(text, "suyuan.example/log")
    assert note.startswith(text + "\n" + EM + " suyuan.example/log ")
    assert note.endswith("\n") and note.count("\n") == text.count("\n") + 2
    got, sigs = open_note(note, [signer.verifier("suyuan.example/log")])
    assert got == text
    assert [(s.name, s.key_id) for s in sigs] == [
        ("suyuan.example/log", signer.key_id("suyuan.example/log"))
    ]
    blob = base64.b64decode(note.rstrip("\n").rsplit(" ", 1)[1])
    assert blob[:4] == signer.key_id("suyuan.example/log") and len(blob) == 68


def test_text_may_contain_blank_lines():
    signer = LogSigner.generate()
    text = "first\n\nthird\n\n"
    got, _ = open_note(signer.sign_note(text, "k"), signer.verifier("k"))
    assert got == text


def cosign(note: str, signer: LogSigner, name: str) -> str:
    """Append a signature line over the note's text, as a witness would."""
    text = parse_note(note).text
    sig = signer._key.sign(text.encode())  # noqa: SLF001 - test helper
    return note + format_signature_line(name, signer.key_id(name), sig)


def test_unknown_signatures_are_ignored_and_known_one_verifies():
    log, witness = LogSigner.generate(), LogSigner.generate()
    note = cosign(witness.sign_note("hello\n", "witness.example"), log, "log.example")
    text, sigs = open_note(note, [log.verifier("log.example")])
    assert text == "hello\n" and [s.name for s in sigs] == ["log.example"]
    # Both known: both verified, in note order.
    _, sigs = open_note(note, [log.verifier("log.example"), witness.verifier("witness.example")])
    assert [s.name for s in sigs] == ["witness.example", "log.example"]


def test_same_name_other_key_is_unknown_not_a_failure():
    log, impostor = LogSigner.generate(), LogSigner.generate()
    note = cosign(log.sign_note("hello\n", "log.example"), impostor, "log.example")
    text, sigs = open_note(note, [log.verifier("log.example")])
    assert len(sigs) == 1


def test_failing_known_signature_rejects_note_even_if_another_verifies():
    a, b = LogSigner.generate(), LogSigner.generate()
    note = a.sign_note("hello\n", "a")
    bad = f"{EM} b {base64.b64encode(b.key_id('b') + bytes(64)).decode()}\n"
    with pytest.raises(NoteSignatureError, match=r"key b\+[0-9a-f]{8} does not verify"):
        open_note(note + bad, [a.verifier("a"), b.verifier("b")])


def test_repeated_signature_by_known_key_is_ignored_like_go():
    signer = LogSigner.generate()
    note = signer.sign_note("hello\n", "k")
    junk = f"{EM} k {base64.b64encode(signer.key_id('k') + bytes(64)).decode()}\n"
    _, sigs = open_note(note + junk, [signer.verifier("k")])
    assert len(sigs) == 1


def test_no_verifiers_means_unverified():
    note = LogSigner.generate().sign_note("hello\n", "k")
    with pytest.raises(NoteUnverifiedError, match=r"expected one of \(no keys\), got k\+"):
        open_note(note, [])


def test_ambiguous_verifiers_are_refused():
    # Two keys that share (name, key ID) cannot be told apart; build one by hand.
    a = LogSigner.generate().verifier("k")
    b = Verifier.__new__(Verifier)
    object.__setattr__(b, "name", "k")
    object.__setattr__(b, "key_id", a.key_id)
    object.__setattr__(b, "public_key", bytes(32))
    with pytest.raises(NoteError, match="ambiguous verifier keys"):
        open_note(LogSigner.generate().sign_note("x\n", "k"), [a, b])


def test_errors_are_verification_errors():
    assert issubclass(NoteSignatureError, VerificationError)
    assert issubclass(NoteUnverifiedError, NoteError)


# --- malformed notes ---------------------------------------------------------

SIGNER = LogSigner.generate()
GOOD = SIGNER.sign_note("hello\nworld\n", "k")
GOOD_LINE = GOOD.split("\n\n")[1]
SIG64 = GOOD_LINE.rstrip("\n").split(" ")[2]
URLSAFE = base64.urlsafe_b64encode(bytes([0xFB]) * 68).decode()


def _sig_line(name: str = "k", blob: bytes | None = None) -> str:
    b64 = SIG64 if blob is None else base64.b64encode(blob).decode()
    return f"{EM} {name} {b64}\n"


MALFORMED = [
    ("missing-final-newline", GOOD.rstrip("\n"), "must end with a newline after its last signature"),
    ("no-signatures", "hello\n\n", "no signature lines"),
    ("no-blank-line", "hello\n" + GOOD_LINE, "no blank line"),
    ("empty", "", "no blank line"),
    ("blank-line-after-signatures", GOOD + "\n", "no signature lines"),
    ("hyphen-instead-of-em-dash", "hello\n\n- k " + SIG64 + "\n", "must start with an em dash"),
    ("en-dash", "hello\n\n\u2013 k " + SIG64 + "\n", "must start with an em dash"),
    ("no-space-after-dash", f"hello\n\n{EM}k {SIG64}\n", "must start with an em dash"),
    ("bad-base64", f"hello\n\n{EM} k {SIG64[:-2]}!!\n", "not valid standard base64"),
    ("unpadded-base64", f"hello\n\n{EM} k {SIG64.rstrip('=')}\n", "not valid standard base64"),
    ("urlsafe-base64", f"hello\n\n{EM} k {URLSAFE}\n", "not valid standard base64"),
    ("two-spaces", f"hello\n\n{EM} k  {SIG64}\n", "not valid standard base64"),
    ("no-signature-after-name", f"hello\n\n{EM} k\n", "no signature after the key name"),
    ("empty-name", f"hello\n\n{EM}  {SIG64}\n", "key name: expected a non-empty"),
    ("name-with-plus", f"hello\n\n{EM} k+1 {SIG64}\n", r"key name: .*got 'k\+1'"),
    ("name-with-nbsp", f"hello\n\n{EM} k\u00a0x {SIG64}\n", "key name"),
    ("signature-too-short", "hello\n\n" + _sig_line(blob=b"\x00\x01\x02\x03"), "got 4 bytes"),
    ("non-utf8", b"hel\xfflo\n\n" + _sig_line().encode(), "not valid UTF-8"),
    ("overlong-utf8", b"hel\xc0\xafo\n\n" + _sig_line().encode(), "not valid UTF-8"),
    ("tab-in-text", "hel\tlo\n\n" + _sig_line(), r"control character U\+0009"),
    ("carriage-return", "hello\r\n\n" + _sig_line(), r"control character U\+000D"),
    ("crlf-signature-line", "hello\n\n" + _sig_line().replace("\n", "\r\n"), r"U\+000D"),
    ("nul", "hello\x00\n\n" + _sig_line(), r"U\+0000"),
    ("too-many-signatures", "hello\n\n" + "".join(
        _sig_line(f"w{i}", bytes([i % 256, 0, 0, 1]) + bytes(64)) for i in range(101)
    ), "more than 100 signatures"),
]


@pytest.mark.parametrize(("note", "match"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_notes(note, match):
    with pytest.raises(NoteError, match=match):
        parse_note(note)
    with pytest.raises(NoteError, match=match):
        open_note(note, [SIGNER.verifier("k")])


def test_exactly_100_signatures_are_accepted():
    lines = "".join(_sig_line(f"w{i}", bytes([i, 0, 0, 1]) + bytes(64)) for i in range(99))
    note = GOOD + lines
    assert len(parse_note(note).signatures) == 100
    assert open_note(note, [SIGNER.verifier("k")])[0] == "hello\nworld\n"


@pytest.mark.parametrize(
    ("note", "match"),
    [
        # An extra blank line moves the split: the signed text no longer matches.
        (GOOD.replace("\n\n", "\n\n\n"), "does not verify"),
        # A blank line between signatures makes the first one part of the text.
        (GOOD + "\n" + _sig_line(), "does not verify"),
    ],
    ids=["extra-blank-line-before-signatures", "blank-line-between-signatures"],
)
def test_extra_blank_lines_break_the_signature(note, match):
    with pytest.raises(NoteError, match=match):
        open_note(note, [SIGNER.verifier("k")])


def test_wrong_key_id_is_an_unknown_key():
    blob = base64.b64decode(SIG64)
    note = "hello\nworld\n\n" + _sig_line(blob=bytes([blob[0] ^ 1]) + blob[1:])
    with pytest.raises(NoteUnverifiedError, match="no valid signature from a known key"):
        open_note(note, [SIGNER.verifier("k")])


def test_wrong_name_is_an_unknown_key():
    note = "hello\nworld\n\n" + _sig_line(name="other")
    with pytest.raises(NoteUnverifiedError, match=r"got other\+"):
        open_note(note, [SIGNER.verifier("k")])


@pytest.mark.parametrize(
    ("text", "name", "match"),
    [
        ("hello", "k", "must end with a newline"),
        ("", "k", "must end with a newline"),
        ("hel\tlo\n", "k", r"control character U\+0009"),
        ("hello\n", "k k", "invalid key name"),
        ("hello\n", "", "invalid key name"),
        ("hello\n", "a+b", "invalid key name"),
        ("\ud800\n", "k", "lone surrogate"),
    ],
)
def test_sign_note_refuses_what_cannot_be_opened(text, name, match):
    with pytest.raises(NoteError, match=match):
        SIGNER.sign_note(text, name)


# --- key files ---------------------------------------------------------------


def test_create_key_file_mode_0600_and_load(tmp_path):
    path = tmp_path / "log.key"
    signer = create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----\n")
    loaded = load_key_file(path)
    assert loaded.public_key == signer.public_key
    assert loaded.verifier_key("a.example/log") == signer.verifier_key("a.example/log")


def test_create_key_file_refuses_to_overwrite(tmp_path):
    path = tmp_path / "log.key"
    path.write_bytes(b"precious")
    path.chmod(0o600)
    with pytest.raises(ConfigError, match="already exists: refusing to overwrite"):
        create_key_file(path)
    assert path.read_bytes() == b"precious"


def test_create_key_file_in_missing_directory(tmp_path):
    with pytest.raises(ConfigError, match="cannot create log key file"):
        create_key_file(tmp_path / "nope" / "log.key")


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_load_key_file_rejects_group_or_world_access(tmp_path, mode):
    path = tmp_path / "log.key"
    create_key_file(path)
    path.chmod(mode)
    with pytest.raises(ConfigError, match=f"has mode {mode:04o}: expected 0600.*chmod 600"):
        load_key_file(path)


def test_load_key_file_missing(tmp_path):
    with pytest.raises(ConfigError, match="does not exist: create it with `suyuan init`"):
        load_key_file(tmp_path / "log.key")


def test_load_key_file_not_a_regular_file(tmp_path):
    with pytest.raises(ConfigError, match="not a regular file|cannot read"):
        load_key_file(tmp_path)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"not a key", "is not a PEM private key"),
        (
            ec.generate_private_key(ec.SECP256R1()).private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            "expected an Ed25519 key",
        ),
        (
            Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(b"pw"),
            ),
            "is encrypted",
        ),
    ],
    ids=["garbage", "p256", "encrypted"],
)
def test_load_key_file_bad_contents(tmp_path, content, match):
    path = tmp_path / "log.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(content)
    with pytest.raises(ConfigError, match=f"log key file .*{match}"):
        load_key_file(path)


def test_pem_round_trip_accepts_str():
    signer = LogSigner.generate()
    pem = signer.to_pem()
    assert b"ENCRYPTED" not in pem
    assert LogSigner.from_pem(pem.decode()).public_key == signer.public_key
