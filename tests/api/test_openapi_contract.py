"""The OpenAPI is the contract: schemathesis, all checks, against a real `suyuan serve` on SQLite.

Once with no key, once with an admin's key and once with a key of each other
role, so that every route is reached both refused and allowed. The fuzzer
learns suyuan's formats (GS1 keys with check digits, USCCs) from
tests/api/schemathesis_hooks.py, and reads the per-operation settings of
tests/api/schemathesis.toml. Bounded for CI: SUYUAN_CONTRACT_EXAMPLES test
cases per operation and phase (default 4) and a fixed seed
(SUYUAN_CONTRACT_SEED), so a failure can be replayed; each run's output goes
to SUYUAN_CONTRACT_OUTPUT/<role>.txt when set. The README gives the 5-minute run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from suyuan.api.readiness import OPEN_PATHS
from suyuan.ledger.db import make_engine
from suyuan.trace.parties.registry import create_party
from tests.server import ServerProcess
from tests.test_cli import suyuan

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = os.environ.get("SUYUAN_CONTRACT_EXAMPLES", "4")
SEED = os.environ.get("SUYUAN_CONTRACT_SEED", "14")
ROLES = ("admin", "producer", "merchant", "platform", "courier", "inspector", "hotline")
RUN_SECONDS = 600  # a hung run fails instead of holding CI


# --- the shared places, directly (fast) ------------------------------------------------------


def _operations(document: dict):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_every_refusal_is_documented_with_the_error_body(client):
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    for path, method, operation in _operations(document):
        responses = operation["responses"]
        if path not in OPEN_PATHS:
            assert responses["503"]["headers"]["Retry-After"]["required"], (method, path)
        if operation.get("parameters") or "requestBody" in operation:
            assert "422" in responses, (method, path)
        for status, response in responses.items():
            json_schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            if status[0] in "45" and json_schema:  # suyuan's error body, or beside it a batch's results
                refs = [json_schema.get("$ref")] + [s.get("$ref") for s in json_schema.get("anyOf", [])]
                bodies = [schemas[ref.rsplit("/", 1)[1]] for ref in refs if ref]
                assert any({"detail", "field"} <= set(b["properties"]) for b in bodies), (method, path, status)
        if any(p["name"] == "Authorization" for p in operation.get("parameters", [])):
            assert {"401", "403"} <= set(responses), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        for status, response in responses.items():
            if status[0] in "45":
                assert response.get("content"), f"{method} {path} {status}: no body documented"


def test_an_undeclared_method_answers_405_naming_the_paths_methods(client):
    for method, path, allow in [("DELETE", "/v1/goods/batches", "POST"), ("GET", "/v1/goods/products", "POST"),
                                ("TRACE", "/epcis/events", "GET, OPTIONS, POST"),
                                ("PUT", "/v1/items/01/06901234567892/21/A/verify", "GET"),
                                ("POST", "/static/scan.css", "GET, HEAD")]:
        r = client.request(method, path)
        assert (r.status_code, r.headers.get("allow")) == (405, allow), (method, path, r.text)
        assert r.json()["detail"] == f"Method {method} not allowed: expected one of {allow}."


def test_epcis_discovery_allows_what_the_openapi_gives_each_resource(client):
    document = client.get("/openapi.json").json()
    for resource in ("capture", "events", "eventTypes", "bizSteps", "dispositions"):
        path = f"/epcis/{resource}"
        r = client.options(path)
        declared = {m.upper() for m in document["paths"][path]}
        assert r.status_code == 204 and set(r.headers["allow"].split(", ")) == declared, (path, r.headers["allow"])


# --- schemathesis against a real server ---------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server for every run, and a key per role (runs leave data behind: later runs reach further)."""
    tmp = tmp_path_factory.mktemp("contract")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUYUAN_")}
    env |= {"SUYUAN_DATA_DIR": str(tmp / "data"), "SUYUAN_LOG_ORIGIN": "contract.suyuan.example/log"}
    suyuan(env, "init")
    engine = make_engine(f"sqlite:///{tmp / 'data' / 'suyuan.db'}")
    keys = {role: create_party(engine, name=f"契约 {role} 测试有限公司", roles=[role])[1] for role in ROLES}
    engine.dispose()
    process = ServerProcess(env, tmp / "server.log")
    base = process.start()
    try:
        yield base, keys, tmp
    finally:
        process.stop()


def schemathesis(base: str, key: str | None, cwd: Path) -> subprocess.CompletedProcess:
    """`st run` as the README gives it, bounded, from a scratch directory (its cache stays there)."""
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run", f"{base}/openapi.json",
               "--checks", "all", "--max-examples", EXAMPLES, "--seed", SEED, "--workers", "1",
               "--generation-database", "none", "--no-color"]
    if key is not None:
        command += ["-H", f"Authorization: Bearer {key}"]
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}  # the hooks
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=RUN_SECONDS)


@pytest.mark.parametrize("role", [None, *ROLES])
def test_every_check_passes(server, role):
    base, keys, tmp = server
    done = schemathesis(base, keys[role] if role else None, tmp)
    if os.environ.get("SUYUAN_CONTRACT_OUTPUT"):  # a directory for each run's whole output (CI artifacts)
        Path(os.environ["SUYUAN_CONTRACT_OUTPUT"], f"{role or 'nokey'}.txt").write_text(done.stdout)
    summary = done.stdout[done.stdout.rfind("SUMMARY"):] if "SUMMARY" in done.stdout else done.stdout[-3000:]
    assert done.returncode == 0, f"schemathesis failed with {role or 'no'} key:\n{done.stdout[-20000:]}\n{summary}"
