"""Inspector benchmarks (issue 5): forward trace of a 10,000-item batch, KDE export of 100,000 rows.

    python bench/bench_inspector.py [--items 10000] [--batches 3] [--engine postgresql]

A world is built: one product, `--batches` batches of `--items` items each,
every item registered, listed, sold and packed eight to a parcel, every parcel
dispatched and delivered (entries through the ledger's append path, state rows
in bulk). Then:

- trace: `GET /v1/batches/{key}/trace?limit=10000` of the first batch, as the
  library call and through the HTTP app (auth included), median of 7 runs;
  baseline: a plain SELECT of the batch's items by the same index;
- export: the streamed KDE CSV of the product (every event of every batch),
  seconds and peak Python memory (tracemalloc, separate run); baseline:
  the same rows already in memory written with the `csv` module.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import tempfile
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import select  # noqa: E402

from bench.common import fresh_database, median, rate  # noqa: E402
from suyuan.config import Settings  # noqa: E402
from suyuan.ledger.signer import LogSigner  # noqa: E402
from suyuan.runtime import open_ledger  # noqa: E402
from suyuan.trace.journey import export
from suyuan.trace.events import registration
from suyuan.trace.goods import registry as goods
from suyuan.trace.journey import tracing  # noqa: E402
from suyuan.trace.events.registration import statement  # noqa: E402
from suyuan.trace.goods.registry import items_t  # noqa: E402
from suyuan.trace.parties.registry import create_party  # noqa: E402

GTIN = "06901234560015"
PER_PARCEL = 8  # 3 batches x 10,000 items: 3 x (30,000 item + 3,750 parcel events) = 101,254 rows
PRODUCT = {"name": "连云港 南美白对虾 1 kg", "category": "aquatic", "net_weight_g": 1000}


def batch_data() -> dict:
    return {"production_date": "2026-11-20", "expiry_date": "2027-05-20",
            "origin": {"region": "320700", "place": "连云港海州湾"},
            "seafood": {"vessel": "苏连渔 12345", "catch_area": "FAO 61", "landing_date": "2026-11-20"}}


def sscc(n: int) -> str:
    from stdnum import ean

    body = f"06901234{n:09d}"
    return body + ean.calc_check_digit(body)


def build_world(ledger, settings, n_items: int, n_batches: int) -> list[str]:  # noqa: ANN001
    """Products and batches through capture; the bulk events straight through the ledger's set-based
    append plus bulk inserts of the state capture would have left (the benchmark measures reads)."""
    from datetime import datetime, timezone

    from suyuan.trace.goods.registry import contents_t, parcels_t

    engine = ledger.engine
    producer, _ = create_party(engine, name="连云港海产有限公司", roles=["producer"])
    merchant, _ = create_party(engine, name="上海鲜生电商有限公司", roles=["merchant"])
    courier, _ = create_party(engine, name="顺丰速运有限公司", roles=["courier"])
    registration.register_product(engine, settings, producer, GTIN, PRODUCT)
    now = datetime.now(timezone.utc)
    batches, started, parcel_no = [], time.perf_counter(), 0
    for b in range(n_batches):
        lot = f"LOT{b}"
        registration.register_batch(engine, settings, producer, GTIN, lot, batch_data())
        batch = goods.make_key(gtin=GTIN, lot=lot)
        batches.append(batch)
        keys = [goods.make_key(gtin=GTIN, lot=lot, serial=goods.new_serial()) for _ in range(n_items)]
        stmts = []
        for k in keys:
            stmts.append(statement(k, "register", producer, {"seller": merchant.id}))
            stmts.append(statement(k, "list", merchant, {"price": "88.00"}))
            stmts.append(statement(k, "sell", merchant, {"price": "88.00", "order": "c1:" + "ab" * 16,
                                                         "courier": courier.id}))
        parcels = []
        for i in range(0, len(keys), PER_PARCEL):
            parcel_no += 1
            parcels.append((goods.make_key(sscc=sscc(parcel_no)), keys[i:i + PER_PARCEL]))
        for j, (p, its) in enumerate(parcels):
            stmts.append(statement(p, "pack", merchant, {"items": its, "courier": courier.id}))
            stmts.append(statement(p, "dispatch", courier, {"waybill": f"SF{parcel_no}{j:06d}", "weight_g": 9000,
                                                            "from_region": "320700", "to_region": "310104"}))
            stmts.append(statement(p, "deliver", courier, {"signed_by": "recipient", "region": "310104"}))
        for i in range(0, len(stmts), 5000):
            ledger.append_many([(st, None) for st in stmts[i:i + 5000]])
        parcel_of = {k: p for p, its in parcels for k in its}
        with engine.begin() as conn:
            conn.execute(items_t.insert(), [
                {"key": k, "gtin": GTIN, "batch_key": batch, "serial": goods.key_ref(k).serial,
                 "owner": producer.id, "seller": merchant.id, "courier": courier.id, "state": "delivered",
                 "parcel_key": parcel_of[k], "last_time": now, "last_region": "310104",
                 "last_region_time": now, "dispatched_at": now, "dispatch_from": "320700"} for k in keys])
            conn.execute(parcels_t.insert(), [
                {"key": p, "owner": merchant.id, "courier": courier.id, "state": "delivered",
                 "declared_weight_g": 9000, "last_time": now, "last_region": "310104"} for p, _ in parcels])
            conn.execute(contents_t.insert(), [
                {"parcel_key": p, "item_key": k, "packed_at": now} for p, its in parcels for k in its])
        print(f"  batch {b + 1}/{n_batches}: {len(stmts)} events ({time.perf_counter() - started:.0f} s)",
              flush=True)
    ledger.sequencer.integrate_all()
    return batches


def bench_trace(ledger, settings, batch: str, n_items: int) -> None:  # noqa: ANN001
    from fastapi.testclient import TestClient

    from suyuan.api.app import create_app

    engine = ledger.engine

    def baseline() -> int:
        with engine.connect() as conn:
            return len(conn.execute(select(items_t).where(items_t.c.batch_key == batch)
                                    .order_by(items_t.c.key)).all())

    def library() -> int:
        return len(tracing.trace_forward_json(engine, batch, limit=n_items))

    inspector, key = create_party(engine, name="连云港市场监督管理局", roles=["inspector"])
    assert baseline() == n_items
    with TestClient(create_app(settings, integrate=False)) as client:
        headers = {"Authorization": f"Bearer {key}"}

        def http() -> int:
            r = client.get(f"/v1/batches/{batch}/trace", params={"limit": n_items}, headers=headers)
            assert r.status_code == 200, r.text[:200]
            return len(r.content)

        assert len(client.get(f"/v1/batches/{batch}/trace", params={"limit": n_items},
                              headers=headers).json()["items"]) == n_items

        figures = {}
        for name, fn in (("baseline SELECT", baseline), ("trace (library)", library), ("trace (HTTP)", http)):
            fn()  # warm
            times = []
            for _ in range(7):
                start = time.perf_counter()
                fn()
                times.append(time.perf_counter() - start)
            figures[name] = median(times)
        size = http()
    base = figures["baseline SELECT"]
    print(f"\nforward trace of a {n_items}-item batch (median of 7; goal <= 200 ms and <= 2 x baseline):")
    for name, seconds in figures.items():
        verdict = "" if name == "baseline SELECT" else (
            "   met" if seconds <= 0.2 and seconds <= 2 * base else "   NOT met")
        print(f"  {name:<18} {seconds * 1000:8.1f} ms   x{seconds / base:5.1f} baseline{verdict}")
    print(f"  response size      {size / 1e6:8.2f} MB")


def bench_export(ledger, flt) -> None:  # noqa: ANN001
    engine = ledger.engine

    def streamed() -> tuple[int, int]:
        rows = chunks = 0
        for chunk in export.kde_csv(engine, flt):
            chunks += 1
            rows += chunk.count(b"\r\n")
        return rows - 1, chunks

    start = time.perf_counter()
    n_rows, chunks = streamed()
    stream_s = time.perf_counter() - start
    tracemalloc.start()
    streamed()
    stream_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    rows = list(export.kde_rows(engine, flt))  # the baseline's in-memory list (not timed)
    start = time.perf_counter()
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    buffer.getvalue().encode()
    base_s = time.perf_counter() - start
    del rows, buffer
    tracemalloc.start()
    rows = list(export.kde_rows(engine, flt))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    memory_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    print(f"\nKDE export of {n_rows} rows ({chunks} chunks streamed):")
    print(f"  streamed export    {stream_s:8.2f} s   {rate(n_rows, stream_s):9.0f} rows/s   "
          f"peak {stream_peak / 1e6:6.1f} MB")
    print(f"  baseline csv write {base_s:8.2f} s   {rate(n_rows, base_s):9.0f} rows/s   "
          f"(rows already in memory; building them and writing holds {memory_peak / 1e6:.1f} MB)")
    print(f"  ratio              x{stream_s / base_s:5.1f} time, x{stream_peak / memory_peak:5.2f} memory   "
          f"(goal <= 3 x time, memory flat: {'met' if stream_s <= 3 * base_s else 'NOT met'})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--items", type=int, default=10000, help="items per batch (the traced batch's size)")
    p.add_argument("--batches", type=int, default=3, help="batches of the product (export rows ~ 3.4 x items each)")
    p.add_argument("--engine", default="postgresql", choices=["postgresql", "sqlite"])
    args = p.parse_args()
    with fresh_database(args.engine) as url, tempfile.TemporaryDirectory() as data:
        # A data dir of its own: the log remembers what it published there (a fresh log each run).
        settings = Settings(database_url=url, data_dir=data, log_origin="bench.suyuan.example/log",
                            log_key=LogSigner.generate().to_pem().decode(), stale_event_days=36500)
        ledger = open_ledger(settings)
        print(f"{args.engine}: building {args.batches} batches x {args.items} items ...")
        started = time.perf_counter()
        batches = build_world(ledger, settings, args.items, args.batches)
        print(f"  world built in {time.perf_counter() - started:.0f} s")
        bench_trace(ledger, settings, batches[0], args.items)
        bench_export(ledger, export.kde_filter(ledger.engine, GTIN))
        ledger.engine.dispose()


if __name__ == "__main__":
    main()
