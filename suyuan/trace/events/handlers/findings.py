"""The handler of `finding_decided`: an inspector upholds or dismisses a finding of the integrity analytics.

The entry goes on the subject party's own chain (`417/<GLN>`) or, for a
finding about goods alone (a cloned code: no party), on its first subject
key. The handler checks that the finding is open (409 `finding_decided`
otherwise), that the entry's data repeats the finding as stored (422 naming
the field) and that the key is the finding's chain; once the entry is
appended the finding takes the decision and the party's stored credit level
is recomputed at once, so an upheld finding weighs on it from this entry on.
"""

from __future__ import annotations

from suyuan.errors import InputError
from suyuan.trace.credit import chainkey, marks, score
from suyuan.trace.events.context import Ctx
from suyuan.trace.findings import decisions


def expected_key(ctx: Ctx, row) -> str:  # noqa: ANN001
    """The chain a decision on the finding `row` goes on."""
    if row.subject_party is not None:
        return chainkey.party_key(ctx.conn, row.subject_party)
    if row.subject_keys:
        return row.subject_keys[0]
    raise InputError(f"Invalid data.finding: finding {row.id} names no party and no key to record a decision "
                     "on.", field="data.finding")


def finding_decided(ctx: Ctx) -> None:
    d = ctx.data
    row = decisions.require_open(ctx.conn, d.finding)
    wrong = decisions.mismatch(row, ctx.statement["data"])
    if wrong is not None:
        raise InputError(f"Invalid data.{wrong}: expected the finding's {wrong.removeprefix('finding_')} as "
                         f"stored (GET /v1/findings/{row.id}), got another.", field=f"data.{wrong}")
    key = expected_key(ctx, row)
    if ctx.ref.key != key:
        raise InputError(f"Invalid key: a decision on finding {row.id} goes on {key}, got {ctx.ref.key}.",
                         field="key")
    party = row.subject_party
    if party is not None:
        marks.ensure_party(ctx.conn, ctx.settings, party)

    def apply(a) -> None:  # noqa: ANN001
        decisions.decide(ctx.conn, row.id, d.decision, ctx.actor, d.reason, a.hash, ctx.now)
        if party is not None:
            score.refresh(ctx.conn, ctx.settings, party, ctx.now)
    ctx.after.append(apply)
