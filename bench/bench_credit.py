"""Credit benchmark (issue 11), PostgreSQL by default.

    python bench/bench_credit.py [--engine postgresql|sqlite] [--events 10000] [--reads 200]

One merchant with a long credit record: a pledge, then `--events` credit
events on its chain -- hotline complaints, every other one upheld by an
inspector (a mark on its score), the rest rejected -- plus an upheld
finding. Then `GET /v1/parties/{id}/credit` is timed `--reads` times against
a real `suyuan serve`, beside `GET /v1/parties/{id}` (one indexed read of the
same party) in the same run. Prints the p50 and p99 of both, their ratio, and
the goal: credit p50 <= 50 ms. No timed assertion anywhere.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import httpx  # noqa: E402

from bench.common import free_port, fresh_database, percentile, start_server  # noqa: E402
from suyuan.config import Settings  # noqa: E402
from suyuan.ledger.db import make_engine  # noqa: E402
from suyuan.trace.credit.findings import record_finding  # noqa: E402
from suyuan.trace.events import credit_desk  # noqa: E402
from suyuan.trace.events.capture import capture_many  # noqa: E402
from suyuan.trace.events.registration import statement  # noqa: E402
from suyuan.trace.parties import registry as parties  # noqa: E402

BATCH = 500


def seed(engine, settings, merchant, hotline, inspector, events: int) -> None:  # noqa: ANN001
    credit_desk.record(engine, settings, merchant, merchant.id, "pledge", {"pledge": "quality"}, str(uuid.uuid4()))
    key = credit_desk.record(engine, settings, hotline, merchant.id, "complaint_filed",
                             {"channel": "12315", "category": "quality", "text": "seed"}, str(uuid.uuid4())).appended.key
    complaints = events // 2
    hashes: list[str] = []
    for start in range(0, complaints, BATCH):
        items = [(statement(key, "complaint_filed", hotline, {"channel": "12315", "category": "quality",
                                                                "reference": f"GD{start + i}", "text": "慢"}), None)
                 for i in range(min(BATCH, complaints - start))]
        done = capture_many(engine, settings, items, party=hotline, mode="per_event")
        hashes += [r.captured.hash.hex() for r in done]
    for start in range(0, len(hashes), BATCH):
        items = [(statement(key, "complaint_resolved", inspector, {
            "complaint": h, "outcome": "upheld" if (start + i) % 2 else "rejected", "reason": "checked"}), None)
            for i, h in enumerate(hashes[start:start + BATCH])]
        done = capture_many(engine, settings, items, party=inspector, mode="per_event")
        assert all(r.error is None for r in done), next(r.error for r in done if r.error)
    with engine.begin() as conn:
        record_finding(conn, type="fake_orders", reason="bench", score=700, subject_party=merchant.id,
                       evidence=["ab" * 32], status="upheld")


def timings(http: httpx.Client, path: str, reads: int) -> list[float]:
    out = []
    for _ in range(reads):
        t0 = time.perf_counter()
        r = http.get(path)
        out.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.text[:300]
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", default="postgresql")
    p.add_argument("--events", type=int, default=10000)
    p.add_argument("--reads", type=int, default=200)
    args = p.parse_args()
    with fresh_database(args.engine) as url, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=tmp, database_url=url)
        engine = make_engine(url)
        merchant, _ = parties.create_party(engine, name="基准 商家 Bench Merchant", roles=["merchant"])
        hotline, _ = parties.create_party(engine, name="12315 基准热线", roles=["hotline"])
        inspector, _ = parties.create_party(engine, name="基准 监管 Bench Inspector", roles=["inspector"])
        t0 = time.perf_counter()
        seed(engine, settings, merchant, hotline, inspector, args.events)
        seeded = time.perf_counter() - t0
        with engine.connect() as conn:
            from sqlalchemy import func, select

            from suyuan.ledger.models import Entry
            chain = conn.execute(select(func.count()).select_from(Entry.__table__)
                                 .where(Entry.__table__.c.key.like("417/%"))).scalar()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SUYUAN_")}
        env |= {"SUYUAN_DATABASE_URL": url, "SUYUAN_DATA_DIR": tmp}
        port = free_port()
        server = start_server(env, port)
        http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
        try:
            timings(http, f"/v1/parties/{merchant.id}/credit", 20)  # warm-up
            credit = timings(http, f"/v1/parties/{merchant.id}/credit", args.reads)
            plain = timings(http, f"/v1/parties/{merchant.id}", args.reads)
            answer = http.get(f"/v1/parties/{merchant.id}/credit").json()
        finally:
            http.close()
            server.terminate()
            server.wait(timeout=60)
            engine.dispose()
    c50, c99, b50, b99 = (percentile(credit, 50), percentile(credit, 99), percentile(plain, 50),
                          percentile(plain, 99))
    print(f"credit {args.engine}: {chain:,} entries on the party's chain (seeded in {seeded:.0f} s), score "
          f"{answer['score']} level {answer['level']}")
    print(f"GET /v1/parties/{{id}}/credit  p50 {c50:6.1f} ms  p99 {c99:6.1f} ms   (goal: p50 <= 50 ms)")
    print(f"GET /v1/parties/{{id}} baseline p50 {b50:6.1f} ms  p99 {b99:6.1f} ms   ratio credit/baseline p50 "
          f"{c50 / b50:.2f}")


if __name__ == "__main__":
    main()
