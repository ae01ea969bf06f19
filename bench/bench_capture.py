"""Typed capture benchmarks (issue 3), PostgreSQL by default.

    python bench/bench_capture.py [--engine postgresql|sqlite] [--single 300] [--batches 3]

A real `suyuan serve` process and an HTTP client with keep-alive:
- single typed events (merchant `list`, one POST each) and batches of 1,000
  (`POST /v1/events:batch`), each as events/s and as a ratio to the raw ledger
  append (library `append` / `append_many` of 1,000) measured in the same run;
- signed statements (producer `inspect`, Ed25519) in batches of 1,000, as a
  ratio to the Ed25519 verification rate of the same statements in this run
  on all cores (one process per core; the canonical bytes made beforehand).
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import tempfile
import time
import uuid
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import httpx  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: E402
from stdnum import ean  # noqa: E402

from bench.common import free_port, fresh_database, rate, start_server  # noqa: E402
from suyuan.config import Settings  # noqa: E402
from suyuan.ledger.chain import append, append_many  # noqa: E402
from suyuan.ledger.db import make_engine  # noqa: E402
from suyuan.ledger.verify.entry import canonical  # noqa: E402
from suyuan.trace.events import registration
from suyuan.trace.parties import registry as parties
from suyuan.trace.parties import keys as signatures  # noqa: E402

GTIN_BODY = "0690123499001"
GTIN = GTIN_BODY + ean.calc_check_digit(GTIN_BODY)
LOT = "BENCH1"


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def st(key: str, kind: str, actor: str, data: dict) -> dict:
    return {"key": key, "type": kind, "time": now(), "actor": actor, "data": data, "id": str(uuid.uuid4())}


def _verify(public_raw: bytes, pairs: list[tuple[bytes, bytes]]) -> int:
    public = Ed25519PublicKey.from_public_bytes(public_raw)
    for sig, message in pairs:
        public.verify(sig, message)
    return len(pairs)


def verify_all_cores(public, signed: list[tuple[dict, str]]) -> float:  # noqa: ANN001
    """Ed25519 verifications per second of the same statements on every core: one process each (cryptography's
    verify holds the GIL, so threads would not use a second core); canonical bytes made beforehand."""
    cores = os.cpu_count() or 1
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    messages = [(base64.b64decode(sig), canonical(s)) for s, sig in signed]
    size = -(-len(messages) // cores)
    parts = [messages[i:i + size] for i in range(0, len(messages), size)]
    with ProcessPoolExecutor(cores, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_verify, [raw] * cores, [messages[:10]] * cores))  # start the processes first
        t0 = time.perf_counter()
        done = sum(pool.map(_verify, [raw] * len(parts), parts))
        return rate(done, time.perf_counter() - t0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", default="postgresql")
    p.add_argument("--single", type=int, default=300)
    p.add_argument("--batches", type=int, default=3)
    args = p.parse_args()
    n_batch = 1000 * args.batches
    with fresh_database(args.engine) as url, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=tmp, database_url=url)
        engine = make_engine(url)
        producer, producer_key = parties.create_party(engine, name="基准 生产者 Bench Producer",
                                                      roles=["producer"])
        merchant, merchant_key = parties.create_party(engine, name="基准 商家 Bench Merchant",
                                                      roles=["merchant"])
        registration.register_product(engine, settings, producer, GTIN,
                                      {"name": "bench prawns", "category": "aquatic", "net_weight_g": 1000})
        registration.register_batch(engine, settings, producer, GTIN, LOT,
                                    {"production_date": "2026-11-20", "expiry_date": "2027-05-20",
                                     "origin": {"region": "320700", "place": "连云港"}})
        items: list[str] = []
        while len(items) < args.single + n_batch:
            items += registration.serialise(engine, settings, producer, GTIN, 5000, lot=LOT,
                                            seller=merchant.id)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SUYUAN_")}
        env |= {"SUYUAN_DATABASE_URL": url, "SUYUAN_DATA_DIR": tmp}
        port = free_port()
        server = start_server(env, port)
        http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300,
                            headers={"Authorization": f"Bearer {merchant_key}"})
        try:
            listing = {"price": "88.00", "platform": "bench-mall"}
            # single typed events over HTTP vs raw single appends
            t0 = time.perf_counter()
            for key in items[: args.single]:
                r = http.post("/v1/events", json={"statement": st(key, "list", merchant.id, listing)})
                assert r.status_code == 201, r.text
            typed_single = rate(args.single, time.perf_counter() - t0)
            raw_key = f"01/{GTIN}/21/RAW"
            t0 = time.perf_counter()
            for _ in range(args.single):
                append(engine, st(raw_key, "list", merchant.id, listing))
            raw_single = rate(args.single, time.perf_counter() - t0)

            # batches of 1,000
            rest = items[args.single : args.single + n_batch]
            t0 = time.perf_counter()
            for i in range(0, n_batch, 1000):
                body = {"events": [{"statement": st(k, "list", merchant.id, listing)} for k in rest[i:i + 1000]]}
                r = http.post("/v1/events:batch", json=body, params={"mode": "atomic"})
                assert r.status_code == 200 and r.json()["written"] == 1000, r.text[:300]
            typed_batch = rate(n_batch, time.perf_counter() - t0)
            t0 = time.perf_counter()
            for i in range(0, n_batch, 1000):
                append_many(engine, [(st(f"01/{GTIN}/21/RAW{j % 997}", "list", merchant.id, listing), None)
                                     for j in range(i, i + 1000)])
            raw_batch = rate(n_batch, time.perf_counter() - t0)

            # signed statements: producer self-inspections, batches of 1,000
            private = Ed25519PrivateKey.generate()
            public = private.public_key()
            signatures.add_party_key(engine, producer.id, base64.b64encode(
                public.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode())
            signed = []
            for key in rest:
                s = st(key, "inspect", producer.id, {"result": "pass"})
                signed.append((s, signatures.sign_statement(private, s)))
            t0 = time.perf_counter()
            for s, sig in signed:
                public.verify(base64.b64decode(sig), canonical(s))
            verify_one = rate(len(signed), time.perf_counter() - t0)
            verify_rate = verify_all_cores(public, signed)
            t0 = time.perf_counter()
            for i in range(0, len(signed), 1000):
                body = {"events": [{"statement": s, "sig": sig} for s, sig in signed[i:i + 1000]]}
                r = http.post("/v1/events:batch", json=body, params={"mode": "atomic"},
                              headers={"Authorization": f"Bearer {producer_key}"})
                assert r.status_code == 200 and r.json()["written"] == 1000, r.text[:300]
            signed_rate = rate(len(signed), time.perf_counter() - t0)
        finally:
            http.close()
            server.terminate()
            server.wait(timeout=30)
            engine.dispose()
    print(f"capture {args.engine}: single typed events over HTTP {typed_single:7.0f}/s vs raw append "
          f"{raw_single:7.0f}/s  ratio {typed_single / raw_single:.2f}   (no goal)")
    print(f"capture {args.engine}: batches of 1,000 over HTTP     {typed_batch:7.0f}/s vs raw append_many "
          f"{raw_batch:7.0f}/s  ratio {typed_batch / raw_batch:.2f}   (goal >= 0.5)")
    print(f"capture {args.engine}: signed batches of 1,000        {signed_rate:7.0f}/s vs Ed25519 verify "
          f"{verify_rate:7.0f}/s on {os.cpu_count()} cores ({verify_one:.0f}/s on one)  ratio "
          f"{signed_rate / verify_rate:.2f}   (goal >= 0.3)")


if __name__ == "__main__":
    main()
