"""Ledger benchmarks (issue 2): append, integration, proofs from tiles, time to checkpoint.

    python bench/bench_ledger.py [--engines sqlite,postgresql] [--appends 3000]

Each figure is printed with its same-run baseline and the ratio to it:
- append: statements through the chain + queue vs. plain INSERTs of the same
  canonical bytes into a table with no ledger logic (one transaction each,
  and in batches of 100);
- integrate: leaves/s into tiles with checkpoint signing;
- proof: inclusion proofs from stored tiles in a 1,000,000-leaf log
  (p50, p99; baseline: the in-memory proof over the same leaves);
- latency: append to signed checkpoint under steady load with the background
  sequencer of `suyuan serve` (p50, p99).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import Column, Integer, LargeBinary, MetaData, String, Table  # noqa: E402

from bench.common import fresh_database, median, percentile, rate  # noqa: E402
from suyuan.api.app import Integrator  # noqa: E402
from suyuan.ledger import tilestore
from suyuan.ledger.verify import proofs
from suyuan.ledger.verify import tiles  # noqa: E402
from suyuan.ledger.chain import append, append_many  # noqa: E402
from suyuan.ledger.db import make_engine  # noqa: E402
from suyuan.ledger.verify.entry import canonical  # noqa: E402
from suyuan.ledger.ledger import Ledger  # noqa: E402
from suyuan.ledger.models import Tile  # noqa: E402
from suyuan.ledger.signer import LogSigner  # noqa: E402

ORIGIN = "bench.suyuan.example/log"
GTIN = "06901234560015"


def statement(i: int, keys: int = 1000) -> dict:
    return {
        "key": f"01/{GTIN}/21/S{i % keys}", "type": "dispatch", "time": "2026-11-27T08:00:00Z",
        "actor": "bench-courier", "data": {"waybill": f"SF{i:012d}", "weight_g": 1200,
                                           "from_region": "320700", "to_region": "310000"},
        "id": str(uuid.uuid4()),
    }


def bench_append(kind: str, n: int) -> None:
    with fresh_database(kind) as url:
        engine = make_engine(url)
        plain = Table("plain_baseline", MetaData(), Column("id", Integer, primary_key=True),
                      Column("key", String(200)), Column("canonical", LargeBinary))
        plain.create(engine)
        rows = [statement(i) for i in range(n)]
        blobs = [canonical(r) for r in rows]

        t0 = time.perf_counter()
        for st, blob in zip(rows, blobs):
            with engine.begin() as conn:
                conn.execute(plain.insert().values(key=st["key"], canonical=blob))
        base_single = rate(n, time.perf_counter() - t0)
        t0 = time.perf_counter()
        for st in rows:
            append(engine, st)
        ours_single = rate(n, time.perf_counter() - t0)

        rows2 = [statement(i) for i in range(n)]
        blobs2 = [canonical(r) for r in rows2]
        t0 = time.perf_counter()
        for i in range(0, n, 100):
            with engine.begin() as conn:
                conn.execute(plain.insert(), [{"key": s["key"], "canonical": b}
                                              for s, b in zip(rows2[i:i + 100], blobs2[i:i + 100])])
        base_batch = rate(n, time.perf_counter() - t0)
        t0 = time.perf_counter()
        for i in range(0, n, 100):
            append_many(engine, [(s, None) for s in rows2[i:i + 100]])
        ours_batch = rate(n, time.perf_counter() - t0)
        engine.dispose()
    print(f"append    {kind:10s} single tx: {ours_single:8.0f}/s vs plain INSERT {base_single:8.0f}/s"
          f"  ratio {ours_single / base_single:.2f}   (goal >= 0.5)")
    print(f"append    {kind:10s} batch 100: {ours_batch:8.0f}/s vs plain INSERT {base_batch:8.0f}/s"
          f"  ratio {ours_batch / base_batch:.2f}   (goal >= 0.5)")


def bench_integrate(kind: str, n: int) -> None:
    signer = LogSigner.generate()
    with fresh_database(kind) as url:
        engine = make_engine(url)
        ledger = Ledger(engine, ORIGIN, signer)
        for i in range(0, n, 1000):
            append_many(engine, [(statement(j, keys=n), None) for j in range(i, min(n, i + 1000))])
        t0 = time.perf_counter()
        size = ledger.sequencer.integrate_all(batch=20000)
        seconds = time.perf_counter() - t0
        engine.dispose()
    hashes = [os.urandom(32) for _ in range(n)]
    t0 = time.perf_counter()
    proofs.root(hashes)
    tiles.build_tiles(0, hashes, lambda level, index: b"")
    baseline = rate(n, time.perf_counter() - t0)
    assert size == n
    print(f"integrate {kind:10s} {rate(n, seconds):8.0f} leaves/s into tiles + signed checkpoints "
          f"(n={n}); in-memory tiles+root {baseline:8.0f}/s, ratio {rate(n, seconds) / baseline:.2f}"
          f"   (goal >= 20000/s)")


def bench_proofs(kind: str, leaves: int, samples: int) -> None:
    hashes = [os.urandom(32) for _ in range(leaves)]
    built = tiles.build_tiles(0, hashes, lambda level, index: b"")
    with fresh_database(kind) as url:
        engine = make_engine(url)
        tiles_t = Tile.__table__
        with engine.begin() as conn:
            batch = [{"level": t.level, "idx": t.index, "width": t.width, "data": d} for t, d in built]
            for i in range(0, len(batch), 2000):
                conn.execute(tiles_t.insert(), batch[i:i + 2000])
        rng = random.Random(1)
        ours, base = [], []
        with engine.connect() as conn:
            for _ in range(samples):
                index = rng.randrange(leaves)
                t0 = time.perf_counter()
                got = tilestore.inclusion_proof(conn, index, leaves)
                ours.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                want = proofs.inclusion_proof(index, hashes) if len(base) < 5 else got
                base.append(time.perf_counter() - t0)
                assert got == want
        engine.dispose()
    print(f"proof     {kind:10s} inclusion from stored tiles, {leaves} leaves: p50 "
          f"{median(ours) * 1000:.2f} ms, p99 {percentile(ours, 99) * 1000:.2f} ms   (goal p50 < 2 ms); "
          f"in-memory over all leaves p50 {median(base[:5]) * 1000:.0f} ms")


def bench_latency(kind: str, seconds: float, per_second: int) -> None:
    signer = LogSigner.generate()
    with fresh_database(kind) as url:
        engine = make_engine(url)
        ledger = Ledger(engine, ORIGIN, signer)
        ledger.integrate()
        integrator = Integrator(ledger, interval=0.1, batch=20000)
        integrator.start()
        pending: list[tuple[bytes, float]] = []
        latencies: list[float] = []
        stop = time.perf_counter() + seconds
        i = 0

        def watch() -> None:
            with engine.connect() as conn:
                while pending or time.perf_counter() < stop:
                    for h, t in list(pending):
                        if tilestore.leaf_index_of(conn, h) is not None:
                            latencies.append(time.perf_counter() - t)
                            pending.remove((h, t))
                    conn.rollback()
                    time.sleep(0.01)

        watcher = threading.Thread(target=watch)
        watcher.start()
        while time.perf_counter() < stop:
            t = time.perf_counter()
            done = append(engine, statement(i))
            pending.append((done.hash, t))
            i += 1
            time.sleep(max(0.0, 1 / per_second - (time.perf_counter() - t)))
        watcher.join(timeout=30)
        integrator.stop()
        engine.dispose()
    print(f"latency   {kind:10s} append -> signed checkpoint at ~{per_second}/s for {seconds:.0f} s: "
          f"p50 {median(latencies) * 1000:.0f} ms, p99 {percentile(latencies, 99) * 1000:.0f} ms "
          f"(n={len(latencies)})   (goal p99 < 1 s)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engines", default="sqlite,postgresql")
    p.add_argument("--appends", type=int, default=2000)
    p.add_argument("--integrate", type=int, default=100000)
    p.add_argument("--leaves", type=int, default=1_000_000)
    p.add_argument("--proofs", type=int, default=500)
    p.add_argument("--latency-seconds", type=float, default=10)
    p.add_argument("--rate", type=int, default=200)
    p.add_argument("--figures", default="append,integrate,proof,latency", help="which figures to measure")
    args = p.parse_args()
    figures = set(args.figures.split(","))
    for kind in args.engines.split(","):
        if "append" in figures:
            bench_append(kind, args.appends)
        if "integrate" in figures:
            bench_integrate(kind, args.integrate)
        if "proof" in figures:
            bench_proofs(kind, args.leaves, args.proofs)
        if "latency" in figures:
            bench_latency(kind, args.latency_seconds, args.rate)


if __name__ == "__main__":
    main()
