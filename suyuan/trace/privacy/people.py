"""People of orders (个人信息保护): storing, naming, reading and erasing buyers and recipients.

The flow keeps personal data out of every statement, so a signed statement
never needs the server to add anything to it:

1. A merchant, platform or courier stores the person (`store`): the vault
   seals the fields and answers `{id, commitment}`. That party becomes the
   first party of the person's orders (reason `creator`).
2. The party puts only the commitment in an event's data: `data.buyer` in a
   sale, `data.recipient` in a dispatch or delivery (`SLOTS`). Capture calls
   `name_people` after the event's own rules have passed: the commitment must
   be a person in the vault, not erased, of the right kind, and the actor must
   be entitled to name it (it stored the person, is already a party of one of
   the person's orders, or the person was named before on the goods this
   event is about). Commitments are public in the ledger, so without that last
   check any merchant could name someone else's buyer in its own sale and so
   earn the right to read them.
3. In the event's transaction the parties of that order are recorded in
   `person_parties`: the actor, and for a sale the courier it names.

Reading (`read`) is for inspectors and the parties of the person's orders
(`vault.may_read`); the read is logged in the same committed transaction that
opens the record. Erasing (`erase`) destroys the data key; ledger entries keep
the commitment, which without the destroyed salt links to nobody.

A commitment is unique in the vault, so it is also how an entry refers to a
person: entries hold no person id. Every function here accepts either.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, Engine, insert, or_, select

from suyuan.errors import Forbidden, InputError, NotFound, RuleViolation
from suyuan.ledger.chain import Appended
from suyuan.trace.goods.registry import KeyRef, parcel_items
from suyuan.trace.parties.registry import PartyView
from suyuan.trace.privacy.people_models import PersonParty
from suyuan.trace.privacy.vault import Vault, may_read, people_t
from suyuan.trace.privacy.vault_models import PersonAccess

links_t = PersonParty.__table__
access_t = PersonAccess.__table__

WRITER_ROLES = ("merchant", "platform", "courier")
ERASER_ROLES = ("admin", "inspector")
# event type -> {data field naming a person: the person kind it needs, None for any}
SLOTS: dict[str, dict[str, str | None]] = {
    "sell": {"buyer": None},
    "dispatch": {"recipient": "recipient"},
    "deliver": {"recipient": "recipient"},
}
COMMITMENT = re.compile(r"^hmac-sha256:[0-9a-f]{64}$")


# --- finding a person -----------------------------------------------------------------


def _person(conn: Connection, ident: Any, field: str = "person_id", *, lock: bool = False):  # noqa: ANN202
    """The `people` row (without sealed columns) named by a person id or a commitment."""
    if not isinstance(ident, str):
        raise InputError(f"Invalid {field}: expected a person id or commitment string.", field=field)
    if COMMITMENT.match(ident):
        where = people_t.c.commitment == ident
    else:
        try:
            where = people_t.c.id == str(uuid.UUID(ident))
        except ValueError:
            raise InputError(
                f"Invalid {field} {ident[:80]!r}: expected the id (a UUID) or the commitment "
                "(hmac-sha256:<64 hex>) that POST /v1/people returned.", field=field) from None
    cols = (people_t.c.id, people_t.c.kind, people_t.c.commitment, people_t.c.erased)
    query = select(*cols).where(where)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound(f"No person in the vault has {field} {ident!r}: expected an id or commitment "
                       "that POST /v1/people returned.")
    return row


def parties_of(conn: Connection, person_id: str) -> set[str]:
    """The parties of the person's orders (inspectors read by role, not by this list)."""
    return set(conn.execute(select(links_t.c.party_id).where(links_t.c.person_id == person_id)).scalars())


def _link(conn: Connection, person_id: str, party_id: str, reason: str, key: str | None = None,
          entry_hash: bytes | None = None) -> None:
    conn.execute(insert(links_t).values(person_id=person_id, party_id=party_id, reason=reason, key=key,
                                        entry_hash=entry_hash))


def _require_roles(party: PartyView, roles: tuple[str, ...], doing: str) -> None:
    if not party.active:
        raise Forbidden(f"Party {party.id} is suspended: expected an active party.")
    if not party.has(*roles):
        raise Forbidden(f"Role not allowed to {doing}: expected {' or '.join(roles)}, "
                        f"got {', '.join(party.roles)}.")


# --- service functions, one transaction each -----------------------------------------------


def store(engine: Engine, vault: Vault, party: PartyView, fields: Mapping[str, Any], kind: str) -> dict[str, str]:
    """Seal a buyer or recipient; the caller becomes the first party of its orders."""
    _require_roles(party, WRITER_ROLES, "store a person")
    with engine.begin() as conn:
        ref = vault.store_person(conn, fields, kind=kind)  # type: ignore[arg-type]
        _link(conn, ref.id, party.id, "creator")
    return {"id": ref.id, "kind": kind, "commitment": ref.commitment}


