"""How `suyuan demo` writes its story: the cast's parties and keys, steps, idempotent re-runs.

A story is a `Plan` of `Step`s in story order, each captured by the party
responsible for it (`capture_in`, the same rules as the API). Running it again
changes nothing: a step's statement id is UUIDv5 of a fixed label, and a step
whose id is already recorded is skipped, so values that are random on first
writing (item serials, vault commitments, review tokens) are never re-derived.
Demo parties are found again by name. Their API keys are stored hashed, so the
first run writes them to `<data_dir>/demo-keys.json` (mode 0600) and later runs
print them from there; a demo party with no key in that file (a fresh data dir
over an old database) gets a fresh key.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import secrets
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Engine, select
from stdnum import ean
from stdnum.cn import uscc as stdnum_uscc

from suyuan.config import Settings
from suyuan.ledger.models import Entry
from suyuan.timestamps import format_time
from suyuan.trace.events.capture import capture_in
from suyuan.trace.events.registration import statement
from suyuan.trace.parties.registry import PartyView, create_party, issue_api_key, list_parties
from suyuan.trace.privacy import people
from suyuan.trace.privacy.vault import Vault, vault_master_key

DEMO_NS = uuid.UUID("6b1f4a52-9c1e-4f57-8a43-5e2f0d4b7a10")
KEYS_FILE = "demo-keys.json"
KEYS_FILE_MODE = 0o600
CHUNK = 100  # steps per transaction
entries_t = Entry.__table__


# --- codes and stand-ins -------------------------------------------------------------------


def gtin14(body12: str) -> str:
    """GTIN-14 (indicator 0) of an EAN-13 with company prefix 690-699, from its first 12 digits."""
    assert body12[:2] == "69", body12
    return "0" + body12 + ean.calc_check_digit(body12)


def sscc18(serial: int) -> str:
    """SSCC-18: extension digit 3, GS1 company prefix 6901234, serial reference, check digit."""
    body = f"36901234{serial:09d}"
    return body + ean.calc_check_digit(body)


def uscc(body17: str) -> str:
    """A Unified Social Credit Code with its GB 32100-2015 check character."""
    return stdnum_uscc.validate(body17 + stdnum_uscc.calc_check_digit(body17))


def sha(label: str) -> str:
    """A stand-in file hash (certificate, lab report): SHA-256 of a label."""
    return hashlib.sha256(f"suyuan demo|{label}".encode()).hexdigest()


def order_commitment(order: str) -> str:
    """A commitment to the platform's order reference: a salted hash, the salt kept by the platform.

    The demo keeps no platform back office, so the salt is simply forgotten.
    """
    reference = f"SY{uuid.uuid5(DEMO_NS, order).int % 10**12:012d}"
    return "sha256:" + hashlib.sha256(secrets.token_bytes(16) + reference.encode()).hexdigest()


# --- the cast: parties found again by name, their API keys in the keys file ----------------


@dataclass(frozen=True)
class CastMember:
    role: str  # the name the story uses: producer_sea, platform, courier_a, ...
    name: str
    roles: tuple[str, ...]
    uscc: str
    licences: tuple[dict[str, Any], ...] = ()


@dataclass
class Cast:
    parties: dict[str, PartyView]
    api_keys: dict[str, str]  # by story role

    def __getattr__(self, role: str) -> PartyView:
        try:
            return self.__dict__["parties"][role]
        except KeyError:
            raise AttributeError(role) from None


def _read_keys_file(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def _write_keys_file(path: Path, content: dict[str, Any]) -> None:
    """Write the demo's secrets with mode 0600 from the start (never world-readable, even briefly)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEYS_FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        os.fchmod(f.fileno(), KEYS_FILE_MODE)
        json.dump(content, f, ensure_ascii=False, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def ensure_cast(engine: Engine, settings: Settings, members: tuple[CastMember, ...]) -> Cast:
    """Find the demo parties by name (creating missing ones) and their demo API keys."""
    path = settings.data_dir / KEYS_FILE
    stored = _read_keys_file(path)
    keys_by_party: dict[str, str] = dict(stored.get("api_keys", {}))
    existing = {p.name: p for p in list_parties(engine)}
    parties: dict[str, PartyView] = {}
    api_keys: dict[str, str] = {}
    for member in members:
        party = existing.get(member.name)
        if party is None:
            party, key = create_party(engine, name=member.name, roles=member.roles, uscc=member.uscc,
                                      licences=member.licences)
            keys_by_party[party.id] = key
        elif party.id not in keys_by_party:
            keys_by_party[party.id] = issue_api_key(engine, party.id)
        parties[member.role] = party
        api_keys[member.role] = keys_by_party[party.id]
    stored["note"] = "suyuan demo data only: API keys of invented demo parties on this machine"
    stored["api_keys"] = {p.id: api_keys[role] for role, p in parties.items()}
    _write_keys_file(path, stored)
    return Cast(parties, api_keys)


# --- the plan: steps in story order ---------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A buyer or recipient the step names: stored once per label by `storer`, named by commitment."""

    field: str  # data field that holds the commitment
    kind: str  # vault kind: consumer | recipient
    fields: dict[str, str]
    label: str
    storer: PartyView  # the seller stores its buyer, the courier its recipient (suyuan.trace.privacy.people)


@dataclass
class Step:
    label: str  # fixed per step: the statement id is UUIDv5 of it
    key: str
    type: str
    when: datetime
    party: PartyView | None  # None: a consumer with the review token of `token_of`
    data: dict[str, Any]
    person: Person | None = None  # named in data by its vault commitment
    token_of: str | None = None
    order: int = 0

    @property
    def id(self) -> str:
        return str(uuid.uuid5(DEMO_NS, self.label))

    def statement(self) -> dict[str, Any]:
        if self.party is None:
            return {"key": self.key, "type": self.type, "time": format_time(self.when), "actor": None,
                    "data": self.data, "id": self.id}
        return statement(self.key, self.type, self.party, self.data, self.when, ident=self.id)


@dataclass(frozen=True)
class Lot:
    name: str  # label prefix
    gtin: str
    lot: str
    producer: str  # story role
    count: int
    serial_prefix: str


@dataclass
class Plan:
    cast: Cast
    start: datetime  # day 0, 00:00 of the story
    item_keys: dict[str, list[str]]  # by lot name
    steps: list[Step] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(20261118))
    waybills: int = 0

    def at(self, day: float, hour: float = 0) -> datetime:
        return self.start + timedelta(days=day, hours=hour)

    def add(self, label: str, key: str, kind: str, when: datetime, party: PartyView | None,
            data: dict[str, Any], **extra: Any) -> Step:
        step = Step(label, key, kind, when, party, data, order=len(self.steps), **extra)
        self.steps.append(step)
        return step

    def waybill(self, prefix: str) -> str:
        """A fresh waybill number of a courier whose numbers start with `prefix`."""
        self.waybills += 1
        return f"{prefix}78{self.rng.randint(10**7, 10**8 - 1)}{self.waybills:03d}"



