"""`suyuan demo`, run as a user runs it, on each engine: the story, its idempotence, and its privacy.

Issue 3 acceptance: "A test scans the canonical bytes of every entry the demo
writes and finds no name, phone number, ID number or address from the vault."
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections import Counter

import pytest
from sqlalchemy import func, select
from stdnum.cn import ric

from suyuan.config import Settings
from suyuan.demo.cast import CAST
from suyuan.demo.seeding import KEYS_FILE
from suyuan.ledger.models import Entry
from suyuan.trace.goods.models import Batch
from suyuan.trace.events.models import Flag
from suyuan.trace.parties.registry import authenticate
from suyuan.trace.privacy.vault import Vault, people_t, vault_master_key

EVENT_TYPES = ("register", "inspect", "list", "sell", "pack", "dispatch", "transit", "deliver",
               "review", "complain", "return", "recall")
SUSPICIOUS_FLAGS = {"weight_below_contents", "delivery_too_fast", "serial_far_apart"}


@pytest.fixture
def env(db_url, tmp_path):
    e = {k: v for k, v in os.environ.items() if not k.startswith("SUYUAN_")}
    return e | {"SUYUAN_DATA_DIR": str(tmp_path / "data"), "SUYUAN_DATABASE_URL": db_url}


def suyuan(env, *args: str) -> str:
    r = subprocess.run([sys.executable, "-m", "suyuan.cli", *args], env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout


def _entries(engine) -> list[tuple[str, str, bytes]]:  # noqa: ANN001
    with engine.connect() as conn:
        rows = conn.execute(select(Entry.key, Entry.type, Entry.canonical).order_by(Entry.id)).all()
    return [(k, t, bytes(c)) for k, t, c in rows]


def _api_keys(out: str) -> list[str]:
    return re.findall(r"api key (sy_\S+)", out)


def test_demo_tells_the_story_once_and_reruns_as_a_no_op(env, engine, tmp_path):
    out = suyuan(env, "demo")
    entries = _entries(engine)
    counts = Counter(t for _, t, _ in entries)
    assert 300 <= len(entries) <= 1000, counts
    missing = [t for t in EVENT_TYPES if not counts[t]]
    assert not missing, f"no {missing} events in {dict(counts)}"
    # a realistic funnel: registered >= listed >= sold >= dispatched >= delivered >= reviewed
    items = counts["register"] - 3 - 4  # three products, four batches
    assert items >= counts["list"] >= counts["sell"] >= counts["deliver"] >= counts["review"] > 0
    assert counts["transit"] >= counts["deliver"]
    assert counts["recall"] == 1
    assert f"{len(entries)} new events (0 already there); log tree size {len(entries)}" in out

    with engine.connect() as conn:
        flags = conn.execute(select(Flag.code, Flag.key)).all()
        recalled = conn.execute(select(Batch.key).where(Batch.recalled.is_(True))).scalars().all()
        people = conn.execute(select(func.count()).select_from(people_t)).scalar()
        # every printed key is a working API key of the demo party printed beside it
        keys = _api_keys(out)
        assert len(keys) == len(CAST)
        for member, key in zip(CAST, keys):
            party = authenticate(conn, key)
            assert (party.name, party.roles) == (member.name, tuple(sorted(member.roles)))
    # one suspicious dispatch, and only that item is flagged
    assert {code for code, _ in flags} == SUSPICIOUS_FLAGS
    assert len({key for _, key in flags}) == 1
    assert len(recalled) == 1 and any(k == recalled[0] and t == "recall" for k, t, _ in entries)
    assert "DEMO DATA ONLY" in out
    inspector_key = keys[[m.role for m in CAST].index("inspector")]
    assert f"Bearer {inspector_key}' http://127.0.0.1:8000/v1/flags" in out
    assert f"/v1/chains/{recalled[0]}\n" in out
    keys_file = tmp_path / "data" / KEYS_FILE
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    assert set(json.loads(keys_file.read_text())["api_keys"].values()) == set(keys)

    again = suyuan(env, "demo")
    assert f"0 new events ({len(entries)} already there); log tree size {len(entries)}" in again
    assert _entries(engine) == entries
    assert _api_keys(again) == keys  # reprinted from the keys file, not reissued
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Flag)).scalar() == len(flags)
        assert conn.execute(select(func.count()).select_from(people_t)).scalar() == people
    assert suyuan(env, "audit").startswith(f"audit ok: {len(entries)} entries")


def _forms(value: str) -> set[str]:
    """The ways a value could sit in JCS bytes: raw UTF-8, JSON-escaped, ASCII-escaped, without spaces."""
    forms = {value, json.dumps(value, ensure_ascii=False)[1:-1], json.dumps(value)[1:-1]}
    forms |= {f.replace(" ", "") for f in forms}
    if value.isdigit():  # a phone: also with a country code or split into groups
        forms |= {f"+86{value}", f"{value[:3]}-{value[3:7]}-{value[7:]}", f"{value[:3]} {value[3:7]} {value[7:]}"}
    return forms


def test_no_entry_holds_personal_data_from_the_vault(env, engine, tmp_path, db_url):
    suyuan(env, "demo")
    vault = Vault(engine, vault_master_key(Settings(data_dir=tmp_path / "data", database_url=db_url)))
    with engine.begin() as conn:
        rows = conn.execute(select(people_t.c.id, people_t.c.kind)).all()
        people = [vault.read_person(conn, r.id, reader="tests/test_demo.py", purpose="privacy scan")
                  for r in rows]
    assert {r.kind for r in rows} == {"consumer", "recipient"}
    values = {(name, v) for p in people for name, v in p.items()}
    by_field = Counter(name for name, _ in values)
    assert by_field["name"] >= 20 and by_field["phone"] >= 20 and by_field["address"] >= 20, by_field

    entries = _entries(engine)
    assert len(entries) >= 300
    needles = [(name, value, form.encode()) for name, value in values for form in _forms(value)]
    # the scan would see a leak in any of those forms
    leaked = json.dumps({"data": {"note": people[0]["name"]}}).encode()
    assert any(n in leaked for _, _, n in needles)
    hits = [(key, kind, name, value) for key, kind, raw in entries
            for name, value, needle in needles if needle in raw]
    assert not hits, f"{len(hits)} personal values in entries, first: {hits[:3]}"

    # nor anything shaped like a mobile number or a resident ID number (the vault holds none)
    mobile = re.compile(r"(?<![0-9A-Za-z])1[3-9][0-9]{9}(?![0-9A-Za-z])")
    id_number = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9X](?![0-9A-Za-z])")
    for key, kind, raw in entries:
        text = raw.decode()
        assert not mobile.search(text), (key, kind)
        assert not [m for m in id_number.findall(text) if ric.is_valid(m)], (key, kind)
