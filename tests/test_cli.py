"""The `suyuan` command, run as a user runs it: a real process on each engine."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time

import httpx
import pytest
from sqlalchemy import select, text

from suyuan.ledger.db import make_engine
from suyuan.ledger.models import Entry
from tests.ledger.helpers import item_key, statement
from tests.server import running_server


@pytest.fixture
def env(db_url, tmp_path):
    e = {k: v for k, v in os.environ.items() if not k.startswith("SUYUAN_")}
    e |= {"SUYUAN_DATA_DIR": str(tmp_path / "data"), "SUYUAN_DATABASE_URL": db_url,
          "SUYUAN_LOG_ORIGIN": "cli.suyuan.example/log"}
    return e


def suyuan(env, *args, check=True):
    r = subprocess.run([sys.executable, "-m", "suyuan.cli", *args], env=env, capture_output=True,
                       text=True, timeout=120)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def test_init_makes_a_private_log_key_and_an_empty_checkpoint(env, tmp_path):
    out = suyuan(env, "init").stdout
    key = tmp_path / "data" / "log.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "verifier   cli.suyuan.example/log+" in out
    assert "log key    .suyuan" not in out
    again = suyuan(env, "init").stdout  # idempotent: keeps the key
    assert again.splitlines()[-1] == out.splitlines()[-1]


def test_demo_audit_and_receipt_round_trip(env, tmp_path, db_url):
    out = suyuan(env, "demo").stdout
    assert "new events" in out and "/v1/chains/01/" in out
    size = int(out.split("log tree size ")[1].split()[0])
    assert 200 <= size <= 1000
    again = suyuan(env, "demo").stdout  # the demo is idempotent
    assert f"0 new events ({size} already there); log tree size {size}" in again
    assert suyuan(env, "audit").stdout.startswith(f"audit ok: {size} entries")

    engine = make_engine(db_url)
    with engine.connect() as conn:
        raw = bytes(conn.execute(select(Entry.canonical).order_by(Entry.id).limit(1)).scalar())
    # receipt through the library the server uses, checked by the CLI offline
    from suyuan.config import Settings
    from suyuan.runtime import open_ledger

    ledger = open_ledger(Settings(data_dir=tmp_path / "data", database_url=db_url,
                                  log_origin="cli.suyuan.example/log"))
    from suyuan.ledger.verify.proofs import leaf_hash

    (tmp_path / "r.txt").write_text(ledger.receipt(leaf_hash(raw)))
    (tmp_path / "e.bin").write_bytes(raw)
    ok = suyuan(env, "verify-receipt", str(tmp_path / "r.txt"), "--key", ledger.verifier_key,
                "--entry", str(tmp_path / "e.bin"))
    assert f"is in cli.suyuan.example/log at tree size {size}" in ok.stdout
    (tmp_path / "e.bin").write_bytes(raw.replace(b"register", b"Register"))
    bad = suyuan(env, "verify-receipt", str(tmp_path / "r.txt"), "--key", ledger.verifier_key,
                 "--entry", str(tmp_path / "e.bin"), check=False)
    assert bad.returncode == 1 and "root mismatch" in bad.stderr
    ledger.engine.dispose()

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE entries DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER entries_no_update"))
        row = conn.execute(select(Entry.id, Entry.key, Entry.seq).order_by(Entry.id).offset(5).limit(1)).first()
        conn.execute(text("UPDATE entries SET canonical = :c WHERE id = :i"),
                     {"c": raw.replace(b"register", b"Register"), "i": row.id})
    engine.dispose()
    broken = suyuan(env, "audit", check=False)
    assert broken.returncode == 1
    assert f"chain '{row.key}' broken at seq {row.seq}" in broken.stderr


def test_log_integrate_reports_the_tree_size(env, db_url, tmp_path):
    suyuan(env, "init")
    from suyuan.ledger.chain import append

    engine = make_engine(db_url)
    for _ in range(3):
        append(engine, statement())
    engine.dispose()
    assert "tree size 3" in suyuan(env, "log", "integrate").stdout


def test_serve_integrates_in_the_background(env):
    # The 1 s goal is measured by bench/bench_ledger.py; here a generous bound
    # only proves the background sequencer runs without being asked.
    with running_server(env) as base:
        from suyuan.trace.parties.registry import create_party

        engine = make_engine(env["SUYUAN_DATABASE_URL"])
        _, api_key = create_party(engine, name="serve 测试", roles=["producer"])
        engine.dispose()
        product = statement(item_key(3, "SERVE").rsplit("/21/", 1)[0], name="虾", category="aquatic")
        r = httpx.post(f"{base}/v1/events", json={"statement": product},
                       headers={"Authorization": f"Bearer {api_key}"})
        assert r.status_code == 201, r.text
        posted = time.monotonic()
        while time.monotonic() - posted < 120.0:  # a hang guard, not the goal
            if httpx.get(f"{base}/v1/events/{r.json()['hash']}").json()["log_index"] is not None:
                break
            time.sleep(0.02)
        else:
            pytest.fail("entry not integrated by the background sequencer")
        assert httpx.get(f"{base}/v1/events/{r.json()['hash']}/receipt").status_code == 200
        assert httpx.get(f"{base}/docs").status_code == 200
