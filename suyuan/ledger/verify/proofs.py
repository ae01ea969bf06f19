# long: RFC 9162 section 2.1 in one pure file: hashing, the decomposition the server builds proofs from and
# the verifier that cross-checks it; the purity test reads this one file, and 27 callers use `proofs.<name>`.
"""Merkle tree hashes and proofs of the global log (RFC 9162 §2.1).

Pure functions over 32-byte SHA-256 hashes: no database, web or key code, so
an offline verifier can import this module alone.

Three layers, each usable by itself:

* hashing — `leaf_hash`, `node_hash`, `root` (RFC 9162 §2.1.1);
* decomposition — which leaf ranges a proof is made of (`inclusion_ranges`,
  `consistency_ranges`) and how the hash of such a range is composed from
  complete aligned subtrees (`subtree_nodes`, `range_root`). The server
  computes proofs from stored tiles with exactly these functions; the
  in-memory `inclusion_proof` / `consistency_proof` below are built on them
  too, so both paths are the same computation;
* verification — `verify_inclusion`, `verify_consistency`, which follow
  transparency-dev/merkle `proof/verify.go` (bit arithmetic on the index, not
  the decomposition above, so the two cross-check each other).

Terms: a *complete aligned subtree* at level ``h``, index ``i`` is the perfect
subtree over leaves ``[i * 2**h, (i + 1) * 2**h)``; its hash is MTH of that
range. Leaf hashes are level 0.
"""

from __future__ import annotations

import hashlib
from typing import Callable, Sequence

from suyuan.errors import ProofError, RootMismatchError

__all__ = [
    "HASH_SIZE",
    "EMPTY_ROOT",
    "leaf_hash",
    "node_hash",
    "root",
    "inclusion_ranges",
    "consistency_ranges",
    "subtree_nodes",
    "subtree_ranges",
    "range_root",
    "inclusion_proof",
    "consistency_proof",
    "root_from_inclusion_proof",
    "root_from_consistency_proof",
    "verify_inclusion",
    "verify_consistency",
]

HASH_SIZE = 32
"""Size in bytes of every hash in the tree (SHA-256)."""

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) — the root of the empty tree (RFC 9162 §2.1.1)."""

_sha256 = hashlib.sha256

NodeFn = Callable[[int, int], bytes]
"""``node(level, index)`` -> hash of the complete aligned subtree there."""


# --- hashing (RFC 9162 §2.1.1) ----------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    """MTH({d(0)}) = SHA-256(0x00 || data) (RFC 9162 §2.1.1)."""
    return _sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right), an interior node (RFC 9162 §2.1.1)."""
    return _sha256(NODE_PREFIX + left + right).digest()


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the given leaf hashes (RFC 9162 §2.1.1).

    The empty list gives `EMPTY_ROOT`. Computed level by level: pairing
    neighbours and carrying an odd last node up unchanged builds the same tree
    as the RFC's split at the largest power of two below ``n``, in O(n) hashes
    and without recursion. Requires every element to be a 32-byte hash (not
    checked, for speed).
    """
    level = list(leaf_hashes)
    if not level:
        return EMPTY_ROOT
    sha, prefix = _sha256, NODE_PREFIX
    while len(level) > 1:
        odd = level[-1] if len(level) % 2 else None
        level = [sha(prefix + a + b).digest() for a, b in zip(level[0::2], level[1::2])]
        if odd is not None:
            level.append(odd)
    return level[0]


# --- decomposition -----------------------------------------------------------


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n``; requires n > 1."""
    return 1 << ((n - 1).bit_length() - 1)


