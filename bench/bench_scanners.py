"""Codes and scanner benchmarks (issue 4), each with a baseline measured in the same run.

    python bench/bench_scanners.py [--engine sqlite|postgresql] [--scans 10000] [--labels 10000]

- QR PNG rendering (`render.render(key, "qr", "png")`, the HTTP endpoint's work)
  as codes/s and as a ratio to zxing-cpp encoding the same URIs to a bitmap;
- a PDF label sheet of N items: seconds and peak memory of a fresh process
  (ru_maxrss), and its per-label cost as a ratio to encoding the QR alone;
- parse rate of GS1 element strings and Digital Link URIs (`gs1.parse`, which
  also checks keys and builds results) as a ratio to `biip.parse` of the same inputs;
- sync of N queued scans (`ScannerClient.sync`, batches of 1,000 through
  `POST /v1/events:batch?mode=per_event` on a real `suyuan serve`) as a ratio
  to posting the same statements in the same batches directly. Goal >= 0.8.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import httpx  # noqa: E402
import zxingcpp  # noqa: E402

from bench.common import free_port, fresh_database, rate, start_server  # noqa: E402
from suyuan.config import Settings  # noqa: E402
from suyuan.ledger.db import make_engine  # noqa: E402
from suyuan.codes import gs1
from suyuan.codes import render  # noqa: E402
from suyuan.courier.client import ScannerClient  # noqa: E402
from suyuan.courier.lines import scan_time  # noqa: E402
from suyuan.codes.labels import LabelData, qr_modules, write_sheets  # noqa: E402
from suyuan.courier.queue import ScanQueue  # noqa: E402
from tests.api.world import DISPATCH  # noqa: E402
from tests.courier.stock import sold_items  # noqa: E402

BASE = "https://id.suyuan.example"
G = "06901234567892"


def _keys(n: int) -> list[str]:
    return [f"01/{G}/10/LOT7/21/SN{i:06d}" for i in range(n)]


def bench_qr(n: int) -> None:
    keys = _keys(n)
    uris = [gs1.digital_link_uri(k, BASE) for k in keys]
    t = time.perf_counter()
    for key in keys:
        render.render(key, "qr", "png", BASE)
    ours = rate(n, time.perf_counter() - t)
    t = time.perf_counter()
    for uri in uris:
        zxingcpp.create_barcode(uri, zxingcpp.BarcodeFormat.QRCode, ec_level="Q").to_image(scale=10)
    base = rate(n, time.perf_counter() - t)
    print(f"qr png: {ours:,.0f} codes/s (qrcode + Pillow, box 10); zxing-cpp bitmap {base:,.0f}/s; "
          f"ratio {ours / base:.3f}")


def _sheet_job(n: int, out: str) -> None:
    labels = [LabelData(k, "连云港 南美白对虾 1 kg", "产地 连云港海州湾 320700") for k in _keys(n)]
    t = time.perf_counter()
    write_sheets(labels, out, BASE)
    Path(out + ".seconds").write_text(str(time.perf_counter() - t))


def bench_labels(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "labels.pdf")
        ctx = multiprocessing.get_context("spawn")
        proc = ctx.Process(target=_sheet_job, args=(n, out))
        proc.start()
        proc.join()
        seconds = float(Path(out + ".seconds").read_text())
        size = Path(out).stat().st_size
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    uris = [gs1.digital_link_uri(k, BASE) for k in _keys(min(n, 2000))]
    t = time.perf_counter()
    for uri in uris:
        qr_modules(uri)
    qr_only = (time.perf_counter() - t) / len(uris)
    per_label = seconds / n
    print(f"label sheet: {n:,} labels, {-(-n // 21)} A4 pages, {seconds:.1f} s ({rate(n, seconds):,.0f} labels/s), "
          f"peak RSS {peak_mb:.0f} MB, {size / 1e6:.1f} MB PDF; per label {per_label * 1e3:.2f} ms = "
          f"{per_label / qr_only:.1f} x encoding its QR alone")


def bench_parse(n: int) -> None:
    from biip import parse as biip_parse

    element = [f"]d201{G}10LOT{i % 97}\x1d21SN{i:06d}" for i in range(n)]
    hri = [f"(01){G}(17)261231(10)LOT{i % 97}(21)SN{i:06d}" for i in range(n)]
    uris = [f"https://id.example.cn/01/{G}/10/LOT{i % 97}/21/SN{i:06d}?17=261231" for i in range(n)]
    for name, values in (("element strings", element), ("HRI", hri), ("Digital Link URIs", uris)):
        t = time.perf_counter()
        for v in values:
            r = gs1.parse(v)
        assert r.key is not None, r.key_error
        ours = rate(n, time.perf_counter() - t)
        t = time.perf_counter()
        for v in values:
            biip_parse(v)
        base = rate(n, time.perf_counter() - t)
        print(f"parse {name}: {ours:,.0f}/s; biip.parse {base:,.0f}/s; ratio {ours / base:.2f}")


def bench_sync(kind: str, n: int) -> None:
    with fresh_database(kind) as url, tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(url)
        t = time.perf_counter()
        direct = sold_items(engine, Settings(data_dir=Path(tmp) / "lib", database_url=url), n, product=1)
        queued = sold_items(engine, Settings(data_dir=Path(tmp) / "lib", database_url=url), n, product=2)
        print(f"  ({kind}: {2 * n:,} items registered, listed and sold in {time.perf_counter() - t:.0f} s)")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SUYUAN_")}
        env |= {"SUYUAN_DATA_DIR": str(Path(tmp) / "data"), "SUYUAN_DATABASE_URL": url}
        port = free_port()
        server = start_server(env, port)
        base = f"http://127.0.0.1:{port}"
        try:
            def statements(keys: list[str]) -> list[dict]:
                return [{"key": k, "type": "dispatch", "time": scan_time(), "actor": None, "data": DISPATCH,
                         "id": str(uuid.uuid4())} for k in keys]

            # Direct batch capture: the same statements, the same batches, a plain HTTP client.
            direct_st = statements(direct.keys)
            with httpx.Client(base_url=base, timeout=300,
                              headers={"Authorization": f"Bearer {direct.courier_key}"}) as http:
                t = time.perf_counter()
                for start in range(0, n, 1000):
                    r = http.post("/v1/events:batch", params={"mode": "per_event"},
                                  json={"events": [{"statement": s} for s in direct_st[start:start + 1000]]})
                    assert r.status_code == 200 and r.json()["refused"] == 0, r.text[:300]
                direct_s = time.perf_counter() - t

            with ScanQueue(Path(tmp) / "queue.db") as queue:
                queue.add_many((gs1.digital_link_uri(s["key"], BASE), s) for s in statements(queued.keys))
                client = ScannerClient(base, queued.courier_key, queue, batch_size=1000, timeout=300)
                t = time.perf_counter()
                report = client.sync()
                sync_s = time.perf_counter() - t
                client.close()
            assert report.recorded == n and report.remaining == 0, report.summary()
            print(f"sync {kind}: {n:,} queued scans in {sync_s:.2f} s ({rate(n, sync_s):,.0f}/s); direct batch "
                  f"capture {direct_s:.2f} s ({rate(n, direct_s):,.0f}/s); ratio {direct_s / sync_s:.2f} (goal >= 0.8)")
        finally:
            server.terminate()
            server.wait(timeout=30)
            engine.dispose()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engines", default="sqlite,postgresql")
    p.add_argument("--qr", type=int, default=1000)
    p.add_argument("--labels", type=int, default=10000)
    p.add_argument("--parse", type=int, default=20000)
    p.add_argument("--scans", type=int, default=10000)
    p.add_argument("--only", default="qr,labels,parse,sync")
    args = p.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # children (spawn, serve) must not repeat buffered lines
    only = args.only.split(",")
    if "qr" in only:
        bench_qr(args.qr)
    if "parse" in only:
        bench_parse(args.parse)
    if "labels" in only:
        bench_labels(args.labels)
    if "sync" in only:
        for kind in args.engines.split(","):
            bench_sync(kind, args.scans)


if __name__ == "__main__":
    main()
