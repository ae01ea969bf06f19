"""RFC 9162 proofs: conformance vectors, a naive reference, and error messages."""

from __future__ import annotations

import base64
import hashlib
import json
import random
from pathlib import Path

import pytest

from tests.conformance import ROOT, vectors
from suyuan.errors import ProofError, RootMismatchError, VerificationError
from suyuan.ledger.verify import proofs
from suyuan.ledger.verify.proofs import consistency_proof, consistency_ranges, inclusion_proof, inclusion_ranges, leaf_hash, node_hash, range_root, root, subtree_nodes, subtree_ranges, verify_consistency, verify_inclusion





# --- naive reference (RFC 9162 §2.1, recursive, straight from the text) -----


def ref_mth(d: list[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return d[0]
    k = 1 << ((n - 1).bit_length() - 1)
    return node_hash(ref_mth(d[:k]), ref_mth(d[k:]))


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return ref_path(m, d[:k]) + [ref_mth(d[k:])]
    return ref_path(m - k, d[k:]) + [ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return ref_subproof(m, d[:k], b) + [ref_mth(d[k:])]
    return ref_subproof(m - k, d[k:], False) + [ref_mth(d[:k])]


def ref_proof(m: int, d: list[bytes]) -> list[bytes]:
    return ref_subproof(m, d, True)


LEAVES = [leaf_hash(i.to_bytes(4, "big")) for i in range(70)]


def flip(h: bytes, bit: int = 0) -> bytes:
    b = bytearray(h)
    b[bit // 8 % len(b)] ^= 1 << (bit % 8)
    return bytes(b)


# --- conformance vectors -------------------------------------------------------


def _b64(s: str) -> bytes:
    return base64.b64decode(s, validate=True)


def _run_inclusion(v: dict) -> None:
    verify_inclusion(
        _b64(v["leafHash"]),
        v["leafIdx"],
        v["treeSize"],
        [_b64(p) for p in v["proof"] or []],
        _b64(v["root"]),
    )


def _run_consistency(v: dict) -> None:
    verify_consistency(
        v["size1"],
        v["size2"],
        [_b64(p) for p in v["proof"] or []],
        _b64(v["root1"]),
        _b64(v["root2"]),
    )


def test_merkle_conformance_vectors() -> None:
    failures: list[str] = []
    counts = {"inclusion": 0, "consistency": 0}
    for kind, run in (("inclusion", _run_inclusion), ("consistency", _run_consistency)):
        for path in vectors(f"merkle/{kind}", "*.json"):
            counts[kind] += 1
            rel = path.relative_to(ROOT / "merkle")
            try:
                v = json.loads(path.read_text(encoding="utf-8"))
                desc = v.get("desc", "")
                want_err = bool(v["wantErr"])
            except Exception as e:  # a vector we cannot read is a failure too
                failures.append(f"{rel}: unreadable: {e!r}")
                continue
            try:
                run(v)
            except VerificationError as e:
                if not want_err:
                    failures.append(f"{rel} ({desc}): unexpected error: {e}")
            except Exception as e:
                failures.append(f"{rel} ({desc}): crashed: {e!r}")
            else:
                if want_err:
                    failures.append(f"{rel} ({desc}): accepted, want error")
    total = sum(counts.values())
    assert not failures, f"{len(failures)} of {total} failed:\n" + "\n".join(failures)
    assert counts["inclusion"] >= 50 and counts["consistency"] >= 50, counts
    assert total >= 100, counts


def test_well_known_hashes() -> None:
    assert root([]) == hashlib.sha256(b"").digest()
    assert leaf_hash(b"").hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()


# --- cross-check against the naive reference --------------------------------------


def test_root_matches_reference() -> None:
    for n in range(0, 71):
        assert root(LEAVES[:n]) == ref_mth(LEAVES[:n]), n


def test_inclusion_matches_reference_and_verifies() -> None:
    rng = random.Random(1)
    for n in range(1, 71):
        d = LEAVES[:n]
        r = ref_mth(d)
        for m in range(n):
            p = inclusion_proof(m, d)
            assert p == ref_path(m, d), (m, n)
            assert [range_root(a, b, _node(d)) for a, b in inclusion_ranges(m, n)] == p
            verify_inclusion(d[m], m, n, p, r)
            with pytest.raises(RootMismatchError):
                verify_inclusion(flip(d[m], rng.randrange(256)), m, n, p, r)
            with pytest.raises(RootMismatchError):
                verify_inclusion(d[m], m, n, p, flip(r, rng.randrange(256)))
            if p:
                i = rng.randrange(len(p))
                bad = p[:i] + [flip(p[i], rng.randrange(256))] + p[i + 1 :]
                with pytest.raises(RootMismatchError):
                    verify_inclusion(d[m], m, n, bad, r)
                with pytest.raises(ProofError):
                    verify_inclusion(d[m], m, n, p[:-1], r)
            with pytest.raises(ProofError):
                verify_inclusion(d[m], m, n, p + [r], r)


def test_consistency_matches_reference_and_verifies() -> None:
    rng = random.Random(2)
    roots = [ref_mth(LEAVES[:n]) for n in range(71)]
    for n in range(1, 71):
        d = LEAVES[:n]
        for m in range(1, n + 1):
            p = consistency_proof(m, d)
            assert p == ref_proof(m, d), (m, n)
            verify_consistency(m, n, p, roots[m], roots[n])
            with pytest.raises(RootMismatchError):
                verify_consistency(m, n, p, flip(roots[m], rng.randrange(256)), roots[n])
            with pytest.raises(RootMismatchError):
                verify_consistency(m, n, p, roots[m], flip(roots[n], rng.randrange(256)))
            if p:
                i = rng.randrange(len(p))
                bad = p[:i] + [flip(p[i], rng.randrange(256))] + p[i + 1 :]
                with pytest.raises(RootMismatchError):
                    verify_consistency(m, n, bad, roots[m], roots[n])
                with pytest.raises(ProofError):
                    verify_consistency(m, n, p[:-1], roots[m], roots[n])
            with pytest.raises(ProofError):
                verify_consistency(m, n, p + [roots[n]], roots[m], roots[n])


def _node(d: list[bytes]):
    return lambda level, index: ref_mth(d[index << level : (index + 1) << level])


def test_range_root_any_range() -> None:
    # Unaligned ranges never occur in proofs, but range_root still follows the RFC.
    node = _node(LEAVES)
    for start in range(0, 40):
        for end in range(start, 70):
            assert range_root(start, end, node) == ref_mth(LEAVES[start:end]), (start, end)


def test_subtree_nodes() -> None:
    assert subtree_nodes(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert subtree_ranges(0, 7) == [(0, 4), (4, 6), (6, 7)]
    assert subtree_nodes(8, 11) == [(1, 4), (0, 10)]
    assert subtree_nodes(16, 32) == [(4, 1)]
    with pytest.raises(ProofError, match=r"leaf range \[2, 5\) is not aligned"):
        subtree_nodes(2, 5)
    with pytest.raises(ProofError):
        subtree_nodes(3, 3)


def test_proof_ranges_are_aligned() -> None:
    for n in range(1, 130):
        for m in range(n):
            for a, b in inclusion_ranges(m, n):
                subtree_nodes(a, b)
        for m in range(1, n + 1):
            for a, b in consistency_ranges(m, n):
                subtree_nodes(a, b)


def test_root_of_a_million_leaves() -> None:
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(1_000_003)]
    r = root(leaves)
    # Compose the same root from the two halves the RFC splits it into.
    k = 1 << 19
    assert r == node_hash(root(leaves[:k]), root(leaves[k:]))


# --- malformed input -----------------------------------------------------------------


H = leaf_hash(b"x")


@pytest.mark.parametrize(
    "args, message",
    [
        ((H, 8, 8, [], H), "index 8 out of range for size 8"),
        ((H, -1, 8, [], H), "index -1 out of range for size 8"),
        ((H, 0, 0, [], H), "index 0 out of range for size 0"),
        ((H, 0, 8, [H, H, H, H], H), "wrong proof size 4, want 3"),
        ((H, 0, 16, [H, H, H], H), "wrong proof size 3, want 4"),
        ((H[:31], 0, 1, [], H), "leaf hash has size 31, want 32"),
        ((H, 0, 2, [H[:31]], H), "proof hash 0 has size 31, want 32"),
    ],
)
def test_verify_inclusion_errors(args, message) -> None:
    with pytest.raises(ProofError, match=message):
        verify_inclusion(*args)


@pytest.mark.parametrize(
    "args, message",
    [
        ((0, 0, [], H, H), "consistency proof from size 0 to size 0 is meaningless"),
        ((0, 5, [H], H, H), "consistency proof from size 0 to size 5 is meaningless"),
        ((3, 2, [], H, H), "size1 3 is greater than size2 2"),
        ((2, 2, [H], H, H), "wrong proof size 1, want 0 for equal sizes 2"),
        ((2, 3, [], H, H), "empty proof for sizes 2 to 3"),
        ((3, 4, [H], H, H), "wrong proof size 1, want 3"),
        ((3, 4, [H, H[:1], H], H, H), "proof hash 1 has size 1, want 32"),
    ],
)
def test_verify_consistency_errors(args, message) -> None:
    with pytest.raises(ProofError, match=message):
        verify_consistency(*args)


def test_equal_sizes_need_equal_roots() -> None:
    verify_consistency(5, 5, [], H, H)
    with pytest.raises(RootMismatchError) as e:
        verify_consistency(5, 5, [], H, flip(H))
    assert e.value.expected == flip(H) and e.value.calculated == H


def test_proof_functions_check_preconditions() -> None:
    with pytest.raises(ProofError, match="index 3 out of range for size 3"):
        inclusion_proof(3, LEAVES[:3])
    with pytest.raises(ProofError, match="from size 0"):
        consistency_proof(0, LEAVES[:3])
    with pytest.raises(ProofError, match="size1 4 is greater than size2 3"):
        consistency_proof(4, LEAVES[:3])
    assert consistency_proof(3, LEAVES[:3]) == []


def test_module_is_pure() -> None:
    source = Path(proofs.__file__).read_text(encoding="utf-8")
    imports = {
        line.split()[1]
        for line in source.splitlines()
        if line.startswith(("import ", "from "))
    }
    assert imports <= {"__future__", "hashlib", "typing", "suyuan.errors"}, imports
