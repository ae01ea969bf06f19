"""The generic `epcis` event below HTTP, on both engines: any GS1 key, no state, only the goods' parties.

An EPCIS event with no typed counterpart is recorded whole on each EPC's chain
(suyuan.trace.events.handlers.epcis). It must be as verifiable as any entry
(canonical bytes, a chain link, a leaf of the log), change no state of goods,
and on goods suyuan tracks be recorded only by their parties or an inspector.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from suyuan.errors import Forbidden, InputError, Unauthorized
from suyuan.ledger.ledger import Ledger
from suyuan.ledger.verify.entry import ParsedEntry
from suyuan.runtime import open_ledger
from suyuan.trace.events import lifecycle
from suyuan.trace.events.capture import capture
from suyuan.trace.events.payloads import EVENT_TYPES
from suyuan.trace.events.registration import register_batch, register_product
from suyuan.trace.goods.models import Item
from suyuan.trace.parties.registry import create_party
from tests.api.world import BATCH, PRODUCT, gtin

KEPT = {"event": {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "storing"},
        "epcs": [["epcList", 0, "urn:epc:id:giai:4000001.111"]], "sizes": {"epcList": 1}}


def _statement(key: str, data: dict | None = None) -> dict:
    return {"key": key, "type": "epcis", "time": "2026-11-30T09:00:00+08:00", "data": data or KEPT,
            "id": str(uuid.uuid4())}


@pytest.fixture
def world(engine, settings):  # noqa: ANN001, ANN201
    parties = {role: create_party(engine, name=f"{role} 测试有限公司", roles=[role])[0]
               for role in ("producer", "merchant", "platform", "courier", "inspector", "admin")}
    product = gtin(71)
    register_product(engine, settings, parties["producer"], product, PRODUCT)
    register_batch(engine, settings, parties["producer"], product, "L1", BATCH)
    return parties, product


def test_any_gs1_key_names_a_chain_and_the_entry_verifies(engine, settings, world):
    parties, _ = world
    ledger: Ledger = open_ledger(settings)
    keys = ["8004/4000001111", "414/0614141073467/254/1234", "8003/040123450022561", "417/9520001111112",
            "01/10614141073464/21/2017", "00/106141412345678908", "01/04012345123456/10/998877"]
    for key in keys:
        done = capture(engine, settings, _statement(key), party=parties["platform"])
        assert done.created and done.appended.seq == 0
    ledger.integrate()
    for key in keys:
        (stored,) = ledger.chain(key)
        parsed = ParsedEntry.from_bytes(stored.canonical)  # canonical, and the hash is its leaf hash
        assert parsed.statement["data"] == KEPT and stored.log_index is not None
    ledger.engine.dispose()


@pytest.mark.parametrize("key, message", [
    ("414/0614141073468", "Invalid GLN check digit for '0614141073468': expected 7, got 8"),
    ("8004/4000001111/99", "expected /AI/value pairs after the primary key"),
    ("8004/400000111%41", "written as '8004/400000111A'"),
    ("party/42", "Invalid key 'party/42'"),
    ("", "got an empty value"),
])
def test_a_key_that_is_no_gs1_key_is_refused(engine, settings, world, key, message):
    with pytest.raises(InputError, match=message) as exc:
        capture(engine, settings, _statement(key), party=world[0]["platform"])
    assert exc.value.field == "key"


def test_the_payload_is_closed_and_takes_no_floats(engine, settings, world):
    platform = world[0]["platform"]
    with pytest.raises(InputError, match="Unknown field 'data.extra' for epcis") as exc:
        capture(engine, settings, _statement("8004/4000001111", KEPT | {"extra": 1}), party=platform)
    assert exc.value.field == "data.extra"
    with pytest.raises(InputError, match="Missing field 'data.sizes' for epcis"):
        capture(engine, settings, _statement("8004/4000001111", {"event": {}}), party=platform)
    with pytest.raises(InputError, match="got the float 26.5"):
        capture(engine, settings, _statement("8004/4000001111", KEPT | {"event": {"value": 26.5}}), party=platform)


def test_roles_are_parties_not_admins_or_consumers(engine, settings, world):
    parties, _ = world
    assert EVENT_TYPES["epcis"].roles == ("producer", "merchant", "platform", "courier", "inspector")
    with pytest.raises(Forbidden, match="Role not allowed to epcis"):
        capture(engine, settings, _statement("8004/4000001111"), party=parties["admin"])
    with pytest.raises(Unauthorized):
        capture(engine, settings, _statement("8004/4000001111"), review_token="rv_x")


def test_on_tracked_goods_only_their_parties_or_an_inspector(engine, settings, world):
    parties, product = world
    item = f"01/{product}/10/L1/21/S1"
    capture(engine, settings, {"key": item, "type": "register", "time": "2026-11-30T08:00:00+08:00",
                               "data": {"seller": parties["merchant"].id}, "id": str(uuid.uuid4())},
            party=parties["producer"])
    for key in (item, f"01/{product}/10/L1", f"01/{product}", f"01/{product}/21/UNREGISTERED"):
        with pytest.raises(Forbidden, match="Not your goods") as exc:
            capture(engine, settings, _statement(key), party=parties["platform"])
        assert parties["producer"].id in str(exc.value) and exc.value.field == "key"
        capture(engine, settings, _statement(key), party=parties["inspector"])
        capture(engine, settings, _statement(key), party=parties["producer"])
    capture(engine, settings, _statement(item), party=parties["merchant"])  # the item's seller
    capture(engine, settings, _statement(f"01/{gtin(72)}/21/S1"), party=parties["platform"])  # not tracked here


def test_it_checks_and_changes_no_state(engine, settings, world):
    parties, product = world
    item = f"01/{product}/10/L1/21/S2"
    capture(engine, settings, {"key": item, "type": "register", "time": "2026-11-30T08:00:00+08:00",
                               "data": {}, "id": str(uuid.uuid4())}, party=parties["producer"])
    with engine.connect() as conn:
        before = conn.execute(select(Item.__table__).where(Item.key == item)).one()._asdict()
    capture(engine, settings, _statement(item), party=parties["producer"])
    with engine.connect() as conn:
        after = conn.execute(select(Item.__table__).where(Item.key == item)).one()._asdict()
    assert before == after
    assert "epcis" in lifecycle.STATELESS
    assert ("`epcis`", "any", "any, (none)", "—", "never") in lifecycle.table_rows()


def test_a_retry_answers_the_original_and_another_statement_under_its_id_is_refused(engine, settings, world):
    platform = world[0]["platform"]
    statement = _statement("8004/4000001112")
    first = capture(engine, settings, statement, party=platform)
    again = capture(engine, settings, statement, party=platform)
    assert (first.created, again.created, again.hash) == (True, False, first.hash)
    from suyuan.errors import Conflict

    with pytest.raises(Conflict):
        capture(engine, settings, statement | {"data": KEPT | {"sizes": {"epcList": 2}}}, party=platform)
