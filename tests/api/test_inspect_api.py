"""HTTP: the inspector's tools — verify, bundle and `suyuan verify-bundle`, tamper detection, recall reads."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text

from suyuan.errors import VerificationError
from suyuan.ledger.verify.bundle import Bundle, verify_bundle
from suyuan.ledger.models import Entry
from suyuan.trace.parties.keys import sign_statement
from tests.api.test_signatures_api import public_b64
from tests.ledger.helpers import forge_next
from tests.api.world import DISPATCH, Story, gtin, ok, post, sscc, statement

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def story(client, cast):
    return Story(client, cast)


def travelled(client, cast, story, serial="P1", n=1):
    """A sold item packed in a parcel, dispatched and delivered as the parcel: item, parcel keys."""
    item = story.sold(serial)
    parcel = f"00/{sscc(n)}"
    ok(post(client, cast.merchant, parcel, "pack", {"items": [item], "courier": cast.courier.id}))
    ok(post(client, cast.courier, parcel, "dispatch", DISPATCH, time="2020-01-01T00:00:00Z"))
    ok(post(client, cast.courier, parcel, "deliver", {"signed_by": "recipient", "region": "310104"}))
    return item, parcel


def verify(client, key):
    r = client.get(f"/v1/items/{key}/verify")
    assert r.status_code == 200, r.text
    return r.json()


def verify_bundle_cli(tmp_path, bundle: dict, log_key: str):
    """`suyuan verify-bundle` as a real process with no database settings at all."""
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUYUAN_")}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "-m", "suyuan.cli", "verify-bundle", str(path), "--log-key", log_key],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)


def _drop_triggers(conn, table="entries"):
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    else:
        conn.execute(text(f"DROP TRIGGER {table}_no_update"))


def test_an_honest_journey_verifies_online_and_offline(client, cast, story, ledger, tmp_path):
    item, parcel = travelled(client, cast, story)
    pending = verify(client, item)
    assert pending["verdict"] == "pending" and pending["problem"]["code"] == "pending"
    ledger.integrate()
    verdict = verify(client, item)
    assert verdict["verdict"] == "ok" and verdict["problem"] is None, verdict
    assert [(c["role"], c["key"]) for c in verdict["chains"]] == [
        ("item", item), ("batch", story.batch), ("product", story.product), ("parcel", parcel)]
    assert all(c["ok"] for c in verdict["chains"]) and verdict["entries"] == 3 + 1 + 1 + 3

    bundle = client.get(f"/v1/items/{item}/bundle").json()
    notes = {e["receipt"].split("\n\n", 1)[1] for c in bundle["chains"] for e in c["entries"]}
    assert notes == {bundle["checkpoint"]}  # every receipt against ONE checkpoint
    assert {p["name"] for p in bundle["parties"]} >= {"producer 测试有限公司", "courier 测试有限公司"}
    result = verify_bundle(Bundle.from_json(json.dumps(bundle)), ledger.verifier_key)
    assert result.verdict == "ok" and len(result.entries) == 8

    done = verify_bundle_cli(tmp_path, bundle, ledger.verifier_key)
    assert done.returncode == 0, done.stderr
    assert "bundle ok: 8 entries in 4 chains" in done.stdout
    lines = done.stdout.splitlines()
    assert any("dispatch" in line and parcel in line and "courier 测试有限公司" in line for line in lines)
    assert lines.index(next(line for line in lines if " dispatch " in line)) < lines.index(
        next(line for line in lines if " sell " in line)), "journey is in event-time order"


def test_a_tampered_bundle_names_the_entry(client, cast, story, ledger, tmp_path):
    item, _ = travelled(client, cast, story)
    ledger.integrate()
    bundle = client.get(f"/v1/items/{item}/bundle").json()
    item_chain = next(c for c in bundle["chains"] if c["role"] == "item")
    raw = base64.b64decode(item_chain["entries"][2]["canonical"])  # the sale
    assert b'"88.00"' in raw
    item_chain["entries"][2]["canonical"] = base64.b64encode(raw.replace(b'"88.00"', b'"18.00"')).decode()
    done = verify_bundle_cli(tmp_path, bundle, ledger.verifier_key)
    assert done.returncode == 1
    assert f"entry {item} seq 2: not leaf" in done.stderr, done.stderr

    # A receipt from elsewhere, a wrong log key, and junk are refused too, never a traceback.
    other = json.loads(json.dumps(bundle))
    other_chain = next(c for c in other["chains"] if c["role"] == "item")
    other_chain["entries"][2]["canonical"] = item_chain["entries"][1]["canonical"]
    assert f"seq 2: expected {item}#2, got {item}#1" in verify_bundle_cli(tmp_path, other, ledger.verifier_key).stderr
    from suyuan.ledger.signer import LogSigner
    stranger = LogSigner.generate().verifier_key(ledger.origin)
    done = verify_bundle_cli(tmp_path, bundle, stranger)
    assert done.returncode == 1 and "suyuan:" in done.stderr and "Traceback" not in done.stderr
    done = verify_bundle_cli(tmp_path, {"format": "nope"}, ledger.verifier_key)
    assert done.returncode == 1 and "bundle format" in done.stderr


def test_a_raw_sql_edit_behind_the_triggers_is_named_by_verify_and_verify_bundle(client, cast, story, ledger,
                                                                                  tmp_path):
    item, parcel = travelled(client, cast, story)
    ledger.integrate()
    with ledger.engine.begin() as conn:
        _drop_triggers(conn)
        row = conn.execute(select(Entry.id, Entry.canonical).where(Entry.key == parcel, Entry.seq == 1)).first()
        forged = bytes(row.canonical).replace(b'"SF1234567890"', b'"SF0000000000"')
        assert forged != bytes(row.canonical)
        conn.execute(Entry.__table__.update().where(Entry.id == row.id).values(canonical=forged))
    verdict = verify(client, item)
    assert verdict["verdict"] == "broken"
    assert (verdict["problem"]["key"], verdict["problem"]["seq"], verdict["problem"]["code"]) == (parcel, 1, "hash")
    assert [c["ok"] for c in verdict["chains"]] == [True, True, True, False]

    done = verify_bundle_cli(tmp_path, client.get(f"/v1/items/{item}/bundle").json(), ledger.verifier_key)
    assert done.returncode == 1 and f"entry {parcel} seq 1: not leaf" in done.stderr, done.stderr


def test_an_integrated_entry_that_skips_a_link_is_named_by_verify_and_verify_bundle(client, cast, story, ledger,
                                                                                   tmp_path):
    # Inserted, not edited: the triggers allow it, the log integrates and signs it, every
    # receipt checks. Only the chain link (`prev`) shows it forked the parcel's chain.
    item, parcel = travelled(client, cast, story)
    ledger.integrate()
    with ledger.engine.connect() as conn:
        first = conn.execute(select(Entry.hash).where(Entry.key == parcel, Entry.seq == 0)).scalar_one()
    forge_next(ledger.engine, parcel, bytes(first).hex(), seq=3)
    ledger.integrate()
    problem = verify(client, item)["problem"]
    assert (problem["key"], problem["seq"], problem["code"]) == (parcel, 3, "link"), problem
    assert problem["what"].startswith("prev expected ")
    bundle = client.get(f"/v1/items/{item}/bundle").json()
    result = verify_bundle(Bundle.from_json(json.dumps(bundle)), ledger.verifier_key)
    assert (result.problem.key, result.problem.seq, result.problem.code) == (parcel, 3, "link")
    done = verify_bundle_cli(tmp_path, bundle, ledger.verifier_key)
    assert done.returncode == 1 and f"entry {parcel} seq 3" in done.stderr and "prev" in done.stderr, done.stderr


def test_an_entry_deleted_behind_the_triggers_is_named_missing_by_verify_and_verify_bundle(client, cast, story,
                                                                                         ledger, tmp_path):
    item, parcel = travelled(client, cast, story)
    ledger.integrate()
    with ledger.engine.begin() as conn:
        for table in ("entries", "log_leaves"):
            _drop_triggers(conn, table)
            if conn.dialect.name == "sqlite":
                conn.execute(text(f"DROP TRIGGER {table}_no_delete"))
        entry_id = conn.execute(select(Entry.id).where(Entry.key == parcel, Entry.seq == 1)).scalar_one()
        conn.execute(text("DELETE FROM log_leaves WHERE entry_id = :id"), {"id": entry_id})
        conn.execute(Entry.__table__.delete().where(Entry.id == entry_id))
    problem = verify(client, item)["problem"]
    assert (problem["key"], problem["seq"], problem["code"]) == (parcel, 1, "missing")
    done = verify_bundle_cli(tmp_path, client.get(f"/v1/items/{item}/bundle").json(), ledger.verifier_key)
    assert done.returncode == 1 and f"entry {parcel} seq 1: seq 1 is missing" in done.stderr, done.stderr


def test_a_rehashed_entry_is_caught_by_the_signed_checkpoint(client, cast, story, ledger):
    item = story.sold("R1")
    ledger.integrate()
    with ledger.engine.begin() as conn:
        _drop_triggers(conn)
        row = conn.execute(select(Entry.id, Entry.canonical).where(Entry.key == item, Entry.seq == 2)).first()
        forged = bytes(row.canonical).replace(b'"88.00"', b'"8.00"')
        from suyuan.ledger.verify.proofs import leaf_hash
        conn.execute(Entry.__table__.update().where(Entry.id == row.id)
                     .values(canonical=forged, hash=leaf_hash(forged)))
    problem = verify(client, item)["problem"]
    assert (problem["key"], problem["seq"], problem["code"]) == (item, 2, "not_included")


def test_signatures_verify_with_rotated_keys_and_forgeries_are_named(client, cast, ledger, tmp_path):
    old = Ed25519PrivateKey.generate()
    assert client.post(f"/v1/parties/{cast.producer.id}/keys", headers=cast.producer.headers,
                       json={"public_key": public_b64(old)}).status_code == 204
    product, batch, item = f"01/{gtin(61)}", f"01/{gtin(61)}/10/L1", f"01/{gtin(61)}/10/L1/21/S1"

    def signed(key, kind, data, private):
        st = statement(key, kind, data, actor=cast.producer.id)
        r = client.post("/v1/events", json={"statement": st, "sig": sign_statement(private, st)},
                        headers=cast.producer.headers)
        assert r.status_code == 201, r.text

    from tests.api.world import BATCH, PRODUCT
    signed(product, "register", PRODUCT, old)
    signed(batch, "register", BATCH, old)
    new = Ed25519PrivateKey.generate()
    assert client.post(f"/v1/parties/{cast.producer.id}/keys", headers=cast.producer.headers,
                       json={"public_key": public_b64(new), "revoke_others": True}).status_code == 204
    signed(item, "register", {}, new)
    ledger.integrate()
    assert verify(client, item)["verdict"] == "ok"
    bundle = client.get(f"/v1/items/{item}/bundle").json()
    producer = next(p for p in bundle["parties"] if p["id"] == cast.producer.id)
    assert [k["revoked"] is None for k in producer["keys"]] == [False, True]
    assert verify_bundle(Bundle.from_json(bundle), ledger.verifier_key).verdict == "ok"

    # Claim the old key was revoked before the batch was registered: a revoked key cannot sign.
    keys = producer["keys"]
    producer["keys"] = [keys[0] | {"revoked": "2000-01-01T00:00:00+00:00"}, keys[1]]
    result = verify_bundle(Bundle.from_json(bundle), ledger.verifier_key)
    assert (result.problem.key, result.problem.code) == (batch, "signature")
    assert "not valid when the entry was recorded" in result.problem.what
    # Drop the new key from the bundle: the item's registration no longer verifies.
    producer["keys"] = keys[:1]
    result = verify_bundle(Bundle.from_json(bundle), ledger.verifier_key)
    assert (result.problem.key, result.problem.seq, result.problem.code) == (item, 0, "signature")


def test_unknown_and_wrong_keys(client, cast, story):
    missing = f"{story.batch}/21/NOPE"
    for path in (f"/v1/items/{missing}/verify", f"/v1/items/{missing}/bundle"):
        r = client.get(path)
        assert r.status_code == 404 and "No item is registered" in r.json()["detail"]
    r = client.get(f"/v1/items/{story.batch}/verify")
    assert r.status_code == 422 and "expected an item key" in r.json()["detail"]
    r = client.get("/v1/items/01/123/21/X/bundle")
    assert r.status_code == 422 and r.json()["field"] == "key"


def test_recall_shows_on_every_item_read_at_once_and_lifting_clears_it(client, cast, story):
    sold, fresh = story.sold("K1"), story.item("K2")
    assert client.get(f"/v1/goods/{fresh}").json()["recalled"] is False
    ok(post(client, cast.inspector, story.batch, "recall", {"reason": "抽检不合格: 镉超标"}))
    assert all(client.get(f"/v1/goods/{k}").json()["recalled"] is True for k in (sold, fresh))
    r = post(client, cast.courier, sold, "dispatch", DISPATCH)
    assert r.status_code == 409 and r.json()["rule"] == "batch_recalled"
    assert "recalled" in r.json()["detail"], "the courier's scanner shows why"
    ok(post(client, cast.inspector, story.batch, "recall_lifted", {"reason": "复检合格"}))
    assert client.get(f"/v1/goods/{fresh}").json()["recalled"] is False
    ok(post(client, cast.courier, sold, "dispatch", DISPATCH))


def test_bundle_module_imports_no_write_path():
    code = (
        "import json, sys, suyuan.ledger.verify.bundle\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'fastapi', 'starlette', 'psycopg2', 'alembic', 'pydantic_settings') "
        "or m in ('suyuan.ledger.signer', 'suyuan.ledger.db', 'suyuan.ledger.sequencer', "
        "'suyuan.ledger.ledger', 'suyuan.ledger.chain', 'suyuan.config') "
        "or m.startswith(('suyuan.api', 'suyuan.trace')))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert json.loads(out.stdout) == []


# --- a bundle cannot hide events: the log's signed chain heads ----------------------------

# Every entry of the recalled journey below, as (role, seq): the item's register, list and
# sale, the batch's register and recall, the product's register, the parcel's pack,
# dispatch and delivery.
RECALLED_JOURNEY = [("item", 0), ("item", 1), ("item", 2), ("batch", 0), ("batch", 1), ("product", 0),
                    ("parcel", 0), ("parcel", 1), ("parcel", 2)]


def recalled_bundle(client, cast, story, ledger):
    item, _ = travelled(client, cast, story)
    ok(post(client, cast.inspector, story.batch, "recall", {"reason": "抽检不合格: 镉超标"}))
    ledger.integrate()
    bundle = client.get(f"/v1/items/{item}/bundle").json()
    assert [(c["role"], len(c["entries"])) for c in bundle["chains"]] == [
        ("item", 3), ("batch", 2), ("product", 1), ("parcel", 3)]
    return item, bundle


def chain_of(bundle, role):
    return next(c for c in bundle["chains"] if c["role"] == role)


@pytest.mark.parametrize(("role", "seq"), RECALLED_JOURNEY, ids=[f"{r}-{s}" for r, s in RECALLED_JOURNEY])
def test_removing_any_entry_from_a_bundle_names_the_chain_and_the_missing_seq(client, cast, story, ledger,
                                                                               tmp_path, role, seq):
    item, bundle = recalled_bundle(client, cast, story, ledger)
    assert verify_bundle(Bundle.from_json(bundle), ledger.verifier_key).verdict == "ok"
    chain = chain_of(bundle, role)
    key = chain["key"]
    removed = json.loads(base64.b64decode(chain["entries"].pop(seq)["canonical"]))
    assert (removed["statement"]["key"], removed["seq"]) == (key, seq)

    result = verify_bundle(Bundle.from_json(bundle), ledger.verifier_key)
    assert result.verdict == "broken"
    assert (result.problem.key, result.problem.seq, result.problem.code) == (key, seq, "missing")
    done = verify_bundle_cli(tmp_path, bundle, ledger.verifier_key)
    assert done.returncode == 1, done.stdout
    assert f"entry {key} seq {seq}: seq {seq} is missing" in done.stderr, done.stderr
    assert "bundle ok" not in done.stdout and "Traceback" not in done.stderr


def test_a_recall_hidden_by_rewriting_the_heads_note_fails_its_signature(client, cast, story, ledger, tmp_path):
    item, bundle = recalled_bundle(client, cast, story, ledger)
    batch = chain_of(bundle, "batch")
    recall = batch["entries"].pop()  # hide the recall ...
    assert b'"recall"' in base64.b64decode(recall["canonical"])
    # ... and claim in the heads note that the batch chain ends at its registration.
    text, signature = bundle["heads"].split("\n\n")
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith(f"batch {story.batch} "))
    assert lines[at].split(" ")[2] == "2", lines[at]
    from suyuan.ledger.verify.proofs import leaf_hash
    lines[at] = f"batch {story.batch} 1 {leaf_hash(base64.b64decode(batch['entries'][0]['canonical'])).hex()}"
    bundle["heads"] = "\n".join(lines) + "\n\n" + signature

    with pytest.raises(VerificationError, match="chain heads note: signature by key .* does not verify"):
        verify_bundle(Bundle.from_json(bundle), ledger.verifier_key)
    done = verify_bundle_cli(tmp_path, bundle, ledger.verifier_key)
    assert done.returncode == 1 and "suyuan: chain heads note: signature by key" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr

    # A heads note signed by another key, or none at all, is refused too.
    from suyuan.ledger.verify.heads import ChainHeads
    from suyuan.ledger.signer import LogSigner
    forged = LogSigner.generate().sign_chain_heads(ChainHeads.parse("\n".join(lines) + "\n"))
    with pytest.raises(VerificationError, match="chain heads note: note has no valid signature from a known key"):
        verify_bundle(Bundle.from_json(bundle | {"heads": forged}), ledger.verifier_key)
    without = {k: v for k, v in bundle.items() if k != "heads"}
    done = verify_bundle_cli(tmp_path, without, ledger.verifier_key)
    assert done.returncode == 1 and "missing field 'heads'" in done.stderr, done.stderr


def test_a_whole_chain_removed_or_a_heads_note_of_another_checkpoint_or_item_is_named(client, cast, story, ledger,
                                                                                      tmp_path):
    item, bundle = recalled_bundle(client, cast, story, ledger)
    parcel = chain_of(bundle, "parcel")["key"]
    without_parcel = bundle | {"chains": [c for c in bundle["chains"] if c["role"] != "parcel"]}
    done = verify_bundle_cli(tmp_path, without_parcel, ledger.verifier_key)
    assert done.returncode == 1 and f"entry {parcel} seq 0: seq 0 is missing" in done.stderr, done.stderr
    without_batch = bundle | {"chains": [c for c in bundle["chains"] if c["role"] != "batch"]}
    problem = verify_bundle(Bundle.from_json(without_batch), ledger.verifier_key).problem
    assert (problem.key, problem.seq, problem.code) == (story.batch, 0, "missing")

    # A newer checkpoint's heads note does not vouch for this bundle's checkpoint.
    ok(post(client, cast.inspector, story.batch, "recall_lifted", {"reason": "复检合格"}))
    ledger.integrate()
    newer = client.get(f"/v1/items/{item}/bundle").json()
    assert newer["checkpoint"] != bundle["checkpoint"] and len(chain_of(newer, "batch")["entries"]) == 3
    with pytest.raises(VerificationError, match="chain heads note is as of another checkpoint: expected tree size"):
        verify_bundle(Bundle.from_json(bundle | {"heads": newer["heads"]}), ledger.verifier_key)
    # Another item's heads note (same checkpoint) does not either.
    other = story.item("OTHER")
    ledger.integrate()
    latest = client.get(f"/v1/items/{item}/bundle").json()
    other_bundle = client.get(f"/v1/items/{other}/bundle").json()
    assert other_bundle["checkpoint"] == latest["checkpoint"]
    done = verify_bundle_cli(tmp_path, latest | {"heads": other_bundle["heads"]}, ledger.verifier_key)
    assert done.returncode == 1 and f"chain heads note is about another item: expected {item}" in done.stderr
    # A chain the log did not list for this journey is named, not silently accepted.
    extra = latest | {"chains": latest["chains"] + [chain_of(other_bundle, "item")]}
    problem = verify_bundle(Bundle.from_json(extra), ledger.verifier_key).problem
    assert (problem.key, problem.code) == (other, "unlisted")
    # The heads note is not a checkpoint, and the checkpoint is not a heads note.
    with pytest.raises(VerificationError):
        verify_bundle(Bundle.from_json(latest | {"checkpoint": latest["heads"]}), ledger.verifier_key)
    with pytest.raises(VerificationError, match="chain heads line 1: expected 'suyuan chain-heads v1'"):
        verify_bundle(Bundle.from_json(latest | {"heads": latest["checkpoint"]}), ledger.verifier_key)


def test_entries_after_the_checkpoint_stay_out_of_the_bundle_and_it_says_so(client, cast, story, ledger, tmp_path):
    from suyuan.trace.journey.evidence import build_bundle

    item = story.sold("L1")
    ledger.integrate()
    ok(post(client, cast.inspector, story.batch, "recall", {"reason": "抽检不合格"}))  # not integrated yet
    bundle = build_bundle(ledger, item, wait=0).to_json()
    batch = chain_of(bundle, "batch")
    assert (len(batch["entries"]), batch["later"]) == (1, 1)
    assert f"batch {story.batch} 1 " in bundle["heads"]
    done = verify_bundle_cli(tmp_path, bundle, ledger.verifier_key)
    assert done.returncode == 0, done.stderr
    assert f"note: the server says {story.batch} has 1 newer entries not in this checkpoint yet" in done.stdout
    # Once integrated, the next bundle carries the recall and its head.
    bundle = client.get(f"/v1/items/{item}/bundle").json()
    batch = chain_of(bundle, "batch")
    assert (len(batch["entries"]), batch["later"]) == (2, 0) and f"batch {story.batch} 2 " in bundle["heads"]
    assert verify_bundle(Bundle.from_json(bundle), ledger.verifier_key).verdict == "ok"
