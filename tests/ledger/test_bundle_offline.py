"""verify_bundle, offline and exactly: every way a bundle can be wrong is named by chain, seq,
code and reason, and an honest bundle verifies with every entry, count and head reported.

The bundles are built from the pure ledger parts (tests/ledger/journey_builder.py), so each
piece can be forged by hand; tests/api/test_inspect_api.py checks the same verifier on
bundles the server built.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from suyuan.errors import NoteError
from suyuan.ledger.verify import proofs
from suyuan.ledger.verify.journey import KEY_CLOCK_SKEW
from suyuan.ledger.verify.bundle import FORMAT, BadEntry, Bundle, BundleChain, BundleEntry, BundleError, ChainEvidence, EntryEvidence, HeadsError, PartyKey, check_journey, journey_lines, journey_needs, verify_bundle
from suyuan.ledger.verify.entry import ZERO_HASH, canonical
from suyuan.ledger.verify.heads import ChainHead
from suyuan.ledger.verify.note import NoteSignatureError, NoteUnverifiedError
from suyuan.ledger.signer import LogSigner
from tests.ledger.journey_builder import (
    BATCH,
    ITEM,
    ORIGIN,
    PARCEL,
    PRODUCER,
    PRODUCT,
    RECORDED_AT,
    chain_of,
    recalled_journey,
    with_chain,
)


@pytest.fixture(scope="module")
def journey():
    return recalled_journey()


@pytest.fixture(scope="module")
def bundle(journey):
    return journey.bundle()


def problem(bundle, journey):
    result = verify_bundle(bundle, journey.verifier_key)
    return result.problem.public() if result.problem else None


def h(raw: bytes) -> str:
    return proofs.leaf_hash(raw).hex()


def test_an_honest_bundle_verifies_every_chain_to_its_signed_head(bundle, journey):
    result = verify_bundle(bundle, journey.verifier_key)
    assert result.verdict == "ok" and result.problem is None
    assert result.checkpoint.size == 9 and result.heads.subject == ITEM
    chains = {c.key: (c.role, c.entries, c.head, c.problem) for c in result.chains}
    assert chains == {key: (role, len(entries), h(entries[-1]), None)
                      for key, (role, entries) in journey.chains.items()}
    item = next(c for c in result.chains if c.key == ITEM)
    assert item.public() == {"key": ITEM, "role": "item", "entries": 3, "head": h(journey.chains[ITEM][1][-1]),
                             "ok": True, "problem": None}
    assert [c.public()["ok"] for c in result.chains] == [True] * 4
    assert sorted((role, e.key, e.seq) for role, e in result.entries) == sorted(
        (role, key, seq) for key, (role, entries) in journey.chains.items() for seq in range(len(entries)))
    # A Verifier object does as well as its key text, and surrounding blanks are ignored.
    assert verify_bundle(bundle, journey.signer.verifier(ORIGIN)).verdict == "ok"
    assert verify_bundle(bundle, f"  {journey.verifier_key}\n").verdict == "ok"


def test_the_json_form_round_trips_and_is_the_documented_layout(bundle):
    data = bundle.to_json()
    assert data["format"] == FORMAT == "suyuan.bundle/v2"
    assert data["subject"] == ITEM and data["log"] == {"origin": ORIGIN, "verifier_key": bundle.verifier_key}
    assert data["checkpoint"] == bundle.checkpoint and data["heads"] == bundle.heads
    item = next(c for c in data["chains"] if c["key"] == ITEM)
    assert item["role"] == "item" and item["later"] == 0
    assert base64.b64decode(item["entries"][0]["canonical"]) == chain_of(bundle, ITEM).entries[0].raw
    assert item["entries"][0]["receipt"].startswith("c2sp.org/tlog-proof@v1\nindex 2\n")
    assert data["parties"] == [{"id": PRODUCER, "name": "连云港海鲜有限公司", "keys": [
        {"public_key": base64.b64encode(bundle.parties[0].keys[0].public_key).decode(), "created": None,
         "revoked": None}]}]
    assert Bundle.from_json(data) == bundle
    assert Bundle.from_json(json.dumps(data)) == bundle
    assert Bundle.from_json(json.dumps(data).encode()) == bundle
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    dated = replace(bundle, parties=(replace(bundle.parties[0], keys=(
        PartyKey(bundle.parties[0].keys[0].public_key, when, when + timedelta(days=1)),)),))
    keys = dated.to_json()["parties"][0]["keys"][0]
    assert (keys["created"], keys["revoked"]) == ("2026-01-02T03:04:05+00:00", "2026-01-03T03:04:05+00:00")
    assert Bundle.from_json(dated.to_json()) == dated


@pytest.mark.parametrize("key, seq", [(ITEM, 0), (ITEM, 1), (ITEM, 2), (BATCH, 0), (BATCH, 1),
                                      (PRODUCT, 0), (PARCEL, 0), (PARCEL, 1), (PARCEL, 2)])
def test_removing_any_one_entry_names_its_chain_and_seq(bundle, journey, key, seq):
    entries = chain_of(bundle, key).entries
    n = len(entries)
    got = problem(with_chain(bundle, key, entries[:seq] + entries[seq + 1:]), journey)
    as_of = f"the log's signed head as of tree size 9 is {n} entries ending in {h(entries[-1].raw)}"
    if seq == n - 1:
        what = f"seq {seq} is missing: expected {n} entries (seq 0 to {n - 1}), got {n - 1}; {as_of}"
    else:
        what = f"seq {seq} is missing: expected {key}#{seq}, got {key}#{seq + 1}"
    assert got == {"key": key, "seq": seq, "code": "missing", "what": what}


def test_removing_several_entries_or_a_whole_chain(bundle, journey):
    entries = chain_of(bundle, ITEM).entries
    assert problem(with_chain(bundle, ITEM, entries[2:]), journey) == {
        "key": ITEM, "seq": 0, "code": "missing", "what": f"seqs 0 to 1 are missing: expected {ITEM}#0, got {ITEM}#2"}
    without = replace(bundle, chains=tuple(c for c in bundle.chains if c.key != PARCEL))
    head = h(chain_of(bundle, PARCEL).entries[-1].raw)
    [parcel] = [c for c in verify_bundle(without, journey.verifier_key).chains if c.key == PARCEL]
    assert parcel.public() == {"key": PARCEL, "role": "parcel", "entries": 0, "head": None, "ok": False,
                               "problem": parcel.problem.public()}
    assert problem(without, journey) == {
        "key": PARCEL, "seq": 0, "code": "missing",
        "what": f"seq 0 is missing: expected 3 entries (seq 0 to 2), got 0; the log's signed head as of "
                f"tree size 9 is 3 entries ending in {head}"}


def test_an_entry_beyond_or_off_the_signed_head(journey):
    cp, _ = journey.checkpoint()
    item = journey.chains[ITEM][1]
    short = journey.heads(cp, **{ITEM: (2, h(item[1]))})
    assert problem(journey.bundle(heads=short), journey) == {
        "key": ITEM, "seq": 2, "code": "head",
        "what": f"entry is beyond the chain's head: expected 2 entries, got 3; the log's signed head as of tree "
                f"size 9 is 2 entries ending in {h(item[1])}"}
    elsewhere = journey.heads(cp, **{ITEM: (3, "ab" * 32)})
    assert problem(journey.bundle(heads=elsewhere), journey) == {
        "key": ITEM, "seq": 2, "code": "head",
        "what": f"last entry hashes to {h(item[2])}, expected the signed head {'ab' * 32}; the log's signed head "
                f"as of tree size 9 is 3 entries ending in {'ab' * 32}"}


def test_entries_out_of_place_or_altered_are_named(bundle, journey):
    e = chain_of(bundle, ITEM).entries
    # Swapped: seq 1's place holds seq 2, an entry further on, so seq 1 is missing.
    assert problem(with_chain(bundle, ITEM, (e[0], e[2], e[1])), journey)["what"] == (
        f"seq 1 is missing: expected {ITEM}#1, got {ITEM}#2")
    # An earlier entry in a later place is out of position, not missing.
    assert problem(with_chain(bundle, ITEM, (e[0], e[0], e[2])), journey) == {
        "key": ITEM, "seq": 1, "code": "position", "what": f"expected {ITEM}#1, got {ITEM}#0"}
    # Another chain's entry in the item's chain.
    batch0 = chain_of(bundle, BATCH).entries[0]
    assert problem(with_chain(bundle, ITEM, (batch0,) + e[1:]), journey) == {
        "key": ITEM, "seq": 0, "code": "position", "what": f"expected {ITEM}#0, got {BATCH}#0"}
    # Not a canonical entry at all.
    spaced = BundleEntry(e[1].raw.replace(b'"seq":1', b'"seq": 1'), e[1].receipt)
    assert problem(with_chain(bundle, ITEM, (e[0], spaced, e[2])), journey) == {
        "key": ITEM, "seq": 1, "code": "malformed", "what": "entry bytes are not RFC 8785 canonical"}
    # A rewritten entry whose prev no longer links.
    obj = json.loads(e[1].raw)
    obj["prev"] = ZERO_HASH
    relinked = BundleEntry(canonical(obj), e[1].receipt)
    assert problem(with_chain(bundle, ITEM, (e[0], relinked, e[2])), journey) == {
        "key": ITEM, "seq": 1, "code": "link", "what": f"prev expected {h(e[0].raw)}, got {ZERO_HASH}"}


def test_receipts_that_do_not_place_the_entry_in_the_checkpoint(bundle, journey):
    e = chain_of(bundle, ITEM).entries
    one = lambda entry: with_chain(bundle, ITEM, (e[0], entry, e[2]))  # noqa: E731
    assert problem(one(BundleEntry(e[1].raw, None)), journey) == {
        "key": ITEM, "seq": 1, "code": "pending", "what": "not in the log yet: no leaf index; retry in a second"}
    assert problem(one(BundleEntry(e[1].raw, "nonsense")), journey) == {
        "key": ITEM, "seq": 1, "code": "receipt",
        "what": "receipt is malformed: receipt ends early: expected the first line 'c2sp.org/tlog-proof@v1'"}
    _, older = journey.checkpoint(5)
    assert problem(one(BundleEntry(e[1].raw, journey.receipt(e[0].raw, older, 5))), journey) == {
        "key": ITEM, "seq": 1, "code": "receipt", "what": "receipt is against another checkpoint than the bundle's"}
    # Item seq 1 is leaf 3; the receipt of leaf 2 (item seq 0) does not lead from its hash to the root.
    cp, _ = journey.checkpoint()
    result = verify_bundle(one(BundleEntry(e[1].raw, e[0].receipt)), journey.verifier_key)
    calculated = proofs.root_from_inclusion_proof(proofs.leaf_hash(e[1].raw), 2, 9,
                                                  proofs.inclusion_proof(2, [proofs.leaf_hash(x)
                                                                             for x in journey.leaves]))
    assert result.problem.public() == {
        "key": ITEM, "seq": 1, "code": "not_included",
        "what": f"not leaf 2 of the checkpointed tree of size 9: root expected {cp.root_hash.hex()}, "
                f"calculated {calculated.hex()}"}
    assert result.verdict == "broken"


def test_evidence_past_the_checkpoint_or_with_a_short_proof(journey):
    cp, _ = journey.checkpoint()
    raws = journey.chains[ITEM][1]
    hashes = [proofs.leaf_hash(x) for x in journey.leaves]
    good = [EntryEvidence(r, journey.leaves.index(r), tuple(proofs.inclusion_proof(journey.leaves.index(r), hashes)))
            for r in raws]
    heads = journey.heads(cp)

    def check(evidence):
        result = check_journey([ChainEvidence(ITEM, "item", tuple(evidence))], cp, {}, None)
        return result.problem.public() if result.problem else None

    assert check(good) is None
    assert check_journey([ChainEvidence(ITEM, "item", tuple(good))], cp, {}, heads).problem is None
    assert check([good[0], replace(good[1], index=9), good[2]]) == {
        "key": ITEM, "seq": 1, "code": "pending", "what": "leaf 9 is after the checkpoint of size 9; retry in a second"}
    assert check([good[0], replace(good[1], index=2), good[2]])["code"] == "not_included"
    assert check([good[0], replace(good[1], proof=good[1].proof[:-1]), good[2]]) == {
        "key": ITEM, "seq": 1, "code": "receipt",
        "what": "inclusion proof for leaf 3 is malformed: wrong proof size 3, want 4"}
    assert check([good[0], replace(good[1], proof=None), good[2]])["code"] == "pending"
    # A stored hash that differs from the bytes (the server's tables, online).
    assert check([good[0], replace(good[1], stored_hash=b"\x01" * 32), good[2]]) == {
        "key": ITEM, "seq": 1, "code": "hash",
        "what": f"stored hash {'01' * 32}, but the stored bytes hash to {h(raws[1])}"}
    assert check([good[0], replace(good[1], stored_hash=proofs.leaf_hash(raws[1])), good[2]]) is None
    # A chain the heads do not list.
    result = check_journey([ChainEvidence("01/06901234000025", "product", ())], cp, {}, heads)
    assert result.problem.public() == {
        "key": "01/06901234000025", "seq": 0, "code": "unlisted",
        "what": "chain is not among the chains the log signed for this journey"}
    assert result.chains[0].entries == 0 and result.entries == []


def test_verdict_pending_only_when_nothing_else_is_wrong(bundle, journey):
    item, batch = chain_of(bundle, ITEM).entries, chain_of(bundle, BATCH).entries
    pending = with_chain(bundle, ITEM, item[:2] + (BundleEntry(item[2].raw, None),))
    assert verify_bundle(pending, journey.verifier_key).verdict == "pending"
    both = with_chain(pending, BATCH, batch[:1])
    result = verify_bundle(both, journey.verifier_key)
    assert result.verdict == "broken"
    # The first problem in heads order: the batch (listed before the item here).
    order = [c.key for c in result.chains]
    assert order == [key for key in journey.chains] and result.problem.key == BATCH


def test_signed_entries_need_a_key_the_actor_held_when_recorded(bundle, journey):
    ok = lambda b: verify_bundle(b, journey.verifier_key)  # noqa: E731
    key = bundle.parties[0].keys[0].public_key
    recorded = RECORDED_AT
    first = {"key": BATCH, "seq": 0, "code": "signature"}

    def keyed(**kw):
        return replace(bundle, parties=(replace(bundle.parties[0], keys=(PartyKey(key, **kw),)),))

    for created in (None, recorded, recorded + KEY_CLOCK_SKEW, recorded - timedelta(days=1)):
        assert ok(keyed(created=created)).verdict == "ok", created
    assert ok(keyed(revoked=recorded + timedelta(days=1))).verdict == "ok"
    assert KEY_CLOCK_SKEW == timedelta(minutes=5)
    late = recorded + KEY_CLOCK_SKEW + timedelta(microseconds=1)
    assert ok(keyed(created=late)).problem.public() == first | {
        "what": f"signed by a key of actor {PRODUCER} that was not valid when the entry was recorded "
                f"(2026-11-27T08:00:00.000000Z): valid from {late} until None"}
    assert ok(keyed(revoked=recorded)).problem.public() == first | {
        "what": f"signed by a key of actor {PRODUCER} that was not valid when the entry was recorded "
                f"(2026-11-27T08:00:00.000000Z): valid from None until {recorded}"}
    assert ok(replace(bundle, parties=())).problem.public() == first | {
        "what": f"signed, but no public key of actor {PRODUCER} is known"}
    assert ok(replace(bundle, parties=(replace(bundle.parties[0], keys=()),))).problem.public() == first | {
        "what": f"signed, but no public key of actor {PRODUCER} is known"}
    stranger = PartyKey(bytes(range(32)))
    two = replace(bundle, parties=(replace(bundle.parties[0], keys=(stranger, PartyKey(key))),))
    assert ok(two).verdict == "ok"
    other = replace(bundle, parties=(replace(bundle.parties[0], keys=(stranger,)),))
    assert ok(other).problem.public() == first | {
        "what": f"signature does not verify under any of the 1 known keys of actor {PRODUCER}"}


@pytest.mark.parametrize("sig, what", [
    ("not base64!", "sig is not base64 of a 64-byte Ed25519 signature"),
    (base64.b64encode(b"\x00" * 63).decode(), "sig is not base64 of a 64-byte Ed25519 signature"),
    (7, "sig is not base64 of a 64-byte Ed25519 signature"),
])
def test_a_sig_that_is_not_an_ed25519_signature(journey, sig, what):
    from tests.ledger.journey_builder import Journey

    j = Journey(signer=journey.signer, party_key=journey.party_key)
    raw = j.add("item", ITEM, "register", signed=True)
    obj = json.loads(raw)
    obj["sig"] = sig
    j.chains[ITEM] = ("item", [canonical(obj)])
    j.leaves = [canonical(obj)]
    j.add("batch", BATCH, "register")
    j.add("product", PRODUCT, "register")
    got = problem(j.bundle(), j)
    assert got == {"key": ITEM, "seq": 0, "code": "signature", "what": what}


def test_recorded_time_without_offset_is_utc_and_a_bad_one_is_named(journey):
    from tests.ledger.journey_builder import Journey

    for recorded, verdict in (("2026-11-27T08:00:00", "ok"), ("2026-11-27T07:56:00+00:00", "ok"), ("2026-11-27T07:55:59+00:00", "broken")):
        j = Journey(signer=journey.signer, party_key=journey.party_key)
        j.add("item", ITEM, "register", signed=True, recorded=recorded)
        j.add("batch", BATCH, "register")
        j.add("product", PRODUCT, "register")
        created = RECORDED_AT + KEY_CLOCK_SKEW - timedelta(minutes=4)  # 08:01: within the skew of 08:00
        b = j.bundle(parties=j.parties(created=created))
        assert verify_bundle(b, j.verifier_key).verdict == verdict, recorded
    j = Journey(signer=journey.signer, party_key=journey.party_key)
    j.add("item", ITEM, "register", signed=True, recorded="yesterday")
    j.add("batch", BATCH, "register")
    j.add("product", PRODUCT, "register")
    assert problem(j.bundle(), j) == {"key": ITEM, "seq": 0, "code": "signature",
                                      "what": "recorded time 'yesterday' is not an RFC 3339 timestamp"}


def test_the_heads_note_must_be_the_logs_about_this_checkpoint_and_item(bundle, journey):
    cp, _ = journey.checkpoint()
    stranger = LogSigner.generate()
    with pytest.raises(NoteUnverifiedError):
        verify_bundle(replace(bundle, heads=stranger.sign_chain_heads(journey.heads(cp))), journey.verifier_key)
    forged = bundle.heads.replace(f"item {ITEM} 3 ", f"item {ITEM} 2 ")
    with pytest.raises(NoteSignatureError, match="^chain heads note: signature by key"):
        verify_bundle(replace(bundle, heads=forged), journey.verifier_key)
    with pytest.raises(NoteUnverifiedError):
        verify_bundle(bundle, stranger.verifier_key(ORIGIN))

    def heads_error(heads):
        with pytest.raises(HeadsError) as caught:
            verify_bundle(replace(bundle, heads=journey.signer.sign_chain_heads(heads)), journey.verifier_key)
        return str(caught.value)

    older, _ = journey.checkpoint(5)
    root64 = lambda c: base64.b64encode(c.root_hash).decode()  # noqa: E731
    assert heads_error(journey.heads(older)) == (
        f"chain heads note is as of another checkpoint: expected tree size 9 root {root64(cp)}, got tree size 5 "
        f"root {root64(older)}")
    assert heads_error(replace(journey.heads(cp), size=9, root_hash=older.root_hash)).startswith(
        "chain heads note is as of another checkpoint: expected tree size 9")
    assert heads_error(replace(journey.heads(cp), subject=f"{BATCH}/21/S2")) == (
        f"chain heads note is about another item: expected {ITEM}, got {BATCH}/21/S2")
    full = journey.heads(cp)
    for role, key in (("item", ITEM), ("batch", BATCH), ("product", PRODUCT)):
        lacking = replace(full, chains=tuple(c for c in full.chains if c.key != key))
        assert heads_error(lacking) == (
            f"chain heads note: the journey of {ITEM} needs the {role} chain {key}, got no line")
        miscast = replace(full, chains=tuple(replace(c, role="parcel") if c.key == key else c for c in full.chains))
        assert heads_error(miscast) == (
            f"chain heads note: the journey of {ITEM} needs the {role} chain {key}, got role 'parcel'")
    # The checkpoint itself must be the log's.
    with pytest.raises(NoteError):
        verify_bundle(replace(bundle, checkpoint=stranger.sign_checkpoint(cp)), journey.verifier_key)


def test_chains_twice_or_in_another_role_are_refused(bundle, journey):
    twice = replace(bundle, chains=bundle.chains + (chain_of(bundle, ITEM),))
    with pytest.raises(BundleError) as caught:
        verify_bundle(twice, journey.verifier_key)
    assert str(caught.value) == f"bundle chains.4: chain {ITEM} appears twice"
    recast = replace(bundle, chains=tuple(replace(c, role="batch") if c.key == PARCEL else c for c in bundle.chains))
    with pytest.raises(BundleError) as caught:
        verify_bundle(recast, journey.verifier_key)
    assert str(caught.value) == "bundle chains.3.role: expected 'parcel' (the log's signed heads), got 'batch'"
    # A chain the heads do not list is checked last and named "unlisted".
    extra = replace(bundle, chains=(BundleChain("01/06901234000025", "product", ()),) + bundle.chains)
    result = verify_bundle(extra, journey.verifier_key)
    assert [c.key for c in result.chains][-1] == "01/06901234000025"
    assert result.problem.code == "unlisted" and result.verdict == "broken"


def test_entries_after_the_checkpoint_are_left_out_and_counted(journey):
    b = journey.bundle(size=7)
    assert {c.key: (len(c.entries), c.later) for c in b.chains} == {
        PRODUCT: (1, 0), BATCH: (1, 1), ITEM: (3, 0), PARCEL: (2, 1)}
    assert verify_bundle(b, journey.verifier_key).verdict == "ok"
    assert Bundle.from_json(b.to_json()).chains == b.chains


def test_journey_needs_the_chains_an_item_key_names():
    assert journey_needs(ITEM) == [("item", ITEM), ("batch", BATCH), ("product", PRODUCT)]
    assert journey_needs(f"{PRODUCT}/21/S1") == [("item", f"{PRODUCT}/21/S1"), ("product", PRODUCT)]
    assert journey_needs(f"{PRODUCT}/10") == [("item", f"{PRODUCT}/10"), ("product", PRODUCT)][:1]
    assert journey_needs(f"{PRODUCT}/10/L") == [("item", f"{PRODUCT}/10/L"), ("batch", f"{PRODUCT}/10/L"),
                                               ("product", PRODUCT)]
    assert journey_needs(PARCEL) == [("item", PARCEL)]
    assert journey_needs("00/1/10/x") == [("item", "00/1/10/x")]


def test_journey_lines_list_each_verified_entry_by_event_time(bundle, journey):
    result = verify_bundle(bundle, journey.verifier_key)
    lines = journey_lines(result, {PRODUCER: "连云港海鲜"})
    assert lines[0] == f"2026-11-27T08:01:00Z  register      product {PRODUCT}#0  -  {{\"name\":\"东海带鱼\"}}"
    assert lines[1] == (f"2026-11-27T08:02:00Z  register      batch   {BATCH}#0  连云港海鲜 (7c0e8a2e)  "
                        "{\"origin\":\"连云港\"}")
    assert lines[4] == f"2026-11-27T08:05:00Z  pack          parcel  {PARCEL}#0  -  {{\"items\":[\"{ITEM}\"]}}"
    assert len(lines) == 9 and lines[-1].startswith("2026-11-27T08:09:00Z  recall        batch ")
    assert journey_lines(result)[1] == (f"2026-11-27T08:02:00Z  register      batch   {BATCH}#0  {PRODUCER}  "
                                        "{\"origin\":\"连云港\"}")
    # Long data is cut to 70 characters with an ellipsis.
    from suyuan.ledger.verify.journey import _short

    assert _short({"a": "x" * 10}) == '{"a":"xxxxxxxxxx"}'
    assert _short({"a": "x" * 100}) == '{"a":"' + "x" * 63 + "…"
    assert _short({"a": "x" * 62}) == '{"a":"' + "x" * 62 + '"}'  # 70 characters: not cut
    assert _short({"a": "x" * 63}) == '{"a":"' + "x" * 63 + "…"
    assert _short({"b": 1, "a": "é"}) == '{"a":"é","b":1}'


def test_bad_entry_fields_and_message():
    bad = BadEntry(ITEM, 2, "missing", "seq 2 is missing")
    assert str(bad) == f"entry {ITEM} seq 2: seq 2 is missing"
    assert (bad.key, bad.seq, bad.code, bad.what) == (ITEM, 2, "missing", "seq 2 is missing")
    assert ChainHead("item", ITEM, 0, ZERO_HASH).line() == f"item {ITEM} 0 {ZERO_HASH}"


def _edit(data, change):
    data = json.loads(json.dumps(data))
    change(data)
    return data


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(format="suyuan.bundle/v1"), "bundle format: expected 'suyuan.bundle/v2', got 'suyuan.bundle/v1'"),
    (lambda d: d.pop("format"), "bundle format: expected 'suyuan.bundle/v2', got None"),
    (lambda d: d.pop("log"), "bundle: missing field 'log'"),
    (lambda d: d.update(log="x"), "bundle log: expected dict, got str"),
    (lambda d: d.pop("chains"), "bundle: missing field 'chains'"),
    (lambda d: d.update(chains=[1]), "bundle chains.0: missing field 'role'"),
    (lambda d: d["chains"][1].update(role="box"),
     "bundle chains.1.role: expected one of item, batch, product, parcel, party, got 'box'"),
    (lambda d: d["chains"][1].update(role=3), "bundle chains.1.role: expected str, got int"),
    (lambda d: d["chains"][1].pop("entries"), "bundle chains.1: missing field 'entries'"),
    (lambda d: d["chains"][1]["entries"][0].pop("canonical"), "bundle chains.1.entries.0: missing field 'canonical'"),
    (lambda d: d["chains"][1]["entries"][0].update(canonical="@@"),
     "bundle chains.1.entries.0.canonical: not base64: Only base64 data is allowed"),
    (lambda d: d["chains"][1]["entries"][0].update(receipt=5), "bundle chains.1.entries.0.receipt: expected text or null"),
    (lambda d: d["chains"][1].update(later=-1), "bundle chains.1.later: expected a count of entries, got -1"),
    (lambda d: d["chains"][1].update(later=True), "bundle chains.1.later: expected a count of entries, got True"),
    (lambda d: d["chains"][1].update(later="1"), "bundle chains.1.later: expected a count of entries, got '1'"),
    (lambda d: d["chains"][1].pop("key"), "bundle chains.1: missing field 'key'"),
    (lambda d: d["parties"][0].pop("keys"), "bundle parties.0: missing field 'keys'"),
    (lambda d: d["parties"][0]["keys"][0].update(public_key="@@"), "bundle parties.0.keys.0: Only base64 data is allowed"),
    (lambda d: d["parties"][0]["keys"][0].update(public_key="AAAA"),
     "bundle parties.0.keys.0.public_key: expected 32 bytes, got 3"),
    (lambda d: d["parties"][0]["keys"][0].update(created="soon"), "bundle parties.0.keys.0: Invalid created: expected an RFC 3339 timestamp with offset like 2026-11-27T08:00:00Z, got 'soon'."),
    (lambda d: d["parties"][0]["keys"][0].update(created=5),
     "bundle parties.0.keys.0: Invalid created: expected an RFC 3339 timestamp with offset like 2026-11-27T08:00:00Z, got 5."),
    (lambda d: d["parties"][0]["keys"][0].update(revoked="never"),
     "bundle parties.0.keys.0: Invalid revoked: expected an RFC 3339 timestamp with offset like 2026-11-27T08:00:00Z, got 'never'."),
    (lambda d: d["parties"][0].pop("id"), "bundle parties.0: missing field 'id'"),
    (lambda d: d.pop("subject"), "bundle: missing field 'subject'"),
    (lambda d: d["log"].pop("origin"), "bundle log: missing field 'origin'"),
    (lambda d: d["log"].pop("verifier_key"), "bundle log: missing field 'verifier_key'"),
    (lambda d: d.pop("checkpoint"), "bundle: missing field 'checkpoint'"),
    (lambda d: d.update(heads=1), "bundle heads: expected str, got int"),
])
def test_a_malformed_bundle_file_is_named_by_field(bundle, change, message):
    with pytest.raises(BundleError) as caught:
        Bundle.from_json(_edit(bundle.to_json(), change))
    assert str(caught.value) == message


def test_bundle_file_that_is_not_a_json_object():
    for data, message in ((b"{", "bundle is not JSON: Expecting property name enclosed in double quotes: line 1 "
                                 "column 2 (char 1)"),
                          (b"\xff", "bundle is not JSON: 'utf-8' codec can't decode byte 0xff in position 0: "
                                    "invalid start byte"),
                          ("[]", "bundle: expected a JSON object"), ([], "bundle: expected a JSON object")):
        with pytest.raises(BundleError) as caught:
            Bundle.from_json(data)
        assert str(caught.value) == message


def test_optional_fields_of_a_bundle_file(bundle):
    data = bundle.to_json()
    no_later = _edit(data, lambda d: [c.pop("later") for c in d["chains"]])
    assert all(c.later == 0 for c in Bundle.from_json(no_later).chains)
    assert Bundle.from_json(_edit(data, lambda d: d.update(parties=None))).parties == ()
    assert Bundle.from_json(_edit(data, lambda d: d.pop("parties"))).parties == ()
    unnamed = Bundle.from_json(_edit(data, lambda d: d["parties"][0].pop("name")))
    assert unnamed.parties[0].name is None and unnamed.parties[0].id == PRODUCER
    naive = Bundle.from_json(_edit(data, lambda d: d["parties"][0]["keys"][0].update(created="2026-01-02T03:04:05")))
    assert naive.parties[0].keys[0].created == datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    receiptless = Bundle.from_json(_edit(data, lambda d: d["chains"][0]["entries"][0].update(receipt=None)))
    assert receiptless.chains[0].entries[0].receipt is None
