"""Registering goods: the `register` statements a request becomes, captured like any event.

For the API, the CLI and the demo. A registration request carries the
client's idempotency id, and the statements it becomes are a function of the
request alone, so a retry rebuilds them exactly and capture answers it with
the original entries, and a signing party can sign them before sending: a
product or batch becomes one statement whose `id` is the request's; a
serialisation of N items becomes N, item i with `id` the request's (i = 0)
or UUIDv5(request id, str(i)), and a serial HMAC-SHA256(server key, party,
id, i) (`suyuan.trace.goods.registry.derived_serial`) — unguessable without
the server's key, yet the same on every retry. A request without `time`
takes it from the statement already recorded under its id (a retry), else
the clock.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, Engine

from suyuan.codes.gs1 import make_key
from suyuan.config import Settings
from suyuan.errors import Conflict, InputError, Unauthorized
from suyuan.ledger.chain import recorded_ids
from suyuan.trace.events.capture import Captured, capture, capture_many
from suyuan.trace.goods.registry import MAX_SERIALISE, SERIAL_ALPHABET, SERIAL_RANDOM_CHARS, derived_serial
from suyuan.trace.parties.keys import party_public_keys
from suyuan.trace.parties.registry import PartyView


def item_statement_id(ident: str, index: int) -> str:
    """The statement id of item `index` of serialisation request `ident` (a lower-case UUID)."""
    return ident if index == 0 else str(uuid.uuid5(uuid.UUID(ident), str(index)))


def _time(when: datetime | None) -> str:
    return (when or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def statement(key: str, kind: str, party: PartyView | str, data: dict[str, Any],
              when: datetime | None = None, ident: str | None = None) -> dict[str, Any]:
    """A statement for `party` (a PartyView or a party id) with a fresh id unless given."""
    actor = party if isinstance(party, str) else party.id
    return {"key": key, "type": kind, "time": _time(when), "actor": actor, "data": data,
            "id": ident or str(uuid.uuid4())}


def _request_id(ident: Any) -> str:
    try:
        if isinstance(ident, str) and str(uuid.UUID(ident)) == ident:
            return ident
    except ValueError:
        pass
    raise InputError(f"Invalid id: expected a lower-case UUID like 3f2b8c1e-0d6a-4e4b-9a53-2a0f1c9d7e10, "
                     f"got {ident!r}.", field="id")


def _time_of(engine: Engine, ident: str, time: str | None, sig: Any) -> str | None:
    """The request's time: as sent; or, for a retry sent without one, the recorded statement's."""
    if time is not None:
        return time
    if sig is not None:
        raise InputError("Missing time: a signed request must carry the time its statements were signed "
                         "with.", field="time")
    with engine.connect() as conn:
        row = recorded_ids(conn, [ident]).get(ident)
    if row is None:
        return None
    recorded = json.loads(bytes(row.canonical)).get("statement", {}).get("time")
    return recorded if isinstance(recorded, str) else None


def registration(engine: Engine, party: PartyView | str, key: str, data: dict[str, Any], ident: str, *,
                 time: str | None = None, sig: str | None = None) -> dict[str, Any]:
    """The register statement a product or batch request becomes (see the module doc)."""
    return request_statement(engine, party, key, "register", data, ident, time=time, sig=sig)


def request_statement(engine: Engine, party: PartyView | str, key: str, kind: str, data: dict[str, Any],
                      ident: str, *, time: str | None = None, sig: str | None = None) -> dict[str, Any]:
    """The statement of type `kind` a request with idempotency id `ident` becomes (see the module doc)."""
    ident = _request_id(ident)
    st = statement(key, kind, party, data, ident=ident)
    when = _time_of(engine, ident, time, sig)
    return st | {"time": when} if when is not None else st


def register_product(engine: Engine, settings: Settings, party: PartyView, gtin: str,
                     data: dict[str, Any], when: datetime | None = None, *, ident: str | None = None,
                     time: str | None = None, sig: str | None = None) -> Captured:
    """Register a product (GTIN-14) as `party`; returns the capture result (a retry: the original)."""
    key = make_key(gtin=gtin)
    if ident is None:
        st = statement(key, "register", party, data, when)
    else:
        st = registration(engine, party, key, data, ident, time=time, sig=sig)
    return capture(engine, settings, st, sig, party=party)


def register_batch(engine: Engine, settings: Settings, party: PartyView, gtin: str, lot: str,
                   data: dict[str, Any], when: datetime | None = None, *, ident: str | None = None,
                   time: str | None = None, sig: str | None = None) -> Captured:
    """Register a batch (GTIN-14 and lot) as `party`; returns the capture result (a retry: the original)."""
    key = make_key(gtin=gtin, lot=lot)
    if ident is None:
        st = statement(key, "register", party, data, when)
    else:
        st = registration(engine, party, key, data, ident, time=time, sig=sig)
    return capture(engine, settings, st, sig, party=party)


@dataclass(frozen=True)
class Serialised:
    keys: list[str]
    statements: list[dict[str, Any]]
    created: bool  # False: a retry, answered with the items it registered first


def serialise_statements(engine: Engine, party: PartyView | str, gtin: str, count: int, *, ident: str,
                         serial_key: bytes, lot: str | None = None, seller: str | None = None,
                         prefix: str = "", time: str | None = None,
                         sigs: list[str] | None = None) -> list[dict[str, Any]]:
    """The register statements a serialisation request becomes, in order (see the module doc)."""
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_SERIALISE:
        raise InputError(f"Invalid count: expected 1 to {MAX_SERIALISE}, got {count!r}.", field="count")
    if len(prefix) > 20 - SERIAL_RANDOM_CHARS or any(c not in SERIAL_ALPHABET for c in prefix):
        raise InputError(
            f"Invalid prefix {prefix!r}: expected at most {20 - SERIAL_RANDOM_CHARS} characters "
            f"from {SERIAL_ALPHABET}.", field="prefix")
    ident = _request_id(ident)
    actor = party if isinstance(party, str) else party.id
    when = _time_of(engine, ident, time, sigs) or _time(None)
    data = {"seller": seller} if seller else {}
    return [{"key": make_key(gtin=gtin, lot=lot, serial=derived_serial(serial_key, actor, ident, i, prefix)),
             "type": "register", "time": when, "actor": actor, "data": data, "id": item_statement_id(ident, i)}
            for i in range(count)]


def register_items(engine: Engine, settings: Settings, party: PartyView, gtin: str, count: int, *,
                   ident: str, serial_key: bytes, lot: str | None = None, seller: str | None = None,
                   prefix: str = "", time: str | None = None, sigs: list[str] | None = None) -> Serialised:
    """Register `count` items in one transaction, as request `ident`; a retry answers with the same keys.

    `sigs` (one per statement of `serialise_statements`, in order) are
    required from a party with a registered public key. The same id with a
    different request: Conflict, and nothing written.
    """
    statements = serialise_statements(engine, party, gtin, count, ident=ident, serial_key=serial_key, lot=lot,
                                      seller=seller, prefix=prefix, time=time, sigs=sigs)
    if sigs is not None and len(sigs) != count:
        raise InputError(f"Invalid sigs: expected one signature per item ({count}), got {len(sigs)}.",
                         field="sigs")
    with engine.connect() as conn:
        if sigs is None and party_public_keys(conn, party.id):
            raise Unauthorized(
                f"Missing sigs: party {party.id} has a registered public key, so each register statement "
                "must be signed; POST /v1/goods/items:statements returns them.", field="sigs")
        _same_count(conn, ident, count)
    results = capture_many(engine, settings, zip(statements, sigs or [None] * count), party=party, mode="atomic")
    failed = next((r for r in results if r.error is not None), None)
    if failed is not None:
        raise failed.error
    created = any(r.captured is not None and r.captured.created for r in results)
    return Serialised([st["key"] for st in statements], statements, created)


def _same_count(conn: Connection, ident: str, count: int) -> None:
    """Refuse a request whose id registered a different number of items before."""
    if not recorded_ids(conn, [ident]):
        return  # a new request (capture settles a concurrent twin)
    ids = [item_statement_id(ident, i) for i in range(count + 1)]
    found = recorded_ids(conn, ids)
    if set(found) != set(ids[:count]):
        raise Conflict(f"Statement id {ident} was already used for a different request (not a serialisation "
                       f"of {count} items); send a new id for a new request.")


def serialise(engine: Engine, settings: Settings, party: PartyView, gtin: str, count: int, *,
              lot: str | None = None, seller: str | None = None, prefix: str = "",
              when: datetime | None = None) -> list[str]:
    """Register `count` items with unguessable serials in one transaction; returns their keys.

    For the library, the CLI and the demo: a fresh request id and a one-off
    serial key, so the serials are random. Retries go through `register_items`.
    """
    done = register_items(engine, settings, party, gtin, count, ident=str(uuid.uuid4()),
                          serial_key=secrets.token_bytes(32), lot=lot, seller=seller, prefix=prefix,
                          time=_time(when))
    return done.keys
