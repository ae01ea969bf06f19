"""Bad typed events: a 4xx naming the field in one sentence, nothing written, never a 500."""

from __future__ import annotations

import pytest

from tests.api.world import PRODUCT, Story, gtin, post

G = gtin(31)


@pytest.mark.parametrize("kind, key, data, status, words", [
    ("teleport", "ITEM", {}, 422, "Unknown event type 'teleport'"),
    ("list", "ITEM", {"price": "88.001"}, 422, "data.price"),
    ("list", "ITEM", {"price": 88}, 422, "data.price"),
    ("list", "ITEM", {}, 422, "Missing field 'data.price'"),
    ("list", "ITEM", {"price": "1", "colour": "red"}, 422, "Unknown field 'data.colour'"),
    ("list", "BATCH", {"price": "1"}, 422, "expected an item key, got a batch key"),
    ("register", f"01/{G[:-1]}{(int(G[-1]) + 1) % 10}", PRODUCT, 422, "check digit"),
    ("register", f"01/{G}", {**PRODUCT, "category": "weapons"}, 422, "data.category"),
    ("register", f"01/{G}", {**PRODUCT, "net_weight_g": 1.5}, 422, "float 1.5"),
    ("register", f"01/{G}", {**PRODUCT, "name": "x" * 201}, 422, "data.name"),
    ("register", "BATCH2", {"production_date": "2026-13-01", "origin": {"region": "320700", "place": "x"}},
     422, "data.production_date"),
    ("register", "BATCH2", {"production_date": "2026-11-01", "origin": {"region": "32070", "place": "x"}},
     422, "data.origin.region"),
    ("register", "BATCH2", {"production_date": "2026-11-01", "expiry_date": "2026-10-01",
                            "origin": {"region": "320700", "place": "x"}}, 422, "data.expiry_date"),
    ("dispatch", "ITEM", {"waybill": "SF1", "weight_g": -1, "from_region": "320700", "to_region": "310104"},
     422, "data.weight_g"),
    ("inspect", "ITEM", {"result": "pass", "lab_report_sha256": "xyz"}, 422, "data.lab_report_sha256"),
    ("recall", "ITEM", {"reason": "x"}, 422, "expected a batch key"),
])  # fmt: skip
def test_bad_typed_event(client, cast, kind, key, data, status, words):
    story = Story(client, cast, n=31)
    keys = {"ITEM": story.item("B1"), "BATCH": story.batch, "BATCH2": f"01/{G}/10/NEW"}
    key = keys.get(key, key)
    who = {"list": cast.merchant, "dispatch": cast.courier, "recall": cast.inspector}.get(kind, cast.producer)
    before = len(client.get(f"/v1/chains/{key}").json()["entries"]) if "check digit" not in words else 0
    r = post(client, who, key, kind, data)
    assert r.status_code == status, r.text
    body = r.json()
    assert words in body["detail"] and body["detail"].endswith("."), body
    assert body["field"] is not None
    if "check digit" not in words:
        assert len(client.get(f"/v1/chains/{key}").json()["entries"]) == before
