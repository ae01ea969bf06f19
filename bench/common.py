"""Shared set-up for benchmarks: fresh databases on either engine, timing helpers.

Benchmarks print ratios against a baseline measured in the same run, because
machines here are noisy; absolute figures are for the README only.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from suyuan.ledger.db import make_engine
from suyuan.ledger.schema import upgrade

PG_ADMIN = os.environ.get("SUYUAN_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_exec(sql: str) -> None:
    engine = make_engine(PG_ADMIN, pool_size=1)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(sql)
    engine.dispose()


@contextmanager
def fresh_database(kind: str, keep: bool = False):
    """Yield the URL of a new, migrated database; drop it afterwards unless `keep`."""
    if kind == "sqlite":
        tmp = tempfile.mkdtemp(prefix="suyuan-bench-")
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        try:
            yield url
        finally:
            if not keep:
                shutil.rmtree(tmp, ignore_errors=True)
        return
    name = f"suyuan_bench_{uuid.uuid4().hex[:8]}"
    _pg_exec(f"CREATE DATABASE {name}")
    url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
    finally:
        if not keep:
            _pg_exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds else float("inf")


def timed(fn, *args, **kwargs) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, port: int, cmd: list[str] | None = None) -> subprocess.Popen:
    """Start `suyuan serve` (or `cmd`) on `port` and wait until it answers."""
    cmd = cmd or [sys.executable, "-m", "suyuan.cli", "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/log/key").status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("server did not start")
