"""The credit requests of the API as statements on a party's own chain, captured like any event.

For the routes of `suyuan.api.routes.credit`: each request names the party
its entry is about and carries the client's idempotency `id` (a retry
answers with the original entry, `registration.request_statement`). The
party's chain key is fixed here, in the capture's transaction, at its first
credit event (`suyuan.trace.credit.chainkey`). A hotline's complaint may
carry the complainant's contact details: they are sealed in the privacy vault
in the same transaction and only the commitment enters the entry (a retry
reuses the commitment recorded first).
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from suyuan.config import Settings
from suyuan.errors import Conflict, InputError
from suyuan.ledger.chain import recorded_ids
from suyuan.trace.credit import chainkey, complaints, marks
from suyuan.trace.events.capture import Captured, capture_in
from suyuan.trace.events.registration import request_statement
from suyuan.trace.parties.registry import PartyView
from suyuan.trace.privacy.vault import Vault


def _key(engine: Engine, subject: str) -> str:
    """The chain key of party `subject` (NotFound for an unknown party), read before the write begins."""
    with engine.connect() as conn:
        return chainkey.party_key(conn, subject)


def capture_about(engine: Engine, settings: Settings, party: PartyView, subject: str | None, st: dict[str, Any],
                  sig: str | None, vault: Vault | None = None, contact: Mapping[str, Any] | None = None) -> Captured:
    """Capture `st` as `party`, fixing party `subject`'s chain key first when it has none (see module doc)."""
    try:
        with engine.begin() as conn:
            if subject is not None and marks.ensure_party(conn, settings, subject) != st["key"]:
                raise Conflict(f"Party {subject}'s chain key was fixed by another request at the same time: retry.")
            if contact and vault is not None:
                st = {**st, "data": {**st["data"], "contact": _contact(conn, vault, st["id"], contact)}}
            return capture_in(conn, settings, st, sig, party=party)
    except IntegrityError:
        raise Conflict("Another request recorded the same party's first credit event at the same time: retry "
                       "this one (a recorded statement id answers as a retry).") from None


def record(engine: Engine, settings: Settings, party: PartyView, subject: str, kind: str, data: dict[str, Any],
           ident: str, *, time: str | None = None, sig: str | None = None) -> Captured:
    """Capture a credit event of type `kind` about party `subject`, on its chain, as `party`."""
    st = request_statement(engine, party, _key(engine, subject), kind, data, ident, time=time, sig=sig)
    return capture_about(engine, settings, party, subject, st, sig)


def warn_batch(engine: Engine, settings: Settings, party: PartyView, batch_key: str, data: dict[str, Any],
               ident: str, *, time: str | None = None, sig: str | None = None) -> Captured:
    """A risk warning about a batch, on the batch's chain."""
    st = request_statement(engine, party, batch_key, "warning", data, ident, time=time, sig=sig)
    return capture_about(engine, settings, party, None, st, sig)


def file_complaint(engine: Engine, settings: Settings, vault: Vault, party: PartyView, data: dict[str, Any],
                   ident: str, *, subject: str | None = None, contact: Mapping[str, Any] | None = None,
                   time: str | None = None) -> Captured:
    """A hotline's complaint about party `subject`, or about the goods `data["subject_key"]` names."""
    if subject is None:
        with engine.connect() as conn:
            subject = complaints.subject_of_key(conn, data.get("subject_key") or "", "subject_key")
    st = request_statement(engine, party, _key(engine, subject), "complaint_filed", data, ident, time=time)
    return capture_about(engine, settings, party, subject, st, None, vault, contact)


def _contact(conn: Any, vault: Vault, ident: str, contact: Mapping[str, Any]) -> str:
    row = recorded_ids(conn, [ident]).get(ident)
    if row is not None:
        recorded = json.loads(bytes(row.canonical)).get("statement", {}).get("data", {}).get("contact")
        if isinstance(recorded, str):
            return recorded
    try:
        return vault.store_person(conn, contact, kind="consumer").commitment
    except InputError as exc:
        raise InputError(f"Invalid contact: {exc}", field=f"contact.{exc.field}" if exc.field else "contact") \
            from None
