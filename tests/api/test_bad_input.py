"""Bad input to POST /v1/events: 4xx with a one-sentence reason, nothing written, never 500."""

from __future__ import annotations

import pytest

from tests.api.world import PRODUCT
from tests.ledger.helpers import gtin, statement

G = gtin(1)


def _good():
    return statement(f"01/{G}/21/SN1", "inspect", result="pass")


@pytest.fixture
def producer(client, cast):
    """The producer of 01/G/21/SN1, so that only the bad part of each case is wrong."""
    for key, data in ((f"01/{G}", PRODUCT), (f"01/{G}/21/SN1", {})):
        r = client.post("/v1/events", json={"statement": statement(key, "register", **data)},
                        headers=cast.producer.headers)
        assert r.status_code == 201, r.text
    return cast.producer


CASES = [
    ("malformed JSON", b'{"statement": {', 422, "Malformed JSON"),
    ("not an object", b"[]", 422, "Invalid"),
    ("unknown top field", {"statement": "GOOD", "extra": 1}, 422, "Unknown field 'extra'"),
    ("unknown statement field", {"statement": {"GOOD": 1, "colour": "red"}}, 422, "Unknown field 'statement.colour'"),
    ("missing key", {"statement": {"GOOD": 1, "-key": 1}}, 422, "Missing field 'statement.key'"),
    ("float", {"statement": {"GOOD": 1, "data": {"w": 1.5}}}, 422, "float 1.5"),
    ("NaN", b'{"statement": {"key": "01/%s/21/SN1", "type": "inspect", "time": "2026-11-27T08:00:00Z", "data": {"result": NaN}, "id": "3f2b8c1e-0d6a-4e4b-9a53-2a0f1c9d7e10"}}' % G.encode(), 422, "float nan"),
    ("huge int", {"statement": {"GOOD": 1, "data": {"w": 2**62}}}, 422, "decimal strings"),
    ("key not GS1", {"statement": {"GOOD": 1, "key": "hello"}}, 422, "Invalid key"),
    ("bad GTIN check", {"statement": {"GOOD": 1, "key": f"01/{G[:-1]}{(int(G[-1]) + 1) % 10}/21/S"}}, 422, "check digit"),
    ("bad SSCC check", {"statement": {"GOOD": 1, "key": "00/069012340000000010"}}, 422, "SSCC check digit"),
    ("serial before lot", {"statement": {"GOOD": 1, "key": f"01/{G}/21/S/10/L"}}, 422, "qualifiers"),
    ("serial too long", {"statement": {"GOOD": 1, "key": f"01/{G}/21/{'A' * 21}"}}, 422, "1 to 20"),
    ("key is a number", {"statement": {"GOOD": 1, "key": 123}}, 422, "statement.key"),
    ("bad time", {"statement": {"GOOD": 1, "time": "27/11/2026"}}, 422, "RFC 3339"),
    ("bad id", {"statement": {"GOOD": 1, "id": "1"}}, 422, "UUID"),
    ("bad type", {"statement": {"GOOD": 1, "type": "DROP TABLE"}}, 422, "Invalid type"),
    ("data not object", {"statement": {"GOOD": 1, "data": "x"}}, 422, "statement.data"),
    ("too big", {"statement": {"GOOD": 1, "data": {"t": "x" * 70000}}}, 413, "too large"),
]


def _body(spec):
    if isinstance(spec, bytes):
        return spec
    import json

    st = spec["statement"]
    if isinstance(st, dict) and "GOOD" in st:
        good = _good()
        st = {**good, **{k: v for k, v in st.items() if k not in ("GOOD", "-key")}}
        if "-key" in spec["statement"]:
            del st["key"]
    elif st == "GOOD":
        st = _good()
    return json.dumps({**spec, "statement": st}).encode()


@pytest.mark.parametrize("name, spec, status, words", CASES, ids=[c[0] for c in CASES])
def test_bad_event_is_refused_and_nothing_written(client, producer, name, spec, status, words):
    r = client.post("/v1/events", content=_body(spec),
                    headers={"content-type": "application/json", **producer.headers})
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    assert words in detail and detail.endswith("."), detail
    assert len(client.get(f"/v1/chains/01/{G}/21/SN1").json()["entries"]) == 1  # only its registration


def test_streamed_body_over_the_limit_is_refused(client):
    def chunks():
        for _ in range(100):
            yield b"x" * 1000

    r = client.post("/v1/events", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
