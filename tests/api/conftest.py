from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from suyuan.api.app import create_app
from suyuan.trace.parties.registry import create_party


@pytest.fixture
def client(settings):
    # The background integrator is off so tests decide when the log grows.
    with TestClient(create_app(settings, integrate=False)) as c:
        yield c


@pytest.fixture
def ledger(client):
    return client.app.state.ledger


@dataclass(frozen=True)
class Who:
    """A registered party as a test client sees it."""

    id: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


CAST = {
    "admin": ["admin"], "producer": ["producer"], "producer2": ["producer"], "merchant": ["merchant"],
    "platform": ["platform"], "courier": ["courier"], "courier2": ["courier"], "inspector": ["inspector"],
}  # fmt: skip


@pytest.fixture
def cast(ledger) -> SimpleNamespace:
    """One party per role (two producers, two couriers), registered through the library."""
    made = {}
    for name, roles in CAST.items():
        party, key = create_party(ledger.engine, name=f"{name} 测试有限公司", roles=roles)
        made[name] = Who(party.id, key)
    return SimpleNamespace(**made)
