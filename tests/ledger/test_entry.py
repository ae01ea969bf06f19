"""Canonical bytes: the fast path must equal the `rfc8785` reference byte for byte."""

from __future__ import annotations

import random

import pytest
import rfc8785

from suyuan.errors import InputError
from suyuan.ledger.verify.entry import canonical

ALPHABET = (
    [chr(c) for c in range(0, 0x80)]  # every control character, quote and backslash
    + list("中文溯源éß€\u2028\u2029\ufeff\ue000\uffff")
    + ["\U0001F990", "\U00020000"]  # astral: prawn emoji, CJK extension B
)


def _string(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12)))


def _value(rng: random.Random, depth: int = 0):
    kind = rng.randrange(7 if depth < 4 else 4)
    if kind == 0:
        return _string(rng)
    if kind == 1:
        return rng.choice([0, -1, 1, 2**53 - 1, -(2**53 - 1), rng.randint(-10**12, 10**12)])
    if kind == 2:
        return rng.choice([True, False, None])
    if kind == 3:
        return rng.randint(0, 1000)
    if kind in (4, 5):
        return {_string(rng): _value(rng, depth + 1) for _ in range(rng.randint(0, 6))}
    return [_value(rng, depth + 1) for _ in range(rng.randint(0, 5))]


def test_canonical_equals_rfc8785_on_random_documents():
    rng = random.Random(8785)
    mismatches = []
    for i in range(5000):
        doc = {_string(rng): _value(rng) for _ in range(rng.randint(0, 6))}
        if canonical(doc) != rfc8785.dumps(doc):
            mismatches.append(doc)
    assert not mismatches, f"{len(mismatches)} of 5000 differ, first: {mismatches[0]!r}"


def test_keys_outside_the_bmp_sort_by_utf16_as_rfc8785_says():
    doc = {"\U0001F990": 1, "\uffff": 2, "a": 3}
    assert canonical(doc) == rfc8785.dumps(doc)
    assert canonical(doc).index("\U0001F990".encode()) < canonical(doc).index("\uffff".encode())


@pytest.mark.parametrize("value, words", [
    ({"w": 0.5}, "float 0.5"),
    ({"w": float("nan")}, "float nan"),
    ({"w": [1, 2**53]}, "within"),
    ({"w": {1, 2}}, "expected JSON"),
])
def test_values_outside_json_integers_are_refused(value, words):
    with pytest.raises(InputError, match=words):
        canonical(value)
