"""The lifecycle table, below HTTP: its one check, the README's tables, and capture obeying it.

The matrices below are written out by hand, state by state, as a reference
the table (suyuan.trace.events.lifecycle) is held to; then capture walks
real goods into every state on both engines and tries each event, so a
handler that stopped consulting the table, or a table that drifted from the
matrices, fails here with every failing case named.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from suyuan.errors import RuleViolation
from suyuan.trace.events import lifecycle, rules
from suyuan.trace.events.capture import capture
from suyuan.trace.events.lifecycle import BatchState, ItemState, ParcelState, PartyState
from suyuan.trace.events.payloads import EVENT_TYPES
from suyuan.trace.events.registration import register_batch, register_product
from suyuan.trace.goods.models import Batch, Item, Parcel
from suyuan.trace.parties.registry import create_party
from tests.api.world import BATCH, DISPATCH, PRODUCT, gtin, sscc, statement

REPO = Path(__file__).resolve().parents[3]
SALE = {"price": "88.00", "order": "c1:" + "ab" * 16}
DELIVERY = {"signed_by": "recipient", "region": "310104"}

# state -> what the event leaves the goods in, or the rule code it is refused with
ITEM_BY_SELLER = {  # events of the producer and the seller, on an item in each state
    "assign": {"registered": "registered", "listed": "listed", "sold": "already_sold",
               "dispatched": "already_sold", "delivered": "already_sold", "returned": "already_sold"},
    "list": {"registered": "listed", "listed": "listed", "sold": "already_sold",
             "dispatched": "already_sold", "delivered": "already_sold", "returned": "listed"},
    "sell": {"registered": "not_listed", "listed": "sold", "sold": "already_sold",
             "dispatched": "already_sold", "delivered": "already_sold", "returned": "not_listed"},
    "return": {"registered": "not_delivered", "listed": "not_delivered", "sold": "not_delivered",
               "dispatched": "not_delivered", "delivered": "returned", "returned": "not_delivered"},
    "pack": {"registered": "registered", "listed": "listed", "sold": "sold", "dispatched": "item_not_packable",
             "delivered": "item_not_packable", "returned": "item_not_packable"},
}  # fmt: skip
ITEM_BY_COURIER = {  # an item is handed to a courier when sold
    "dispatch": {"sold": "dispatched", "dispatched": "not_sold", "delivered": "not_sold"},
    "transit": {"sold": "not_dispatched", "dispatched": "dispatched", "delivered": "not_dispatched"},
    "deliver": {"sold": "not_dispatched", "dispatched": "delivered", "delivered": "not_dispatched"},
}
PARCEL = {
    "pack": {"open": "open", "dispatched": "parcel_closed", "delivered": "parcel_closed"},
    "unpack": {"open": "open", "dispatched": "parcel_closed", "delivered": "delivered"},
    "dispatch": {"open": "dispatched", "dispatched": "parcel_closed", "delivered": "parcel_closed"},
    "transit": {"open": "not_dispatched", "dispatched": "dispatched", "delivered": "not_dispatched"},
    "deliver": {"open": "not_dispatched", "dispatched": "delivered", "delivered": "not_dispatched"},
}
BATCH_EVENTS = {
    "recall": {"active": "recalled", "recalled": "already_recalled"},
    "recall_lifted": {"active": "not_recalled", "recalled": "active"},
}
STATES = {"item": ItemState, "parcel": ParcelState, "batch": BatchState, "party": PartyState}


def _table_says(event: str, kind: str, state: str) -> str:
    """What the lifecycle table answers for `event` on `kind` goods in `state`: a state or a rule code."""
    try:
        new = lifecycle.check(event, kind, state, "K")
    except RuleViolation as exc:
        return exc.rule
    return str(new)


@pytest.mark.parametrize("kind, matrix", [("item", ITEM_BY_SELLER), ("item", ITEM_BY_COURIER),
                                          ("parcel", PARCEL), ("batch", BATCH_EVENTS)])
def test_the_table_matches_the_reference_matrices(kind, matrix):
    cases = [(event, state, want) for event, row in matrix.items() for state, want in row.items()]
    failed = [f"{event} on a {state} {kind}: table says {got}, expected {want}"
              for event, state, want in cases if (got := _table_says(event, kind, state)) != want]
    assert not failed, f"{len(failed)} of {len(cases)} failed:\n" + "\n".join(failed)


def test_check_answers_the_new_state_or_the_state_it_found():
    assert lifecycle.check("sell", "item", "listed", "K") is ItemState.SOLD
    assert lifecycle.check("assign", "item", ItemState.LISTED, "K") is ItemState.LISTED  # unchanged
    assert lifecycle.check("register", "item", None, "K") is ItemState.REGISTERED
    assert lifecycle.check("pack", "parcel", None, "K") is ParcelState.OPEN  # a new SSCC opens a parcel
    assert lifecycle.check("recall", "batch", BatchState.ACTIVE, "K") is BatchState.RECALLED


def test_refusals_name_the_goods_their_state_and_what_was_expected():
    with pytest.raises(RuleViolation) as exc:
        lifecycle.check("list", "item", "sold", "01/X/21/S1")
    assert (exc.value.rule, exc.value.field) == ("already_sold", "key")
    assert str(exc.value) == "Item 01/X/21/S1 is sold: expected registered, listed or returned to list it."
    with pytest.raises(RuleViolation) as exc:
        lifecycle.check("sell", "item", "delivered", "01/X/21/S1")
    assert exc.value.rule == "already_sold" and str(exc.value) == (
        "Item 01/X/21/S1 is already sold (state delivered): a serial is sold once.")
    with pytest.raises(RuleViolation) as exc:
        lifecycle.check("pack", "item", "returned", "01/X/21/S1", "data.items.2")
    assert (exc.value.rule, exc.value.field) == ("item_not_packable", "data.items.2")
    assert str(exc.value) == "Item 01/X/21/S1 is returned: expected registered, listed or sold to pack it."
    with pytest.raises(RuleViolation) as exc:
        lifecycle.check("deliver", "parcel", "open", "00/P")
    assert str(exc.value) == "Parcel 00/P is open: expected dispatched before delivery."
    with pytest.raises(RuleViolation, match="already registered") as exc:
        lifecycle.check("register", "item", "sold", "01/X/21/S1")
    assert exc.value.rule == "already_registered"
    with pytest.raises(ValueError):
        lifecycle.check("list", "item", "lost", "01/X/21/S1")  # not a state: a bug, not a refusal


def test_the_table_speaks_of_real_event_types_states_and_rule_codes():
    for t in lifecycle.TRANSITIONS:
        assert t.event in EVENT_TYPES, t
        states = STATES[t.kind]
        assert all(s is None or s in states for s in (*t.allowed, t.new)), t
        assert t.rule in rules.RULES and all(r.rule in rules.RULES for r in t.refusals), t
    assert rules.RULES["item_not_packable"].formerly == "parcel_closed"
    assert rules.RULES["not_delivered"].formerly == "not_dispatched"
    assert rules.RULES["not_in_parcel"].formerly == "not_registered"


def _codes_raised_in_source() -> dict[str, str]:
    """Every rule code the package raises, with where: RuleViolation(rule=...), require(.., .., code)
    and the lifecycle table's codes."""
    found: dict[str, str] = {}
    for path in sorted((REPO / "suyuan").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # A code may be named by a module constant (USCC_RULE = "uscc_registered").
        constants = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                     and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
                     for t in n.targets if isinstance(t, ast.Name)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            args = []
            if name in ("RuleViolation", "Forbidden", "Conflict"):
                args = [k.value for k in node.keywords if k.arg == "rule"]
            elif name == "require" and len(node.args) >= 3:
                args = [node.args[2]]
            for arg in args:
                value = constants.get(arg.id) if isinstance(arg, ast.Name) else getattr(arg, "value", None)
                if isinstance(value, str):
                    found.setdefault(value, f"{path.relative_to(REPO)}:{node.lineno}")
    for t in lifecycle.TRANSITIONS:
        for code in (t.rule, *(r.rule for r in t.refusals)):
            found.setdefault(code, "suyuan/trace/events/lifecycle.py")
    return found


def test_every_rule_code_raised_is_documented_and_every_documented_one_is_raised():
    raised = _codes_raised_in_source()
    undocumented = {code: where for code, where in raised.items() if code not in rules.RULES}
    assert not undocumented, f"rule codes raised but not in rules.RULES: {undocumented}"
    assert set(rules.RULES) == set(raised), f"in rules.RULES but never raised: {set(rules.RULES) - set(raised)}"


# --- the README's tables, against the data ----------------------------------------------------


def _readme_table(header: str) -> list[tuple[str, ...]]:
    """The rows of the README table whose header row is `header`."""
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index(header)
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append(tuple(cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]))
    return rows