def store_many(engine: Engine, vault: Vault, party: PartyView, records: list[Mapping[str, Any]],
               kind: str) -> list[dict[str, str]]:
    """`store` for many people of one kind in one transaction: all stored, or none (InputError names the
    index of the first malformed record)."""
    _require_roles(party, WRITER_ROLES, "store a person")
    out: list[dict[str, str]] = []
    with engine.begin() as conn:
        for i, fields in enumerate(records):
            try:
                ref = vault.store_person(conn, fields, kind=kind)  # type: ignore[arg-type]
            except InputError as exc:
                raise InputError(f"Invalid person {i}: {exc}", field=exc.field) from None
            out.append({"id": ref.id, "kind": kind, "commitment": ref.commitment})
        if out:
            conn.execute(insert(links_t), [{"person_id": p["id"], "party_id": party.id, "reason": "creator",
                                            "key": None, "entry_hash": None} for p in out])
    return out


def read(engine: Engine, vault: Vault, party: PartyView, ident: str, purpose: str) -> dict[str, Any]:
    """Open a person for an inspector or a party of its orders; the read is logged and committed first."""
    with engine.begin() as conn:
        row = _person(conn, ident)
        parties = parties_of(conn, row.id)
        if not may_read(set(party.roles), party.id, parties):
            raise Forbidden(f"Party {party.id} may not read person {row.id}: expected an inspector or a "
                            "party of this person's orders (its seller or courier).")
        fields = vault.read_person(conn, row.id, reader=party.id, purpose=purpose)
    return {"id": row.id, "kind": row.kind, "commitment": row.commitment, **fields,
            "parties": sorted(parties)}


def erase(engine: Engine, vault: Vault, party: PartyView, ident: str, purpose: str = "erasure") -> dict[str, Any]:
    """Destroy the person's data key (crypto-shredding); idempotent. The ledger is untouched."""
    _require_roles(party, ERASER_ROLES, "erase a person")
    with engine.begin() as conn:
        row = _person(conn, ident)
        when = vault.erase_person(conn, row.id, by=party.id, purpose=purpose)
    return {"id": row.id, "commitment": row.commitment, "erased": when}


def access_log(engine: Engine, ident: str) -> dict[str, Any]:
    """Every read and the erasure of a person, oldest first, with the parties of its orders."""
    with engine.connect() as conn:
        row = _person(conn, ident)
        log = conn.execute(select(access_t.c.reader, access_t.c.action, access_t.c.purpose, access_t.c.at)
                           .where(access_t.c.person_id == row.id).order_by(access_t.c.id)).all()
        links = conn.execute(select(links_t.c.party_id, links_t.c.reason, links_t.c.key, links_t.c.entry_hash)
                             .where(links_t.c.person_id == row.id).order_by(links_t.c.id)).all()
    return {
        "id": row.id, "commitment": row.commitment, "erased": row.erased,
        "parties": [{"party": r.party_id, "reason": r.reason, "key": r.key,
                     "entry_hash": r.entry_hash.hex() if r.entry_hash else None} for r in links],
        "log": [{"reader": r.reader, "action": r.action, "purpose": r.purpose, "at": r.at} for r in log],
    }


# --- capture's hook ----------------------------------------------------------------------------


def name_people(conn: Connection, actor: str, event_type: str, ref: KeyRef,
                data: Any) -> list[Callable[[Appended], None]]:
    """Check the people an event names (see module doc); return hooks that record the order's parties.

    Runs inside capture's transaction after the event's rules; raises (nothing
    written) when a commitment is unknown, erased, of the wrong kind or not the
    actor's to name.
    """
    slots = SLOTS.get(event_type, {})
    hooks: list[Callable[[Appended], None]] = []
    for slot, kind in slots.items():
        commitment = getattr(data, slot, None)
        if commitment is None:
            continue
        field = f"data.{slot}"
        try:
            row = _person(conn, commitment, field, lock=True)
        except NotFound:
            raise InputError(f"Invalid {field}: no person in the vault has this commitment; store the "
                             "person with POST /v1/people and use the commitment it returns.",
                             field=field) from None
        if row.erased is not None:
            raise RuleViolation(f"Invalid {field}: person {row.id} was erased; store the person again to "
                                "name them in a new event.", rule="person_erased", field=field)
        if kind is not None and row.kind != kind:
            raise InputError(f"Invalid {field}: expected a {kind} (name, phone and address), got a "
                             f"{row.kind}.", field=field)
        keys = [ref.key]
        if ref.kind == "parcel":
            keys += [item.key for item in parcel_items(conn, ref.key)]
        entitled = conn.execute(select(links_t.c.id).where(
            links_t.c.person_id == row.id,
            or_(links_t.c.party_id == actor, links_t.c.key.in_(keys)),
        ).limit(1)).first()
        if entitled is None:
            raise Forbidden(f"Not your customer: party {actor} may name person {row.id} in {field} only if it "
                            "stored them or is a party of one of their orders.", field=field)
        links = [(actor, event_type)]
        if event_type == "sell" and getattr(data, "courier", None):
            links.append((data.courier, "courier"))
        hooks.append(_recorder(conn, row.id, links, ref.key))
    return hooks


def _recorder(conn: Connection, person_id: str, links: list[tuple[str, str]],
              key: str) -> Callable[[Appended], None]:
    def record(appended: Appended) -> None:
        for party_id, reason in links:
            _link(conn, person_id, party_id, reason, key, appended.hash)

    return record
