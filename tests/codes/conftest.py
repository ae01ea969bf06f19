from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from suyuan.api.app import create_app
from suyuan.config import Settings
from tests.api.conftest import cast, client, ledger  # noqa: F401  # both engines, one party per role

RESOLVER = "https://trace.example.cn/id"


@pytest.fixture(scope="module")
def api(_templates, tmp_path_factory, log_signer):  # noqa: ANN001, ANN201
    """One app on SQLite for the endpoints that touch no database (codes, photo decoding)."""
    base = tmp_path_factory.mktemp("codes")
    shutil.copy(_templates["sqlite"], base / "suyuan.db")
    settings = Settings(data_dir=base / "data", database_url=f"sqlite:///{base / 'suyuan.db'}",
                        log_key=log_signer.to_pem().decode(), resolver_url=RESOLVER)
    with TestClient(create_app(settings, integrate=False)) as c:
        yield c
