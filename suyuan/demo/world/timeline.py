"""The world's timeline: every statement and consumer check with its event time and recorded time.

An event's recorded time is when capture sees it (`now=`), its event time
what the statement says. The writer captures in recorded order, so each
journey's events must be recorded in an order the lifecycle allows: a
`Chain` hands out recorded times along one journey. Barrier steps (sale,
dispatch, delivery, return, ...) are recorded after everything before them;
courier scans between two barriers may be recorded late and in any order
(offline scanners), never after the next barrier.

People in statements are `Who` placeholders until the writer has stored
them in the vault and knows their commitments. Ids, serials and order
commitments come from the world's random generator, so a seed makes the
same world.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from suyuan.demo.seeding import sscc18
from suyuan.demo.world.cast import Who
from suyuan.timestamps import format_time
from suyuan.trace.parties.registry import PartyView

SERIAL_CHARS = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


@dataclass
class Ev:
    rec: datetime  # recorded time: capture's `now`
    seq: int  # creation order, for ties
    key: str
    type: str  # an event type, or "scan" for a consumer check
    when: datetime  # event time
    party: PartyView | None  # None: a review or complaint with the token of `token_of`
    data: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    token_of: tuple[str, str] | None = None  # (delivery statement id, item key)
    region: str | None = None  # consumer checks
    checker: str | None = None

    def statement(self, commitments: dict[Who, str]) -> dict[str, Any]:
        data = {k: commitments[v] if isinstance(v, Who) else v for k, v in self.data.items()}
        actor = self.party.id if self.party is not None else None
        return {"key": self.key, "type": self.type, "time": format_time(self.when), "actor": actor,
                "data": data, "id": self.id}


class Chain:
    """Recorded times along one journey (see the module doc)."""

    def __init__(self, floor: datetime):
        self.floor = floor  # the last barrier's recorded time
        self.top = floor  # the latest recorded time so far

    def step(self, when: datetime, delay: timedelta) -> datetime:
        self.floor = self.top = max(self.top, when + delay)
        return self.floor

    def scan(self, when: datetime, delay: timedelta) -> datetime:
        rec = max(self.floor, when + delay)
        self.top = max(self.top, rec)
        return rec


@dataclass
class Timeline:
    rng: random.Random
    start: datetime
    end: datetime
    events: list[Ev] = field(default_factory=list)
    people: set[Who] = field(default_factory=set)
    orders: int = 0
    _waybills: int = 0
    _parcels: int = 0

    def add(self, rec: datetime, key: str, kind: str, when: datetime, party: PartyView | None,
            data: dict[str, Any] | None = None, **extra: Any) -> Ev:
        ev = Ev(rec, len(self.events), key, kind, when, party, data or {}, id=self.uuid(), **extra)
        for v in ev.data.values():
            if isinstance(v, Who):
                self.people.add(v)
        self.events.append(ev)
        return ev

    def check(self, when: datetime, key: str, region: str | None, checker: str) -> None:
        """A consumer's check of a code (a scan-page view): recorded outside the ledger."""
        self.events.append(Ev(when, len(self.events), key, "scan", when, None, region=region, checker=checker))

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def serial(self, prefix: str = "") -> str:
        return prefix + "".join(self.rng.choice(SERIAL_CHARS) for _ in range(12))

    def order_ref(self) -> str:
        """A commitment to an order reference (salted hash; the salt is the platform's)."""
        self.orders += 1
        return "sha256:" + hashlib.sha256(self.rng.randbytes(16) + f"W{self.orders}".encode()).hexdigest()

    def waybill(self, courier: int) -> str:
        self._waybills += 1
        return f"W{courier:02d}{self.rng.randint(10**6, 10**7 - 1)}{self._waybills:07d}"

    def sscc(self) -> str:
        self._parcels += 1
        return "00/" + sscc18(self._parcels)

    def checker(self) -> str:
        return self.rng.randbytes(16).hex()

    def minutes(self, lo: float, hi: float) -> timedelta:
        return timedelta(minutes=self.rng.uniform(lo, hi))

    def hours(self, lo: float, hi: float) -> timedelta:
        return timedelta(hours=self.rng.uniform(lo, hi))

    def clip(self, when: datetime) -> datetime:
        return min(when, self.end)
