"""Concurrent captures of one item: exactly one sale wins, the rest are refused, never a 500."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from suyuan.errors import Conflict, RuleViolation
from suyuan.trace.events import registration
from suyuan.trace.events.capture import capture
from suyuan.trace.parties.registry import create_party
from tests.api.world import BATCH, PRODUCT, gtin, statement


def test_one_sale_wins(engine, settings):
    producer = create_party(engine, name="p", roles=["producer"])[0]
    merchant = create_party(engine, name="m", roles=["merchant"])[0]
    g = gtin(71)
    registration.register_product(engine, settings, producer, g, PRODUCT)
    registration.register_batch(engine, settings, producer, g, "L", BATCH)
    [key] = registration.serialise(engine, settings, producer, g, 1, lot="L", seller=merchant.id)
    capture(engine, settings, statement(key, "list", {"price": "1"}), party=merchant)

    def sell(_):
        st = statement(key, "sell", {"price": "1", "order": "c1:" + uuid.uuid4().hex})
        try:
            return capture(engine, settings, st, party=merchant).created
        except RuleViolation as exc:
            return exc.rule

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(sell, range(8)))
    assert outcomes.count(True) == 1 and outcomes.count("already_sold") == 7


def test_concurrent_registrations_of_one_product(engine, settings):
    producer = create_party(engine, name="p", roles=["producer"])[0]

    def register(_):
        try:
            return capture(engine, settings, statement(f"01/{gtin(72)}", "register", PRODUCT), party=producer).created
        except (RuleViolation, Conflict) as exc:
            return type(exc).__name__

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(register, range(6)))
    assert outcomes.count(True) == 1 and all(o in (True, "RuleViolation", "Conflict") for o in outcomes)
