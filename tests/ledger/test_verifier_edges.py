"""Edges of the verifier that mutation testing found untested (docs/mutation-testing.md):
the role reported for chains the heads note does not list or the bundle lacks, a chain
checked after an unlisted one, ties in the journey's order, a retry's log index, and refusals
whose message names exactly what was wrong."""

from __future__ import annotations

from dataclasses import replace

import pytest

from suyuan.errors import InputError, NoteError, ProofError
from suyuan.ledger.chain import append
from suyuan.ledger.sequencer import Sequencer
from suyuan.ledger.verify import proofs
from suyuan.ledger.verify.bundle import BundleChain, check_journey, journey_lines, verify_bundle
from suyuan.ledger.verify.bundle import _evidence  # the bundle's own evidence reader
from suyuan.ledger.verify.checkpoint import open_checkpoint
from suyuan.ledger.verify.entry import canonical
from suyuan.ledger.verify.heads import open_chain_heads
from suyuan.ledger.verify.note import Verifier
from suyuan.ledger.verify.tiles import TILE_WIDTH, build_tiles, parse_tile_path
from tests.ledger.helpers import statement
from tests.ledger.journey_builder import BATCH, ITEM, ORIGIN, PARCEL, PRODUCT, Journey, chain_of, recalled_journey

OTHER = "01/06901234000018/10/LOT2"


def _with_unlisted_chain() -> tuple[Journey, object]:
    """A recalled journey whose bundle also carries a chain the heads note does not list."""
    j = recalled_journey()
    j.add("batch", OTHER, "register", origin="舟山")
    cp, _ = j.checkpoint()
    heads = j.heads(cp)
    heads = replace(heads, chains=tuple(h for h in heads.chains if h.key != OTHER))
    return j, j.bundle(heads=heads)


def test_an_unlisted_chain_is_reported_in_its_own_role():
    j, bundle = _with_unlisted_chain()
    result = verify_bundle(bundle, j.verifier_key)
    unlisted = result.chains[-1]
    assert (unlisted.key, unlisted.role, unlisted.problem.code) == (OTHER, "batch", "unlisted")


def test_a_listed_chain_after_an_unlisted_one_is_still_checked():
    j, bundle = _with_unlisted_chain()
    verifier = Verifier.from_key(j.verifier_key)
    checkpoint = open_checkpoint(bundle.checkpoint, verifier)
    heads = open_chain_heads(bundle.heads, verifier)
    order = [chain_of(bundle, OTHER)] + [c for c in bundle.chains if c.key != OTHER]
    from suyuan.ledger.verify.journey import ChainEvidence

    chains = [ChainEvidence(c.key, c.role, tuple(_evidence(e, bundle.checkpoint) for e in c.entries))
              for c in order]
    result = check_journey(chains, checkpoint, {p.id: p for p in bundle.parties}, heads)
    assert [c.key for c in result.chains] == [OTHER, PRODUCT, BATCH, ITEM, PARCEL]
    assert [c.problem is None for c in result.chains] == [False, True, True, True, True]
    assert len(result.entries) == 9


def test_a_listed_chain_the_bundle_lacks_is_reported_in_the_role_the_log_signed():
    j = recalled_journey()
    bundle = j.bundle()
    without = replace(bundle, chains=tuple(c for c in bundle.chains if c.key != BATCH))
    result = verify_bundle(without, j.verifier_key)
    batch = next(c for c in result.chains if c.key == BATCH)
    assert (batch.role, batch.entries, batch.problem.code, batch.problem.seq) == ("batch", 0, "missing", 0)


def test_entries_at_the_same_event_time_are_ordered_by_recorded_time():
    j = Journey()
    at = "2026-11-27T08:00:00Z"
    j.add("product", PRODUCT, "register", time=at, recorded="2026-11-27T09:00:00.000000Z", name="b")
    j.add("batch", BATCH, "register", time=at, recorded="2026-11-27T08:00:00.000000Z", origin="a")
    j.add("item", ITEM, "register", time=at, recorded="2026-11-27T08:30:00.000000Z")
    result = verify_bundle(j.bundle(), j.verifier_key)
    assert result.verdict == "ok"
    assert [line.split()[2] for line in journey_lines(result)] == ["batch", "item", "product"]


def test_a_retry_after_integration_reports_the_log_index_of_the_original(engine, log_signer):
    first, second = statement(kind="register"), statement(kind="register")
    done = [append(engine, first), append(engine, second)]
    assert [d.log_index for d in done] == [None, None]
    Sequencer(engine, ORIGIN, log_signer).integrate_all()
    again = append(engine, second)
    assert (again.created, again.log_index, again.seq, again.hash) == (False, 1, done[1].seq, done[1].hash)


def test_a_too_large_integer_at_the_top_is_named_at_slash():
    with pytest.raises(InputError) as caught:
        canonical(2**60)
    assert str(caught.value).startswith("Invalid number at /: expected an integer within ±(2^53-1), got ")
    assert caught.value.field is None


def test_a_verifier_key_whose_data_is_not_base64_names_the_data():
    with pytest.raises(NoteError) as caught:
        Verifier.from_key("log.example+0a1b2c3d+not*base64")
    assert str(caught.value).startswith("verifier key data is not valid standard base64: ")


@pytest.mark.parametrize("size1, size2", [(0, 0), (1, 0)])
def test_consistency_ranges_from_or_to_an_empty_tree(size1, size2):
    with pytest.raises(ProofError) as caught:
        proofs.consistency_ranges(size1, size2)
    expected = ("consistency proof from size 0 to size 0 is meaningless" if size1 == 0
                else "size1 1 is greater than size2 0")
    assert str(caught.value) == expected


def test_an_index_group_with_a_letter_after_the_x_is_refused():
    with pytest.raises(InputError) as caught:
        parse_tile_path("0/xa01/234")
    assert str(caught.value) == ("Invalid tile path '0/xa01/234': index group 'xa01' is not 'x' and 3 digits; "
                                 + str(caught.value).split("3 digits; ", 1)[1])


def test_built_tiles_have_integer_indexes_and_canonical_paths():
    leaves = [proofs.leaf_hash(bytes([i % 256, i // 256])) for i in range(3 * TILE_WIDTH + 5)]
    built = list(build_tiles(0, leaves, lambda level, index: b""))
    assert all(type(tile.index) is int for tile, _ in built)
    assert [tile.path() for tile, _ in built if tile.level == 0] == ["0/000", "0/001", "0/002", "0/003.p/5"]


def test_a_note_unverified_error_says_when_no_signature_was_found():
    from suyuan.ledger.verify.note import NoteUnverifiedError

    assert str(NoteUnverifiedError(["log.example+0a1b2c3d"], [])) == (
        "note has no valid signature from a known key: expected one of log.example+0a1b2c3d, got (none)")
    assert str(NoteUnverifiedError([], ["a+00000001", "b+00000002"])) == (
        "note has no valid signature from a known key: expected one of (no keys), got a+00000001, b+00000002")
