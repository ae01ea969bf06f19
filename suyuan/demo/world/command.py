"""`suyuan demo --world N`: a synthetic world of N orders written into the configured database.

The truth file goes to `<data dir>/world-truth.json`; the log is integrated
afterwards, so the world's entries are in a signed checkpoint when it returns.
"""

from __future__ import annotations

from typing import TextIO

from suyuan.config import Settings
from suyuan.demo.world.generate import generate
from suyuan.demo.world.params import WorldParams
from suyuan.runtime import open_ledger


def demo_world(settings: Settings, orders: int, seed: int | None, out: TextIO) -> int:
    ledger = open_ledger(settings)
    path = settings.data_dir / "world-truth.json"
    params = WorldParams.scaled(orders, **({"seed": seed} if seed is not None else {}))

    def progress(written: int, total: int, seconds: float) -> None:
        rate = written / seconds if seconds else 0
        print(f"\r  {written:,} / {total:,} written  {rate:.0f}/s", end="\n" if written == total else "",
              file=out, flush=True)

    try:
        truth = generate(ledger.engine, settings, params, truth_path=path, progress=progress, out=out)
        size = ledger.sequencer.integrate_all()
    finally:
        ledger.engine.dispose()
    counts = truth["counts"]
    print(f"world: {counts['orders']} orders, {counts['events']} events, {counts['checks']} consumer checks, "
          f"{len(truth['guilty'])} guilty findings to find, {len(truth['keys'])} bad keys; log tree size {size}",
          file=out)
    print(f"truth      {path}", file=out)
    return 0