def _compare(readme: list[tuple[str, ...]], data: list[tuple[str, ...]]) -> list[str]:
    problems = [f"README lacks: {' | '.join(row)}" for row in data if row not in readme]
    problems += [f"README has, the data does not: {' | '.join(row)}" for row in readme if row not in data]
    if not problems and readme != data:
        problems.append("README rows are in another order than the data's")
    return problems


def test_the_readme_lifecycle_table_is_the_lifecycle():
    readme = _readme_table("| event | goods checked | allowed from | leaves it | refused with |")
    problems = _compare(readme, lifecycle.table_rows())
    assert not problems, "README lifecycle table differs (regenerate with lifecycle.markdown_table()):\n" + \
        "\n".join(problems)


def test_the_readme_rules_table_is_rules_RULES():
    readme = _readme_table("| rule | status | refused when |")
    problems = _compare(readme, rules.rules_table_rows())
    assert not problems, "README rules table differs (regenerate with rules.markdown_table()):\n" + \
        "\n".join(problems)


# --- capture obeys the table, on both engines -----------------------------------------------------


class World:
    """A product and a batch, and goods walked through capture into any state."""

    def __init__(self, engine, settings):  # noqa: ANN001
        self.engine, self.settings = engine, settings
        self.producer = create_party(engine, name="生产者 测试有限公司", roles=["producer"])[0]
        self.merchant = create_party(engine, name="商家 测试有限公司", roles=["merchant"])[0]
        self.courier = create_party(engine, name="快递 测试有限公司", roles=["courier"])[0]
        self.inspector = create_party(engine, name="市场监管 测试", roles=["inspector"])[0]
        self.gtin, self.serials, self.parcels = gtin(81), 0, 0
        register_product(engine, settings, self.producer, self.gtin, PRODUCT)
        self.batch = f"01/{self.gtin}/10/L1"
        register_batch(engine, settings, self.producer, self.gtin, "L1", BATCH)

    def do(self, party, key: str, event: str, data: dict | None = None):  # noqa: ANN001, ANN201
        return capture(self.engine, self.settings, statement(key, event, data), party=party)

    def item(self, state: str) -> str:
        """A fresh item, walked into `state`."""
        self.serials += 1
        key = f"{self.batch}/21/W{self.serials}"
        self.do(self.producer, key, "register", {"seller": self.merchant.id})
        path = ["listed", "sold", "dispatched", "delivered", "returned"]
        steps = {"listed": (self.merchant, "list", {"price": "88.00"}),
                 "sold": (self.merchant, "sell", SALE | {"courier": self.courier.id}),
                 "dispatched": (self.courier, "dispatch", DISPATCH),
                 "delivered": (self.courier, "deliver", DELIVERY),
                 "returned": (self.merchant, "return", {})}
        for step in path[:path.index(state) + 1] if state != "registered" else []:
            party, event, data = steps[step]
            self.do(party, key, event, data)
        return key

    def parcel(self, state: str) -> str:
        """A fresh parcel holding one sold item, walked into `state`."""
        self.parcels += 1
        key = f"00/{sscc(self.parcels)}"
        self.do(self.merchant, key, "pack", {"items": [self.item("sold")], "courier": self.courier.id})
        if state in ("dispatched", "delivered"):
            self.do(self.courier, key, "dispatch", DISPATCH)
        if state == "delivered":
            self.do(self.courier, key, "deliver", DELIVERY)
        return key

    def state(self, table, key: str) -> str:  # noqa: ANN001
        with self.engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.key == key)).one()
        return str(lifecycle.batch_state(row)) if table is Batch.__table__ else row.state


