"""`people.store_many`: many buyers or recipients in one transaction, with the checks `store` makes."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from suyuan.errors import Forbidden, InputError
from suyuan.trace.parties.registry import create_party
from suyuan.trace.privacy import people
from suyuan.trace.privacy.people import links_t
from suyuan.trace.privacy.vault import Vault, people_t

ALICE = {"name": "张三丰", "phone": "13912345678", "address": "浙江省杭州市西湖区文三路 477 号"}
BOB = {"name": "李四", "phone": "021-66668888", "address": "上海市徐汇区漕溪北路 88 号"}


def _count(engine, table) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_store_many_stores_each_person_with_the_storer_as_party_of_their_orders(engine):
    vault = Vault(engine, os.urandom(32))
    courier, _ = create_party(engine, name="批量 快递", roles=["courier"])
    stored = people.store_many(engine, vault, courier, [ALICE, BOB], "recipient")
    assert [s["kind"] for s in stored] == ["recipient", "recipient"]
    assert len({s["commitment"] for s in stored}) == 2
    for s, fields in zip(stored, (ALICE, BOB)):
        read = people.read(engine, vault, courier, s["commitment"], "delivery")
        assert (read["name"], read["phone"], read["parties"]) == (fields["name"], fields["phone"], [courier.id])
    with engine.connect() as conn:
        reasons = conn.execute(select(links_t.c.reason)).scalars().all()
    assert reasons == ["creator", "creator"]


def test_store_many_stores_nobody_when_one_record_is_malformed(engine):
    vault = Vault(engine, os.urandom(32))
    shop, _ = create_party(engine, name="批量 商家", roles=["merchant"])
    with pytest.raises(InputError, match="person 1"):
        people.store_many(engine, vault, shop, [ALICE, {"name": "王五", "phone": "not a phone"}], "consumer")
    assert _count(engine, people_t) == 0 and _count(engine, links_t) == 0


def test_store_many_needs_a_writer_role(engine):
    vault = Vault(engine, os.urandom(32))
    producer, _ = create_party(engine, name="批量 生产者", roles=["producer"])
    with pytest.raises(Forbidden, match="store a person"):
        people.store_many(engine, vault, producer, [ALICE], "consumer")
    assert _count(engine, people_t) == 0
