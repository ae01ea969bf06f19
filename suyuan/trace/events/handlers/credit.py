"""Handlers of the credit events, entries on a party's own chain `417/<GLN>` (`suyuan.trace.credit`).

The key names the party (`chainkey.party_of_key`); a pledge and a repair
request go only on the caller's own chain, the others are an inspector's or a
hotline's about any party. Each handler checks its references (the pledge
breached, the complaint resolved, the findings and breaches a repair names:
the party's own, 422 naming the field otherwise) and applies the event to the
credit record once the entry is appended, when its hash is known.
"""

from __future__ import annotations

from datetime import date

from suyuan.errors import Forbidden, InputError
from suyuan.trace.credit import chainkey, complaints, dishonesty, findings, marks, pledges, repairs, warnings
from suyuan.trace.events import lifecycle
from suyuan.trace.events.context import Ctx
from suyuan.trace.goods.registry import batch_row


def subject(ctx: Ctx) -> str:
    """The party whose chain the event's key is."""
    return chainkey.party_of_key(ctx.conn, ctx.ref.key)


def _own(ctx: Ctx) -> str:
    party = subject(ctx)
    if party != ctx.actor:
        raise Forbidden(f"Not your chain: {ctx.ref.key} is party {party}'s, got party {ctx.actor}; a party "
                        f"records {ctx.spec.name} on its own chain only.", field="key")
    return party


def pledge(ctx: Ctx) -> None:
    party, d = _own(ctx), ctx.data
    marks.ensure_party(ctx.conn, ctx.settings, party)
    ctx.after.append(lambda a: pledges.record(ctx.conn, party, d.pledge, d.text, ctx.when, a.hash))


def pledge_breach(ctx: Ctx) -> None:
    party, d = subject(ctx), ctx.data
    row = pledges.pledge_of(ctx.conn, bytes.fromhex(d.pledge))
    if row is None or row.party_id != party:
        raise InputError(f"Invalid data.pledge: expected the hash of a pledge of party {party}, got "
                         f"{'no pledge' if row is None else 'a pledge of party ' + row.party_id}.", field="data.pledge")
    if not d.evidence and not d.findings:
        raise InputError("Missing data.evidence: a breach names its evidence, entries (data.evidence) or "
                         "findings (data.findings).", field="data.evidence")
    findings.require_own(ctx.conn, party, d.findings, "data.findings")

    def apply(a) -> None:  # noqa: ANN001
        pledges.note_breach(ctx.conn, row.entry_hash)
        marks.add(ctx.conn, ctx.settings, party, "breach", d.severity, a.hash, ctx.ref.key, ctx.when)
    ctx.after.append(apply)


def complaint_filed(ctx: Ctx) -> None:
    party, d = subject(ctx), ctx.data
    if d.subject_key is not None:
        about = complaints.subject_of_key(ctx.conn, d.subject_key, "data.subject_key")
        if about != party:
            raise InputError(f"Invalid data.subject_key: expected goods of party {party} (the chain's), got goods "
                             f"of party {about}; file it on {about}'s chain.", field="data.subject_key")
    marks.ensure_party(ctx.conn, ctx.settings, party)
    ctx.after.append(lambda a: complaints.file(ctx.conn, party, a.hash, d.channel, d.category, d.reference,
                                               d.subject_key, ctx.when))


def complaint_resolved(ctx: Ctx) -> None:
    party, d = subject(ctx), ctx.data
    row = complaints.require_open(ctx.conn, party, d.complaint)
    ctx.after.append(lambda a: complaints.resolve(ctx.conn, ctx.settings, party, row, d.outcome, d.severity,
                                                  a.hash, ctx.ref.key, ctx.when))


def warning(ctx: Ctx) -> None:
    d = ctx.data
    if date.fromisoformat(d.ends) < ctx.now.date():
        raise InputError(f"Invalid data.ends: expected today or later, got {d.ends}.", field="data.ends")
    if ctx.ref.kind == "batch":
        batch = batch_row(ctx.conn, ctx.ref.key)
        if batch is None:
            raise InputError(f"Invalid key: expected a registered batch, got {ctx.ref.key}.", field="key")
        party, key = batch.owner, ctx.ref.key
    else:
        party, key = subject(ctx), None
    ctx.after.append(lambda a: warnings.record(ctx.conn, a.hash, party, key, d.severity, d.text_zh, d.text_en,
                                               date.fromisoformat(d.ends), ctx.when))


def _standing(ctx: Ctx, party: str) -> None:
    state = lifecycle.PartyState.LISTED if dishonesty.is_listed(ctx.conn, party) else lifecycle.PartyState.GOOD
    lifecycle.check(ctx.spec.name, "party", state, ctx.ref.key)


def dishonest_listed(ctx: Ctx) -> None:
    party, d = subject(ctx), ctx.data
    _standing(ctx, party)
    findings.require_own(ctx.conn, party, d.findings, "data.findings")
    marks.require_breaches(ctx.conn, party, d.breaches, "data.breaches")
    ctx.after.append(lambda a: dishonesty.list_party(ctx.conn, ctx.settings, party, a.hash, d.basis, d.findings,
                                                     d.breaches, ctx.when))


def dishonest_delisted(ctx: Ctx) -> None:
    party = subject(ctx)
    _standing(ctx, party)
    dishonesty.delist(ctx.conn, ctx.settings, party)


def repair_requested(ctx: Ctx) -> None:
    party, d = _own(ctx), ctx.data
    findings.require_own(ctx.conn, party, d.findings, "data.findings")
    marks.require_breaches(ctx.conn, party, d.breaches, "data.breaches")
    if not d.findings and not d.breaches:
        raise InputError("Missing data.findings: a repair names the findings or breaches (data.breaches) it "
                         "puts right.", field="data.findings")
    ctx.after.append(lambda a: repairs.request(ctx.conn, ctx.settings, party, a.hash, d.findings, d.breaches,
                                               ctx.when))


def repair_decided(ctx: Ctx) -> None:
    party, d = subject(ctx), ctx.data
    row = repairs.require_open(ctx.conn, party, d.repair)
    ctx.after.append(lambda a: repairs.decide(ctx.conn, ctx.settings, party, row, d.outcome, d.reason, ctx.actor,
                                              a.hash))
