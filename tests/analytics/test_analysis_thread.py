"""The server's background analysis: captured over HTTP, found without anyone running `suyuan analyze`.

The app runs with its lifespan (sequencer and analysis threads, as `serve`
runs them). Waits are bounded polls for the finding to appear, never sleeps
standing in for an assertion.
"""

from __future__ import annotations

import time
import uuid

import pytest
from fastapi.testclient import TestClient

from suyuan.analytics.candidates import DETECTORS, Detector
from suyuan.api.app import create_app
from suyuan.codes.gs1 import make_key
from suyuan.trace.parties.registry import create_party
from tests.api.world import at, gtin, post, sscc

HANG_SECONDS = 120  # a loaded machine is slow; past this the thread is not running at all


class Who:
    def __init__(self, engine, role: str) -> None:  # noqa: ANN001
        party, self.key = create_party(engine, name=f"{role} 测试有限公司", roles=[role])
        self.id = party.id

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def ok(response, status: int = 201):  # noqa: ANN001, ANN201
    assert response.status_code == status, response.text
    return response.json()


def ship_an_empty_parcel(client, producer: Who, shop: Who, courier: Who, n: int) -> str:  # noqa: ANN001
    """A 1.5 kg item sold and shipped in a parcel declared at 10 g, over HTTP: the parcel's key."""
    code = gtin(900 + n)
    ok(post(client, producer, make_key(gtin=code), "register", {"name": "铸铁锅", "category": "daily_goods",
                                                                 "net_weight_g": 1500}, time=at(-60)))
    batch = make_key(gtin=code, lot="L1")
    ok(post(client, producer, batch, "register", {"production_date": "2026-11-01",
                                                  "origin": {"region": "320700", "place": "连云港"}}, time=at(-59)))
    item = make_key(gtin=code, lot="L1", serial="S1")
    ok(post(client, producer, item, "register", {"seller": shop.id}, time=at(-58)))
    ok(post(client, shop, item, "list", {"price": "99.00"}, time=at(-57)))
    ok(post(client, shop, item, "sell", {"price": "99.00", "order": "sha256:" + uuid.uuid4().hex * 2,
                                         "courier": courier.id}, time=at(-56)))
    parcel = make_key(sscc=sscc(700 + n))
    ok(post(client, shop, parcel, "pack", {"items": [item], "courier": courier.id}, time=at(-55)))
    ok(post(client, courier, parcel, "dispatch", {"waybill": f"WB{n}X", "weight_g": 10, "from_region": "320700",
                                                  "to_region": "310115"}, time=at(-50)))
    return parcel


def wait_for_findings(client, inspector: Who, n: int) -> list[dict]:  # noqa: ANN001
    deadline = time.monotonic() + HANG_SECONDS
    while True:
        found = ok(client.get("/v1/findings", headers=inspector.headers), 200)["findings"]
        if len(found) >= n or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


@pytest.fixture
def server(engine, settings):  # noqa: ANN001, ANN201
    quick = settings.model_copy(update={"analytics_interval": 0.2})
    with TestClient(create_app(quick)) as client:
        yield client, {role: Who(engine, role) for role in ("producer", "merchant", "courier", "inspector")}


def test_a_parcel_captured_over_http_becomes_a_finding_in_the_servers_wake(server):
    client, who = server
    assert client.app.state.analysis is not None
    parcel = ship_an_empty_parcel(client, who["producer"], who["merchant"], who["courier"], 1)
    (found,) = wait_for_findings(client, who["inspector"], 1)
    assert (found["type"], found["reason"], found["subject_party"]) == ("empty_parcel", "weight_below_net",
                                                                        who["merchant"].id)
    assert found["subject_keys"][0] == parcel and found["status"] == "open"
    metrics = client.get("/metrics").text
    assert 'suyuan_findings{status="open",type="empty_parcel"} 1.0' in metrics
    assert "suyuan_analysis_lag_seconds" in metrics


def test_a_failing_step_never_fails_a_capture_and_the_analysis_goes_on(server):
    client, who = server
    worker = client.app.state.analysis

    def broken(facts, dirty, settings):  # noqa: ANN001, ANN202, ARG001
        raise RuntimeError("a detector's bug")

    bad = Detector("brushing", "fake_courier_leg", broken)
    DETECTORS.append(bad)
    try:
        ship_an_empty_parcel(client, who["producer"], who["merchant"], who["courier"], 2)  # every capture 201
        deadline = time.monotonic() + HANG_SECONDS
        while worker.failures == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert worker.failures >= 1
    finally:
        DETECTORS.remove(bad)
    (found,) = wait_for_findings(client, who["inspector"], 1)  # the next step, with the bug gone, finds it
    assert (found["type"], found["subject_party"]) == ("empty_parcel", who["merchant"].id)
