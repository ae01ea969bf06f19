"""The service layer on both engines: rules read state, and a refusal leaves no trace."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from suyuan.errors import Forbidden, InputError, RuleViolation
from suyuan.ledger.models import Entry
from suyuan.trace.events import registration
from suyuan.trace.events.capture import capture, capture_many
from suyuan.trace.events.payloads import EVENT_TYPES, bizstep
from suyuan.trace.goods.models import Item, Product
from suyuan.trace.parties.registry import check_uscc, create_party
from tests.api.world import BATCH, PRODUCT, gtin, statement


def count(engine, table):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


@pytest.fixture
def producer(engine):
    return create_party(engine, name="东海水晶有限公司", roles=["producer"])[0]


def test_uscc_check_character():
    assert check_uscc("91110000600037341L") == "91110000600037341L"
    with pytest.raises(InputError, match="expected L, got 0"):
        check_uscc("911100006000373410")


def test_every_event_type_has_a_payload_and_bizstep_where_cbv_has_one():
    assert bizstep("sell", {}) == "retail_selling" and bizstep("dispatch", {}) == "shipping"
    assert bizstep("transit", {"action": "depart"}) == "departing" and bizstep("transit", {}) == "arriving"
    assert bizstep("inspect", {"sampling": True}) == "sampling" and bizstep("review", {}) is None
    assert {"register", "list", "sell", "pack", "unpack", "dispatch", "transit", "deliver", "review",
            "complain", "return", "inspect", "recall", "recall_lifted"} <= set(EVENT_TYPES)


def test_a_refused_event_changes_neither_ledger_nor_state(engine, settings, producer):
    registration.register_product(engine, settings, producer, gtin(61), PRODUCT)
    registration.register_batch(engine, settings, producer, gtin(61), "L1", BATCH)
    entries, items = count(engine, Entry.__table__), count(engine, Item.__table__)
    sts = [statement(f"01/{gtin(61)}/10/L1/21/A{i}", "register") for i in range(3)]
    sts.append(statement(f"01/{gtin(61)}/10/L1/21/A0", "register"))  # registered twice in one batch
    results = capture_many(engine, settings, [(s, None) for s in sts], party=producer, mode="atomic")
    assert isinstance(results[3].error, RuleViolation) and results[3].error.rule == "already_registered"
    assert all(r.skipped for r in results[:3])
    assert (count(engine, Entry.__table__), count(engine, Item.__table__)) == (entries, items)


def test_serialise_is_one_transaction(engine, settings, producer):
    registration.register_product(engine, settings, producer, gtin(62), PRODUCT)
    keys = registration.serialise(engine, settings, producer, gtin(62), 200)
    assert len(set(keys)) == 200 and count(engine, Item.__table__) == 200
    other = create_party(engine, name="别人", roles=["producer"])[0]
    with pytest.raises(Forbidden):
        registration.serialise(engine, settings, other, gtin(62), 5)
    assert count(engine, Item.__table__) == 200


def test_retry_after_state_changed_returns_the_original(engine, settings, producer):
    st = statement(f"01/{gtin(63)}", "register", PRODUCT)
    first = capture(engine, settings, st, party=producer)
    again = capture(engine, settings, st, party=producer)  # the rule would now refuse it
    assert first.created and not again.created and again.hash == first.hash
    assert count(engine, Product.__table__) == 1


def test_capture_fills_the_actor(engine, settings, producer):
    st = statement(f"01/{gtin(64)}", "register", PRODUCT)
    done = capture(engine, settings, st, party=producer, now=datetime.now(timezone.utc))
    assert b'"actor":"' + producer.id.encode() in done.appended.entry
