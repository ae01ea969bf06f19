"""HTTP: findings for inspectors — the list and its paging, one with its evidence, the decision on the ledger.

Findings are made by the real detectors over goods walked through capture
(`Scene`); `weight_below_net` (a parcel declared far lighter than its goods)
is the finding used throughout. The background analysis is off here
(`create_app(..., integrate=False)`), so each test decides when analysis runs.
"""

from __future__ import annotations

import base64
import json
import uuid
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from suyuan.api.app import create_app
from suyuan.errors import InputError
from suyuan.ledger.verify.bundle import Bundle, verify_bundle
from suyuan.trace.credit.findings import record_finding
from suyuan.trace.credit.marks import ensure_party
from suyuan.trace.credit.models import CreditParty
from suyuan.trace.parties.registry import create_party
from tests.analytics.scene import Scene


class Keyed(SimpleNamespace):
    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def _keyed(engine, name: str, role: str) -> Keyed:  # noqa: ANN001
    party, key = create_party(engine, name=f"{name} 测试有限公司", roles=[role])
    return Keyed(id=party.id, key=key, party=party)


@pytest.fixture
def world(engine, settings):  # noqa: ANN001, ANN201
    with TestClient(create_app(settings, integrate=False)) as client:
        yield SimpleNamespace(client=client, scene=Scene(engine, settings), engine=engine,
                              ledger=client.app.state.ledger, inspector=_keyed(engine, "inspector", "inspector"),
                              admin=_keyed(engine, "admin", "admin"), other=_keyed(engine, "other", "merchant"))


def empty_parcel(scene: Scene, shop_name: str = "merchant", declared_g: int = 80) -> tuple[str, list[str]]:
    """A parcel of two 1.5 kg items sold by `shop_name`, dispatched declaring `declared_g`: (parcel, items)."""
    shop, courier = scene.merchant(shop_name), scene.courier()
    code = scene.product(net_weight_g=1500)
    scene.batch(code)
    items = scene.items(code, "L1", shop, 2)
    for item in items:
        scene.sell(shop, item, courier, minutes=0)
    return scene.ship(shop, courier, items, minutes=30, weight_g=declared_g), items


def ok(response, status: int = 200):  # noqa: ANN001, ANN201
    assert response.status_code == status, response.text
    return response.json()


def refused(response, status: int, field: str | None = None, rule: str | None = None) -> dict:  # noqa: ANN001
    assert response.status_code == status, response.text
    body = response.json()
    if field is not None:
        assert body["field"] == field, body
    if rule is not None:
        assert body.get("rule") == rule, body
    return body


def decide(world, finding_id: int, decision: str = "upheld", who=None, ident: str | None = None,  # noqa: ANN001
           **extra):  # noqa: ANN003, ANN201
    body = {"id": ident or str(uuid.uuid4()), "decision": decision, "reason": "称重记录与商品净重严重不符", **extra}
    return world.client.post(f"/v1/findings/{finding_id}/decision", json=body,
                             headers=(who or world.inspector).headers)


def the_finding(world) -> dict:  # noqa: ANN001
    (found,) = ok(world.client.get("/v1/findings", headers=world.inspector.headers))["findings"]
    return found


# --- reading ----------------------------------------------------------------------------------


def test_findings_list_filters_pages_forward_and_needs_an_inspector_or_admin(world):
    scene, c, h = world.scene, world.client, world.inspector.headers
    first, _ = empty_parcel(scene, "shop-a")
    second, _ = empty_parcel(scene, "shop-a", declared_g=100)
    third, third_items = empty_parcel(scene, "shop-b")
    assert len(scene.findings()) == 3
    every = ok(c.get("/v1/findings", headers=h))
    # One run stores its findings in no particular order; the list is in id order.
    assert every["next"] is None and {f["subject_keys"][0] for f in every["findings"]} == {first, second, third}
    ids = [f["id"] for f in every["findings"]]
    by_parcel = {f["subject_keys"][0]: f["id"] for f in every["findings"]}
    assert ids == sorted(ids) and all(f["status"] == "open" and f["decision"] is None for f in every["findings"])

    page = ok(c.get("/v1/findings", params={"limit": 2}, headers=h))
    assert [f["id"] for f in page["findings"]] == ids[:2] and page["next"] == ids[1]
    rest = ok(c.get("/v1/findings", params={"limit": 2, "after": page["next"]}, headers=h))
    assert [f["id"] for f in rest["findings"]] == ids[2:] and rest["next"] is None

    shop_a = scene.parties["shop-a"].id
    of_a = ok(c.get("/v1/findings", params={"party": shop_a}, headers=h))["findings"]
    assert [f["id"] for f in of_a] == sorted([by_parcel[first], by_parcel[second]])
    by_key = ok(c.get("/v1/findings", params={"key": third_items[1]}, headers=h))["findings"]
    assert [f["id"] for f in by_key] == [by_parcel[third]]
    both = {"type": "empty_parcel", "reason": "weight_below_net", "status": "open"}
    assert len(ok(c.get("/v1/findings", params=both, headers=h))["findings"]) == 3
    for params in ({"type": "brushing"}, {"reason": "waybill_reused"}, {"status": "upheld"}):
        assert ok(c.get("/v1/findings", params=params, headers=h)) == {"findings": [], "next": None}
    assert len(ok(c.get("/v1/findings", headers=world.admin.headers))["findings"]) == 3

    refused(c.get("/v1/findings", params={"limit": 1001}, headers=h), 422, "limit")
    refused(c.get("/v1/findings", params={"limit": 0}, headers=h), 422, "limit")
    refused(c.get("/v1/findings", params={"status": "maybe"}, headers=h), 422, "status")
    refused(c.get("/v1/findings"), 401)
    refused(c.get("/v1/findings", headers=world.other.headers), 403)
    refused(c.get(f"/v1/findings/{ids[0]}", headers=world.other.headers), 403)


