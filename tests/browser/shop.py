"""A real suyuan server in a subprocess, and the shop a shopper's browser visits.

Used by the browser tests and by `python -m tests.browser.screenshot`, which
draws the README's picture of the scan page.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator

import httpx
from stdnum.cn import uscc as stdnum_uscc

from suyuan.ledger.db import make_engine
from suyuan.trace.parties.registry import create_party
from tests.api.conftest import Who
from tests.server import running_server
from tests.api.world import BATCH, DISPATCH, PRODUCT, Story, at, gtin, ok, post

USCC = "91320700MA1XXXXX0" + stdnum_uscc.calc_check_digit("91320700MA1XXXXX0")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}  # a common phone viewport, CSS pixels


@contextmanager
def server(db_url: str, data_dir: Path) -> Iterator[str]:
    """`suyuan serve` on a free port, as a user runs it; yields its base URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUYUAN_")}
    env |= {"SUYUAN_DATA_DIR": str(data_dir), "SUYUAN_DATABASE_URL": db_url,
            "SUYUAN_LOG_ORIGIN": "shop.suyuan.example/log", "SUYUAN_INTEGRATE_INTERVAL": "0.05"}
    data_dir.mkdir(parents=True, exist_ok=True)
    with running_server(env, log=data_dir.parent / f"server-{data_dir.name}.log") as base:
        yield base


def cast(db_url: str) -> SimpleNamespace:
    """One party per role, the producer real-name registered, the courier a natural person."""
    engine = make_engine(db_url)
    made = {}
    try:
        for name, roles, extra in (
            ("连云港海州湾水产有限公司", ["producer"], {"uscc": USCC, "licences": [
                {"type": "食品生产许可证", "number": "SC12232070000001", "valid_to": "2029-12-31"}]}),
            ("上海鲜到家电子商务有限公司", ["merchant"], {}),
            ("王小明", ["courier"], {"kind": "individual"}),
            ("连云港市市场监督管理局", ["inspector"], {}),
        ):
            party, key = create_party(engine, name=name, roles=roles, **extra)
            made[roles[0]] = Who(party.id, key)
    finally:
        engine.dispose()
    return SimpleNamespace(**made)


def wait_logged(client: httpx.Client, key: str, timeout: float = 120.0) -> None:
    """Until the background sequencer has put every entry of the page in a checkpoint."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get("/" + key, params={"linkType": "gs1:traceability"}).json()
        if body["verification"]["in_signed_log"]:
            return
        time.sleep(0.05)
    raise AssertionError(f"{key} not checkpointed within {timeout} s")


def stock(client: httpx.Client, who: SimpleNamespace) -> SimpleNamespace:
    """A box of prawns walked from the sea to a review over three days, a recalled batch's box,
    and a delivered box whose review token the test holds."""
    story = SimpleNamespace(gtin=gtin(1), lot="LOT1")
    product, batch = f"01/{story.gtin}", f"01/{story.gtin}/10/LOT1"
    key = f"{batch}/21/SN0001"
    hour = 60
    steps = [
        (-80 * hour, who.producer, product, "register", PRODUCT),
        (-78 * hour, who.producer, batch, "register", BATCH),
        (-77 * hour, who.producer, batch, "inspect", {"result": "pass", "lab_report_sha256": "3a7d" * 16}),
        (-76 * hour, who.producer, key, "register", {"seller": who.merchant.id}),
        (-60 * hour, who.merchant, key, "list", {"price": "88.00", "platform": "鲜到家商城"}),
        (-30 * hour, who.merchant, key, "sell", {"price": "88.00", "order": "c1:" + "ab" * 16,
                                                 "courier": who.courier.id}),
        (-28 * hour, who.courier, key, "dispatch", DISPATCH),
        (-20 * hour, who.courier, key, "transit", {"hub": "上海青浦转运中心", "region": "310118"}),
        (-14 * hour, who.courier, key, "deliver", {"signed_by": "recipient", "region": "310104"}),
    ]
    for minutes, party, k, kind, data in steps:
        body = ok(post(client, party, k, kind, data, time=at(minutes)))
    token = body["review_tokens"][key]
    ok(post(client, token, key, "review", {"rating": 5, "text": "虾很新鲜，个头均匀。"}, time=at(-2 * hour)))
    recalled = Story(client, who, n=2, lot="LOT2")
    bad = recalled.listed("SN0002")
    ok(post(client, who.inspector, recalled.batch, "recall", {"reason": "抽检发现氯霉素超标，批次召回。"}))
    second_key = f"{batch}/21/SN0003"
    for minutes, party, kind, data in (
        (-70 * hour, who.producer, "register", {"seller": who.merchant.id}),
        (-50 * hour, who.merchant, "list", {"price": "88.00"}),
        (-40 * hour, who.merchant, "sell", {"price": "88.00", "order": "c1:" + "cd" * 16, "courier": who.courier.id}),
        (-30 * hour, who.courier, "dispatch", DISPATCH),
        (-10 * hour, who.courier, "deliver", {"signed_by": "locker", "region": "310104"}),
    ):
        body = ok(post(client, party, second_key, kind, data, time=at(minutes)))
    return SimpleNamespace(item=key, recalled=bad, delivered=second_key, token=body["review_tokens"][second_key])
