"""Findings of the integrity analytics, for inspectors: the list, one with its evidence, and the decision.

Reads need an inspector's or an admin's key. A decision (`upheld` or
`dismissed`, with a reason) is an inspector's `finding_decided` entry on the
subject's chain (`suyuan.trace.events.finding_desk`), carrying the client's
idempotency `id`: the same request again answers 200 with the original entry.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from suyuan.api.deps import CurrentParty, EngineDep, InspectorParty, SettingsDep
from suyuan.ledger.types import BIGINT_MAX
from suyuan.trace.events import finding_desk
from suyuan.trace.findings.models import STATUSES
from suyuan.trace.findings.queries import DEFAULT_PAGE, MAX_PAGE, get_finding, list_findings

router = APIRouter(prefix="/v1/findings", tags=["findings"])

Status = Literal[STATUSES]  # type: ignore[valid-type]
FindingId = Annotated[int, Path(ge=1, le=BIGINT_MAX, description="The finding's id")]


class DecisionOut(BaseModel):
    status: Status
    by: str | None = Field(description="the inspector who decided (null: resolved by a repair of old)")
    reason: str | None
    entry: str | None = Field(description="hash of the entry that records the decision")
    at: str | None


class FindingOut(BaseModel):
    id: int
    type: str = Field(description="a type code (README: Integrity analytics)")
    reason: str = Field(description="a reason code of the type")
    score: int = Field(ge=0, le=1000, description="how sure the detector is, 0-1000")
    subject_party: str | None = Field(description="the party it is about; null for goods alone (a cloned code)")
    subject_keys: list[str]
    evidence: list[str] = Field(description="entry hashes, oldest first")
    detail: str | None = Field(description="one sentence naming the entries (first 12 hex digits of each)")
    status: Status
    created: str
    updated: str | None
    fingerprint: str = Field(description="SHA-256 of (type, reason, party, anchor): what makes it the same finding")
    decision: DecisionOut | None


class EvidenceLinks(BaseModel):
    entry: str = Field(description="GET: the entry and its canonical bytes")
    receipt: str = Field(description="GET: its tlog-proof receipt, once integrated")


class EvidenceEntryOut(BaseModel):
    hash: str
    found: bool = Field(description="False: no entry has this hash")
    key: str | None
    seq: int | None
    type: str | None
    time: str | None = Field(description="the statement's event time")
    recorded: str | None = Field(description="when the ledger recorded it")
    log_index: int | None = Field(description="its leaf in the log; null until integrated")
    links: EvidenceLinks


class FindingDetailOut(FindingOut):
    evidence_entries: list[EvidenceEntryOut]


class FindingPage(BaseModel):
    findings: list[FindingOut]
    next: int | None = Field(description="Pass as `after` for the next page (the last id shown); null on the last")


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: str = Field(description="Idempotency id, a lower-case UUID: becomes the statement's id")
    time: str | None = Field(default=None, description="RFC 3339 event time; default: the recorded one on a "
                             "retry, else now")
    decision: Literal["upheld", "dismissed"]
    reason: str = Field(min_length=1, max_length=500, description="why, in the inspector's words")


class DecidedOut(BaseModel):
    key: str = Field(description="the chain the decision's entry is on")
    hash: str
    seq: int
    created: bool = Field(description="False: a retry, answered with the original entry")
    finding: FindingOut


class ErrorOut(BaseModel):
    detail: str
    field: str | None
    rule: str | None = None


def _errors(*codes: int) -> dict[int | str, dict[str, object]]:
    said = {401: "No API key", 403: "Not an inspector (or an admin, for reads)", 404: "No finding has this id",
            409: "Already decided (rule `finding_decided`)", 422: "A bad parameter or body, naming the field"}
    return {code: {"model": ErrorOut, "description": said[code]} for code in codes}


@router.get("", response_model=FindingPage, responses=_errors(401, 403, 422),
            summary="Findings, oldest first, paged by id (inspector or admin)")
def index(inspector: InspectorParty, engine: EngineDep,
          type: str | None = Query(None, max_length=32, description="a type code"),
          reason: str | None = Query(None, max_length=48, description="a reason code"),
          party: str | None = Query(None, max_length=36, description="the subject party's id"),
          key: str | None = Query(None, max_length=400, description="a subject key"),
          status: Status | None = Query(None),
          after: int = Query(0, ge=0, le=BIGINT_MAX, description="The `next` of the previous page"),
          limit: int = Query(DEFAULT_PAGE, ge=1, le=MAX_PAGE)) -> FindingPage:
    return FindingPage.model_validate(list_findings(engine, type=type, reason=reason, party=party, key=key,
                                                    status=status, after=after, limit=limit))


@router.get("/{finding_id}", response_model=FindingDetailOut, responses=_errors(401, 403, 404, 422),
            summary="A finding with its evidence entries and their links (inspector or admin)")
def show(finding_id: FindingId, inspector: InspectorParty, engine: EngineDep) -> FindingDetailOut:
    return FindingDetailOut.model_validate(get_finding(engine, finding_id))


@router.post("/{finding_id}/decision", response_model=DecidedOut, status_code=201,
             responses={200: {"model": DecidedOut, "description": "A retry: the original entry"},
                        **_errors(401, 403, 404, 409, 422)},
             summary="Uphold or dismiss a finding, recorded on the subject's chain (inspector)")
def decide(finding_id: FindingId, body: DecisionIn, party: CurrentParty, engine: EngineDep, settings: SettingsDep,
           response: Response) -> DecidedOut:
    done = finding_desk.decide(engine, settings, party, finding_id, body.decision, body.reason, body.id,
                               time=body.time)
    if not done.created:
        response.status_code = 200
    finding = get_finding(engine, finding_id)
    return DecidedOut(key=done.appended.key, hash=done.hash.hex(), seq=done.appended.seq, created=done.created,
                      finding=FindingOut.model_validate(finding))

