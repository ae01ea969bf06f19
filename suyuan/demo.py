"""`suyuan demo`: seed a small, realistic log through the normal write path.

Statement ids are derived from their content, so running the demo twice
changes nothing (every append is an idempotent retry).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, TextIO

from stdnum import ean

from suyuan.config import Settings
from suyuan.runtime import open_ledger

DEMO_NS = uuid.UUID("6b1f4a52-9c1e-4f57-8a43-5e2f0d4b7a10")


def gtin14(body13: str) -> str:
    """GTIN-14 from 13 digits without the check digit."""
    return body13 + ean.calc_check_digit(body13)


PRODUCTS = [
    # (GTIN, lot, category, what, origin, items, extra batch data)
    (gtin14("0690123456001"), "LYG2026A", "aquatic", "连云港 南美白对虾 Lianyungang whiteleg shrimp 1 kg",
     {"region": "320700", "place": "连云港海州湾 Haizhou Bay, Lianyungang"}, 40,
     {"catch_area": "FAO 61, Haizhou Bay", "vessel": "苏连渔 12345", "landing_date": "2026-11-20"}),
    (gtin14("0690123456002"), "DH-QZ-1108", "crystal", "东海水晶 Donghai clear quartz sphere 8 cm",
     {"region": "320722", "place": "东海县 Donghai County"}, 25,
     {"certificate_sha256": "9f2c" * 16}),
    (gtin14("0690123456003"), "GY-APL-26", "farm_produce", "灌云 富士苹果 Guanyun Fuji apples 5 kg",
     {"region": "320723", "place": "灌云县 Guanyun County"}, 20,
     {"harvest_date": "2026-10-28"}),
]

STEPS = ["register", "list", "sell", "dispatch", "transit", "deliver"]


def _statement(key: str, kind: str, when: datetime, data: dict[str, Any]) -> dict[str, Any]:
    ident = uuid.uuid5(DEMO_NS, f"{key}|{kind}|{when.isoformat()}")
    return {
        "key": key, "type": kind, "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "actor": None, "data": data, "id": str(ident),
    }


def statements() -> list[dict[str, Any]]:
    start = datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)
    out: list[dict[str, Any]] = []
    for gtin, lot, category, name, origin, count, extra in PRODUCTS:
        batch = f"01/{gtin}/10/{lot}"
        out.append(_statement(batch, "register", start, {
            "name": name, "category": category, "origin": origin, "quantity": count, **extra}))
        out.append(_statement(batch, "inspect", start + timedelta(hours=3), {
            "result": "pass", "lab_report_sha256": "3a7d" * 16}))
        for n in range(count):
            key = f"01/{gtin}/10/{lot}/21/{lot}-{n:04d}"
            t = start + timedelta(hours=6, minutes=n)
            for step, hours in zip(STEPS, (0, 2, 20, 26, 40, 52)):
                if n % 3 == 2 and step in ("transit", "deliver"):
                    continue  # some items are still on their way
                data: dict[str, Any] = {"batch": batch}
                if step == "list":
                    data |= {"price": "88.00", "platform": "demo-mall"}
                if step == "dispatch":
                    data |= {"from_region": origin["region"], "to_region": "310000"}
                if step == "deliver":
                    data |= {"region": "310000", "signed_by": "recipient"}
                out.append(_statement(key, step, t + timedelta(hours=hours), data))
    return out


def seed(settings: Settings, out: TextIO) -> None:
    ledger = open_ledger(settings)
    items = statements()
    created = 0
    for i in range(0, len(items), 200):
        done = ledger.append_many([(s, None) for s in items[i : i + 200]])
        created += sum(d.created for d in done)
        out.write(f"\rseeding demo events {min(i + 200, len(items))}/{len(items)}")
        out.flush()
    size = ledger.sequencer.integrate_all()
    out.write(f"\n{created} new events ({len(items) - created} already there); log tree size {size}\n")
    gtin, lot = PRODUCTS[0][0], PRODUCTS[0][1]
    out.write("Try, after `suyuan serve`:\n")
    out.write("  curl http://127.0.0.1:8000/log/checkpoint\n")
    out.write(f"  curl http://127.0.0.1:8000/v1/chains/01/{gtin}/10/{lot}/21/{lot}-0000\n")
    out.write(f"  curl http://127.0.0.1:8000/v1/chains/01/{gtin}/10/{lot}\n")
    ledger.engine.dispose()
