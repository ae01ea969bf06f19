"""Statements and entries, their canonical bytes and their hash.

A statement is what an actor asserts: `{key, type, time, actor, data, id}`.
An entry is what the ledger stores: `{v: 1, statement, sig?, seq, prev,
recorded}`. Canonical bytes are RFC 8785 (JCS); the entry hash is the RFC 6962
leaf hash SHA-256(0x00 || bytes), so a chain link and a Merkle leaf are the
same value. Pure: the offline verifier imports this module.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

import rfc8785

from suyuan.errors import ChainBroken, InputError, SuyuanError, VerificationError
from suyuan.ledger.verify.proofs import leaf_hash  # the entry hash is the RFC 9162 leaf hash
from suyuan.timestamps import parse_time

ENTRY_VERSION = 1
ZERO_HASH = "0" * 64
MAX_ENTRY_BYTES = 65535  # an entry bundle stores lengths as uint16 (C2SP tlog-tiles)
STATEMENT_FIELDS = ("key", "type", "time", "actor", "data", "id")
_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


def canonical(value: Any) -> bytes:
    """RFC 8785 (JCS) bytes of `value`; floats are refused so every hash is reproducible.

    `rfc8785` is the reference. For the values suyuan accepts (no floats,
    integers within ±(2^53-1), object keys inside the Basic Multilingual Plane)
    JCS is exactly sorted-key, compact, non-ASCII-escaping JSON as the standard
    library writes it (same string escapes, and UTF-16 key order equals code
    point order below U+10000), which is many times faster; anything outside
    that goes through `rfc8785`. tests/ledger/test_entry.py holds both to the
    same bytes on random documents.
    """
    if _check_json(value, ""):
        try:
            return json.dumps(value, sort_keys=True, separators=(",", ":"),
                              ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            pass  # lone surrogates: let the reference decide
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as exc:
        raise InputError(f"Value cannot be canonicalised (RFC 8785): {exc}.") from exc


class _Refused(Exception):
    """Something `_check_json` refuses: found without paths, then named by `_check_json_at`."""


_SAFE = 2**53 - 1


def _bmp_json(value: Any) -> bool:
    """`_check_json` without building a path per node (the common case: nothing to refuse).

    Exact types only: a subclass, like anything refused, raises `_Refused` for `_check_json_at` to judge.
    """
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return True
    if kind is int:
        if -_SAFE <= value <= _SAFE:
            return True
        raise _Refused
    if kind is dict:
        fast = True
        for k, v in value.items():
            if type(k) is not str:
                raise _Refused
            if not _bmp_json(v) or _ASTRAL.search(k):
                fast = False
        return fast
    if kind is list:
        fast = True
        for v in value:
            if not _bmp_json(v):
                fast = False
        return fast
    raise _Refused


def _check_json(value: Any, path: str) -> bool:
    """Refuse floats, unsafe integers and non-JSON; True if every key is in the BMP."""
    try:
        return _bmp_json(value)
    except _Refused:
        return _check_json_at(value, path)


def _check_json_at(value: Any, path: str) -> bool:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return True
    if isinstance(value, float):
        raise InputError(
            f"Invalid number at {path or '/'}: expected an integer or a decimal string, "
            f"got the float {value!r}.",
            field=path or None,
        )
    if isinstance(value, int):
        if abs(value) > 2**53 - 1:
            raise InputError(
                f"Invalid number at {path or '/'}: expected an integer within ±(2^53-1), "
                f"got {value}; send large numbers as decimal strings.",
                field=path or None,
            )
        return True
    if isinstance(value, dict):
        fast = True
        for k, v in value.items():
            if not isinstance(k, str):
                raise InputError(f"Invalid object key at {path or '/'}: expected a string.")
            fast = _check_json_at(v, f"{path}/{k}") and fast and not _ASTRAL.search(k)
        return fast
    if isinstance(value, list):
        fast = True
        for i, v in enumerate(value):
            fast = _check_json_at(v, f"{path}/{i}") and fast
        return fast
    raise InputError(f"Invalid value at {path or '/'}: expected JSON, got {type(value).__name__}.")


def check_statement(statement: dict[str, Any]) -> dict[str, Any]:
    """Check the shape of a statement; return it unchanged or raise InputError."""
    if not isinstance(statement, dict):
        raise InputError("Invalid statement: expected a JSON object.", field="statement")
    extra = sorted(set(statement) - set(STATEMENT_FIELDS))
    if extra:
        raise InputError(
            f"Unknown statement field {extra[0]!r}: expected only {', '.join(STATEMENT_FIELDS)}.",
            field=extra[0],
        )
    missing = [f for f in STATEMENT_FIELDS if f not in statement and f != "actor"]
    if missing:
        raise InputError(f"Missing statement field {missing[0]!r}.", field=missing[0])
    if not isinstance(statement["type"], str) or not _TYPE.match(statement["type"]):
        raise InputError(
            "Invalid type: expected lower-case letters, digits and '_' (at most 64), "
            f"got {statement['type']!r}.",
            field="type",
        )
    _check_time(statement["time"])
    actor = statement.get("actor")
    if actor is not None and (not isinstance(actor, str) or not 0 < len(actor) <= 200):
        raise InputError("Invalid actor: expected null or a string of 1-200 characters.", field="actor")
    if not isinstance(statement["data"], dict):
        raise InputError(
            f"Invalid data: expected a JSON object, got {type(statement['data']).__name__}.",
            field="data",
        )
    _check_uuid(statement["id"])
    return statement


def _check_time(value: Any) -> None:
    parse_time(value, "time")


def _check_uuid(value: Any) -> None:
    try:
        if isinstance(value, str) and str(uuid.UUID(value)) == value.lower():
            return
    except ValueError:
        pass
    raise InputError(
        f"Invalid id: expected a UUID like 3f2b8c1e-0d6a-4e4b-9a53-2a0f1c9d7e10, got {value!r}.",
        field="id",
    )


def make_entry(
    statement: dict[str, Any], sig: str | None, seq: int, prev: str, recorded: str
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "v": ENTRY_VERSION,
        "statement": statement,
        "seq": seq,
        "prev": prev,
        "recorded": recorded,
    }
    if sig is not None:
        entry["sig"] = sig
    return entry


@dataclass(frozen=True)
class ParsedEntry:
    """An entry read back from its canonical bytes."""

    raw: bytes
    hash: bytes
    key: str
    seq: int
    prev: str
    statement: dict[str, Any]
    sig: str | None
    recorded: str

    @classmethod
    def from_bytes(cls, raw: bytes) -> "ParsedEntry":
        try:
            obj = json.loads(raw)
            statement = obj["statement"]
            parsed = cls(
                raw=raw,
                hash=leaf_hash(raw),
                key=statement["key"],
                seq=obj["seq"],
                prev=obj["prev"],
                statement=statement,
                sig=obj.get("sig"),
                recorded=obj["recorded"],
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise VerificationError(f"entry is not a ledger entry: {exc}") from exc
        if obj.get("v") != ENTRY_VERSION:
            raise VerificationError(f"entry version: expected {ENTRY_VERSION}, got {obj.get('v')!r}")
        if canonical(obj) != raw:
            raise VerificationError("entry bytes are not RFC 8785 canonical")
        return parsed


def check_link(key: str, seq: int, prev: str, raw: bytes, stored_hash: bytes | None = None) -> ParsedEntry:
    """The entry at `seq` of `key`'s chain, if its bytes are a canonical entry that sits
    there, hashes as stored (when a stored hash is given) and links to `prev`.

    Raises ChainBroken whose `what` names the failure: malformed, position, hash, prev.
    The one check behind `suyuan audit`, the verify endpoint and `verify-bundle`.
    """
    try:
        entry = ParsedEntry.from_bytes(raw)
    except SuyuanError as exc:  # InputError too: a float smuggled into the bytes
        raise ChainBroken(key, seq, "a canonical ledger entry", str(exc), "malformed") from exc
    if entry.key != key or entry.seq != seq:
        raise ChainBroken(key, seq, f"{key}#{seq}", f"{entry.key}#{entry.seq}", "position")
    if stored_hash is not None and stored_hash != entry.hash:
        raise ChainBroken(key, seq, stored_hash.hex(), entry.hash.hex(), "hash")
    if entry.prev != prev:
        raise ChainBroken(key, seq, prev, entry.prev, "prev")
    return entry
