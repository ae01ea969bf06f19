"""Profiles of the paths users wait on (issue 13), with a count of database round trips.

    python bench/profile_paths.py [--engine postgresql|sqlite] [--paths append,batch,...] [--top 12]
                                  [--html DIR]

Each path runs in this process, under pyinstrument (`pip install pyinstrument`),
with a `before_cursor_execute` listener counting the statements sent to the
database (an executemany counts once; psycopg2 pages it in 1,000-row pages).
HTTP paths go through the real app (`create_app`) over httpx's ASGI transport,
with every worker-thread hop run inline so the one profiled thread sees the
handlers too. Paths: append (one `append`, and `append_many` of 100), single
(one typed POST), batch (POST /v1/events:batch of 1,000), signed (the same,
Ed25519-signed), scan (the HTML scan page), trace (forward trace of a
10,000-item batch over HTTP), export (the KDE CSV of that product).
What is printed: per path, the time, the round trips, and the frames that
take the most time by themselves and with what they call.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import anyio.to_thread  # noqa: E402
import httpx  # noqa: E402
import orjson  # noqa: E402
from pyinstrument import Profiler  # noqa: E402
from sqlalchemy import event  # noqa: E402

from bench.common import fresh_database  # noqa: E402
from suyuan.config import Settings  # noqa: E402

PATHS = ("append", "single", "batch", "signed", "scan", "trace", "export")  # scan includes its 304s


class RoundTrips:
    """Statements sent on an engine while counting."""

    def __init__(self, engine):  # noqa: ANN001
        self.n = 0
        self.kinds: Counter[str] = Counter()
        self.statements: Counter[str] = Counter()
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        self.n += 1
        self.kinds[statement.split(None, 1)[0].upper()] += 1
        self.statements[" ".join(statement.split())[:110]] += 1

    def take(self) -> tuple[int, dict[str, int], list[tuple[str, int]]]:
        n, kinds, common = self.n, dict(self.kinds), self.statements.most_common(6)
        self.n, self.kinds, self.statements = 0, Counter(), Counter()
        return n, kinds, common


async def _inline(func, *args, limiter=None, abandon_on_cancel=False, cancellable=None):  # noqa: ANN001, ANN202
    return func(*args)


def _top(profiler: Profiler, n: int) -> list[str]:
    """The frames with the most time spent in themselves, and (cumulative) time under them."""
    session = profiler.last_session
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()

    def walk(frame, stack: set[str]) -> None:  # noqa: ANN001
        where = Path(frame.file_path_short or "").as_posix()
        name = f"{frame.function} ({where}:{frame.line_no})"
        if name not in stack and "suyuan/" in where:
            total[name] += frame.time
        if frame.function == "[self]" and frame.parent is not None:
            parent = frame.parent
            own[f"{parent.function} ({Path(parent.file_path_short or '').as_posix()}:{parent.line_no})"] += frame.time
        for child in frame.children:
            walk(child, stack | {name})

    root = session.root_frame()
    if root is None:
        return []
    walk(root, set())
    whole = root.time or 1
    lines = [f"    self {t / whole:5.1%}  {name}" for name, t in own.most_common(n)]
    deep = total.most_common(n)
    lines += [f"    cum  {t / whole:5.1%}  {name}" for name, t in deep]
    return lines


def _report(name: str, seconds: float, trips: tuple[int, dict[str, int]], profiler: Profiler, top: int,
            html: Path | None, per: int = 1) -> None:
    n, kinds, common = trips
    print(f"\n== {name}: {seconds * 1000:.1f} ms, {n / per:.1f} round trips "
          f"({', '.join(f'{k} {v / per:g}' for k, v in sorted(kinds.items()))})" + (f" per call of {per}" if per > 1
                                                                                      else ""))
    for line in _top(profiler, top):
        print(line)
    for text, count in common:
        print(f"    sql {count / per:6.1f}x  {text}")
    if html:
        html.mkdir(parents=True, exist_ok=True)
        (html / f"{name.split()[0]}.html").write_text(profiler.output_html())


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def st(key: str, kind: str, actor: str, data: dict) -> dict:
    return {"key": key, "type": kind, "time": now(), "actor": actor, "data": data, "id": str(uuid.uuid4())}


async def run(url: str, tmp: str, paths: set[str], top: int, html: Path | None) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from bench.bench_capture import GTIN, LOT
    from suyuan.api.app import create_app
    from suyuan.ledger.chain import append, append_many
    from suyuan.runtime import init_data_dir
    from suyuan.trace.events import registration
    from suyuan.trace.parties import keys as signatures
    from suyuan.trace.parties import registry as parties

    settings = Settings(data_dir=Path(tmp) / "data", database_url=url, stale_event_days=36500)
    init_data_dir(settings)
    app = create_app(settings, integrate=False, analyse=False)
    anyio.to_thread.run_sync = _inline  # every handler on the profiled thread
    async with app.router.lifespan_context(app):
        ledger = app.state.ledger
        engine = ledger.engine
        trips = RoundTrips(engine)
        producer, producer_key = parties.create_party(engine, name="基准 生产者 Bench Producer", roles=["producer"])
        merchant, merchant_key = parties.create_party(engine, name="基准 商家 Bench Merchant", roles=["merchant"])
        registration.register_product(engine, settings, producer, GTIN,
                                      {"name": "bench prawns", "category": "aquatic", "net_weight_g": 1000})
        registration.register_batch(engine, settings, producer, GTIN, LOT,
                                    {"production_date": "2026-11-20", "expiry_date": "2027-05-20",
                                     "origin": {"region": "320700", "place": "连云港"}})
        items = registration.serialise(engine, settings, producer, GTIN, 2200, lot=LOT, seller=merchant.id)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            listing = {"price": "88.00", "platform": "bench-mall"}
            as_merchant = {"Authorization": f"Bearer {merchant_key}", "Content-Type": "application/json"}
            as_producer = {"Authorization": f"Bearer {producer_key}", "Content-Type": "application/json"}
            if "append" in paths:
                key = f"01/{GTIN}/21/RAW"
                for _ in range(20):
                    append(engine, st(key, "list", merchant.id, listing))
                trips.take()
                with Profiler(interval=0.0002) as p:
                    t0 = time.perf_counter()
                    for _ in range(200):
                        append(engine, st(key, "list", merchant.id, listing))
                    took = time.perf_counter() - t0
                _report("append (single, library)", took / 200, trips.take(), p, top, html, per=200)
                rows = [[(st(f"01/{GTIN}/21/RAW{j}", "list", merchant.id, listing), None) for j in range(100)]
                        for _ in range(20)]
                with Profiler(interval=0.0002) as p:
                    t0 = time.perf_counter()
                    for batch in rows:
                        append_many(engine, batch)
                    took = time.perf_counter() - t0
                _report("append_many (100, library)", took / 20, trips.take(), p, top, html, per=20)
            if "single" in paths:
                bodies = [orjson.dumps({"statement": st(k, "list", merchant.id, listing)}) for k in items[:200]]
                for body in bodies[:20]:
                    assert (await http.post("/v1/events", content=body, headers=as_merchant)).status_code == 201
                trips.take()
                with Profiler(interval=0.0002, async_mode="enabled") as p:
                    t0 = time.perf_counter()
                    for body in bodies[20:]:
                        r = await http.post("/v1/events", content=body, headers=as_merchant)
                        assert r.status_code == 201, r.text
                    took = time.perf_counter() - t0
                _report("single typed POST /v1/events", took / 180, trips.take(), p, top, html, per=180)
            if "batch" in paths:
                body = orjson.dumps({"events": [{"statement": st(k, "list", merchant.id, listing)}
                                                for k in items[200:1200]]})
                trips.take()
                with Profiler(interval=0.0005, async_mode="enabled") as p:
                    t0 = time.perf_counter()
                    r = await http.post("/v1/events:batch?mode=atomic", content=body, headers=as_merchant)
                    took = time.perf_counter() - t0
                assert r.status_code == 200 and r.json()["written"] == 1000, r.text[:300]
                _report("batch of 1,000 POST /v1/events:batch", took, trips.take(), p, top, html)
            if "signed" in paths:
                private = Ed25519PrivateKey.generate()
                signatures.add_party_key(engine, producer.id, base64.b64encode(
                    private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode())
                signed = []
                for k in items[1200:2200]:
                    s = st(k, "inspect", producer.id, {"result": "pass"})
                    signed.append({"statement": s, "sig": signatures.sign_statement(private, s)})
                body = orjson.dumps({"events": signed})
                trips.take()
                with Profiler(interval=0.0005, async_mode="enabled") as p:
                    t0 = time.perf_counter()
                    r = await http.post("/v1/events:batch?mode=atomic", content=body, headers=as_producer)
                    took = time.perf_counter() - t0
                assert r.status_code == 200 and r.json()["written"] == 1000, r.text[:300]
                _report("signed batch of 1,000", took, trips.take(), p, top, html)
            if "scan" in paths:
                ledger.sequencer.integrate_all()
                pages = [f"/{k}" + ("?region=310104" if i % 2 else "") for i, k in enumerate(items[200:400])]
                for path in pages[:20]:
                    assert (await http.get(path)).status_code == 200
                trips.take()
                with Profiler(interval=0.0002, async_mode="enabled") as p:
                    t0 = time.perf_counter()
                    for path in pages:
                        r = await http.get(path)
                        assert r.status_code == 200, r.text[:300]
                    took = time.perf_counter() - t0
                _report("scan page (HTML, logged)", took / len(pages), trips.take(), p, top, html, per=len(pages))
                tags = [(path, (await http.get(path)).headers["etag"]) for path in pages]
                trips.take()
                with Profiler(interval=0.0002, async_mode="enabled") as p:
                    t0 = time.perf_counter()
                    for _ in range(5):
                        for path, tag in tags:
                            r = await http.get(path, headers={"If-None-Match": tag})
                            assert r.status_code == 304, r.status_code
                    took = time.perf_counter() - t0
                _report("scan page revalidated (304)", took / len(tags) / 5, trips.take(), p, top, html,
                        per=len(tags) * 5)
                with Profiler(interval=0.0002, async_mode="enabled") as p:
                    t0 = time.perf_counter()
                    for _ in range(len(tags) * 5):
                        assert (await http.get("/log/key")).status_code == 200
                    took = time.perf_counter() - t0
                _report("GET /log/key (baseline)", took / len(tags) / 5, trips.take(), p, top, html, per=len(tags) * 5)
        if paths & {"trace", "export"}:
            await _inspector(app, settings, trips, paths, top, html)


async def _inspector(app, settings: Settings, trips: RoundTrips, paths: set[str], top: int,  # noqa: ANN001
                     html: Path | None) -> None:
    from bench import bench_inspector
    from suyuan.trace.journey import export
    from suyuan.trace.parties.registry import create_party

    ledger = app.state.ledger
    batches = bench_inspector.build_world(ledger, settings, 10000, 1)
    inspector, key = create_party(ledger.engine, name="连云港市场监督管理局", roles=["inspector"])
    trips.take()
    if "trace" in paths:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench",
                                     headers={"Authorization": f"Bearer {key}"}) as http:
            url = f"/v1/batches/{batches[0]}/trace?limit=10000"
            assert (await http.get(url)).status_code == 200
            trips.take()
            with Profiler(interval=0.0005, async_mode="enabled") as p:
                t0 = time.perf_counter()
                for _ in range(3):
                    r = await http.get(url)
                    assert r.status_code == 200
                took = time.perf_counter() - t0
            _report("forward trace of 10,000 items (HTTP)", took / 3, trips.take(), p, top, html, per=3)
    if "export" in paths:
        flt = export.kde_filter(ledger.engine, bench_inspector.GTIN)
        trips.take()
        with Profiler(interval=0.001) as p:
            t0 = time.perf_counter()
            size = sum(len(chunk) for chunk in export.kde_csv(ledger.engine, flt))
            took = time.perf_counter() - t0
        _report(f"KDE export ({size / 1e6:.1f} MB)", took, trips.take(), p, top, html)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", default="postgresql", choices=["postgresql", "sqlite"])
    p.add_argument("--paths", default=",".join(PATHS))
    p.add_argument("--top", type=int, default=12)
    p.add_argument("--html", type=Path, help="also write each profile as pyinstrument HTML here")
    args = p.parse_args()
    paths = set(args.paths.split(","))
    with fresh_database(args.engine) as url, tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(url, tmp, paths, args.top, args.html))


if __name__ == "__main__":
    main()
