"""C2SP tlog-tiles: paths, incremental tile building, proofs from tiles, bundles."""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path

import pytest

from suyuan.errors import InputError, VerificationError
from suyuan.ledger.verify import proofs
from suyuan.ledger.verify import tiles
from suyuan.ledger.verify.proofs import consistency_proof, consistency_ranges, inclusion_proof, inclusion_ranges, range_root, root, verify_consistency, verify_inclusion
from suyuan.ledger.verify.tiles import TILE_HEIGHT, TILE_WIDTH, TilePath, build_tiles, entry_bundle, format_index, node_from_tiles, parse_entry_bundle, parse_tile_path, tile_hash_count, tiles_for_size


def leaves(n: int, start: int = 0) -> list[bytes]:
    return [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(start, start + n)]


# --- paths -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "n, want",
    [
        (0, "000"),
        (7, "007"),
        (999, "999"),
        (1000, "x001/000"),
        (1234067, "x001/x234/067"),
        (1_000_000, "x001/x000/000"),
        (2**64 - 1, "x018/x446/x744/x073/x709/x551/615"),
    ],
)
def test_format_index(n: int, want: str) -> None:
    assert format_index(n) == want


@pytest.mark.parametrize(
    "path, want",
    [
        ("0/000", TilePath(0, 0)),
        ("0/x001/x234/067", TilePath(0, 1234067)),
        ("1/x001/x234/067.p/8", TilePath(1, 1234067, 8)),
        ("63/999.p/255", TilePath(63, 999, 255)),
        ("entries/000.p/1", TilePath(None, 0, 1)),
        ("entries/x001/000", TilePath(None, 1000)),
        ("10/x001/x000/000", TilePath(10, 1_000_000)),
    ],
)
def test_parse_tile_path(path: str, want: TilePath) -> None:
    assert parse_tile_path(path) == want
    assert want.path() == path


def test_tile_path_round_trip() -> None:
    rng = random.Random(3)
    for _ in range(500):
        level = rng.choice([None, *range(0, 64)])
        index = rng.choice([rng.randrange(1000), rng.randrange(10**6), rng.randrange(2**64)])
        width = rng.choice([TILE_WIDTH, rng.randrange(1, TILE_WIDTH)])
        t = TilePath(level, index, width)
        assert parse_tile_path(t.path()) == t


@pytest.mark.parametrize(
    "path, message",
    [
        ("x", "expected <L>/<N>"),
        ("", "expected <L>/<N>"),
        ("0", "expected <L>/<N>"),
        ("0/", "last index group '' is not 3 digits"),
        ("0/0", "last index group '0' is not 3 digits"),
        ("0/0000", "last index group '0000' is not 3 digits"),
        ("0/abc", "last index group 'abc' is not 3 digits"),
        ("0/001/234", "index group '001' is not 'x' and 3 digits"),
        ("0/x01/234", "index group 'x01' is not 'x' and 3 digits"),
        ("0/x000/001", "leading 'x000' group"),
        ("0/x001/x234", "last index group 'x234' is not 3 digits"),
        ("0/000/", "index group '000' is not 'x' and 3 digits"),
        ("0/000/extra", "index group '000' is not 'x' and 3 digits"),
        ("00/000", "level '00' has a leading zero"),
        ("01/000", "level '01' has a leading zero"),
        ("64/000", "level 64 is above the maximum 63"),
        ("+1/000", "expected <L>/<N>"),
        ("-1/000", "expected <L>/<N>"),
        ("\u0661/000", "expected <L>/<N>"),
        ("0/\u0661\u0662\u0663", "last index group"),
        ("tile/0/000", "expected <L>/<N>"),
        ("data/000", "expected <L>/<N>"),
        ("0/000.p/0", "partial width must be 1 to 255, got 0"),
        ("0/000.p/256", "partial width must be 1 to 255, got 256"),
        ("0/000.p/08", "partial width '08' has a leading zero"),
        ("0/000.p/", "partial width '' is not a number"),
        ("0/000.p/x", "partial width 'x' is not a number"),
        ("0/000.p", "last index group '000.p' is not 3 digits"),
        ("0/000.p/8/9", "index group '000.p' is not 'x' and 3 digits"),
        ("0/000.q/8", "index group '000.q' is not 'x' and 3 digits"),
        ("entries/000.p/256", "partial width must be 1 to 255, got 256"),
        ("0/x018/x446/x744/x073/x709/x551/616", "above the maximum"),
    ],
)
def test_parse_tile_path_rejects(path: str, message: str) -> None:
    prefix = re.escape(f"Invalid tile path {path!r}: ")
    with pytest.raises(InputError, match=f"^{prefix}.*{re.escape(message)}.*\\.$"):
        parse_tile_path(path)


