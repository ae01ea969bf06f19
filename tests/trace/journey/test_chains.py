"""Which chains make an item's journey: the pure rule, then the journey read from a real ledger on both engines.

The public page, the verdict and bundle, and the traces take the journey
from `suyuan.trace.journey.chains`; these tests pin the rule itself (the
"only while packed" windows, decided by seq) below the HTTP tests.
"""

from __future__ import annotations

import pytest

from suyuan.errors import InputError, NotFound
from suyuan.ledger.ledger import Ledger
from suyuan.trace.events.capture import capture
from suyuan.trace.goods.registry import key_ref
from suyuan.trace.journey.chains import JourneyChain, item_journey, journey_chains, packed_chain
from suyuan.trace.journey.evidence import build_bundle, verify_item
from suyuan.trace.journey.public import public_record
from suyuan.trace.journey.tracing import trace_backward, trace_forward
from suyuan.trace.parties.registry import create_party
from suyuan.runtime import open_ledger
from tests.api.world import BATCH, DISPATCH, PRODUCT, at, gtin, sscc, statement

A, B = "01/06901234567892/10/L1/21/A", "01/06901234567892/10/L1/21/B"
P = "00/069012340000000017"


def pack(*items: str, time: str = "2026-11-20T08:00:00Z") -> dict:
    return {"type": "pack", "time": time, "data": {"items": list(items)}}


def unpack(*items: str, time: str = "2026-11-20T08:00:00Z") -> dict:
    return {"type": "unpack", "time": time, "data": {"items": list(items)} if items else {}}


def move(kind: str = "dispatch") -> dict:
    return {"type": kind, "time": "2026-11-20T08:00:00Z", "data": {}}


def seqs(chain: JourneyChain, n: int) -> list[int]:
    return [s for s in range(n) if chain.includes(s)]


# --- the rule, pure ----------------------------------------------------------------------


def test_a_parcel_is_on_the_journey_from_the_pack_that_put_the_item_in_to_the_unpack_that_took_it_out():
    chain = packed_chain(A, P, enumerate([move("transit"), pack(A), move(), move("transit"), unpack(A), move()]))
    assert chain.windows == ((1, 4),)
    assert seqs(chain, 6) == [1, 2, 3, 4]
    assert chain.public() == {"role": "parcel", "key": P, "while_packed": [[1, 4]]}


def test_other_items_packing_inside_the_window_is_not_this_items_journey():
    entries = [pack(A), pack(B), move(), unpack(B), unpack()]  # the last unpack empties the parcel
    a, b = packed_chain(A, P, enumerate(entries)), packed_chain(B, P, enumerate(entries))
    assert (a.windows, a.others) == (((0, 4),), frozenset({1, 3}))
    assert seqs(a, 5) == [0, 2, 4]
    assert (b.windows, seqs(b, 5)) == (((1, 3),), [1, 2, 3])


def test_an_item_packed_twice_in_one_parcel_has_two_windows_and_the_last_stays_open():
    entries = [pack(A), move("transit"), unpack(A), pack(B), move("transit"), pack(A), move()]
    chain = packed_chain(A, P, enumerate(entries))
    assert chain.windows == ((0, 2), (5, None))
    assert seqs(chain, 8) == [0, 1, 2, 5, 6, 7]  # still packed: whatever the parcel does next


def test_windows_follow_chain_order_not_event_time():
    # An offline scanner stamped the unpack before the pack: the seq order still decides.
    entries = [(1, unpack(A, time="2020-01-01T00:00:00Z")), (0, pack(A, time="2026-11-20T08:00:00Z"))]
    assert packed_chain(A, P, entries).windows == ((0, 1),)


def test_packing_that_never_names_the_item_gives_no_window():
    entries = [pack(B), unpack(), move(), {"type": "pack", "data": {"items": "A"}}, {"type": "pack"}]
    chain = packed_chain(A, P, enumerate(entries))
    assert chain.windows == () and seqs(chain, 5) == []


def test_an_items_journey_is_its_chain_its_batch_its_product_and_its_parcels_in_packing_order():
    p2 = "00/069012340000000024"
    journey = item_journey(A, gtin="06901234567892", batch_key="01/06901234567892/10/L1", parcels=[P, p2, P],
                           packing=[(p2, 0, pack(A)), (P, 0, pack(A)), (P, 1, unpack(A)), ("01/x", 0, pack(A))])
    assert [(c.role, c.key) for c in journey.chains] == [
        ("item", A), ("batch", "01/06901234567892/10/L1"), ("product", "01/06901234567892"), ("parcel", P),
        ("parcel", p2)]
    assert journey.includes(A, 7) and journey.includes("01/06901234567892", 0)
    assert journey.includes(P, 1) and not journey.includes(P, 2) and journey.includes(p2, 9)
    assert not journey.includes("00/069012340000000031", 0), "a chain outside the journey"
    lotless = item_journey("01/06901234567892/21/S", gtin="06901234567892", batch_key=None, parcels=[])
    assert [c.role for c in lotless.chains] == ["item", "product"]


# --- the journey of a real ledger, on both engines --------------------------------------------


@pytest.fixture
def ledger(settings):
    opened = open_ledger(settings)
    yield opened
    opened.engine.dispose()


