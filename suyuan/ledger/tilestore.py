"""Reading the log back from stored tiles: hash tiles, entry tiles, proofs.

Proofs are computed from the stored hash tiles, not from a list of leaves:
`proofs.inclusion_ranges` / `consistency_ranges` name the subtrees a proof
needs and `tiles.node_from_tiles` hashes each from the one tile holding it.
A tile's hashes never change once written, so the widest stored version of a
tile serves every tree size it covers.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, tuple_

from suyuan.errors import InputError, NotFound
from suyuan.ledger.verify import proofs
from suyuan.ledger.verify import tiles
from suyuan.ledger.models import Checkpoint, Entry, Leaf, Tile
from suyuan.ledger.types import BIGINT_MAX

tiles_t = Tile.__table__
leaves_t = Leaf.__table__
entries_t = Entry.__table__
checkpoints_t = Checkpoint.__table__


class TileReader:
    """Reads (and caches, for one request) the widest stored tile at each position."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self._cache: dict[tuple[int, int], bytes] = {}

    def __call__(self, level: int, index: int) -> bytes:
        key = (level, index)
        if key not in self._cache:
            data = self.conn.execute(
                select(tiles_t.c.data)
                .where(tiles_t.c.level == level, tiles_t.c.idx == index)
                .order_by(tiles_t.c.width.desc())
                .limit(1)
            ).scalar()
            self._cache[key] = data or b""
        return self._cache[key]

    def node(self, level: int, index: int) -> bytes:
        return tiles.node_from_tiles(level, index, self)

    def prefetch(self, ranges: list[tuple[int, int]]) -> "TileReader":
        """Read every tile the given proof ranges need in one query."""
        wanted = set()
        for start, end in ranges:
            for level, index in proofs.subtree_nodes(start, end):
                tile_level, height = divmod(level, tiles.TILE_HEIGHT)
                wanted.add((tile_level, (index << height) // tiles.TILE_WIDTH))
        wanted -= set(self._cache)
        if wanted:
            rows = self.conn.execute(
                select(tiles_t.c.level, tiles_t.c.idx, tiles_t.c.data)
                .where(tuple_(tiles_t.c.level, tiles_t.c.idx).in_(sorted(wanted)))
                .order_by(tiles_t.c.width)
            )
            for row in rows:  # widest last, so it wins
                self._cache[(row.level, row.idx)] = row.data
        return self


def hash_tile(conn: Connection, level: int, index: int, width: int) -> bytes:
    if index > BIGINT_MAX:  # a valid tile path (C2SP allows 2^64 - 1), but past what a column holds
        raise NotFound(f"Tile {level}/{tiles.format_index(index)} of width {width} does not exist yet.")
    data = conn.execute(
        select(tiles_t.c.data).where(
            tiles_t.c.level == level, tiles_t.c.idx == index, tiles_t.c.width == width
        )
    ).scalar()
    if data is None:
        # A narrower tile can be cut from a wider one: its hashes are the same.
        wider = TileReader(conn)(level, index)
        if len(wider) >= width * 32:
            return wider[: width * 32]
        raise NotFound(f"Tile {level}/{tiles.format_index(index)} of width {width} does not exist yet.")
    return data


def entry_tile(conn: Connection, index: int, width: int) -> bytes:
    start = index * tiles.TILE_WIDTH
    if start + width > BIGINT_MAX:
        raise NotFound(f"Entry tile {tiles.format_index(index)} of width {width} does not exist yet.")
    rows = conn.execute(
        select(entries_t.c.canonical)
        .join(leaves_t, leaves_t.c.entry_id == entries_t.c.id)
        .where(leaves_t.c.idx >= start, leaves_t.c.idx < start + width)
        .order_by(leaves_t.c.idx)
    ).scalars().all()
    if len(rows) != width:
        raise NotFound(f"Entry tile {tiles.format_index(index)} of width {width} does not exist yet.")
    return tiles.entry_bundle(rows)


def latest_checkpoint(conn: Connection):  # noqa: ANN201
    row = conn.execute(
        select(checkpoints_t).order_by(checkpoints_t.c.size.desc()).limit(1)
    ).first()
    if row is None:
        raise NotFound("The log has no checkpoint yet; run `suyuan log integrate` or `suyuan serve`.")
    return row


def checkpoint_at(conn: Connection, size: int):  # noqa: ANN201
    row = conn.execute(select(checkpoints_t).where(checkpoints_t.c.size == size)).first()
    if row is None:
        raise NotFound(f"The log never had a checkpoint of size {size}.")
    return row


def inclusion_proof(conn: Connection, index: int, size: int) -> list[bytes]:
    if not 0 <= index < size:
        raise InputError(f"Leaf index {index} out of range for tree size {size}.")
    ranges = proofs.inclusion_ranges(index, size)
    reader = TileReader(conn).prefetch(ranges)
    return [proofs.range_root(a, b, reader.node) for a, b in ranges]


def consistency_proof(conn: Connection, size1: int, size2: int) -> list[bytes]:
    if not 0 < size1 <= size2:
        raise InputError(f"Consistency needs 0 < first <= second, got first={size1}, second={size2}.")
    ranges = proofs.consistency_ranges(size1, size2)
    reader = TileReader(conn).prefetch(ranges)
    return [proofs.range_root(a, b, reader.node) for a, b in ranges]


def tree_root(conn: Connection, size: int) -> bytes:
    if size == 0:
        return proofs.root([])
    return proofs.range_root(0, size, TileReader(conn).node)


def leaf_index_of(conn: Connection, entry_hash: bytes) -> int | None:
    return conn.execute(
        select(leaves_t.c.idx)
        .join(entries_t, leaves_t.c.entry_id == entries_t.c.id)
        .where(entries_t.c.hash == entry_hash)
    ).scalar()
