"""Generate a synthetic world (issue 10) into a fresh database and write its truth file.

    python bench/worldgen.py [--engine sqlite|postgresql] [--merchants 200] [--couriers 20]
        [--producers 20] [--shoppers 20000] [--orders 50000] [--fraud-share 0.05] [--seed N]
        [--days 60] [--truth world-truth.json] [--keep]

Prints progress (statements written of the total, rate) and the counts. The
database is dropped afterwards unless `--keep` (then its URL is printed);
`--database-url` writes into an existing, migrated database instead.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import fresh_database  # noqa: E402
from suyuan.config import Settings  # noqa: E402
from suyuan.demo.world import WorldParams, generate  # noqa: E402
from suyuan.ledger.audit import audit  # noqa: E402
from suyuan.runtime import init_data_dir, open_ledger  # noqa: E402


def progress(written: int, total: int, seconds: float) -> None:
    rate = written / seconds if seconds else 0
    print(f"\r  {written:>9,} / {total:,} written  {rate:7.0f}/s", end="" if written < total else "\n",
          flush=True)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    d = WorldParams()
    p.add_argument("--engine", default="sqlite", choices=["sqlite", "postgresql"])
    p.add_argument("--database-url", help="an existing migrated database (kept)")
    p.add_argument("--data-dir", help="log and vault keys (default: a temporary directory)")
    for name in ("merchants", "couriers", "producers", "shoppers", "orders", "seed", "days", "chunk"):
        p.add_argument(f"--{name}", type=int, default=getattr(d, name))
    p.add_argument("--fraud-share", type=float, default=d.fraud_share)
    p.add_argument("--min-fraudsters", type=int, default=d.min_fraudsters)
    p.add_argument("--truth", default="world-truth.json")
    p.add_argument("--keep", action="store_true", help="keep the fresh database (print its URL)")
    p.add_argument("--audit", action="store_true", help="run suyuan audit's verification afterwards")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    params = WorldParams(merchants=args.merchants, couriers=args.couriers, producers=args.producers,
                         shoppers=args.shoppers, orders=args.orders, fraud_share=args.fraud_share,
                         min_fraudsters=args.min_fraudsters, seed=args.seed, days=args.days, chunk=args.chunk)
    database = nullcontext(args.database_url) if args.database_url else fresh_database(args.engine, keep=args.keep)
    data_dir = nullcontext(args.data_dir) if args.data_dir else tempfile.TemporaryDirectory()
    with database as url, data_dir as tmp:
        settings = Settings(data_dir=tmp, database_url=url)
        init_data_dir(settings)
        ledger = open_ledger(settings)
        try:
            truth = generate(ledger.engine, settings, params, truth_path=Path(args.truth), progress=progress,
                             out=sys.stdout)
            size = ledger.sequencer.integrate_all()
            print(f"log integrated: tree size {size}")
            if args.audit:
                print(audit(ledger.engine, ledger.verifier_key, settings.log_origin).summary())
        finally:
            ledger.engine.dispose()
        if args.keep:
            print(f"database kept: {url}  (keys in {tmp})")
    counts = truth["counts"]
    rate = counts["events"] / counts["seconds"] if counts["seconds"] else 0
    print(json.dumps({k: v for k, v in counts.items() if k not in ("by_type", "flags")}))
    print(f"worldgen {args.engine}: {counts['orders']} orders, {counts['events']} events, {counts['checks']} "
          f"consumer checks in {counts['seconds']} s ({rate:.0f} events/s); truth in {args.truth}")
    print("  events: " + ", ".join(f"{k} {v}" for k, v in counts["by_type"].items()))
    print("  flags:  " + ", ".join(f"{k} {v}" for k, v in counts["flags"].items()))


if __name__ == "__main__":
    main()
