"""Refusals of the tile and proof code, word for word, and the edges they accept.

A tile URL, a proof request or a stored tile that is not what it must be is answered with
one sentence saying what was expected (a 4xx for URLs and proof sizes, a VerificationError
for stored data that does not add up); each case pins type, message and, for bad input,
the field.
"""

from __future__ import annotations

from collections import deque

import hashlib

import pytest

from suyuan.errors import InputError, ProofError, VerificationError
from suyuan.ledger.verify import proofs
from suyuan.ledger.verify.tiles import TilePath, build_tiles, entry_bundle, format_index, node_from_tiles, parse_entry_bundle, parse_tile_path
from tests.ledger.helpers import assert_refused

H = [hashlib.sha256(i.to_bytes(2, "big")).digest() for i in range(300)]


CASES = [
    pytest.param(lambda: format_index(-1), InputError, 'Invalid tile index -1: must be 0 to 18446744073709551615.', None, id='tile-index-neg'),
    pytest.param(lambda: format_index(2**64), InputError, 'Invalid tile index 18446744073709551616: must be 0 to 18446744073709551615.', None, id='tile-index-big'),
    pytest.param(lambda: TilePath(64, 0), InputError, 'Invalid tile level 64: must be 0 to 63.', None, id='tilepath-level'),
    pytest.param(lambda: TilePath(-1, 0), InputError, 'Invalid tile level -1: must be 0 to 63.', None, id='tilepath-level-neg'),
    pytest.param(lambda: TilePath(0, 2**64), InputError, 'Invalid tile index 18446744073709551616: must be 0 to 18446744073709551615.', None, id='tilepath-index'),
    pytest.param(lambda: TilePath(0, -1), InputError, 'Invalid tile index -1: must be 0 to 18446744073709551615.', None, id='tilepath-index-neg'),
    pytest.param(lambda: TilePath(0, 0, 257), InputError, 'Invalid tile width 257: must be 1 to 256.', None, id='tilepath-width'),
    pytest.param(lambda: TilePath(0, 0, 0), InputError, 'Invalid tile width 0: must be 1 to 256.', None, id='tilepath-width-0'),
    pytest.param(lambda: parse_tile_path("0"), InputError, "Invalid tile path '0': expected <L>/<N>[.p/<W>] or entries/<N>[.p/<W>] with N as 3-digit groups like x001/x234/067.", 'path', id='path-short'),
    pytest.param(lambda: parse_tile_path("x/000"), InputError, "Invalid tile path 'x/000': expected <L>/<N>[.p/<W>] or entries/<N>[.p/<W>] with N as 3-digit groups like x001/x234/067.", 'path', id='path-head'),
    pytest.param(lambda: parse_tile_path("01/000"), InputError, "Invalid tile path '01/000': level '01' has a leading zero.", 'path', id='path-level0'),
    pytest.param(lambda: parse_tile_path("64/000"), InputError, "Invalid tile path '64/000': level 64 is above the maximum 63.", 'path', id='path-level-big'),
    pytest.param(lambda: parse_tile_path("0/000.p/x"), InputError, "Invalid tile path '0/000.p/x': partial width 'x' is not a number from 1 to 255.", 'path', id='path-width-nan'),
    pytest.param(lambda: parse_tile_path("0/000.p/01"), InputError, "Invalid tile path '0/000.p/01': partial width '01' has a leading zero.", 'path', id='path-width-lead'),
    pytest.param(lambda: parse_tile_path("0/000.p/256"), InputError, "Invalid tile path '0/000.p/256': partial width must be 1 to 255, got 256.", 'path', id='path-width-256'),
    pytest.param(lambda: parse_tile_path("0/000.p/0"), InputError, "Invalid tile path '0/000.p/0': partial width must be 1 to 255, got 0.", 'path', id='path-width-0'),
    pytest.param(lambda: parse_tile_path("0/y001/000"), InputError, "Invalid tile path '0/y001/000': index group 'y001' is not 'x' and 3 digits; expected <L>/<N>[.p/<W>] or entries/<N>[.p/<W>] with N as 3-digit groups like x001/x234/067.", 'path', id='path-group'),
    pytest.param(lambda: parse_tile_path("0/x0a1/000"), InputError, "Invalid tile path '0/x0a1/000': index group 'x0a1' is not 'x' and 3 digits; expected <L>/<N>[.p/<W>] or entries/<N>[.p/<W>] with N as 3-digit groups like x001/x234/067.", 'path', id='path-group-digits'),
    pytest.param(lambda: parse_tile_path("0/x0001/000"), InputError, "Invalid tile path '0/x0001/000': index group 'x0001' is not 'x' and 3 digits; expected <L>/<N>[.p/<W>] or entries/<N>[.p/<W>] with N as 3-digit groups like x001/x234/067.", 'path', id='path-group-long'),
    pytest.param(lambda: parse_tile_path("0/x001/00"), InputError, "Invalid tile path '0/x001/00': last index group '00' is not 3 digits; expected <L>/<N>[.p/<W>] or entries/<N>[.p/<W>] with N as 3-digit groups like x001/x234/067.", 'path', id='path-last'),
    pytest.param(lambda: parse_tile_path("0/x001/0a0"), InputError, "Invalid tile path '0/x001/0a0': last index group '0a0' is not 3 digits; expected <L>/<N>[.p/<W>] or entries/<N>[.p/<W>] with N as 3-digit groups like x001/x234/067.", 'path', id='path-last-digits'),
    pytest.param(lambda: parse_tile_path("0/x000/001"), InputError, "Invalid tile path '0/x000/001': index has a leading 'x000' group; drop it.", 'path', id='path-x000'),
    pytest.param(lambda: parse_tile_path("0/x018/x446/x744/x073/x709/x551/616"), InputError, "Invalid tile path '0/x018/x446/x744/x073/x709/x551/616': index 18446744073709551616 is above the maximum 18446744073709551615.", 'path', id='path-index-big'),
    pytest.param(lambda: build_tiles(-1, [], lambda l, i: b""), InputError, 'Invalid old tree size -1: must be 0 or more.', None, id='build-old'),
    pytest.param(lambda: build_tiles(0, [H[0], b"x"], lambda l, i: b""), InputError, 'Invalid leaf hash 1: expected 32 bytes, got 1.', None, id='build-hash'),
    pytest.param(lambda: build_tiles(3, [H[3]], lambda l, i: b"x" * 64), VerificationError, 'stored tile 0/0 has 64 bytes, expected 96 for tree size 3', ..., id='build-stored'),
    pytest.param(lambda: node_from_tiles(-1, 0, lambda l, i: b""), InputError, 'Invalid node (-1, 0): level and index must be 0 or more.', None, id='node-neg-level'),
    pytest.param(lambda: node_from_tiles(0, -1, lambda l, i: b""), InputError, 'Invalid node (0, -1): level and index must be 0 or more.', None, id='node-neg-index'),
    pytest.param(lambda: node_from_tiles(1, 1, lambda l, i: b"".join(H[:3])), VerificationError, 'tile 0/0 has 3 hashes, need 4 for node (1, 1)', ..., id='node-short'),
    pytest.param(lambda: entry_bundle([b"a", b"x" * 65536]), InputError, 'Entry 1 is 65536 bytes: entries in a bundle must be at most 65535 bytes.', None, id='bundle-big'),
    pytest.param(lambda: parse_entry_bundle(b"\x00\x01a\x00"), VerificationError, 'entry bundle truncated at byte 3: length prefix needs 2 bytes, got 1', ..., id='bundle-trunc-prefix'),
    pytest.param(lambda: parse_entry_bundle(b"\x00\x01a\x00\x05abc"), VerificationError, 'entry bundle truncated in entry 1: expected 5 bytes, got 3', ..., id='bundle-trunc-entry'),
    pytest.param(lambda: proofs.inclusion_ranges(0, -1), ProofError, 'index 0 out of range for size -1', ..., id='incl-neg-size'),
    pytest.param(lambda: proofs.inclusion_ranges(-1, 5), ProofError, 'index -1 out of range for size 5', ..., id='incl-neg-index'),
    pytest.param(lambda: proofs.inclusion_ranges(5, 5), ProofError, 'index 5 out of range for size 5', ..., id='incl-out'),
    pytest.param(lambda: proofs.consistency_ranges(-1, 5), ProofError, 'negative tree size: size1 -1, size2 5', ..., id='cons-neg1'),
    pytest.param(lambda: proofs.consistency_ranges(0, -1), ProofError, 'negative tree size: size1 0, size2 -1', ..., id='cons-neg2'),
    pytest.param(lambda: proofs.consistency_ranges(6, 5), ProofError, 'size1 6 is greater than size2 5', ..., id='cons-gt'),
    pytest.param(lambda: proofs.consistency_ranges(0, 5), ProofError, 'consistency proof from size 0 to size 5 is meaningless', ..., id='cons-zero'),
    pytest.param(lambda: proofs.subtree_nodes(-1, 2), ProofError, 'invalid leaf range [-1, 2): need 0 <= start < end', ..., id='sub-neg'),
    pytest.param(lambda: proofs.subtree_nodes(2, 2), ProofError, 'invalid leaf range [2, 2): need 0 <= start < end', ..., id='sub-empty'),
    pytest.param(lambda: proofs.subtree_nodes(1, 3), ProofError, 'leaf range [1, 3) is not aligned: start must be a multiple of 2', ..., id='sub-unaligned'),
    pytest.param(lambda: proofs.range_root(-1, 2, None), ProofError, 'invalid leaf range [-1, 2): need 0 <= start <= end', ..., id='range-neg'),
    pytest.param(lambda: proofs.range_root(3, 2, None), ProofError, 'invalid leaf range [3, 2): need 0 <= start <= end', ..., id='range-back'),
    pytest.param(lambda: proofs.root_from_inclusion_proof(H[0], -1, 5, []), ProofError, 'index -1 out of range for size 5', ..., id='rfi-neg'),
    pytest.param(lambda: proofs.root_from_inclusion_proof(H[0], 5, 5, []), ProofError, 'index 5 out of range for size 5', ..., id='rfi-out'),
    pytest.param(lambda: proofs.root_from_inclusion_proof(b"x", 0, 1, []), ProofError, 'leaf hash has size 1, want 32', ..., id='rfi-leaf'),
    pytest.param(lambda: proofs.root_from_inclusion_proof(H[0], 0, 2, []), ProofError, 'wrong proof size 0, want 1', ..., id='rfi-size'),
    pytest.param(lambda: proofs.root_from_inclusion_proof(H[0], 0, 2, [b"x"]), ProofError, 'proof hash 0 has size 1, want 32', ..., id='rfi-hash'),
    pytest.param(lambda: proofs.root_from_consistency_proof(-1, 5, [], H[0]), ProofError, 'negative tree size: size1 -1, size2 5', ..., id='rfc-neg1'),
    pytest.param(lambda: proofs.root_from_consistency_proof(0, -1, [], H[0]), ProofError, 'negative tree size: size1 0, size2 -1', ..., id='rfc-neg2'),
    pytest.param(lambda: proofs.root_from_consistency_proof(6, 5, [], H[0]), ProofError, 'size1 6 is greater than size2 5', ..., id='rfc-gt'),
    pytest.param(lambda: proofs.root_from_consistency_proof(0, 5, [], H[0]), ProofError, 'consistency proof from size 0 to size 5 is meaningless', ..., id='rfc-zero'),
    pytest.param(lambda: proofs.root_from_consistency_proof(5, 5, [H[0]], H[0]), ProofError, 'wrong proof size 1, want 0 for equal sizes 5', ..., id='rfc-equal'),
    pytest.param(lambda: proofs.root_from_consistency_proof(3, 5, [], H[0]), ProofError, 'empty proof for sizes 3 to 5', ..., id='rfc-empty'),
    pytest.param(lambda: proofs.root_from_consistency_proof(3, 5, [H[0]], H[0]), ProofError, 'wrong proof size 1, want 4', ..., id='rfc-size'),
]