def test_tile_path_validates_fields() -> None:
    with pytest.raises(InputError):
        TilePath(64, 0)
    with pytest.raises(InputError):
        TilePath(0, -1)
    with pytest.raises(InputError):
        TilePath(0, 0, 0)
    with pytest.raises(InputError):
        TilePath(0, 0, 257)


# --- tile math ---------------------------------------------------------------------


def test_tiles_for_size() -> None:
    assert tiles_for_size(0) == []
    assert tiles_for_size(1) == [TilePath(0, 0, 1)]
    assert tiles_for_size(256) == [TilePath(0, 0), TilePath(1, 0, 1)]
    assert tiles_for_size(70_000) == (
        [TilePath(0, i) for i in range(273)]
        + [TilePath(0, 273, 112), TilePath(1, 0), TilePath(1, 1, 17), TilePath(2, 0, 1)]
    )
    assert tile_hash_count(0, 70_000) == 70_000
    assert tile_hash_count(1, 70_000) == 273
    assert tile_hash_count(2, 70_000) == 1
    assert tile_hash_count(3, 70_000) == 0


class Store:
    """Latest data per (level, index), as the server keeps it."""

    def __init__(self) -> None:
        self.data: dict[tuple[int, int], bytes] = {}

    def read(self, level: int, index: int) -> bytes:
        return self.data.get((level, index), b"")

    def apply(self, built: list[tuple[TilePath, bytes]]) -> None:
        for t, data in built:
            assert t.level is not None
            assert len(data) == 32 * t.width
            self.data[(t.level, t.index)] = data


def _scratch(all_leaves: list[bytes]) -> Store:
    s = Store()
    s.apply(build_tiles(0, all_leaves, s.read))
    return s


def test_tile_contents_follow_the_spec() -> None:
    ls = leaves(256 * 256 + 300)
    s = _scratch(ls)
    assert s.data[(0, 1)] == b"".join(ls[256:512])
    assert s.data[(0, 256)] == b"".join(ls[65536:65792])
    assert s.data[(0, 257)] == b"".join(ls[65792:65836])
    assert s.data[(1, 0)][32 * 5 : 32 * 6] == root(ls[5 * 256 : 6 * 256])
    assert s.data[(2, 0)] == root(ls[:65536])
    assert set(s.data) == {(t.level, t.index) for t in tiles_for_size(len(ls))}


@pytest.fixture(scope="module")
def grown() -> tuple[list[bytes], Store]:
    """~70,000 leaves appended in random batches, checked against scratch builds."""
    rng = random.Random(4)
    total = 70_123
    all_leaves = leaves(total)
    s = Store()
    size = 0
    checkpoints = 0
    while size < total:
        batch = min(total - size, rng.choice([1, 2, 3, 255, 256, 257, rng.randrange(1, 5000)]))
        built = build_tiles(size, all_leaves[size : size + batch], s.read)
        # Only tiles that the append touched are returned, each at its new width.
        new_size = size + batch
        expected = {t for t in tiles_for_size(new_size)} - set(tiles_for_size(size))
        assert {t for t, _ in built} == expected
        s.apply(built)
        size = new_size
        if rng.random() < 0.05 or size == total:
            checkpoints += 1
            assert s.data == _scratch(all_leaves[:size]).data, size
    assert checkpoints >= 2
    assert max(level for level, _ in s.data) == 2
    return all_leaves, s