def test_a_finding_shows_each_evidence_entry_with_links_that_answer_and_a_receipt(world):
    parcel, items = empty_parcel(world.scene)
    world.scene.findings()
    world.ledger.integrate(wait=True)
    c, h = world.client, world.inspector.headers
    found = ok(c.get(f"/v1/findings/{the_finding(world)['id']}", headers=h))
    assert (found["type"], found["reason"], found["subject_keys"]) == ("empty_parcel", "weight_below_net",
                                                                       [parcel, *items])
    entries = found["evidence_entries"]
    assert [e["hash"] for e in entries] == found["evidence"] and len(entries) == 2
    assert [(e["key"], e["type"]) for e in entries] == [(parcel, "pack"), (parcel, "dispatch")]
    for e in entries:
        assert e["found"] and e["log_index"] is not None and e["hash"][:12] in found["detail"]
        assert e["time"] and e["recorded"] and e["seq"] in (0, 1)
        entry = ok(c.get(e["links"]["entry"]))
        assert (entry["hash"], entry["key"], entry["seq"]) == (e["hash"], e["key"], e["seq"])
        assert entry["entry"]["statement"]["type"] == e["type"]
        receipt = c.get(e["links"]["receipt"])
        assert receipt.status_code == 200 and receipt.text.startswith("c2sp.org/tlog-proof@v1")
    refused(c.get("/v1/findings/999999", headers=h), 404)
    for bad in ("x", "0", str(2**63)):
        refused(c.get(f"/v1/findings/{bad}", headers=h), 422, "finding_id")


# --- deciding ---------------------------------------------------------------------------------


def _stored_score(engine, party_id: str) -> int | None:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(select(CreditParty.__table__.c.score)
                            .where(CreditParty.__table__.c.party_id == party_id)).scalar()


def test_upholding_records_the_decision_on_the_partys_chain_and_lowers_its_credit_at_once(world):
    empty_parcel(world.scene)
    world.scene.findings()
    c, shop = world.client, world.scene.parties["merchant"]
    finding = the_finding(world)
    before = ok(c.get(f"/v1/parties/{shop.id}/credit"))
    ident = str(uuid.uuid4())
    done = ok(decide(world, finding["id"], ident=ident), 201)
    after = ok(c.get(f"/v1/parties/{shop.id}/credit"))
    assert done["created"] and done["key"] == after["chain_key"] and done["key"].startswith("417/")
    assert after["score"] < before["score"] and _stored_score(world.engine, shop.id) == after["score"]
    assert any(e.get("finding") == finding["id"] for e in after["explanation"])

    decided = done["finding"]
    assert decided["status"] == "upheld" and decided["decision"]["by"] == world.inspector.id
    assert decided["decision"]["entry"] == done["hash"] and decided["decision"]["reason"] == "称重记录与商品净重严重不符"
    st = ok(c.get(f"/v1/events/{done['hash']}"))["entry"]["statement"]
    assert (st["type"], st["key"], st["actor"]) == ("finding_decided", done["key"], world.inspector.id)
    assert st["data"] == {"finding": finding["id"], "finding_type": "empty_parcel",
                          "finding_reason": "weight_below_net", "fingerprint": finding["fingerprint"],
                          "evidence": finding["evidence"], "decision": "upheld",
                          "reason": "称重记录与商品净重严重不符"}

    again = ok(decide(world, finding["id"], ident=ident), 200)  # the same request: the original entry
    assert (again["hash"], again["created"]) == (done["hash"], False)
    refused(decide(world, finding["id"], "dismissed"), 409, "data.finding", "finding_decided")
    assert ok(c.get("/v1/findings", params={"status": "upheld"}, headers=world.inspector.headers))["findings"]

    world.ledger.integrate(wait=True)
    bundle = ok(c.get(f"/v1/parties/{shop.id}/bundle"))
    result = verify_bundle(Bundle.from_json(json.dumps(bundle).encode()), world.ledger.verifier_key)
    assert result.problem is None
    kept = [json.loads(base64.b64decode(e["canonical"]))["statement"] for ch in bundle["chains"] for e in ch["entries"]]
    assert [st["type"] for st in kept] == ["finding_decided"] and kept[0]["data"]["finding"] == finding["id"]


