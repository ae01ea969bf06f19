"""Offline robustness: scans queued with the server down, a sync killed midway, then finished.

Real processes, as a courier runs them: `suyuan serve` on each engine and
`suyuan scan` reading codes from stdin. The sync is killed with SIGKILL while
it uploads (one scan per batch, so there are many moments to die in); the
second sync must finish the job with every scan recorded exactly once.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest
from sqlalchemy import func, select

from suyuan.config import Settings
from suyuan.ledger.db import make_engine
from suyuan.ledger.models import Entry
from suyuan.scanners.gs1 import digital_link_uri
from suyuan.scanners.queue import ScanQueue
from tests.api.world import DISPATCH, gtin
from tests.scanners.stock import sold_items
from tests.server import HANG_SECONDS, free_port, running_server

N = 150


@pytest.fixture
def env(db_url, tmp_path):
    e = {k: v for k, v in os.environ.items() if not k.startswith("SUYUAN_")}
    e |= {"SUYUAN_DATA_DIR": str(tmp_path / "data"), "SUYUAN_DATABASE_URL": db_url,
          "SUYUAN_LOG_ORIGIN": "scan.suyuan.example/log", "SUYUAN_SCAN_QUEUE": str(tmp_path / "queue.db")}
    return e


def _scan(env, *args, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "suyuan.cli", "scan", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=timeout)


def _dispatches(engine) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Entry).where(Entry.type == "dispatch")).scalar()


def _pending(path) -> int:  # noqa: ANN001
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM pending").fetchone()[0]


def test_sync_killed_midway_loses_nothing_and_duplicates_nothing(env, db_url, tmp_path):
    engine = make_engine(db_url)
    stock = sold_items(engine, Settings(data_dir=tmp_path / "lib", database_url=db_url), N)
    env["SUYUAN_API_KEY"] = stock.courier_key
    dispatch = ["--waybill", DISPATCH["waybill"], "--weight-g", str(DISPATCH["weight_g"]),
                "--from-region", DISPATCH["from_region"], "--to-region", DISPATCH["to_region"]]
    fake = f"01/{gtin(99)}/21/FAKE"
    codes = [digital_link_uri(k, "https://id.example.cn") for k in [*stock.keys, fake]] + ["not a code"]

    # 1. The server is down: every scan is queued, the garbage line is refused on the spot.
    down = f"http://127.0.0.1:{free_port()}"
    r = _scan(env, "--action", "dispatch", "--server", down, *dispatch, stdin="\n".join(codes) + "\n")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert sum(line.startswith("QUEUED") for line in lines) == N + 1, r.stdout[-2000:]
    assert sum(line.startswith("INVALID") for line in lines) == 1
    assert "scans queued offline" in r.stderr
    queue_path = tmp_path / "queue.db"
    assert _pending(queue_path) == N + 1 and _dispatches(engine) == 0

    # 2. The server comes up; a sync uploading one scan per batch is killed midway.
    with running_server(env) as base:
        sync = subprocess.Popen([sys.executable, "-m", "suyuan.cli", "scan", "--sync", "--server", base,
                                 "--batch-size", "1"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + HANG_SECONDS  # progress, not a clock, decides when to kill
        while _dispatches(engine) < N // 4 and time.monotonic() < deadline and sync.poll() is None:
            time.sleep(0.005)
        sync.send_signal(signal.SIGKILL)
        sync.communicate(timeout=30)
        assert sync.returncode == -signal.SIGKILL, "the sync finished before it could be killed"
        recorded_before = _dispatches(engine)
        assert 0 < recorded_before < N
        assert _pending(queue_path) >= N + 1 - recorded_before  # nothing settled that the server lacks

        # 3. Sync again: the rest goes up, a scan sent before the kill is reported, not duplicated.
        r = _scan(env, "--sync", "--server", base, "--batch-size", "20")
        assert r.returncode == 0, r.stderr
        assert "100%" in r.stderr  # the progress bar
        summary = r.stdout.splitlines()[-1]
        assert summary.endswith("1 rejected, 0 still queued"), r.stdout
        assert _dispatches(engine) == N  # every scan exactly once
        for key in stock.keys[:: N // 10]:
            chain = httpx.get(f"{base}/v1/chains/{key}").json()
            assert [e["entry"]["statement"]["type"] for e in chain].count("dispatch") == 1
        with ScanQueue(queue_path) as q:
            assert q.pending_count() == 0
            [rejected] = q.rejected()
            assert rejected.statement["key"] == fake and rejected.rule == "not_registered"
        listed = _scan(env, "--rejected")
        assert fake in listed.stdout and "not_registered" in listed.stdout

        # 4. A third sync has nothing to do.
        r = _scan(env, "--sync", "--server", base)
        assert r.stdout.splitlines()[-1] == "sync: 0 recorded, 0 already recorded, 0 rejected, 0 still queued"
    engine.dispose()
