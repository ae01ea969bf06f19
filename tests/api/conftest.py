from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from suyuan.api.app import create_app


@pytest.fixture
def client(settings):
    # The background integrator is off so tests decide when the log grows.
    with TestClient(create_app(settings, integrate=False)) as c:
        yield c


@pytest.fixture
def ledger(client):
    return client.app.state.ledger