def test_incremental_tiles_match_scratch(grown) -> None:
    all_leaves, s = grown
    assert set(s.data) == {(t.level, t.index) for t in tiles_for_size(len(all_leaves))}


def test_proofs_from_tiles_match_memory(grown) -> None:
    all_leaves, s = grown
    n = len(all_leaves)

    def node(level: int, index: int) -> bytes:
        return node_from_tiles(level, index, s.read)

    rng = random.Random(5)
    sizes = [1, 2, 255, 256, 257, 65535, 65536, 65537, n]
    sizes += [rng.randrange(1, n + 1) for _ in range(25)]
    for size in sizes:
        d = all_leaves[:size]
        tree_root = range_root(0, size, node)
        index = rng.randrange(size)
        p = [range_root(a, b, node) for a, b in inclusion_ranges(index, size)]
        assert p == inclusion_proof(index, d), (index, size)
        verify_inclusion(d[index], index, size, p, tree_root)

        size1 = rng.randrange(1, size + 1)
        c = [range_root(a, b, node) for a, b in consistency_ranges(size1, size)]
        assert c == consistency_proof(size1, d), (size1, size)
        verify_consistency(size1, size, c, range_root(0, size1, node), tree_root)
    assert range_root(0, n, node) == root(all_leaves)


def test_node_from_tiles() -> None:
    ls = leaves(300)
    s = _scratch(ls)
    assert node_from_tiles(0, 299, s.read) == ls[299]
    assert node_from_tiles(3, 2, s.read) == root(ls[16:24])
    assert node_from_tiles(8, 0, s.read) == root(ls[:256])
    with pytest.raises(VerificationError, match="tile 0/1 has 44 hashes, need 48"):
        node_from_tiles(2, 75, s.read)  # leaves 300..303 do not exist yet


def test_build_tiles_rejects_inconsistent_store() -> None:
    s = _scratch(leaves(10))
    s.data[(0, 0)] = s.data[(0, 0)][:-32]
    with pytest.raises(VerificationError, match="stored tile 0/0 has 288 bytes, expected 320"):
        build_tiles(10, leaves(1, 10), s.read)
    with pytest.raises(InputError, match="Invalid leaf hash 0: expected 32 bytes, got 3"):
        build_tiles(0, [b"abc"], s.read)


def test_big_append() -> None:
    n = 1_000_003
    ls = leaves(n)
    s = Store()
    s.apply(build_tiles(0, ls, s.read))
    assert set(s.data) == {(t.level, t.index) for t in tiles_for_size(n)}

    def node(level: int, index: int) -> bytes:
        return node_from_tiles(level, index, s.read)

    assert range_root(0, n, node) == root(ls)


# --- entry bundles -------------------------------------------------------------------


def test_entry_bundle_round_trip() -> None:
    entries = [b"", b"a", b"\x00" * 300, b"x" * 65535]
    data = entry_bundle(entries)
    assert data[:5] == b"\x00\x00\x00\x01a"
    assert parse_entry_bundle(data) == entries
    assert parse_entry_bundle(b"") == []


def test_entry_bundle_limits() -> None:
    with pytest.raises(InputError, match="Entry 1 is 65536 bytes"):
        entry_bundle([b"", b"x" * 65536])
    with pytest.raises(VerificationError, match="truncated at byte 3"):
        parse_entry_bundle(b"\x00\x01a\x00")
    with pytest.raises(VerificationError, match="expected 5 bytes, got 2"):
        parse_entry_bundle(b"\x00\x05ab")


def test_modules_are_pure() -> None:
    source = Path(tiles.__file__).read_text(encoding="utf-8")
    imports = {
        line.split()[1]
        for line in source.splitlines()
        if line.startswith(("import ", "from "))
    }
    allowed = {"__future__", "hashlib", "dataclasses", "typing", "suyuan.errors"}
    assert imports <= allowed | {"suyuan.ledger.verify.proofs"}, imports
    assert TILE_WIDTH == 1 << TILE_HEIGHT == 256
    assert proofs.HASH_SIZE == 32
