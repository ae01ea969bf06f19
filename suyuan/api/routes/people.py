"""People (个人信息保护): buyers and recipients in the privacy vault, never in the ledger.

`POST /v1/people` seals a person and answers `{id, commitment}`; events name
the person by the commitment only (`data.buyer` in a sale, `data.recipient`
in a dispatch or delivery). Reads are for inspectors and the parties of the
person's orders, and each is logged before the data leaves; erasure destroys
the data key and later reads answer 410 Gone. Personal responses are
`Cache-Control: no-store`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from suyuan.api.deps import CurrentParty, EngineDep, InspectorParty, VaultDep
from suyuan.api.params import PersonId
from suyuan.trace.privacy import people as svc

router = APIRouter(prefix="/v1/people", tags=["people"])

NO_STORE = {"Cache-Control": "no-store"}


class PersonCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    kind: Literal["consumer", "recipient"] = Field(
        description="recipient: name, phone and address all required; consumer: at least one")
    name: str | None = Field(default=None, description="Up to 100 characters")
    phone: str | None = Field(default=None, description="Mainland mobile (11 digits) or landline (0area-number)")
    address: str | None = Field(default=None, description="Up to 300 characters")


class PersonRefOut(BaseModel):
    id: str
    kind: str
    commitment: str = Field(description="What events carry: data.buyer or data.recipient")


class PersonOut(PersonRefOut):
    name: str | None = None
    phone: str | None = None
    address: str | None = None
    parties: list[str] = Field(description="Parties of this person's orders; inspectors read by role")


class ErasedOut(BaseModel):
    id: str
    commitment: str
    erased: datetime


class LinkOut(BaseModel):
    party: str
    reason: str = Field(description="creator, sell, courier, dispatch or deliver")
    key: str | None
    entry_hash: str | None


class AccessOut(BaseModel):
    reader: str
    action: str = Field(description="read or erase")
    purpose: str
    at: datetime


class AccessLogOut(BaseModel):
    id: str
    commitment: str
    erased: datetime | None
    parties: list[LinkOut]
    log: list[AccessOut]


@router.post("", status_code=201, response_model=PersonRefOut,
             summary="Store a buyer or recipient in the vault (merchant, platform, courier)")
def create(body: PersonCreate, party: CurrentParty, engine: EngineDep, vault: VaultDep):
    fields = body.model_dump(exclude={"kind"}, exclude_none=True)
    return svc.store(engine, vault, party, fields, body.kind)


@router.get("/{person_id}", response_model=PersonOut,
            summary="Read a person (inspectors and the parties of its orders); every read is logged",
            responses={403: {"description": "Not a party of this person's orders"},
                       410: {"description": "The person was erased"}})
def show(person_id: PersonId, party: CurrentParty, engine: EngineDep, vault: VaultDep, response: Response,
         purpose: str = Query("order fulfilment", description="Why the data is needed; kept in the access log",
                              max_length=200)):
    response.headers.update(NO_STORE)
    return svc.read(engine, vault, party, person_id, purpose)


@router.delete("/{person_id}", response_model=ErasedOut,
               summary="Erase a person: destroy the data key (admin, inspector); idempotent")
def erase(person_id: PersonId, party: CurrentParty, engine: EngineDep, vault: VaultDep,
          purpose: str = Query("erasure", description="Why; kept in the access log", max_length=200)):
    return svc.erase(engine, vault, party, person_id, purpose)


@router.get("/{person_id}/reads", response_model=AccessLogOut,
            summary="Who read or erased a person, and the parties of its orders (inspectors)")
def reads(person_id: PersonId, inspector: InspectorParty, engine: EngineDep):
    return svc.access_log(engine, person_id)
