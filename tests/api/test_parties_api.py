"""HTTP: the admin registers, updates and suspends parties; API keys are shown once."""

from __future__ import annotations

from suyuan.trace.parties.registry import bootstrap_admin
from tests.api.world import PRODUCT, gtin, ok, post

USCC = "91110000600037341L"  # valid check character L


def test_admin_registers_a_party_whose_key_works_once_shown(client, ledger):
    admin_party, admin_key = bootstrap_admin(ledger.engine)
    auth = {"Authorization": f"Bearer {admin_key}"}
    body = ok(client.post("/v1/parties", headers=auth, json={
        "name": "连云港海鲜有限公司", "roles": ["producer"], "uscc": USCC,
        "licences": [{"type": "food_business", "number": "JY13207000000001",
                      "valid_from": "2025-01-01", "valid_to": "2030-01-01"}]}))
    assert body["api_key"].startswith("sy_") and body["roles"] == ["producer"] and body["status"] == "active"
    me = ok(client.get("/v1/parties/me", headers={"Authorization": f"Bearer {body['api_key']}"}), 200)
    assert me["id"] == body["id"] and "api_key" not in me
    public = ok(client.get(f"/v1/parties/{body['id']}"), 200)  # licences are public, keys never
    assert public["licences"][0]["number"] == "JY13207000000001" and "api_key" not in public
    assert [p["id"] for p in ok(client.get("/v1/parties?role=producer"), 200)["parties"]] == [body["id"]]
    assert admin_party.roles == ("admin",)


def test_bootstrap_admin_only_once(ledger):
    assert bootstrap_admin(ledger.engine) is not None
    assert bootstrap_admin(ledger.engine) is None


def test_bad_uscc_names_the_expected_check_character(client, cast):
    r = client.post("/v1/parties", headers=cast.admin.headers,
                    json={"name": "某公司", "roles": ["producer"], "uscc": USCC[:-1] + "M"})
    assert r.status_code == 422 and r.json()["field"] == "uscc"
    assert "expected L, got M" in r.json()["detail"]
    r = client.post("/v1/parties", headers=cast.admin.headers,
                    json={"name": "某公司", "roles": ["producer"], "uscc": "123"})
    assert r.status_code == 422 and "18 characters" in r.json()["detail"]


def test_only_admins_manage_parties(client, cast):
    body = {"name": "x", "roles": ["producer"]}
    assert client.post("/v1/parties", json=body).status_code == 401
    r = client.post("/v1/parties", json=body, headers=cast.producer.headers)
    assert r.status_code == 403 and "expected admin" in r.json()["detail"]
    r = client.patch(f"/v1/parties/{cast.producer.id}", json={"roles": ["admin"]}, headers=cast.producer.headers)
    assert r.status_code == 403


def test_bad_party_input(client, cast):
    for body, words in [
        ({"name": "x", "roles": ["wizard"]}, "roles"),
        ({"name": "x", "roles": []}, "roles"),
        ({"name": "", "roles": ["producer"]}, "name"),
        ({"name": "x", "roles": ["producer"], "licences": [{"type": "f", "number": "1", "valid_to": "soon"}]},
         "licences.0"),
        ({"name": "x", "roles": ["producer"], "kind": "individual", "uscc": USCC}, "individual"),
    ]:
        r = client.post("/v1/parties", json=body, headers=cast.admin.headers)
        assert r.status_code == 422 and words in r.text, r.text


def test_suspended_party_cannot_write_until_reactivated(client, cast):
    r = client.patch(f"/v1/parties/{cast.producer.id}", json={"status": "suspended"}, headers=cast.admin.headers)
    assert ok(r, 200)["status"] == "suspended"
    r = post(client, cast.producer, f"01/{gtin(1)}", "register", PRODUCT)
    assert r.status_code == 403 and "suspended" in r.json()["detail"]
    assert client.get(f"/v1/chains/01/{gtin(1)}").json()["entries"] == []
    client.patch(f"/v1/parties/{cast.producer.id}", json={"status": "active"}, headers=cast.admin.headers)
    ok(post(client, cast.producer, f"01/{gtin(1)}", "register", PRODUCT))


def test_rotating_an_api_key_revokes_the_old_one(client, cast):
    r = client.post(f"/v1/parties/{cast.producer.id}/api-keys?revoke_others=true", headers=cast.producer.headers)
    new = ok(r)["api_key"]
    assert client.get("/v1/parties/me", headers=cast.producer.headers).status_code == 401
    assert client.get("/v1/parties/me", headers={"Authorization": f"Bearer {new}"}).status_code == 200
    r = client.post(f"/v1/parties/{cast.merchant.id}/api-keys", headers={"Authorization": f"Bearer {new}"})
    assert r.status_code == 403


def test_a_gln_another_party_holds_answers_409(client, cast):
    body = {"name": "甲 测试有限公司", "roles": ["producer"], "gln": "6901234000009"}
    assert client.post("/v1/parties", json=body, headers=cast.admin.headers).status_code == 201
    r = client.post("/v1/parties", json=body | {"name": "乙 测试有限公司"}, headers=cast.admin.headers)
    assert r.status_code == 409 and "GLN 6901234000009 is already registered" in r.json()["detail"]
