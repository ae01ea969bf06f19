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

from suyuan.ledger.bundle import Bundle, verify_bundle
from suyuan.ledger.models import Entry
from suyuan.trace.signatures import sign_statement
from tests.api.test_signatures_api import public_b64
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


def test_a_rehashed_entry_is_caught_by_the_signed_checkpoint(client, cast, story, ledger):
    item = story.sold("R1")
    ledger.integrate()
    with ledger.engine.begin() as conn:
        _drop_triggers(conn)
        row = conn.execute(select(Entry.id, Entry.canonical).where(Entry.key == item, Entry.seq == 2)).first()
        forged = bytes(row.canonical).replace(b'"88.00"', b'"8.00"')
        from suyuan.ledger.proofs import leaf_hash
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
        "import json, sys, suyuan.ledger.bundle\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'fastapi', 'starlette', 'psycopg2', 'alembic', 'pydantic_settings') "
        "or m in ('suyuan.ledger.signer', 'suyuan.ledger.db', 'suyuan.ledger.sequencer', "
        "'suyuan.ledger.ledger', 'suyuan.ledger.chain', 'suyuan.config') "
        "or m.startswith(('suyuan.api', 'suyuan.trace')))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert json.loads(out.stdout) == []
