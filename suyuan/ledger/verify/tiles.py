"""C2SP tlog-tiles: the log's Merkle tree as static, cacheable tiles.

https://c2sp.org/tlog-tiles, tile height 8. A level-L hash tile N holds up to
256 consecutive hashes of tree height 8*L: entry ``i`` is the hash of the
complete aligned subtree over leaves ``[(N*256 + i) * 256**L,
(N*256 + i + 1) * 256**L)``; level 0 holds leaf hashes. The rightmost tile of
each level is partial (width 1..255) while the tree grows. Entry bundles hold
the entries themselves, 256 per bundle, each as a big-endian uint16 length and
the bytes.

Pure functions: tile storage is the caller's, reached through ``read_tile``
callables, so this module knows no database.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from suyuan.errors import InputError, VerificationError
from suyuan.ledger.verify.proofs import HASH_SIZE, NODE_PREFIX

__all__ = [
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "MAX_LEVEL",
    "MAX_ENTRY_SIZE",
    "TilePath",
    "format_index",
    "parse_tile_path",
    "tile_hash_count",
    "tiles_for_size",
    "build_tiles",
    "node_from_tiles",
    "entry_bundle",
    "parse_entry_bundle",
]

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # 256 hashes (or entries) in a full tile
MAX_LEVEL = 63
MAX_ENTRY_SIZE = 0xFFFF  # an entry's length must fit the uint16 prefix
_MAX_INDEX = (1 << 64) - 1

ReadTile = Callable[[int, int], bytes]
"""``read_tile(level, index)`` -> stored tile data (concatenated hashes), b"" if none."""

_sha256 = hashlib.sha256

_SHAPE = "expected <L>/<N>[.p/<W>] or entries/<N>[.p/<W>] with N as 3-digit groups like x001/x234/067"


# --- paths -------------------------------------------------------------------


def format_index(n: int) -> str:
    """Tile index ``n`` as 3-digit path groups, all but the last prefixed "x".

    0 -> "000", 1234067 -> "x001/x234/067" (C2SP tlog-tiles; Go tlog's
    Tile.Path). Requires 0 <= n < 2**64.
    """
    if n < 0 or n > _MAX_INDEX:
        raise InputError(f"Invalid tile index {n}: must be 0 to {_MAX_INDEX}.")
    path = f"{n % 1000:03d}"
    n //= 1000
    while n > 0:
        path = f"x{n % 1000:03d}/{path}"
        n //= 1000
    return path


@dataclass(frozen=True)
class TilePath:
    """One tile: hash tile at ``level`` (0..63), or entry bundle (``level`` None).

    ``width`` is the number of hashes or entries: 256 for a full tile,
    1..255 for the partial tile at the right edge.
    """

    level: int | None
    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        if self.level is not None and not 0 <= self.level <= MAX_LEVEL:
            raise InputError(f"Invalid tile level {self.level}: must be 0 to {MAX_LEVEL}.")
        if not 0 <= self.index <= _MAX_INDEX:
            raise InputError(f"Invalid tile index {self.index}: must be 0 to {_MAX_INDEX}.")
        if not 1 <= self.width <= TILE_WIDTH:
            raise InputError(f"Invalid tile width {self.width}: must be 1 to {TILE_WIDTH}.")

    @property
    def is_entries(self) -> bool:
        return self.level is None

    @property
    def is_partial(self) -> bool:
        return self.width < TILE_WIDTH

    def path(self) -> str:
        """The path after ``/log/tile/``: ``<L>/<N>[.p/<W>]`` or ``entries/<N>[.p/<W>]``."""
        head = "entries" if self.level is None else str(self.level)
        tail = f".p/{self.width}" if self.is_partial else ""
        return f"{head}/{format_index(self.index)}{tail}"


def _is_digits(s: str) -> bool:
    return s.isascii() and s.isdigit()


def _canonical_int(s: str) -> bool:
    """A decimal without sign or leading zero (``0`` itself is fine)."""
    return _is_digits(s) and (s == "0" or s[0] != "0")


def parse_tile_path(path: str) -> TilePath:
    """Parse the part of a tile URL after ``/log/tile/`` (C2SP tlog-tiles).

    Accepts ``<L>/<N>``, ``<L>/<N>.p/<W>``, ``entries/<N>`` and
    ``entries/<N>.p/<W>`` in canonical form only, so each tile has exactly one
    URL (what caches key on): L is 0..63 without leading zeros, N is
    zero-padded 3-digit groups with "x" before every group but the last and no
    leading "x000" group, W is 1..255 without leading zeros. Raises
    InputError saying what was wrong otherwise.
    """

    def bad(why: str) -> InputError:
        return InputError(f"Invalid tile path {path!r}: {why}.", field="path")

    segs = path.split("/")
    if len(segs) < 2:
        raise bad(_SHAPE)
    head, rest = segs[0], segs[1:]

    level: int | None
    if head == "entries":
        level = None
    elif _is_digits(head):
        if not _canonical_int(head):
            raise bad(f"level {head!r} has a leading zero")
        level = int(head)
        if level > MAX_LEVEL:
            raise bad(f"level {level} is above the maximum {MAX_LEVEL}")
    else:
        raise bad(_SHAPE)

    width = TILE_WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        w = rest[-1]
        if not _is_digits(w):
            raise bad(f"partial width {w!r} is not a number from 1 to 255")
        if not _canonical_int(w):
            raise bad(f"partial width {w!r} has a leading zero")
        width = int(w)
        if not 1 <= width < TILE_WIDTH:
            raise bad(f"partial width must be 1 to 255, got {width}")
        rest = rest[:-2] + [rest[-2][: -len(".p")]]

    for g in rest[:-1]:
        if not (len(g) == 4 and g[0] == "x" and _is_digits(g[1:])):
            raise bad(f"index group {g!r} is not 'x' and 3 digits; {_SHAPE}")
    if not (len(rest[-1]) == 3 and _is_digits(rest[-1])):
        raise bad(f"last index group {rest[-1]!r} is not 3 digits; {_SHAPE}")
    if len(rest) > 1 and rest[0] == "x000":
        raise bad("index has a leading 'x000' group; drop it")

    index = 0
    for g in rest:
        index = index * 1000 + int(g.lstrip("x"))
    if index > _MAX_INDEX:
        raise bad(f"index {index} is above the maximum {_MAX_INDEX}")
    return TilePath(level, index, width)


# --- tile math ----------------------------------------------------------------


def tile_hash_count(level: int, size: int) -> int:
    """Number of hashes at tile level ``level`` (tree height 8*level) for ``size`` leaves."""
    return size >> (TILE_HEIGHT * level)


def tiles_for_size(size: int) -> list[TilePath]:
    """Every hash tile of a tree of ``size`` leaves, level by level, left to right.

    Full tiles plus each level's partial tile, for every level that has at
    least one hash. Requires size >= 0.
    """
    tiles: list[TilePath] = []
    level = 0
    while (count := tile_hash_count(level, size)) > 0:
        full, partial = divmod(count, TILE_WIDTH)
        tiles.extend(TilePath(level, i) for i in range(full))
        if partial:
            tiles.append(TilePath(level, full, partial))
        level += 1
    return tiles


def _perfect_root(hashes: Sequence[bytes]) -> bytes:
    """Root of a perfect subtree over a power-of-two number of node hashes."""
    level = list(hashes)
    sha, prefix = _sha256, NODE_PREFIX
    while len(level) > 1:
        level = [sha(prefix + a + b).digest() for a, b in zip(level[0::2], level[1::2])]
    return level[0]


def _split_hashes(data: bytes, what: str) -> list[bytes]:
    if len(data) % HASH_SIZE:
        raise VerificationError(
            f"{what} has {len(data)} bytes, not a multiple of {HASH_SIZE}"
        )
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def build_tiles(
    old_size: int, new_leaf_hashes: Sequence[bytes], read_tile: ReadTile
) -> list[tuple[TilePath, bytes]]:
    """Hash tiles that are new or grew when ``new_leaf_hashes`` are appended.

    ``read_tile(level, index)`` returns the stored tile data at ``old_size``
    (only the partial right-edge tiles are read). Returns ``(TilePath, data)``
    for every level-0 and higher tile that changed, level by level, data
    being the whole tile (its concatenated 32-byte hashes). A level-L+1 hash
    is the root of a full level-L tile (C2SP tlog-tiles). O(appended) hashes.

    Requires old_size >= 0 and 32-byte leaf hashes; raises VerificationError
    if a stored tile has not the width ``old_size`` implies.
    """
    if old_size < 0:
        raise InputError(f"Invalid old tree size {old_size}: must be 0 or more.")
    for i, h in enumerate(new_leaf_hashes):
        if len(h) != HASH_SIZE:
            raise InputError(
                f"Invalid leaf hash {i}: expected {HASH_SIZE} bytes, got {len(h)}."
            )
    out: list[tuple[TilePath, bytes]] = []
    level = 0
    fresh: list[bytes] = list(new_leaf_hashes)  # new hashes at this level, in order
    while fresh:
        old_count = tile_hash_count(level, old_size)
        first_tile, have = divmod(old_count, TILE_WIDTH)
        prefix: list[bytes] = []
        if have:
            stored = read_tile(level, first_tile)
            if len(stored) != have * HASH_SIZE:
                raise VerificationError(
                    f"stored tile {level}/{first_tile} has {len(stored)} bytes, "
                    f"expected {have * HASH_SIZE} for tree size {old_size}"
                )
            prefix = _split_hashes(stored, f"stored tile {level}/{first_tile}")
        hashes = prefix + fresh
        up: list[bytes] = []
        for off in range(0, len(hashes), TILE_WIDTH):
            chunk = hashes[off : off + TILE_WIDTH]
            tile = TilePath(level, first_tile + off // TILE_WIDTH, len(chunk))
            out.append((tile, b"".join(chunk)))
            if len(chunk) == TILE_WIDTH:
                up.append(_perfect_root(chunk))
        # Every tile completed now is new at the next level: tiles full before
        # the append were left of first_tile and are not in `hashes`.
        fresh = up
        level += 1
    return out


def node_from_tiles(level: int, index: int, read_tile: ReadTile) -> bytes:
    """Hash of the complete aligned subtree at tree height ``level``, ``index``.

    It covers leaves ``[index * 2**level, (index + 1) * 2**level)``. Read from
    the tile at tile level ``level // 8``: the node is the root of
    ``2**(level % 8)`` consecutive hashes there. Plugs into
    `suyuan.ledger.proofs.range_root`. Requires the node to be complete in
    the stored tree; raises VerificationError if the tile is too short.
    """
    if level < 0 or index < 0:
        raise InputError(f"Invalid node ({level}, {index}): level and index must be 0 or more.")
    tile_level, height = divmod(level, TILE_HEIGHT)
    first = index << height
    count = 1 << height
    tile_index, offset = divmod(first, TILE_WIDTH)
    data = read_tile(tile_level, tile_index)
    end = (offset + count) * HASH_SIZE
    if len(data) < end:
        raise VerificationError(
            f"tile {tile_level}/{tile_index} has {len(data) // HASH_SIZE} hashes, "
            f"need {offset + count} for node ({level}, {index})"
        )
    hashes = _split_hashes(data[offset * HASH_SIZE : end], f"tile {tile_level}/{tile_index}")
    return _perfect_root(hashes)


# --- entry bundles -------------------------------------------------------------


def entry_bundle(entries: Iterable[bytes]) -> bytes:
    """An entry bundle: each entry as a big-endian uint16 length, then its bytes.

    C2SP tlog-tiles. Raises InputError if an entry is 65536 bytes or longer.
    """
    parts: list[bytes] = []
    for i, e in enumerate(entries):
        if len(e) > MAX_ENTRY_SIZE:
            raise InputError(
                f"Entry {i} is {len(e)} bytes: entries in a bundle must be at most "
                f"{MAX_ENTRY_SIZE} bytes."
            )
        parts.append(len(e).to_bytes(2, "big"))
        parts.append(e)
    return b"".join(parts)


def parse_entry_bundle(data: bytes) -> list[bytes]:
    """The entries of a bundle made by `entry_bundle`; VerificationError if truncated."""
    entries: list[bytes] = []
    pos, n = 0, len(data)
    while pos < n:
        if pos + 2 > n:
            raise VerificationError(
                f"entry bundle truncated at byte {pos}: length prefix needs 2 bytes, "
                f"got {n - pos}"
            )
        length = int.from_bytes(data[pos : pos + 2], "big")
        pos += 2
        if pos + length > n:
            raise VerificationError(
                f"entry bundle truncated in entry {len(entries)}: expected {length} bytes, "
                f"got {n - pos}"
            )
        entries.append(data[pos : pos + length])
        pos += length
    return entries
