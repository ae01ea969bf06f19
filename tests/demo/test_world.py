"""The synthetic world (issue 10): written through capture on each engine, audited, and true to its truth.

A small world (20 shops, 4 couriers, about 2,000 orders, at least two
fraudsters of each kind) is generated once per engine; the same seed into a
fresh database makes the same truth (party ids aside: compared by name).
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections import Counter
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from suyuan.demo.world import KINDS, WorldParams, generate
from suyuan.ledger.audit import audit
from suyuan.ledger.db import make_engine
from suyuan.ledger.models import Entry
from suyuan.runtime import open_ledger
from suyuan.trace.events.models import Flag
from tests.conftest import _pg_admin_url, _pg_exec

END = datetime(2026, 11, 30, tzinfo=timezone.utc)
SMALL = WorldParams.small(end=END)


def _entries(engine) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Entry.__table__)).scalar()


def test_the_small_world_is_written_through_capture_audits_and_tells_its_truth(engine, settings, tmp_path):
    path = tmp_path / "truth.json"
    truth = generate(engine, settings, SMALL, truth_path=path)
    assert json.loads(path.read_text(encoding="utf-8")) == truth
    _written_and_audited(truth, engine, settings)
    _every_kind_and_reason(truth)
    _implied_frauds_listed_as_both(truth)


def _written_and_audited(truth: dict, engine, settings) -> None:  # noqa: ANN001
    counts = truth["counts"]
    assert counts["events"] == _entries(engine) == sum(counts["by_type"].values())
    assert counts["orders"] >= SMALL.orders * 0.95 and counts["checks"] > 0 and counts["people"] > 0
    for kind in ("register", "list", "sell", "pack", "dispatch", "transit", "deliver", "review", "return",
                 "inspect", "epcis"):
        assert counts["by_type"].get(kind), kind
    ledger = open_ledger(settings)
    try:
        size = ledger.sequencer.integrate_all()
        report = audit(engine, ledger.verifier_key, settings.log_origin)
    finally:
        ledger.engine.dispose()
    assert size == report.entries == counts["events"]
    with engine.connect() as conn:
        flags = Counter(conn.execute(select(Flag.code)).scalars())
    # Soft flags the fraud raises (and some honest noise): weights, speed, order of times, clones.
    for code in ("weight_below_contents", "delivery_too_fast", "out_of_order", "consumer_checks_far_apart",
                 "consumer_checks_many"):
        assert flags[code] > 0, (code, flags)


def _every_kind_and_reason(truth: dict) -> None:
    parties, guilty, keys = truth["parties"], truth["guilty"], truth["keys"]
    by_kind = Counter(g["type"] for g in guilty)
    for kind, (subject, reasons) in KINDS.items():
        if subject == "key":
            continue
        assert by_kind[kind] >= 2, (kind, by_kind)
        used = {r for g in guilty if g["type"] == kind for r in g["reasons"]}
        assert used == set(reasons), (kind, used)
    for g in guilty:
        assert parties[g["party"]]["role"] == KINDS[g["type"]][0]
        assert g["type"] in parties[g["party"]]["fraud"]
    assert sum(1 for p in parties.values() if p["role"] == "merchant" and not p["fraud"]) >= 5
    key_reasons = Counter((k["type"], k["reason"]) for k in keys)
    for kind in ("cloned_code", "unsafe_goods"):
        for reason in KINDS[kind][1]:
            assert key_reasons[(kind, reason)] >= 1, (kind, reason)
    for k in keys:
        if k["type"] == "unsafe_goods":
            assert "/10/" in k["key"] and "unsafe_goods" in parties[k["party"]]["fraud"]


def _implied_frauds_listed_as_both(truth: dict) -> None:
    kinds = {(g["party"], g["type"]): set(g["reasons"]) for g in truth["guilty"]}
    for (party, kind), reasons in kinds.items():
        if kind == "brushing" and "fake_courier_leg" in reasons:
            assert (party, "empty_parcel") in kinds
        if kind == "fake_review" and "five_star_brushing" in reasons:
            assert (party, "brushing") in kinds


@pytest.fixture
def fresh_url(db_url, tmp_path, _templates):  # noqa: ANN001, ANN201
    """A second fresh, migrated database on the same engine as `db_url`."""
    if db_url.startswith("sqlite"):
        path = tmp_path / "second.db"
        shutil.copy(_templates["sqlite"], path)
        yield f"sqlite:///{path}"
        return
    name = f"suyuan_t_{uuid.uuid4().hex[:10]}"
    _pg_exec(f"CREATE DATABASE {name} TEMPLATE {_templates['postgresql']}")
    yield make_url(_pg_admin_url()).set(database=name).render_as_string(hide_password=False)
    _pg_exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _by_name(truth: dict) -> dict:
    names = {pid: p["name"] for pid, p in truth["parties"].items()}
    return {"parties": sorted((p["name"], p["role"], tuple(p["fraud"])) for p in truth["parties"].values()),
            "guilty": sorted((g["type"], names[g["party"]], tuple(g["reasons"])) for g in truth["guilty"]),
            "keys": sorted((k["type"], k["key"], k["reason"], names.get(k.get("party"), "")) for k in truth["keys"]),
            "counts": {k: v for k, v in truth["counts"].items() if k != "seconds"}}


def test_the_same_seed_makes_the_same_world_in_a_fresh_database(engine, settings, fresh_url, tmp_path):
    params = WorldParams.small(end=END, orders=500, seed=7)
    first = generate(engine, settings, params)
    other = make_engine(fresh_url)
    try:
        again = generate(other, settings.model_copy(update={"database_url": fresh_url}), params)
    finally:
        other.dispose()
    assert first["counts"]["events"] > 3000
    assert _by_name(first) == _by_name(again)
    assert set(first["parties"]).isdisjoint(again["parties"])  # new parties, the same cast