# --- running the plan -------------------------------------------------------------------------


def recorded(engine: Engine, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The recorded statements of these statement ids."""
    found: dict[str, dict[str, Any]] = {}
    with engine.connect() as conn:
        for i in range(0, len(ids), 500):
            rows = conn.execute(select(entries_t.c.statement_id, entries_t.c.canonical)
                                .where(entries_t.c.statement_id.in_(ids[i:i + 500])))
            for sid, raw in rows:
                found[sid] = json.loads(bytes(raw))["statement"]
    return found


def label_id(label: str) -> str:
    return str(uuid.uuid5(DEMO_NS, label))


@dataclass
class Outcome:
    created: Counter = field(default_factory=Counter)  # by event type
    existing: int = 0
    skipped: int = 0  # reviews whose token was issued in an earlier, interrupted run
    flags: list[tuple[str, str]] = field(default_factory=list)
    review_tokens: dict[str, str] = field(default_factory=dict)  # unused ones, for trying the API


def run_plan(engine: Engine, settings: Settings, plan: Plan, out: TextIO) -> Outcome:
    steps = sorted(plan.steps, key=lambda s: (s.when, s.order))
    done = recorded(engine, [s.id for s in steps])
    vault = Vault(engine, vault_master_key(settings))
    result = Outcome()
    tokens: dict[str, str] = {}
    named: dict[str, str] = {}  # person label -> vault commitment
    used: set[str] = set()
    for start in range(0, len(steps), CHUNK):
        chunk = steps[start:start + CHUNK]
        for step in chunk:  # store people first: suyuan.trace.privacy.people commits each on its own
            who = step.person
            if who is None or who.label in named:
                continue
            if step.id in done:  # named by an earlier run: keep naming the same person
                named[who.label] = done[step.id]["data"][who.field]
            else:
                named[who.label] = people.store(engine, vault, who.storer, who.fields, who.kind)["commitment"]
        with engine.begin() as conn:
            for step in chunk:
                if step.id in done:
                    result.existing += 1
                    continue
                data = dict(step.data)
                if step.person is not None:
                    data[step.person.field] = named[step.person.label]
                token = None
                if step.token_of is not None:
                    token = tokens.get(step.token_of)
                    if token is None:
                        result.skipped += 1
                        continue
                    used.add(step.token_of)
                st = Step(step.label, step.key, step.type, step.when, step.party, data).statement()
                captured = capture_in(conn, settings, st, party=step.party, review_token=token)
                result.created[step.type] += 1
                result.flags += [(s.code, s.key) for s in captured.flags]
                tokens.update(captured.review_tokens)
        _progress(out, min(start + CHUNK, len(steps)), len(steps))
    result.review_tokens = {k: t for k, t in tokens.items() if k not in used}
    return result


def _progress(out: TextIO, done: int, total: int) -> None:
    """A counter redrawn in place on a terminal; one line per step when captured (CI, tests)."""
    tty = getattr(out, "isatty", lambda: False)()
    end = "\n" if not tty or done == total else ""
    out.write(f"{chr(13) if tty else ''}seeding the demo story: {done}/{total} events{end}")
    out.flush()


def remember_tokens(settings: Settings, result: Outcome) -> None:
    path = settings.data_dir / KEYS_FILE
    stored = _read_keys_file(path)
    tokens = stored.setdefault("review_tokens", {})
    tokens.update(result.review_tokens)
    result.review_tokens = tokens
    _write_keys_file(path, stored)