def _bit_ceil(n: int) -> int:
    """The smallest power of two >= ``n``; requires n >= 1."""
    return 1 << (n - 1).bit_length()


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges ``[start, end)`` whose MTH form PATH(index, D[size]).

    RFC 9162 §2.1.3.1: PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) if m < k,
    else PATH(m - k, D[k:n]) : MTH(D[0:k]), with k the largest power of two
    below n. Returned in proof order, from the leaf up. Every range is either
    a complete aligned subtree or starts at a multiple of the bit ceiling of
    its length, so `range_root` composes it from aligned subtrees.

    Requires 0 <= index < size; raises ProofError otherwise.
    """
    if size < 0 or index < 0 or index >= size:
        raise ProofError(f"index {index} out of range for size {size}")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        mid = start + _split(end - start)
        if index < mid:
            ranges.append((mid, end))
            end = mid
        else:
            ranges.append((start, mid))
            start = mid
    ranges.reverse()
    return ranges


def consistency_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """Leaf ranges ``[start, end)`` whose MTH form PROOF(size1, D[size2]).

    RFC 9162 §2.1.4.1: PROOF(m, D[n]) = SUBPROOF(m, D[n], true), where
    SUBPROOF(m, D[m], true) = {}, SUBPROOF(m, D[m], false) = {MTH(D[m])}, and
    for m < n with k the largest power of two below n:
    SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) if m <= k, else
    SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]). Returned in proof order.
    ``size1 == size2`` gives ``[]``.

    Requires 0 < size1 <= size2; raises ProofError otherwise (a proof from
    the empty tree is meaningless, as in transparency-dev/merkle).
    """
    if size1 < 0 or size2 < 0:
        raise ProofError(f"negative tree size: size1 {size1}, size2 {size2}")
    if size1 > size2:
        raise ProofError(f"size1 {size1} is greater than size2 {size2}")
    if size1 == 0:
        raise ProofError(f"consistency proof from size 0 to size {size2} is meaningless")
    ranges: list[tuple[int, int]] = []
    start, end, m, b = 0, size2, size1, True
    while True:
        n = end - start
        if m == n:
            if not b:
                ranges.append((start, end))
            break
        mid = start + _split(n)
        if m <= mid - start:
            ranges.append((mid, end))
            end = mid
        else:
            ranges.append((start, mid))
            m -= mid - start
            start = mid
            b = False
    ranges.reverse()
    return ranges


def _is_aligned(start: int, end: int) -> bool:
    return start == 0 or start % _bit_ceil(end - start) == 0


def subtree_nodes(start: int, end: int) -> list[tuple[int, int]]:
    """Complete aligned subtrees ``(level, index)`` that make up ``[start, end)``.

    For a range whose start is a multiple of the bit ceiling of its length
    (every range `inclusion_ranges` and `consistency_ranges` return), RFC
    9162's split at the largest power of two below n peels off one complete
    aligned subtree per set bit of ``end - start``, largest first; MTH of the
    range is then ``node_hash(h0, node_hash(h1, ... node_hash(h_{k-2}, h_{k-1})))``
    over the returned nodes, left to right.

    Requires 0 <= start < end and that alignment; raises ProofError otherwise.
    """
    if start < 0 or end <= start:
        raise ProofError(f"invalid leaf range [{start}, {end}): need 0 <= start < end")
    if not _is_aligned(start, end):
        raise ProofError(
            f"leaf range [{start}, {end}) is not aligned: start must be a multiple "
            f"of {_bit_ceil(end - start)}"
        )
    nodes: list[tuple[int, int]] = []
    n, pos = end - start, start
    for level in range(n.bit_length() - 1, -1, -1):
        if n >> level & 1:
            nodes.append((level, pos >> level))
            pos += 1 << level
    return nodes


def subtree_ranges(start: int, end: int) -> list[tuple[int, int]]:
    """`subtree_nodes` as leaf ranges ``[a, b)`` instead of ``(level, index)``."""
    return [(i << h, (i + 1) << h) for h, i in subtree_nodes(start, end)]


def range_root(start: int, end: int, node: NodeFn) -> bytes:
    """MTH(D[start:end]) composed from complete aligned subtree hashes.

    ``node(level, index)`` must return the hash of the complete aligned
    subtree over leaves ``[index * 2**level, (index + 1) * 2**level)``.
    Aligned ranges (all ranges in proofs) use `subtree_nodes`, one ``node``
    call per set bit of the length; any other range is split as RFC 9162
    §2.1.1 does, down to aligned pieces. An empty range gives `EMPTY_ROOT`.

    Requires 0 <= start <= end; raises ProofError otherwise.
    """
    if start < 0 or end < start:
        raise ProofError(f"invalid leaf range [{start}, {end}): need 0 <= start <= end")
    if start == end:
        return EMPTY_ROOT
    if not _is_aligned(start, end):
        mid = start + _split(end - start)
        return node_hash(range_root(start, mid, node), range_root(mid, end, node))
    nodes = subtree_nodes(start, end)
    acc = node(*nodes[-1])
    for level, index in reversed(nodes[:-1]):
        acc = node_hash(node(level, index), acc)
    return acc


def _memory_node(leaf_hashes: Sequence[bytes]) -> NodeFn:
    def node(level: int, index: int) -> bytes:
        return root(leaf_hashes[index << level : (index + 1) << level])

    return node


def _as_list(leaf_hashes: Sequence[bytes]) -> Sequence[bytes]:
    return leaf_hashes if isinstance(leaf_hashes, (list, tuple)) else list(leaf_hashes)


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PATH(index, D[n]) over in-memory leaf hashes (RFC 9162 §2.1.3.1).

    The MTH of each range of `inclusion_ranges`, via `range_root`: the same
    computation the server runs over stored tiles. Requires
    0 <= index < len(leaf_hashes); raises ProofError otherwise.
    """
    leaves = _as_list(leaf_hashes)
    node = _memory_node(leaves)
    return [range_root(a, b, node) for a, b in inclusion_ranges(index, len(leaves))]