@pytest.mark.parametrize("refused, kind, message, field", CASES)
def test_refusal_names_what_was_expected(refused, kind, message, field):
    assert_refused(refused, kind, message, field)


def test_the_last_values_inside_each_limit_are_accepted():
    top = 2**64 - 1
    assert format_index(top) == "x018/x446/x744/x073/x709/x551/615"
    assert format_index(0) == "000" and format_index(1234) == "x001/234"
    assert parse_tile_path("0/x018/x446/x744/x073/x709/x551/615") == TilePath(0, top)
    assert TilePath(63, top, 1).path() == "63/x018/x446/x744/x073/x709/x551/615.p/1"
    assert parse_tile_path("63/000.p/255") == TilePath(63, 0, 255)
    assert parse_tile_path("entries/x001/234.p/1") == TilePath(None, 1234, 1)
    assert parse_tile_path("0/x001/000") == TilePath(0, 1000)
    assert parse_tile_path("0/000") == TilePath(0, 0, 256)
    assert parse_entry_bundle(entry_bundle([b"a", b"", b"x" * 65535])) == [b"a", b"", b"x" * 65535]
    assert entry_bundle([b"ab"]) == b"\x00\x02ab" and entry_bundle([b"x" * 258])[:2] == b"\x01\x02"
    assert parse_entry_bundle(b"") == [] and parse_entry_bundle(b"\x00\x00") == [b""]


