"""`suyuan init` makes the first admin; `suyuan party add` registers a party; keys work over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from suyuan.api.app import create_app


@pytest.fixture
def env(db_url, tmp_path):
    e = {k: v for k, v in os.environ.items() if not k.startswith("SUYUAN_")}
    return e | {"SUYUAN_DATA_DIR": str(tmp_path / "data"), "SUYUAN_DATABASE_URL": db_url}


def suyuan(env, *args):
    return subprocess.run([sys.executable, "-m", "suyuan.cli", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_init_prints_the_first_admin_key_once_and_party_add_works(env, settings):
    first = suyuan(env, "init")
    assert first.returncode == 0, first.stderr
    admin_key = next(line.split()[2] for line in first.stdout.splitlines() if line.startswith("admin key"))
    assert "admin key" not in suyuan(env, "init").stdout
    added = suyuan(env, "party", "add", "--name", "连云港海鲜有限公司", "--role", "producer,merchant",
                   "--uscc", "91110000600037341L")
    assert added.returncode == 0, added.stderr
    key = next(line.split()[2] for line in added.stdout.splitlines() if line.startswith("api key"))
    assert "roles      merchant, producer" in added.stdout
    bad = suyuan(env, "party", "add", "--name", "x", "--role", "producer", "--uscc", "91110000600037341M")
    assert bad.returncode == 2 and "expected L, got M" in bad.stderr
    with TestClient(create_app(settings, integrate=False)) as client:
        for k, roles in ((admin_key, ["admin"]), (key, ["merchant", "producer"])):
            me = client.get("/v1/parties/me", headers={"Authorization": f"Bearer {k}"})
            assert me.status_code == 200 and me.json()["roles"] == roles