class World:
    """One product and batch, items sold with a courier, a parcel: written through capture."""

    def __init__(self, ledger: Ledger, settings):  # noqa: ANN001
        self.ledger, self.settings, engine = ledger, settings, ledger.engine
        self.producer = create_party(engine, name="连云港海鲜有限公司", roles=["producer"])[0]
        self.merchant = create_party(engine, name="海州湾商贸有限公司", roles=["merchant"])[0]
        self.courier = create_party(engine, name="顺路快递有限公司", roles=["courier"])[0]
        self.inspector = create_party(engine, name="连云港市场监管局", roles=["inspector"])[0]
        self.gtin = gtin(71)
        self.batch = f"01/{self.gtin}/10/L1"
        self.put(self.producer, f"01/{self.gtin}", "register", PRODUCT)
        self.put(self.producer, self.batch, "register", BATCH)

    def put(self, party, key: str, kind: str, data: dict | None = None, minutes: float = 0):  # noqa: ANN001
        return capture(self.ledger.engine, self.settings, statement(key, kind, data, time=at(minutes)), party=party)

    def sold(self, serial: str) -> str:
        key = f"{self.batch}/21/{serial}"
        self.put(self.producer, key, "register", {"seller": self.merchant.id})
        self.put(self.merchant, key, "list", {"price": "88.00"})
        self.put(self.merchant, key, "sell", {"price": "88.00", "order": "c1:" + "ab" * 16,
                                              "courier": self.courier.id})
        return key


@pytest.fixture
def world(ledger, settings):
    return World(ledger, settings)


def packed_world(world: World) -> tuple[str, str, str, str, str]:
    """`a` rides along from the first pack; `b` is packed and unpacked before dispatch, then into `p2`."""
    a, b = world.sold("A"), world.sold("B")
    p1, p2 = f"00/{sscc(71)}", f"00/{sscc(72)}"
    world.put(world.merchant, p1, "pack", {"items": [a], "courier": world.courier.id}, minutes=-50)  # p1#0
    world.put(world.merchant, p1, "pack", {"items": [b]}, minutes=-40)  # p1#1
    world.put(world.merchant, p1, "unpack", {"items": [b]}, minutes=-30)  # p1#2
    world.put(world.courier, p1, "dispatch", DISPATCH, minutes=-20)  # p1#3
    world.put(world.courier, p1, "transit", {"hub": "上海转运中心", "region": "310112"}, minutes=-10)  # p1#4
    world.put(world.merchant, p2, "pack", {"items": [b], "courier": world.courier.id}, minutes=-5)  # p2#0
    return a, b, p1, p2, world.batch


def test_journey_chains_reads_the_packed_windows_of_a_real_ledger(world):
    a, b, p1, p2, batch = packed_world(world)
    with world.ledger.engine.connect() as conn:
        ja, jb = journey_chains(conn, a), journey_chains(conn, b)
    assert [(c.role, c.key, c.windows) for c in ja.chains] == [
        ("item", a, None), ("batch", batch, None), ("product", f"01/{world.gtin}", None), ("parcel", p1, ((0, None),))]
    assert ja.chain(p1).others == {1, 2}
    assert [(c.key, c.windows) for c in jb.chains if c.role == "parcel"] == [(p1, ((1, 2),)), (p2, ((0, None),))]


def test_the_public_record_verdict_bundle_and_traces_share_one_journey(world):
    a, b, p1, p2, batch = packed_world(world)
    world.put(world.inspector, batch, "inspect", {"result": "pass"})
    world.ledger.integrate()
    engine = world.ledger.engine
    with engine.connect() as conn:
        journeys = {k: journey_chains(conn, k) for k in (a, b)}
    for key, journey in journeys.items():
        rec = public_record(engine, key_ref(key))
        shown = [(e.key, e.seq) for e in rec.events]
        assert sorted(shown) == sorted((k, s) for k, s in shown if journey.includes(k, s))
        assert {(e.key, e.seq) for e in rec.events if e.level == "parcel"} == {
            (c.key, e.seq) for c in journey.chains if c.role == "parcel"
            for e in world.ledger.chain(c.key) if c.includes(e.seq)}
        verdict = verify_item(world.ledger, key)
        assert verdict["verdict"] == "ok"
        assert [(c["role"], c["key"], c["while_packed"]) for c in verdict["chains"]] == [
            (c.role, c.key, c.public()["while_packed"]) for c in journey.chains]
        bundle = build_bundle(world.ledger, key, wait=0)
        assert [(c.role, c.key) for c in bundle.chains] == [(c.role, c.key) for c in journey.chains]
        assert [i["key"] for i in trace_backward(engine, key)["inspections"]] == [batch]
    # `a` never saw b's pack and unpack; `b` left p1 before its dispatch and transit.
    rec_a, rec_b = (public_record(engine, key_ref(k)) for k in (a, b))
    assert [(e.key, e.type) for e in rec_a.events if e.level == "parcel"] == [
        (p1, "pack"), (p1, "dispatch"), (p1, "transit")]
    assert [(e.key, e.type) for e in rec_b.events if e.level == "parcel"] == [
        (p1, "pack"), (p1, "unpack"), (p2, "pack")]
    forward = {i["key"]: i["parcels"] for i in trace_forward(engine, batch)["items"]}
    assert forward == {a: [p1], b: [p1, p2]}
    assert verify_item(world.ledger, b)["chains"][3]["while_packed"] == [[1, 2]]


def test_journey_chains_refuses_other_keys_and_unregistered_items(world):
    with world.ledger.engine.connect() as conn:
        with pytest.raises(InputError, match="expected an item key like .*, got a batch key"):
            journey_chains(conn, world.batch)
        with pytest.raises(NotFound, match="No item is registered under"):
            journey_chains(conn, f"{world.batch}/21/NOPE")
