"""`suyuan serve --log-format json`: every line an object with time, level and logger; no client data.

Run as a user runs it (a real process), because the log configuration is
uvicorn's, applied at start: one line per request with its route template,
status and duration, one per sequencer run that signed a checkpoint, and
none that carries a client address, a query string or a header.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime

import httpx
import pytest

from suyuan.ledger.db import make_engine
from suyuan.trace.parties.registry import create_party
from tests.api.world import PRODUCT, gtin, statement
from tests.server import ServerProcess
from tests.test_cli import suyuan

SECRET_QUERY = "needle=shopper-13800138000"


@pytest.fixture
def env(db_url, tmp_path):
    e = {k: v for k, v in os.environ.items() if not k.startswith("SUYUAN_")}
    e |= {"SUYUAN_DATA_DIR": str(tmp_path / "data"), "SUYUAN_DATABASE_URL": db_url,
          "SUYUAN_LOG_ORIGIN": "json.suyuan.example/log"}
    return e


def test_every_line_is_json_with_the_request_fields_and_no_client_data(env, tmp_path):
    suyuan(env, "init")
    _, key = create_party(make_engine(env["SUYUAN_DATABASE_URL"]), name="日志 测试有限公司", roles=["producer"])
    server = ServerProcess(env, tmp_path / "server.log", args=("--log-format", "json"))
    base = server.start()
    try:
        assert httpx.get(f"{base}/healthz").status_code == 200
        assert httpx.get(f"{base}/v1/parties/no-such-party?{SECRET_QUERY}").status_code == 404
        assert httpx.post(f"{base}/v1/events", json={"statement": {}},
                          headers={"Authorization": "Bearer nope"}).status_code == 401
        product = statement(f"01/{gtin(62)}", "register", PRODUCT)
        assert httpx.post(f"{base}/v1/events", json={"statement": product},
                          headers={"Authorization": f"Bearer {key}"}).status_code == 201
        while not httpx.get(f"{base}/log/checkpoint").text.splitlines()[1] == "1":  # the sequencer's run
            time.sleep(0.05)
    finally:
        server.stop()
    text = server.log.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]  # each line parses alone
    assert lines and all({"time", "level", "logger"} <= set(line) for line in lines)
    assert all(datetime.fromisoformat(line["time"].replace("Z", "+00:00")) for line in lines)
    requests = [line for line in lines if line.get("event") == "request"]
    by_route = {(r["route"], r["status"]) for r in requests}
    assert {("/healthz", 200), ("/v1/parties/{party_id}", 404), ("/v1/events", 401), ("/v1/events", 201)} <= by_route, by_route
    assert all(isinstance(r["duration_ms"], (int, float)) and r["method"] in ("GET", "POST") for r in requests)
    assert any(line.get("event") == "integrate" and line["size"] >= 1 for line in lines)  # the sequencer's run
    start = [line["message"] for line in lines if line.get("event") == "start"]  # the report, as lines
    assert any(m.startswith("serving on http://") for m in start) and any(m.startswith("verifier") for m in start)
    assert any(line["level"] == "warning" and "SUYUAN_RESOLVER_URL" in line["message"] for line in lines)
    # The start lines name the server's own address and database; no other line names any address.
    told = [json.dumps(line, ensure_ascii=False) for line in lines
            if line.get("event") != "start" and "running on" not in line.get("message", "").lower()]
    leaks = [line for line in told if "needle" in line or "13800138000" in line or "127.0.0.1" in line]
    assert not leaks, leaks
    assert "Bearer" not in text and "nope" not in text
