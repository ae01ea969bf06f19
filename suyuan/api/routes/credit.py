"""Credit (诚信): pledges, complaints, breaches, warnings, the dishonesty list, repairs and credit levels.

Every write is a credit event on a party's own chain (`suyuan.trace.events.credit_desk`),
carrying the client's idempotency `id` (a lower-case UUID): the same request
again answers 200 with the original entry. Reads are public but the
inspectors' queues.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from suyuan.api.deps import CurrentParty, EngineDep, InspectorParty, LedgerDep, SettingsDep, VaultDep
from suyuan.api.routes.events import StatementOut
from suyuan.api.params import HASH_PATTERN, HashStr, Rfc3339, IdField, PartyField, TimeField, key_field
from suyuan.trace.credit import record
from suyuan.trace.credit.complaints import CATEGORIES, CHANNELS
from suyuan.trace.credit.pledges import PLEDGES, pledge_list
from suyuan.trace.credit.repairs import CONDITIONS
from suyuan.trace.events import credit_desk
from suyuan.trace.journey import evidence

router = APIRouter(tags=["credit"])

Severity = Literal["low", "medium", "high"]
Hash = Field(pattern=r"^[0-9a-f]{64}$", description="an entry hash, 64 lower-case hex")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: str = IdField
    time: Rfc3339 | None = TimeField


class PledgeIn(_In):
    pledge: Literal[tuple(PLEDGES)] = Field(description="a code of GET /v1/pledges/list")  # type: ignore[valid-type]
    text: str | None = Field(default=None, max_length=500, description="the party's own words")


class BreachIn(_In):
    pledge: str = Hash
    evidence: list[HashStr] = Field(default=[], max_length=50, description="hashes of the entries that show it")
    findings: list[int] = Field(default=[], max_length=50, description="ids of findings that show it")
    severity: Severity = "medium"
    note: str | None = Field(default=None, max_length=2000)


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str | None = None
    phone: str | None = None
    address: str | None = None


class ComplaintIn(_In):
    channel: Literal[CHANNELS]  # type: ignore[valid-type]
    reference: str | None = Field(default=None, min_length=1, max_length=100, description="the desk's case number")
    category: Literal[CATEGORIES]  # type: ignore[valid-type]
    subject_party: str | None = PartyField(default=None)
    subject_key: str | None = key_field("goods key, when the party is unknown", default=None, max_length=400)
    text: str = Field(min_length=1, max_length=2000)
    contact: Contact | None = Field(default=None, description="the complainant: sealed in the vault, never in an entry")


class ResolutionIn(_In):
    outcome: Literal["upheld", "rejected"]
    reason: str = Field(min_length=1, max_length=2000)
    severity: Severity = "medium"


class WarningIn(_In):
    party: str | None = PartyField(default=None, description="the party warned about")
    batch: str | None = key_field("or the batch key warned about", default=None, max_length=400)
    text_zh: str = Field(min_length=1, max_length=2000)
    text_en: str = Field(min_length=1, max_length=2000)
    severity: Severity
    ends: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="last day the warning shows, YYYY-MM-DD",
                      json_schema_extra={"format": "date"})


class ListingIn(_In):
    party: str = PartyField()
    basis: str = Field(min_length=1, max_length=2000, description="the legal basis")
    findings: list[int] = Field(default=[], max_length=50)
    breaches: list[HashStr] = Field(default=[], max_length=50)


class DelistingIn(_In):
    reason: str = Field(min_length=1, max_length=2000)


class RepairIn(_In):
    findings: list[int] = Field(default=[], max_length=50, description="ids of the party's findings put right")
    breaches: list[HashStr] = Field(default=[], max_length=50, description="hashes of its breaches put right")
    evidence: list[HashStr] = Field(min_length=1, max_length=50, description="SHA-256 of the evidence documents")
    text: str = Field(min_length=1, max_length=2000)


class DecisionIn(_In):
    outcome: Literal["accepted", "rejected"]
    reason: str = Field(min_length=1, max_length=2000)


class Recorded(BaseModel):
    key: str = Field(description="the chain the entry is on")
    hash: str
    created: bool = Field(description="False: a retry, answered with the original entry")
    statement: StatementOut


class CreditOut(BaseModel):
    party: str
    chain_key: str | None
    score: int
    level: Literal["A", "B", "C", "D"]
    as_of: str
    explanation: list[dict[str, Any]] = Field(description="the marks and findings that weigh most, with weight")


class Page(BaseModel):
    next: str | None = Field(description="pass as `after` for the next page; null on the last")


class WarningPage(Page):
    warnings: list[dict[str, Any]]


class DishonestPage(Page):
    parties: list[dict[str, Any]]


_RECORDED = {"response_model": Recorded, "status_code": 201,
             "responses": {200: {"model": Recorded, "description": "A retry: the original entry"}}}


def _answer(done, response: Response) -> dict[str, Any]:  # noqa: ANN001
    if not done.created:
        response.status_code = 200
    return {"key": done.appended.key, "hash": done.hash.hex(), "created": done.created,
            "statement": json.loads(done.appended.entry)["statement"]}


def _data(body: BaseModel, *drop: str) -> dict[str, Any]:
    return body.model_dump(exclude_unset=True, exclude={"id", "time", *drop})


class Text(BaseModel):
    zh: str
    en: str


class PledgeText(Text):
    code: str = Field(description="what POST /v1/pledges takes as `pledge`")


class PledgeList(BaseModel):
    pledges: list[PledgeText]


class RepairConditions(BaseModel):
    conditions: list[Text] = Field(description="what a party must have done before it asks")
    steps: list[Text] = Field(description="how a request is filed and decided")


@router.get("/v1/pledges/list", response_model=PledgeList, summary="The published pledge list, zh and en (public)")
def pledges_list():
    return {"pledges": pledge_list()}


@router.post("/v1/pledges", summary="Make a pledge on the caller's own chain", **_RECORDED)
def pledge(body: PledgeIn, party: CurrentParty, engine: EngineDep, settings: SettingsDep, response: Response):
    done = credit_desk.record(engine, settings, party, party.id, "pledge", _data(body), body.id, time=body.time)
    return _answer(done, response)


@router.post("/v1/parties/{party_id}/breaches", summary="Record a pledge breach (inspector)", **_RECORDED)
def breach(party_id: str, body: BreachIn, party: CurrentParty, engine: EngineDep, settings: SettingsDep,
           response: Response):
    done = credit_desk.record(engine, settings, party, party_id, "pledge_breach", _data(body), body.id,
                              time=body.time)
    return _answer(done, response)


@router.post("/v1/complaints", summary="File a complaint from a hotline or complaint desk (hotline)", **_RECORDED)
def complaint(body: ComplaintIn, party: CurrentParty, engine: EngineDep, settings: SettingsDep, vault: VaultDep,
              response: Response):
    contact = body.contact.model_dump(exclude_none=True) if body.contact else None
    done = credit_desk.file_complaint(engine, settings, vault, party, _data(body, "subject_party", "contact"),
                                      body.id, subject=body.subject_party, contact=contact, time=body.time)
    return _answer(done, response)


@router.post("/v1/complaints/{entry}/resolution", summary="Uphold or reject a complaint (inspector)", **_RECORDED)
def resolve(entry: str, body: ResolutionIn, party: CurrentParty, engine: EngineDep, settings: SettingsDep,
            response: Response):
    subject = record.complaint_party(engine, entry)
    done = credit_desk.record(engine, settings, party, subject, "complaint_resolved",
                              {"complaint": entry, **_data(body)}, body.id, time=body.time)
    return _answer(done, response)


@router.post("/v1/warnings", summary="Publish a risk warning about a party or a batch (inspector)", **_RECORDED)
def warn(body: WarningIn, party: CurrentParty, engine: EngineDep, settings: SettingsDep, response: Response):
    data = _data(body, "party", "batch")
    if body.batch is not None:
        done = credit_desk.warn_batch(engine, settings, party, body.batch, data, body.id, time=body.time)
    else:
        done = credit_desk.record(engine, settings, party, record.require_subject(body.party), "warning", data,
                                  body.id, time=body.time)
    return _answer(done, response)


@router.get("/v1/warnings", response_model=WarningPage, summary="Active risk warnings, paged (public)")
def warnings_index(engine: EngineDep, after: str | None = Query(None, max_length=64, description="The `next` of the "
                                                               "previous page", json_schema_extra={"pattern": HASH_PATTERN}),
                   limit: int = Query(100, ge=1, le=1000)):
    shown, following = record.active_warnings(engine, after, limit)
    return {"warnings": shown, "next": following}


@router.post("/v1/dishonest", summary="Put a party on the dishonesty list (inspector)", **_RECORDED)
def list_dishonest(body: ListingIn, party: CurrentParty, engine: EngineDep, settings: SettingsDep,
                   response: Response):
    done = credit_desk.record(engine, settings, party, body.party, "dishonest_listed", _data(body, "party"),
                              body.id, time=body.time)
    return _answer(done, response)


@router.post("/v1/dishonest/{party_id}/delisting", summary="Take a party off the list (inspector)", **_RECORDED)
def delist(party_id: str, body: DelistingIn, party: CurrentParty, engine: EngineDep, settings: SettingsDep,
           response: Response):
    done = credit_desk.record(engine, settings, party, party_id, "dishonest_delisted", _data(body), body.id,
                              time=body.time)
    return _answer(done, response)


@router.get("/v1/dishonest", response_model=DishonestPage, summary="The dishonesty list, paged (public)")
def dishonest_index(engine: EngineDep, after: str | None = Query(None, max_length=36),
                    limit: int = Query(100, ge=1, le=1000)):
    shown, following = record.dishonest(engine, after, limit)
    return {"parties": shown, "next": following}


@router.post("/v1/parties/{party_id}/repairs", summary="File a credit repair request (the party)", **_RECORDED)
def repair(party_id: str, body: RepairIn, party: CurrentParty, engine: EngineDep, settings: SettingsDep,
           response: Response):
    done = credit_desk.record(engine, settings, party, party_id, "repair_requested", _data(body), body.id,
                              time=body.time)
    return _answer(done, response)


@router.get("/v1/repairs/conditions", response_model=RepairConditions,
            summary="The conditions and steps of credit repair, zh and en (public)")
def repair_conditions():
    return CONDITIONS


@router.post("/v1/repairs/{entry}/decision", summary="Accept or reject a repair request (inspector)", **_RECORDED)
def decide(entry: str, body: DecisionIn, party: CurrentParty, engine: EngineDep, settings: SettingsDep,
           response: Response):
    subject = record.repair_party(engine, entry)
    done = credit_desk.record(engine, settings, party, subject, "repair_decided", {"repair": entry, **_data(body)},
                              body.id, time=body.time)
    return _answer(done, response)


@router.get("/v1/parties/{party_id}/credit", response_model=CreditOut, summary="Credit score and level (public)")
def credit(party_id: str, engine: EngineDep, settings: SettingsDep):
    return record.credit(engine, settings, party_id)


@router.get("/v1/parties/{party_id}/record", summary="The party's public record: credit, pledges, warnings")
def party_record(party_id: str, engine: EngineDep, settings: SettingsDep) -> dict[str, Any]:
    return record.party_record(engine, settings, party_id)


@router.get("/v1/parties/{party_id}/bundle",
            summary="Everything needed to verify a party's credit record offline (`suyuan verify-bundle`)")
def bundle(party_id: str, ledger: LedgerDep) -> dict[str, Any]:
    key = record.chain_key(ledger.engine, party_id)
    return evidence.build_bundle(ledger, key, journey=evidence.party_journey(key)).to_json()


@router.get("/v1/credit/queue", summary="Open complaints, open repair requests, recent warnings (inspector)")
def queue(inspector: InspectorParty, engine: EngineDep) -> dict[str, Any]:
    return record.inspector_queue(engine)