def _attempt(world: World, what: str, state: str, want: str, act, table, key: str) -> str | None:  # noqa: ANN001
    """Run `act`; None if it did what the matrix says, else what went wrong."""
    try:
        act()
    except RuleViolation as exc:
        return None if exc.rule == want else f"{what} on {state}: refused {exc.rule}, expected {want}"
    got = world.state(table, key)
    return None if got == want else f"{what} on {state}: left it {got}, expected {want}"


def test_capture_follows_the_lifecycle_for_items(engine, settings):
    w = World(engine, settings)
    items = Item.__table__
    by = {"assign": (w.producer, {"seller": w.merchant.id}), "list": (w.merchant, {"price": "88.00"}),
          "sell": (w.merchant, SALE), "return": (w.merchant, {}), "dispatch": (w.courier, DISPATCH),
          "transit": (w.courier, {"hub": "上海转运中心", "region": "310000"}), "deliver": (w.courier, DELIVERY)}
    failed, cases = [], 0
    for event, row in (ITEM_BY_SELLER | ITEM_BY_COURIER).items():
        for state, want in row.items():
            cases += 1
            key = w.item(state)
            if event == "pack":
                def act(key=key):  # noqa: ANN202
                    w.do(w.merchant, f"00/{sscc(900 + cases)}", "pack", {"items": [key]})
            else:
                def act(key=key, event=event):  # noqa: ANN202
                    party, data = by[event]
                    w.do(party, key, event, data)
            failed.append(_attempt(w, event, state, want, act, items, key))
    failed = [f for f in failed if f]
    assert not failed, f"{len(failed)} of {cases} failed:\n" + "\n".join(failed)


