"""Integrity analytics on a synthetic world (issue 10): how well, and how fast, the detectors judge.

    python bench/bench_analytics.py [--engine postgresql|sqlite] [--orders 50000] [--merchants 200]
        [--couriers 20] [--fraud-share 0.05] [--seed N] [--database-url URL --truth FILE]

1. The world (`suyuan.demo.world`): honest parties and fraudsters of every kind
   written through capture, its truth kept (or an existing world reused with
   `--database-url` and `--truth`). Its capture rate is the same run's baseline.
2. `analyze` over the whole world (goal: <= 60 s on PostgreSQL), and again (it
   must create nothing).
3. The findings scored against the truth (bench/scoring.py): precision and
   recall per type (goals 0.9 and 0.8), honest merchants and couriers with any
   finding (goal <= 1%).
4. Incremental: a fresh `Analyzer` stepping through the same entries a server's
   step at a time (goal >= 5,000 events/s), beside the world's capture rate.
5. Credit (issue 11): an inspector upholds every finding, as one who trusted the
   detectors blindly would; then each merchant's and courier's credit level,
   fraudsters against honest parties (goals: every fraudster at C or D, >= 95%
   of honest parties at A or B).
6. Capture with analysis on vs off: a smaller world written twice into fresh
   databases, once with an analyzer stepping in a thread beside it, as `serve`
   runs one (goal >= 0.8).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import select  # noqa: E402

from bench.common import fresh_database, rate  # noqa: E402
from bench.scoring import score, table  # noqa: E402
from suyuan.analytics import Analyzer, analyze  # noqa: E402
from suyuan.config import Settings  # noqa: E402
from suyuan.demo.world import WorldParams, generate  # noqa: E402
from suyuan.ledger.db import make_engine  # noqa: E402
from suyuan.runtime import init_data_dir  # noqa: E402
from suyuan.trace.credit import score as credit  # noqa: E402
from suyuan.trace.events.finding_desk import decide  # noqa: E402
from suyuan.trace.findings.models import Finding  # noqa: E402
from suyuan.trace.parties.registry import create_party  # noqa: E402

STEP = 2000  # entries per incremental step: about a busy second of a server


def world_settings(url: str, data_dir: str) -> Settings:
    settings = Settings(data_dir=data_dir, database_url=url)
    init_data_dir(settings)
    return settings


def write_world(url: str, data_dir: str, params: WorldParams, truth_path: Path, analyse: bool = False) -> dict:
    """Generate a world; with `analyse`, an analyzer steps in a thread beside it as in `serve`."""
    settings = world_settings(url, data_dir)
    engine = make_engine(url)
    stop, worker = threading.Event(), None
    if analyse:
        analyzer = Analyzer(engine, settings)
        worker = threading.Thread(target=_keep_stepping, args=(analyzer, stop, settings.analytics_interval))
        worker.start()
    try:
        return generate(engine, settings, params, truth_path=truth_path, out=open(os.devnull, "w"))
    finally:
        stop.set()
        if worker is not None:
            worker.join()
        engine.dispose()


def _keep_stepping(analyzer: Analyzer, stop: threading.Event, interval: float) -> None:
    while not stop.is_set():
        analyzer.step(limit=STEP * 10)
        stop.wait(interval)


def findings(engine) -> list:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(select(Finding.__table__)).all()


def incremental(engine, settings: Settings) -> tuple[int, float]:  # noqa: ANN001
    """A fresh analyzer over the whole ledger, one server-sized step at a time: (entries, seconds)."""
    analyzer, entries = Analyzer(engine, settings), 0
    started = time.perf_counter()
    while True:
        done = analyzer.step(limit=STEP)
        entries += done.entries
        if done.entries == 0:
            return entries, time.perf_counter() - started


def main() -> None:  # noqa: PLR0915
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    d = WorldParams()
    p.add_argument("--engine", default="postgresql", choices=["postgresql", "sqlite"])
    for name in ("orders", "merchants", "couriers", "producers", "shoppers", "seed", "days"):
        p.add_argument(f"--{name}", type=int, default=getattr(d, name))
    p.add_argument("--fraud-share", type=float, default=d.fraud_share)
    p.add_argument("--database-url", help="a world written before (with --truth): skip step 1")
    p.add_argument("--truth", help="the truth file of --database-url's world")
    p.add_argument("--overhead-orders", type=int, default=5000, help="orders of the worlds of step 5")
    args = p.parse_args()
    params = WorldParams(orders=args.orders, merchants=args.merchants, couriers=args.couriers,
                         producers=args.producers, shoppers=args.shoppers, fraud_share=args.fraud_share,
                         seed=args.seed, days=args.days)
    with tempfile.TemporaryDirectory() as tmp:
        if args.database_url:
            run(args.database_url, json.loads(Path(args.truth).read_text()), tmp, args)
        else:
            with fresh_database(args.engine) as url:
                truth = write_world(url, tmp, params, Path(tmp) / "truth.json")
                run(url, truth, tmp, args)
        overhead(args, tmp)


def run(url: str, truth: dict, tmp: str, args: argparse.Namespace) -> None:
    counts = truth["counts"]
    capture_rate = rate(counts["events"], counts["seconds"])
    world = truth["params"]
    print(f"world: {world['merchants']} merchants, {world['couriers']} couriers, {world['producers']} producers, "
          f"{world['shoppers']} shoppers, {counts['orders']} orders, fraud share {world['fraud_share']}, seed "
          f"{world['seed']}: {counts['events']} events and {counts.get('checks', 0)} consumer checks written in "
          f"{counts['seconds']:.0f} s ({capture_rate:.0f} events/s through capture)")
    settings = world_settings(url, tmp)
    engine = make_engine(url)
    try:
        t0 = time.perf_counter()
        first = analyze(engine, settings)
        bulk = time.perf_counter() - t0
        again = analyze(engine, settings)
        print(f"analyze {args.engine}: {first.entries} entries, {first.checks} checks in {bulk:.1f} s "
              f"({rate(first.entries, bulk):.0f} entries/s; goal <= 60 s); {first.stored.created} findings; "
              f"a second run created {again.stored.created} (goal 0)")
        scores, honest, flagged = score(truth, findings(engine))
        print(table(scores, honest))
        if flagged:
            print(f"honest parties with findings: {', '.join(flagged[:10])}{' ...' if len(flagged) > 10 else ''}")
        credit_levels(engine, settings, truth)
        entries, seconds = incremental(engine, settings)
        print(f"incremental {args.engine}: {entries} entries in steps of {STEP}: {rate(entries, seconds):.0f} "
              f"events/s analysed (goal >= 5,000) beside capture at {capture_rate:.0f} events/s "
              f"(ratio {rate(entries, seconds) / capture_rate:.1f})")
    finally:
        engine.dispose()


def credit_levels(engine, settings: Settings, truth: dict) -> None:  # noqa: ANN001
    """Uphold every open finding, then the confusion table of credit levels by truth."""
    inspector, _ = create_party(engine, name="基准 市场监督管理局（演示）", roles=["inspector"])
    t0 = time.perf_counter()
    opened = [f for f in findings(engine) if f.status == "open"]
    for f in opened:
        decide(engine, settings, inspector, f.id, "upheld", "bench: every finding upheld", str(uuid.uuid4()))
    upheld = time.perf_counter() - t0
    table_rows: dict[str, dict[str, int]] = {"fraudster": {}, "honest": {}}
    with engine.connect() as conn:
        for pid, party in truth["parties"].items():
            if party["role"] not in ("merchant", "courier"):
                continue
            level = credit.compute(conn, settings, pid).level
            row = table_rows["fraudster" if party["fraud"] else "honest"]
            row[level] = row.get(level, 0) + 1
    print(f"credit: {len(opened)} findings upheld in {upheld:.1f} s; levels of merchants and couriers:")
    print("| truth | A | B | C | D | goal |")
    print("|---|---|---|---|---|---|")
    for kind, goal in (("fraudster", "all at C or D"), ("honest", ">= 95% at A or B")):
        row = table_rows[kind]
        total = sum(row.values()) or 1
        good = sum(row.get(x, 0) for x in (("C", "D") if kind == "fraudster" else ("A", "B"))) / total
        print(f"| {kind} | " + " | ".join(str(row.get(x, 0)) for x in "ABCD") + f" | {goal}: {good:.1%} |")


def overhead(args: argparse.Namespace, tmp: str) -> None:
    small = WorldParams.scaled(args.overhead_orders, seed=args.seed)
    rates = {}
    for analyse in (False, True, False, True):  # interleaved: the machine's drift hits both
        with fresh_database(args.engine) as url, tempfile.TemporaryDirectory() as data:
            truth = write_world(url, data, small, Path(tmp) / "overhead.json", analyse=analyse)
        rates.setdefault(analyse, []).append(rate(truth["counts"]["events"], truth["counts"]["seconds"]))
    off, on = max(rates[False]), max(rates[True])
    print(f"capture {args.engine} with analysis on vs off ({args.overhead_orders} orders, best of 2): "
          f"{on:.0f} vs {off:.0f} events/s, ratio {on / off:.2f} (goal >= 0.8)")


if __name__ == "__main__":
    main()
