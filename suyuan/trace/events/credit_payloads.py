"""Payloads of the credit events, entries on a party's own chain (`suyuan.trace.credit`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from suyuan.trace.credit.complaints import CATEGORIES as COMPLAINT_CATEGORIES
from suyuan.trace.credit.complaints import CHANNELS
from suyuan.trace.credit.pledges import PLEDGES
from suyuan.trace.events.fields import IsoDate, LongText, Payload, PersonCommitment, Sha256

Severity = Literal["low", "medium", "high"]
Hashes = Annotated[list[Sha256], Field(max_length=50)]
FindingIds = Annotated[list[Annotated[int, Field(ge=1)]], Field(max_length=50)]


class Pledge(Payload):
    pledge: Literal[tuple(PLEDGES)] = Field(description="a code of GET /v1/pledges/list")  # type: ignore[valid-type]
    text: Annotated[str, Field(max_length=500)] | None = None


class PledgeBreach(Payload):
    pledge: Sha256 = Field(description="hash of the pledge entry breached")
    evidence: Hashes = []
    findings: FindingIds = []
    severity: Severity = "medium"
    note: Annotated[str, Field(max_length=2000)] | None = None


class ComplaintFiled(Payload):
    channel: Literal[CHANNELS]  # type: ignore[valid-type]
    reference: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    category: Literal[COMPLAINT_CATEGORIES]  # type: ignore[valid-type]
    subject_key: Annotated[str, Field(max_length=400)] | None = None
    text: LongText
    contact: PersonCommitment | None = Field(default=None, description="the complainant's commitment in the vault")


class ComplaintResolved(Payload):
    complaint: Sha256 = Field(description="hash of the complaint_filed or complain entry")
    outcome: Literal["upheld", "rejected"]
    reason: LongText
    severity: Severity = "medium"


class Warning(Payload):
    text_zh: LongText
    text_en: LongText
    severity: Severity
    ends: IsoDate


class DishonestListed(Payload):
    basis: LongText = Field(description="the legal basis of the listing")
    findings: FindingIds = []
    breaches: Hashes = []


class DishonestDelisted(Payload):
    reason: LongText


class RepairRequested(Payload):
    findings: FindingIds = []
    breaches: Hashes = []
    evidence: Annotated[list[Sha256], Field(min_length=1, max_length=50)]
    text: LongText


class RepairDecided(Payload):
    repair: Sha256 = Field(description="hash of the repair_requested entry")
    outcome: Literal["accepted", "rejected"]
    reason: LongText


class FindingDecided(Payload):
    """An inspector's decision on a finding of the integrity analytics (`suyuan.trace.findings.decisions`)."""

    finding: Annotated[int, Field(ge=1)] = Field(description="the finding's id")
    finding_type: Annotated[str, Field(min_length=1, max_length=32)]
    finding_reason: Annotated[str, Field(min_length=1, max_length=48)]
    fingerprint: Sha256 = Field(description="the finding's fingerprint, as stored")
    evidence: Annotated[list[Sha256], Field(max_length=1000)] = Field(description="the finding's evidence hashes")
    decision: Literal["upheld", "dismissed"]
    reason: Annotated[str, Field(min_length=1, max_length=500)]
