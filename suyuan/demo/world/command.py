"""`suyuan demo --world N`: a world of N orders (the other sizes scaled from N) in the configured database,
its truth in `<data dir>/world-truth.json`."""

from __future__ import annotations

from typing import TextIO

from suyuan.config import Settings
from suyuan.demo.world.generate import generate
from suyuan.errors import InputError
from suyuan.demo.world.params import WorldParams
from suyuan.runtime import open_ledger

TRUTH_FILE = "world-truth.json"


def seed_world(settings: Settings, orders: int, seed: int | None, out: TextIO) -> int:
    """Generate and write the world, integrate the log, print the counts; the exit status."""
    if orders < 100:
        raise InputError(f"Invalid --world: expected at least 100 orders, got {orders}.", field="world")
    ledger = open_ledger(settings)
    path = settings.data_dir / TRUTH_FILE
    params = WorldParams.scaled(orders, **({"seed": seed} if seed is not None else {}))

    def progress(written: int, total: int, seconds: float) -> None:
        rate = written / seconds if seconds else 0
        out.write(f"\r  {written:,} / {total:,} written  {rate:.0f}/s" + ("\n" if written == total else ""))
        out.flush()

    try:
        truth = generate(ledger.engine, settings, params, truth_path=path, progress=progress, out=out)
        size = ledger.sequencer.integrate_all()
    finally:
        ledger.engine.dispose()
    counts = truth["counts"]
    out.write(f"world: {counts['orders']} orders, {counts['events']} events, {counts['checks']} consumer checks, "
              f"{len(truth['guilty'])} (type, party) frauds and {len(truth['keys'])} bad keys to find; "
              f"log tree size {size}\ntruth      {path}\n")
    return 0
