"""`POST /v1/findings/{id}/decision` as a statement: an inspector's `finding_decided`, captured like any event.

The statement's key is the finding's chain (the subject party's own chain,
or the first subject key of a finding about goods alone) and its data
repeats the finding as stored (`suyuan.trace.findings.decisions`); the
request's idempotency `id` becomes the statement's, so a retry answers with
the original entry, even once the finding is decided.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from suyuan.config import Settings
from suyuan.errors import InputError
from suyuan.trace.credit import chainkey
from suyuan.trace.events import rules
from suyuan.trace.events.capture import Captured
from suyuan.trace.events.credit_desk import capture_about
from suyuan.trace.events.payloads import event_type
from suyuan.trace.events.registration import request_statement
from suyuan.trace.findings.decisions import decision_data
from suyuan.trace.findings.queries import finding_row
from suyuan.trace.parties.registry import PartyView

_ATTEMPTS = 3  # reads of the finding, should the analysis refresh its evidence between read and write


def _chain(engine: Engine, finding_id: int) -> tuple[Any, str]:
    """The finding (NotFound for an unknown id) and the chain its decision goes on."""
    with engine.connect() as conn:
        row = finding_row(conn, finding_id)
        if row.subject_party is not None:
            return row, chainkey.party_key(conn, row.subject_party)
    if not row.subject_keys:
        raise InputError(f"Finding {finding_id} names no party and no key to record a decision on.",
                         field="finding")
    return row, row.subject_keys[0]


def decide(engine: Engine, settings: Settings, party: PartyView, finding_id: int, decision: str, reason: str,
           ident: str, *, time: str | None = None) -> Captured:
    """Record the decision `decision` (upheld or dismissed) on finding `finding_id`, as inspector `party`."""
    rules.require_role(party.roles, event_type("finding_decided").roles, "finding_decided")  # 403 before 404
    for attempt in range(1, _ATTEMPTS + 1):
        row, key = _chain(engine, finding_id)
        st = request_statement(engine, party, key, "finding_decided", decision_data(row, decision, reason), ident,
                               time=time)
        try:
            return capture_about(engine, settings, party, row.subject_party, st, None)
        except InputError as exc:
            if exc.field != "data.evidence" or attempt == _ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
