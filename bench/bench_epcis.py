"""EPCIS capture benchmark (issue 12), PostgreSQL by default.

    python bench/bench_epcis.py [--engine postgresql|sqlite] [--events 10000]

A real `suyuan serve` process and an HTTP client. The same events -- a
merchant's `list` of N registered items -- are captured twice, on different
items of one batch: once as suyuan's own batch (`POST /v1/events:batch`, one
atomic request of N events), once as one EPCIS 2.0 document of N ObjectEvents
(bizStep `stocking`, the price in `suyuan:data`) sent to `POST /epcis/capture`
and timed until its capture job has finished (schema validation, mapping,
capture, indexing). Prints both rates and their ratio (goal >= 0.5); a
warm-up of 500 events each goes first.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import httpx  # noqa: E402
from stdnum import ean  # noqa: E402

from bench.common import free_port, fresh_database, rate, start_server  # noqa: E402
from suyuan.config import Settings  # noqa: E402
from suyuan.ledger.db import make_engine  # noqa: E402
from suyuan.trace.events import registration  # noqa: E402
from suyuan.trace.parties import registry as parties  # noqa: E402

GTIN_BODY = "0690123499002"
GTIN = GTIN_BODY + ean.calc_check_digit(GTIN_BODY)
LOT = "EPCIS1"
LISTING = {"price": "88.00", "platform": "bench-mall"}
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
           {"suyuan": "https://suyuan.example/epcis/"}]


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def native(http: httpx.Client, merchant: str, keys: list[str]) -> float:
    body = {"events": [{"statement": {"key": k, "type": "list", "time": now(), "actor": merchant,
                                      "data": LISTING, "id": str(uuid.uuid4())}} for k in keys]}
    t0 = time.perf_counter()
    r = http.post("/v1/events:batch", json=body, params={"mode": "atomic"})
    assert r.status_code == 200 and r.json()["written"] == len(keys), r.text[:300]
    return rate(len(keys), time.perf_counter() - t0)


def epcis(http: httpx.Client, keys: list[str]) -> float:
    events = [{"type": "ObjectEvent", "eventID": f"urn:uuid:{uuid.uuid4()}", "eventTime": now(),
               "eventTimeZoneOffset": "+00:00", "epcList": [f"https://id.gs1.org/{k}"], "action": "OBSERVE",
               "bizStep": "stocking", "suyuan:type": "list", "suyuan:data": LISTING} for k in keys]
    doc = {"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": now(),
           "epcisBody": {"eventList": events}}
    t0 = time.perf_counter()
    r = http.post("/epcis/capture", json=doc, headers={"Content-Type": "application/ld+json"})
    assert r.status_code == 202, r.text[:300]
    while True:
        job = http.get(r.headers["location"]).json()
        if not job["running"]:
            break
        time.sleep(0.01)
    elapsed = time.perf_counter() - t0
    assert job["success"] and job["captured"] == len(keys), str(job)[:500]
    return rate(len(keys), elapsed)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", default="postgresql")
    p.add_argument("--events", type=int, default=10000)
    args = p.parse_args()
    n, warm = args.events, 500
    with fresh_database(args.engine) as url, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=tmp, database_url=url)
        engine = make_engine(url)
        producer, _ = parties.create_party(engine, name="基准 生产者 Bench Producer", roles=["producer"])
        merchant, merchant_key = parties.create_party(engine, name="基准 商家 Bench Merchant", roles=["merchant"])
        registration.register_product(engine, settings, producer, GTIN,
                                      {"name": "bench prawns", "category": "aquatic", "net_weight_g": 1000})
        registration.register_batch(engine, settings, producer, GTIN, LOT,
                                    {"production_date": "2026-11-20", "expiry_date": "2027-05-20",
                                     "origin": {"region": "320700", "place": "连云港"}})
        items: list[str] = []
        while len(items) < 2 * (n + warm):
            items += registration.serialise(engine, settings, producer, GTIN, 5000, lot=LOT, seller=merchant.id)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SUYUAN_")}
        env |= {"SUYUAN_DATABASE_URL": url, "SUYUAN_DATA_DIR": tmp}
        port = free_port()
        server = start_server(env, port)
        http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600,
                            headers={"Authorization": f"Bearer {merchant_key}"})
        try:
            native(http, merchant.id, items[:warm])
            epcis(http, items[warm:2 * warm])
            rest = items[2 * warm:]
            own = native(http, merchant.id, rest[:n])
            theirs = epcis(http, rest[n:2 * n])
        finally:
            http.close()
            server.terminate()
            server.wait(timeout=60)
            engine.dispose()
    print(f"epcis {args.engine}: {n:,} events, suyuan's own batch capture {own:7.0f}/s, EPCIS document "
          f"capture {theirs:7.0f}/s  ratio {theirs / own:.2f}   (goal >= 0.5)")


if __name__ == "__main__":
    main()