def consistency_proof(size1: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PROOF(size1, D[n]) from ``size1`` to ``n = len(leaf_hashes)`` (RFC 9162 §2.1.4.1).

    The MTH of each range of `consistency_ranges`, via `range_root`.
    Requires 0 < size1 <= n; raises ProofError otherwise.
    """
    leaves = _as_list(leaf_hashes)
    node = _memory_node(leaves)
    return [range_root(a, b, node) for a, b in consistency_ranges(size1, len(leaves))]


# --- verification (RFC 9162 §2.1.3.2, §2.1.4.2; transparency-dev/merkle) ----


def _check_hash(what: str, h: bytes) -> None:
    if len(h) != HASH_SIZE:
        raise ProofError(f"{what} has size {len(h)}, want {HASH_SIZE}")


def _check_proof_hashes(proof: Sequence[bytes]) -> None:
    for i, h in enumerate(proof):
        _check_hash(f"proof hash {i}", h)


def _decomp_incl_proof(index: int, size: int) -> tuple[int, int]:
    """Lengths of the inner and border parts of PATH(index, D[size]).

    The inner part runs up to where the paths to ``index`` and ``size - 1``
    diverge; above it every sibling is to the left (the border).
    """
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner, border


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        seed = node_hash(seed, h) if (index >> i) & 1 == 0 else node_hash(h, seed)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    # Only left siblings count: the result is the subtree's earlier version.
    for i, h in enumerate(proof):
        if (index >> i) & 1 == 1:
            seed = node_hash(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for h in proof:
        seed = node_hash(h, seed)
    return seed


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """The root that PATH(index, D[size]) and ``leaf_hash`` lead to (RFC 9162 §2.1.3.2).

    Requires 0 <= index < size, a 32-byte leaf hash and exactly the number of
    32-byte proof hashes the RFC tree has for (index, size); raises
    ProofError otherwise.
    """
    if index < 0 or size < 0 or index >= size:
        raise ProofError(f"index {index} out of range for size {size}")
    _check_hash("leaf hash", leaf_hash)
    inner, border = _decomp_incl_proof(index, size)
    if len(proof) != inner + border:
        raise ProofError(f"wrong proof size {len(proof)}, want {inner + border}")
    _check_proof_hashes(proof)
    res = _chain_inner(leaf_hash, proof[:inner], index)
    return _chain_border_right(res, proof[inner:])


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree ``(size, root)``.

    RFC 9162 §2.1.3.2, with transparency-dev/merkle's checks. Requires
    0 <= index < size. Raises ProofError for malformed input (index out of
    range, hash not 32 bytes, wrong proof length) and RootMismatchError when
    the proof leads to another root.
    """
    calculated = root_from_inclusion_proof(leaf_hash, index, size, proof)
    if calculated != root:
        raise RootMismatchError(root, calculated)


def root_from_consistency_proof(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes
) -> bytes:
    """The size2 root that PROOF(size1, D[size2]) and ``root1`` lead to (RFC 9162 §2.1.4.2).

    Also checks that the proof reproduces ``root1`` (RootMismatchError if
    not). Requires 0 < size1 <= size2; ``size1 == size2`` needs an empty proof
    and returns ``root1``. Raises ProofError for malformed input.
    """
    if size1 < 0 or size2 < 0:
        raise ProofError(f"negative tree size: size1 {size1}, size2 {size2}")
    if size1 > size2:
        raise ProofError(f"size1 {size1} is greater than size2 {size2}")
    if size1 == 0:
        raise ProofError(f"consistency proof from size 0 to size {size2} is meaningless")
    if size1 == size2:
        if proof:
            raise ProofError(
                f"wrong proof size {len(proof)}, want 0 for equal sizes {size1}"
            )
        return root1
    if not proof:
        raise ProofError(f"empty proof for sizes {size1} to {size2}")

    inner, border = _decomp_incl_proof(size1 - 1, size2)
    shift = (size1 & -size1).bit_length() - 1  # trailing zeros of size1
    inner -= shift  # shift < inner because size1 < size2

    # The proof starts with the root of the subtree of size 2**shift ending at
    # size1, unless size1 is that subtree, whose root the verifier has: root1.
    if size1 == 1 << shift:
        seed, start = root1, 0
    else:
        seed, start = proof[0], 1
    want = start + inner + border
    if len(proof) != want:
        raise ProofError(f"wrong proof size {len(proof)}, want {want}")
    _check_proof_hashes(proof)
    rest = proof[start:]

    mask = (size1 - 1) >> shift  # chaining starts at level `shift`
    hash1 = _chain_inner_right(seed, rest[:inner], mask)
    hash1 = _chain_border_right(hash1, rest[inner:])
    if hash1 != root1:
        raise RootMismatchError(root1, hash1)

    hash2 = _chain_inner(seed, rest[:inner], mask)
    return _chain_border_right(hash2, rest[inner:])


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree ``(size2, root2)`` extends ``(size1, root1)``.

    RFC 9162 §2.1.4.2 with transparency-dev/merkle's semantics: size1 > size2
    and size1 == 0 (even 0 to 0) are rejected; size1 == size2 verifies only
    with an empty proof and equal roots. Proof hashes must be 32 bytes; roots
    are compared as given. Raises ProofError for malformed input and
    RootMismatchError when either root is not reproduced.
    """
    calculated = root_from_consistency_proof(size1, size2, proof, root1)
    if calculated != root2:
        raise RootMismatchError(root2, calculated)