def test_tiles_built_in_steps_and_nodes_read_back():
    store = {}
    for old, new in ((0, 3), (3, 256), (256, 300)):
        for tile, data in build_tiles(old, H[old:new], lambda l, i: store[(l, i)]):
            store[(tile.level, tile.index)] = data
        assert set(store) == ({(0, 0), (0, 1), (1, 0)} if new > 256 else {(0, 0)} | ({(1, 0)} if new == 256 else set()))
    assert store[(0, 1)] == b"".join(H[256:300])
    assert store[(1, 0)] == proofs.root(H[:256])
    read = lambda l, i: store[(l, i)]  # noqa: E731
    for level, index in ((0, 0), (0, 299), (1, 1), (3, 5), (8, 0), (2, 64)):
        assert node_from_tiles(level, index, read) == proofs.root(H[index << level : (index + 1) << level])


def test_in_memory_proofs_take_any_sequence():
    leaves = deque(H[:7])
    assert proofs.inclusion_proof(3, leaves) == proofs.inclusion_proof(3, list(leaves))
    assert proofs.consistency_proof(3, leaves) == proofs.consistency_proof(3, tuple(leaves))
    assert proofs.consistency_ranges(3, 7) == [(2, 3), (3, 4), (0, 2), (4, 7)]
    assert proofs.consistency_ranges(4, 7) == [(4, 7)]
    assert proofs.inclusion_ranges(0, 1) == []
    assert proofs.root_from_consistency_proof(6, 6, [], H[0]) == H[0]