def test_capture_follows_the_lifecycle_for_parcels_and_batches(engine, settings):
    w = World(engine, settings)
    data = {"pack": lambda: {"items": [w.item("listed")]}, "unpack": lambda: {}, "dispatch": lambda: DISPATCH,
            "transit": lambda: {"hub": "上海转运中心", "region": "310000"}, "deliver": lambda: DELIVERY}
    failed, cases = [], 0
    for event, row in PARCEL.items():
        for state, want in row.items():
            cases += 1
            key = w.parcel(state)
            party = w.merchant if event in ("pack", "unpack") else w.courier
            failed.append(_attempt(w, event, state, want, lambda: w.do(party, key, event, data[event]()),
                                   Parcel.__table__, key))
    for event, row in BATCH_EVENTS.items():
        for state, want in row.items():
            cases += 1
            if w.state(Batch.__table__, w.batch) != state:
                w.do(w.inspector, w.batch, "recall" if state == "recalled" else "recall_lifted", {"reason": "x"})
            failed.append(_attempt(w, event, state, want, lambda: w.do(w.inspector, w.batch, event, {"reason": "x"}),
                                   Batch.__table__, w.batch))
    failed = [f for f in failed if f]
    assert not failed, f"{len(failed)} of {cases} failed:\n" + "\n".join(failed)


def test_rules_beside_the_table_have_codes_of_their_own(engine, settings):
    w = World(engine, settings)
    parcel = w.parcel("open")
    stranger = w.item("sold")
    with pytest.raises(RuleViolation) as exc:
        w.do(w.merchant, parcel, "unpack", {"items": [stranger]})
    assert (exc.value.rule, exc.value.field) == ("not_in_parcel", "data.items.0")
    assert f"Item {stranger} is not in parcel {parcel}: expected one of its 1 items." == str(exc.value)
    with pytest.raises(RuleViolation) as exc:
        w.do(w.merchant, w.item("sold"), "return", {})
    assert exc.value.rule == "not_delivered" and "expected delivered before a return" in str(exc.value)
