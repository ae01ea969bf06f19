"""Scan page under load (issue 5), PostgreSQL: requests/s and p99 against a trivial endpoint.

    python bench/bench_scanpage.py [--events 1000000] [--items 2000] [--seconds 15]
                                   [--connections 32] [--workers 2] [--popular 200]

Builds a ledger of `--events` entries on a fresh PostgreSQL database: `--items`
serialised items walked through list, sell, dispatch, transit and deliver by
the typed capture path, and the rest raw appends on other keys (ten per key),
all integrated into the log. Then `suyuan serve --workers N`
serves it, and a second process loads it over keep-alive connections: `wrk`
when installed (C, so the load generator takes little of the CPU), else a
multi-threaded httpx client. First the baseline, `GET /log/key` (no database),
then the scan page of random items (HTML, half with `?region=`, every request
logged as a consumer check), then `--popular` of those pages revalidated with the ETag
each last had (`If-None-Match`: 304s, the checks logged in batches). Goals
(issue 13, with `--workers 2`): the page >= 500 req/s and p99 <= 50 ms;
revalidation >= 0.8 x the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import httpx  # noqa: E402
from stdnum import ean  # noqa: E402
from stdnum.cn import uscc as stdnum_uscc  # noqa: E402


from bench.common import free_port, fresh_database, percentile, start_server  # noqa: E402
from suyuan.config import Settings  # noqa: E402
from suyuan.ledger.chain import append_many  # noqa: E402
from suyuan.ledger.db import make_engine  # noqa: E402
from suyuan.runtime import init_data_dir, open_ledger  # noqa: E402
from suyuan.trace.events import registration
from suyuan.trace.parties import registry as parties  # noqa: E402
from suyuan.trace.events.capture import capture_many  # noqa: E402

GTIN = "0690123488001" + ean.calc_check_digit("0690123488001")
FILLER_GTIN = "0690123488002" + ean.calc_check_digit("0690123488002")
LOT = "SCAN1"
REGIONS = ["310104", "320706", "110105", "440305", "330106"]


def _t(minutes_ago: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)


def seed(url: str, settings: Settings, items: int, events: int) -> list[str]:
    engine = make_engine(url)
    uscc = "91320700MA1YYYYY0" + stdnum_uscc.calc_check_digit("91320700MA1YYYYY0")
    producer, _ = parties.create_party(engine, name="连云港海州湾水产有限公司", roles=["producer"], uscc=uscc,
                                       licences=[{"type": "食品生产许可证", "number": "SC12232070000001"}])
    merchant, _ = parties.create_party(engine, name="上海鲜到家电子商务有限公司", roles=["merchant"])
    courier, _ = parties.create_party(engine, name="王小明", roles=["courier"], kind="individual")
    registration.register_product(engine, settings, producer, GTIN, {"name": "连云港 南美白对虾 1 kg",
                                  "category": "aquatic", "net_weight_g": 1000}, when=_t(5000))
    registration.register_batch(engine, settings, producer, GTIN, LOT, {
        "production_date": "2026-11-20", "expiry_date": "2027-05-20",
        "origin": {"region": "320700", "place": "连云港海州湾"},
        "seafood": {"vessel": "苏连渔 12345", "catch_area": "FAO 61 海州湾", "landing_date": "2026-11-20"}},
        when=_t(4900))
    keys: list[str] = []
    while len(keys) < items:
        keys += registration.serialise(engine, settings, producer, GTIN, min(10000, items - len(keys)),
                                       lot=LOT, seller=merchant.id, when=_t(4800))
    steps = [
        (merchant, "list", 4000, {"price": "88.00", "platform": "鲜到家商城"}),
        (merchant, "sell", 3000, {"price": "88.00", "order": "c1:" + "ab" * 16, "courier": courier.id}),
        (courier, "dispatch", 2000, {"waybill": "SF1", "weight_g": 1200, "from_region": "320700",
                                     "to_region": "310104"}),
        (courier, "transit", 1500, {"hub": "上海青浦转运中心", "region": "310118"}),
        (courier, "deliver", 1000, {"signed_by": "recipient", "region": "310104"}),
    ]
    for party, kind, ago, data in steps:
        for i in range(0, len(keys), 1000):
            batch = [(registration.statement(k, kind, party, data, when=_t(ago)), None)
                     for k in keys[i:i + 1000]]
            failed = [r.error for r in capture_many(engine, settings, batch, party=party) if r.error]
            if failed:
                raise SystemExit(f"seeding {kind} failed: {failed[0]}")
    typed = 3 + len(keys) * (1 + len(steps))
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    filler = max(0, events - typed)
    for i in range(0, filler, 2000):
        rows = [({"key": f"01/{FILLER_GTIN}/21/F{j // 10}", "type": "inspect", "time": now, "actor": None,
                  "data": {"n": j}, "id": str(uuid.uuid4())}, None) for j in range(i, min(filler, i + 2000))]
        append_many(engine, rows)
        print(f"\r  filler {min(filler, i + 2000)}/{filler}", end="", flush=True)
    print()
    engine.dispose()
    ledger = open_ledger(settings)
    size = ledger.sequencer.integrate_all()
    ledger.engine.dispose()
    print(f"ledger: {size} entries, {len(keys)} delivered items with a 7-entry journey")
    return keys


def start(env: dict, port: int, workers: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "suyuan.cli", "serve", "--port", str(port), "--workers", str(workers)]
    return start_server(env, port, cmd)


# --- the load generator (a second process) ------------------------------------------------


def load_wrk(base: str, paths: list, seconds: float, connections: int) -> dict:
    """`paths`: paths, or [path, etag] pairs to send with If-None-Match."""
    pairs = [p if isinstance(p, list) else [p, None] for p in paths]
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "paths.lua"
        script.write_text("paths = {" + ",".join("{%s, %s}" % (json.dumps(p), json.dumps(t) if t else "nil")
                                                 for p, t in pairs) + "}\n"
                          "request = function()\n  local p = paths[math.random(#paths)]\n"
                          "  if p[2] then return wrk.format('GET', p[1], {['If-None-Match'] = p[2]}) end\n"
                          "  return wrk.format('GET', p[1])\nend\n"
                          "done = function(summary, latency, requests)\n"
                          "  io.write(string.format('JSON {\"requests\": %d, \"errors\": %d, \"p50\": %f, "
                          "\"p99\": %f, \"seconds\": %f}\\n', summary.requests, summary.errors.status + "
                          "summary.errors.connect + summary.errors.read + summary.errors.timeout, "
                          "latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.duration / 1e6))\n"
                          "end\n")
        out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{int(seconds)}s", "-s", str(script), base],
                             capture_output=True, text=True, check=True).stdout
    body = json.loads(next(line for line in out.splitlines() if line.startswith("JSON "))[5:])
    return {"rps": body["requests"] / body["seconds"], "p50": body["p50"], "p99": body["p99"],
            "errors": body["errors"], "requests": body["requests"]}


def load_python(base: str, paths: list, seconds: float, connections: int) -> dict:
    """Run in a subprocess: `connections` threads, each with its own keep-alive client."""
    proc = subprocess.run([sys.executable, __file__, "--load", base, "--seconds", str(seconds),
                           "--connections", str(connections)], input=json.dumps(paths),
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def _python_loader(base: str, seconds: float, connections: int) -> None:
    paths = json.loads(sys.stdin.read())
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    stop = time.perf_counter() + seconds

    def worker(n: int) -> None:
        rnd = random.Random(n)
        with httpx.Client(base_url=base, timeout=10) as client:
            while time.perf_counter() < stop:
                path = rnd.choice(paths)
                path, tag = path if isinstance(path, list) else (path, None)
                t0 = time.perf_counter()
                r = client.get(path, headers={"If-None-Match": tag} if tag else None)
                latencies[n].append((time.perf_counter() - t0) * 1000)
                errors[n] += r.status_code >= 400

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - t0
    flat = [v for lat in latencies for v in lat]
    print(json.dumps({"rps": len(flat) / took, "p50": percentile(flat, 50), "p99": percentile(flat, 99),
                      "errors": sum(errors), "requests": len(flat)}))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--items", type=int, default=2000)
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--workers", type=int, default=2, help="`suyuan serve --workers`")
    p.add_argument("--popular", type=int, default=200, help="codes revalidated with If-None-Match")
    p.add_argument("--load", help=argparse.SUPPRESS)  # internal: be the load generator
    args = p.parse_args()
    if args.load:
        return _python_loader(args.load, args.seconds, args.connections)
    loader = load_wrk if shutil.which("wrk") else load_python
    print(f"load generator: {'wrk' if loader is load_wrk else 'python threads (install wrk for less noise)'}, "
          f"{args.connections} connections, {args.seconds:.0f} s each; server workers: {args.workers}")
    with fresh_database("postgresql") as url, tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        settings = Settings(data_dir=data, database_url=url)
        init_data_dir(settings)
        t0 = time.perf_counter()
        keys = seed(url, settings, args.items, args.events)
        print(f"seeded in {time.perf_counter() - t0:.0f} s")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SUYUAN_")}
        env |= {"SUYUAN_DATA_DIR": str(data), "SUYUAN_DATABASE_URL": url}
        port = free_port()
        proc = start(env, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        try:
            page = httpx.get(f"{base}/{keys[0]}")
            assert page.status_code == 200 and "此记录已写入签名公开日志" in page.text, page.text[:500]
            rnd = random.Random(1)
            scan_paths = [f"/{k}" + (f"?region={rnd.choice(REGIONS)}" if i % 2 else "")
                          for i, k in enumerate(keys)]
            loader(base, ["/log/key"], 3, args.connections)  # warm-up
            loader(base, scan_paths[:200], 3, args.connections)
            baseline = loader(base, ["/log/key"], args.seconds, args.connections)
            scan = loader(base, scan_paths, args.seconds, args.connections)
            # The popular codes (a viral product's): each worker reads a page once, then answers 304s.
            tagged = [[p, httpx.get(base + p).headers.get("etag")] for p in scan_paths[:args.popular]]
            assert all(t for _, t in tagged), "scan pages carry no ETag"
            assert httpx.get(base + tagged[0][0], headers={"If-None-Match": tagged[0][1]}).status_code == 304
            loader(base, tagged, 3, args.connections)  # warm-up: every worker meets every tag
            revalidated = loader(base, tagged, args.seconds, args.connections)
        finally:
            proc.terminate()
            proc.wait(timeout=180)  # graceful: in-flight requests, the running integration and analysis step
    print(f"{'endpoint':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, r in (("GET /log/key (baseline)", baseline), ("scan page (HTML, logged)", scan),
                    ("scan page, If-None-Match (304)", revalidated)):
        print(f"{name:<34}{r['rps']:>9.0f}{r['p50']:>9.1f}{r['p99']:>9.1f}{r['errors']:>8}")
    verdict = "met" if scan["rps"] >= 500 and scan["p99"] <= 50 else "NOT met"
    print(f"scan page / baseline throughput: {scan['rps'] / baseline['rps']:.2f}; "
          f"goal >= 500 req/s and p99 <= 50 ms: {verdict}")
    ratio = revalidated["rps"] / baseline["rps"]
    print(f"If-None-Match / baseline throughput: {ratio:.2f}; goal >= 0.8: {'met' if ratio >= 0.8 else 'NOT met'}")


if __name__ == "__main__":
    main()
