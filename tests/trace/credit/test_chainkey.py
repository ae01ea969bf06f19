"""A party's own chain key: its GLN, or a derived restricted-circulation GLN, unique and fixed."""

from __future__ import annotations

import pytest
from stdnum import ean

from suyuan.errors import InputError
from suyuan.trace.credit import chainkey
from suyuan.trace.credit.marks import ensure_party
from suyuan.trace.parties.registry import create_party

GLN = "690123400001" + ean.calc_check_digit("690123400001")


def test_a_derived_gln_is_in_the_restricted_range_with_a_gs1_check_digit():
    for n in range(200):
        gln = chainkey.derived_gln(f"party-{n}")
        assert len(gln) == 13 and gln.startswith("02") and ean.is_valid(gln)
    assert chainkey.derived_gln("p") == chainkey.derived_gln("p") != chainkey.derived_gln("p", 1)


def test_party_keys_are_checked():
    assert chainkey.check_party_key("417/" + chainkey.derived_gln("x")) == chainkey.derived_gln("x")
    bad = chainkey.derived_gln("x")[:-1] + str((int(chainkey.derived_gln("x")[-1]) + 1) % 10)
    with pytest.raises(InputError, match="check digit"):
        chainkey.check_party_key("417/" + bad)
    with pytest.raises(InputError, match="417/<GLN-13>"):
        chainkey.check_party_key("414/123")


def test_a_registered_gln_names_the_chain_and_suyuans_range_is_refused(engine, settings):
    party, _ = create_party(engine, name="连云港海州湾水产有限公司", roles=["producer"], gln=GLN)
    with engine.begin() as conn:
        assert ensure_party(conn, settings, party.id) == "417/" + GLN
        assert chainkey.party_of_key(conn, "417/" + GLN) == party.id
    with pytest.raises(InputError) as refused:
        create_party(engine, name="x", roles=["producer"], gln="0212345678903")
    assert refused.value.field == "gln"
    with pytest.raises(InputError, match="check digit"):
        create_party(engine, name="x", roles=["producer"], gln=GLN[:-1] + str((int(GLN[-1]) + 1) % 10))


def test_a_taken_derived_key_moves_on_to_the_next_attempt(engine, settings):
    a, _ = create_party(engine, name="a", roles=["merchant"])
    b, _ = create_party(engine, name="b", roles=["merchant"])
    with engine.begin() as conn:
        key_a = ensure_party(conn, settings, a.id)
        # b's first candidate is taken (as if two parties' hashes collided): b gets its second.
        conn.execute(chainkey.credit_parties_t.update().where(chainkey.credit_parties_t.c.party_id == a.id)
                     .values(chain_key="417/" + chainkey.derived_gln(b.id)))
        key_b = ensure_party(conn, settings, b.id)
        assert key_b == "417/" + chainkey.derived_gln(b.id, 1)
        assert ensure_party(conn, settings, b.id) == key_b  # fixed from the first credit event
    assert key_a == "417/" + chainkey.derived_gln(a.id)