def test_dismissing_leaves_the_credit_as_it_was_and_a_second_decision_is_refused(world):
    empty_parcel(world.scene)
    world.scene.findings()
    shop = world.scene.parties["merchant"]
    finding = the_finding(world)
    before = ok(world.client.get(f"/v1/parties/{shop.id}/credit"))["score"]
    done = ok(decide(world, finding["id"], "dismissed"), 201)
    assert done["finding"]["status"] == "dismissed" and done["finding"]["decision"]["entry"] == done["hash"]
    assert ok(world.client.get(f"/v1/parties/{shop.id}/credit"))["score"] == before
    refused(decide(world, finding["id"], "upheld"), 409, "data.finding", "finding_decided")
    world.scene.findings()  # found again: a decided finding stays as decided
    assert the_finding(world)["status"] == "dismissed"


def test_bad_decisions_are_refused_naming_the_field_and_record_nothing(world):
    empty_parcel(world.scene)
    world.scene.findings()
    fid = the_finding(world)["id"]
    refused(decide(world, fid, "maybe"), 422, "decision")
    refused(decide(world, fid, reason=""), 422, "reason")
    refused(decide(world, fid, reason="x" * 501), 422, "reason")
    refused(decide(world, fid, severity="high"), 422, "severity")
    refused(decide(world, fid, ident="not-a-uuid"), 422, "id")
    refused(decide(world, 999999), 404)
    refused(decide(world, fid, who=world.other), 403)
    refused(decide(world, 999999, who=world.other), 403)
    refused(decide(world, fid, who=world.admin), 403)  # admins read findings; inspectors decide
    refused(world.client.post(f"/v1/findings/{fid}/decision", json={"decision": "upheld", "reason": "r",
                                                                     "id": str(uuid.uuid4())}), 401)
    assert the_finding(world)["status"] == "open"


def test_a_decision_through_the_events_api_must_repeat_the_finding_and_go_on_its_chain(world):
    parcel, _ = empty_parcel(world.scene)
    world.scene.findings()
    finding, scene = the_finding(world), world.scene
    with world.engine.begin() as conn:  # the chain key is fixed at the party's first credit event
        shop_key = ensure_party(conn, scene.settings, scene.parties["merchant"].id)
    data = {"finding": finding["id"], "finding_type": "empty_parcel", "finding_reason": "weight_below_net",
            "fingerprint": finding["fingerprint"], "evidence": finding["evidence"], "decision": "upheld",
            "reason": "r"}
    for wrong, field in (({"fingerprint": "0" * 64}, "data.fingerprint"), ({"evidence": []}, "data.evidence"),
                         ({"finding_reason": "nothing_packed"}, "data.finding_reason")):
        with pytest.raises(InputError) as exc:
            scene.put(scene.inspector, shop_key, "finding_decided", data | wrong, minutes=60)
        assert exc.value.field == field
    with pytest.raises(InputError) as exc:
        scene.put(scene.inspector, parcel, "finding_decided", data, minutes=60)  # not the party's chain
    assert exc.value.field == "key"
    assert the_finding(world)["status"] == "open"
    scene.put(scene.inspector, shop_key, "finding_decided", data, minutes=60)
    assert the_finding(world)["status"] == "upheld"


def test_a_finding_about_goods_alone_is_decided_on_its_first_key(world):
    scene = world.scene
    code = scene.product()
    scene.batch(code)
    (item,) = scene.items(code, "L1", scene.merchant())
    register = ok(world.client.get(f"/v1/chains/{item}"))["entries"][0]["hash"]
    with world.engine.begin() as conn:
        fid = record_finding(conn, type="cloned_code", reason="too_many_checks", score=700, subject_party=None,
                             subject_keys=[item], evidence=[register])
    done = ok(decide(world, fid), 201)
    assert done["key"] == item and done["finding"]["status"] == "upheld" and done["finding"]["subject_party"] is None
    chain = ok(world.client.get(f"/v1/chains/{item}"))["entries"]
    assert chain[-1]["hash"] == done["hash"] and chain[-1]["entry"]["statement"]["type"] == "finding_decided"
    never = item.replace("/21/S", "/21/X")  # a serial checked by consumers but never registered
    with world.engine.begin() as conn:
        fid = record_finding(conn, type="cloned_code", reason="unregistered_serial", score=900, subject_party=None,
                             subject_keys=[never], evidence=[register])
    done = ok(decide(world, fid, "dismissed"), 201)
    assert done["key"] == never and done["seq"] == 0 and done["finding"]["status"] == "dismissed"
