"""Input that once answered 500 (issue 14, fuzzed with an admin key): now a 4xx naming the problem.

Each case is one the fuzzer found or one of its kind: a USCC another party
holds, integers beyond what a database column holds, and the safety net that
turns any database constraint a request breaks into a 409 instead of a 500.
"""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from sqlalchemy import insert

from suyuan.trace.parties.models import Party

USCC = "91350100M000100Y43"
TOO_BIG = str(2**64)  # past a signed 64-bit column, and past an unsigned one


@pytest.fixture
def two_parties(client, cast):
    a = client.post("/v1/parties", json={"name": "甲公司", "roles": ["merchant"], "uscc": USCC},
                    headers=cast.admin.headers)
    b = client.post("/v1/parties", json={"name": "乙公司", "roles": ["merchant"]}, headers=cast.admin.headers)
    assert a.status_code == b.status_code == 201, (a.text, b.text)
    return a.json(), b.json()


def test_patching_in_a_uscc_another_party_holds_is_409_and_writes_nothing(client, cast, two_parties):
    a, b = two_parties
    r = client.patch(f"/v1/parties/{b['id']}", json={"uscc": USCC, "name": "乙公司改名"},
                     headers=cast.admin.headers)
    assert r.status_code == 409, r.text
    assert r.json()["rule"] == "uscc_registered" and r.json()["field"] == "uscc"
    assert a["id"] in r.json()["detail"]
    after = client.get(f"/v1/parties/{b['id']}").json()
    assert after["uscc"] is None and after["name"] == "乙公司"  # nothing written, not even the name


def test_a_party_may_keep_its_own_uscc(client, cast, two_parties):
    a, _ = two_parties
    r = client.patch(f"/v1/parties/{a['id']}", json={"uscc": USCC, "name": "甲公司新名"}, headers=cast.admin.headers)
    assert r.status_code == 200 and r.json()["name"] == "甲公司新名"


def test_registering_a_taken_uscc_is_409_with_the_rule(client, cast, two_parties):
    r = client.post("/v1/parties", json={"name": "丙公司", "roles": ["merchant"], "uscc": USCC},
                    headers=cast.admin.headers)
    assert r.status_code == 409 and r.json()["rule"] == "uscc_registered"


@pytest.mark.parametrize("query", [f"first=1&second={TOO_BIG}", f"first={TOO_BIG}&second={TOO_BIG}1",
                                   "first=-5&second=1", "first=1&second=1e3"])
def test_consistency_sizes_beyond_64_bits_are_422(client, query):
    r = client.get(f"/v1/log/consistency?{query}")
    assert r.status_code == 422, r.text
    assert r.json()["field"] in ("first", "second")


@pytest.mark.parametrize("path", [f"/v1/flags?after={TOO_BIG}", f"/v1/chains/01/06901234567892?after={TOO_BIG}"])
def test_paging_after_beyond_64_bits_is_422(client, cast, path):
    r = client.get(path, headers=cast.inspector.headers)
    assert r.status_code == 422 and r.json()["field"] == "after", r.text


@pytest.mark.parametrize("path", ["/log/tile/0/x018/x446/x744/x073/x709/x551/615",
                                  "/log/tile/entries/x018/x446/x744/x073/x709/x551/615",
                                  "/log/tile/entries/x036/x028/x797/x018/x963/x967/x580/807"])
def test_tiles_past_any_stored_index_are_404(client, ledger, path):
    ledger.integrate()
    r = client.get(path)
    assert r.status_code in (404, 422), r.text  # a valid path of a tile that cannot exist, or an invalid one


@pytest.mark.parametrize("after", [10**30, 1e400, -1, True, "7"])
def test_epcis_page_tokens_out_of_range_are_400(client, cast, after):
    raw = json.dumps({"after": after}).encode()
    token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    r = client.get(f"/epcis/events?nextPageToken={token}", headers=cast.inspector.headers)
    assert r.status_code == 400 and r.json()["field"] == "nextPageToken", r.text


def test_any_broken_constraint_is_409_not_500(client, ledger, two_parties):
    """The safety net: a write that races past the checks gets the database's refusal as a 409."""

    def duplicate_uscc():
        with ledger.engine.begin() as conn:
            conn.execute(insert(Party.__table__).values(id=str(uuid.uuid4()), kind="organisation", name="x",
                                                        uscc=USCC, roles="merchant", status="active", licences=[]))

    client.app.add_api_route("/test/duplicate", duplicate_uscc, methods=["POST"])
    r = client.post("/test/duplicate")
    assert r.status_code == 409, r.text
    assert r.json()["rule"] == "already_recorded" and "uscc" in r.json()["detail"]
