"""`suyuan serve --workers N`: several processes, one sequencer, one analysis; SQLite refuses."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import text

from suyuan.ledger.db import make_engine
from suyuan.ledger.duties import ANALYSIS
from tests.ledger.helpers import item_key, statement
from tests.server import ServerProcess


@pytest.fixture
def env(db_url, tmp_path):
    e = {k: v for k, v in os.environ.items() if not k.startswith("SUYUAN_")}
    return e | {"SUYUAN_DATA_DIR": str(tmp_path / "data"), "SUYUAN_DATABASE_URL": db_url,
                "SUYUAN_LOG_ORIGIN": "workers.suyuan.example/log"}


def test_workers(env, db_url, tmp_path):
    if db_url.startswith("sqlite"):
        r = subprocess.run([sys.executable, "-m", "suyuan.cli", "serve", "--workers", "2"], env=env,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
        assert "--workers 2: SQLite takes one writing process at a time" in r.stderr
        return
    server = ServerProcess(env, tmp_path / "server.log", args=("--workers", "2"))
    base = server.start()
    try:
        from suyuan.trace.parties.registry import create_party

        engine = make_engine(db_url)
        _, api_key = create_party(engine, name="workers 测试", roles=["producer"])
        headers = {"Authorization": f"Bearer {api_key}"}
        products = [statement(item_key(10 + i, "W").rsplit("/21/", 1)[0], name="虾", category="aquatic")
                    for i in range(40)]
        with ThreadPoolExecutor(8) as pool:  # concurrent connections land on both workers
            answers = list(pool.map(lambda st: httpx.post(f"{base}/v1/events", json={"statement": st},
                                                          headers=headers, timeout=60), products))
        assert [r.status_code for r in answers] == [201] * 40, answers[0].text
        posted = time.monotonic()
        while time.monotonic() - posted < 120:  # a hang guard, not a goal
            sizes = [httpx.get(f"{base}/v1/events/{r.json()['hash']}").json()["log_index"] for r in answers]
            if None not in sizes:
                break
            time.sleep(0.05)
        else:
            pytest.fail("entries not integrated by the workers' sequencer")
        assert sorted(sizes) == list(range(min(sizes), min(sizes) + 40))  # contiguous: one sequence
        with engine.connect() as conn:
            holders = conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                        "AND objid = :lock AND granted"), {"lock": ANALYSIS}).scalar()
        assert holders == 1  # one worker runs the analysis
        engine.dispose()
    finally:
        server.stop()
    audit = subprocess.run([sys.executable, "-m", "suyuan.cli", "audit"], env=env, capture_output=True, text=True,
                           timeout=120)
    assert audit.returncode == 0 and audit.stdout.startswith("audit ok"), audit.stdout + audit.stderr
