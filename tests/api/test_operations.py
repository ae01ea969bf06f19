"""Operations endpoints: /healthz, /readyz (and the readiness gate), /metrics in Prometheus' format."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.engine import make_url

from suyuan.api.app import create_app
from suyuan.trace.parties.registry import create_party
from tests.conftest import _pg_exec
from tests.api.world import PRODUCT
from tests.ledger.helpers import gtin, statement

G = gtin(7)


def samples(client) -> dict[tuple[str, tuple], float]:
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def value(found: dict, name: str, **labels) -> float | None:
    return found.get((name, tuple(sorted(labels.items()))))


def register_product(client, cast):
    r = client.post("/v1/events", json={"statement": statement(f"01/{G}", "register", **PRODUCT)},
                    headers=cast.producer.headers)
    assert r.status_code == 201, r.text


def test_healthz_and_readyz_answer_when_all_is_well(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready" and body["schema_revision"]
    assert body["log"]["queued"] == 0 and body["log"]["max_lag_seconds"] == 60


def test_metrics_count_requests_by_route_template_and_status(client, ledger, cast):
    register_product(client, cast)
    client.get(f"/v1/chains/01/{G}")
    client.get("/v1/chains/01/06901234567892")  # another path, the same template
    client.get(f"/01/{G}")  # the scan page
    client.get("/no/such/path?review_token=rv_secret")
    found = samples(client)
    assert value(found, "suyuan_http_requests_total", method="GET", route="/v1/chains/{key:path}", status="200") == 2
    assert value(found, "suyuan_http_requests_total", method="POST", route="/v1/events", status="201") == 1
    assert value(found, "suyuan_http_requests_total", method="GET", route="(unmatched)", status="404") == 1
    assert value(found, "suyuan_capture_duration_seconds_count", route="/v1/events") == 1
    assert value(found, "suyuan_scan_page_hits_total", route="/01/{gtin}") == 1
    assert value(found, "suyuan_log_queued_leaves") == 1
    assert value(found, "suyuan_log_oldest_queued_age_seconds") >= 0
    assert not any("rv_secret" in name or "06901234567892" in str(labels) for name, labels in found)
    ledger.integrate()
    found = samples(client)
    assert value(found, "suyuan_log_queued_leaves") == 0 and value(found, "suyuan_log_checkpoint_size") == 1


def test_readyz_is_503_while_the_sequencer_lags_past_the_bound(settings):
    lagging = settings.model_copy(update={"ready_max_lag_seconds": 0.2})
    with TestClient(create_app(lagging, integrate=False)) as client:
        _, key = create_party(client.app.state.ledger.engine, name="产者有限公司", roles=["producer"])
        r = client.post("/v1/events", json={"statement": statement(f"01/{G}", "register", **PRODUCT)},
                        headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 201
        time.sleep(0.5)
        r = client.get("/readyz")
        assert r.status_code == 503 and r.headers["Retry-After"] == "1", r.text
        assert "1 entries queued" in r.json()["detail"]
        assert client.get(f"/v1/chains/01/{G}").status_code == 200  # lag makes it unready, not closed
        client.app.state.ledger.integrate()
        assert client.get("/readyz").status_code == 200


def test_a_database_at_another_schema_revision_is_not_served(client, ledger):
    with ledger.engine.begin() as conn:
        head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    client.app.state.readiness.lost()
    time.sleep(0.6)  # past the recheck interval
    r = client.get("/v1/parties")
    assert r.status_code == 503 and r.headers["Retry-After"], r.text
    assert "schema revision" in r.json()["detail"] and "suyuan db upgrade" in r.json()["detail"]
    r = client.get("/readyz")
    assert r.status_code == 503 and head in r.json()["detail"]
    assert client.get("/healthz").status_code == 200
    with ledger.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
    time.sleep(0.6)
    assert client.get("/v1/parties").status_code == 200
    assert client.get("/readyz").status_code == 200


def _allow_connections(name: str, allowed: bool) -> None:
    _pg_exec(f"ALTER DATABASE {name} ALLOW_CONNECTIONS {'true' if allowed else 'false'}")
    if not allowed:
        _pg_exec(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")


def test_readyz_turns_503_while_postgresql_refuses_connections_and_200_after(client, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("blocks connections to a PostgreSQL database; SQLite has no server to lose")
    name = make_url(db_url).database
    assert client.get("/readyz").status_code == 200
    _allow_connections(name, False)
    try:
        r = client.get("/readyz")
        assert r.status_code == 503 and r.headers["Retry-After"] == "1", r.text
        r = client.get("/v1/parties")  # a request that needs the database: 503, never 500
        assert r.status_code == 503 and r.headers["Retry-After"], r.text
        assert "5432" not in r.text and "127.0.0.1" not in r.text  # the driver's words stay in the log
        assert client.get("/healthz").status_code == 200
        assert client.get("/metrics").status_code == 200  # without the log gauges
    finally:
        _allow_connections(name, True)
    assert client.get("/readyz").status_code == 200
    time.sleep(0.6)
    assert client.get("/v1/parties").status_code == 200
