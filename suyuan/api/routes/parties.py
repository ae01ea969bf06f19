"""Parties: the admin registers, updates and suspends them; their records are public."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from suyuan.api.deps import AdminParty, CurrentParty, EngineDep, SettingsDep
from suyuan.errors import Forbidden
from suyuan.trace.credit import record as credit
from suyuan.trace.parties import registry as svc
from suyuan.trace.parties.registry import Licence
from suyuan.trace.parties.keys import add_party_key, list_party_keys

router = APIRouter(prefix="/v1/parties", tags=["parties"])

Role = Literal["producer", "merchant", "platform", "courier", "inspector", "admin", "hotline"]


_NAME = {"description": "Real name: registered organisation name or the person's name, 1-200 characters",
         "json_schema_extra": {"minLength": 1, "maxLength": 200, "pattern": r"\S"}}
_USCC = {"description": "Unified Social Credit Code (organisations), 18 characters with its check character "
         "(GB 32100-2015)", "json_schema_extra": {"format": "uscc"}}
_GLN = {"description": "GS1 party GLN (13 digits, check digit, not 020-029): the party's chain is 417/<gln>",
        "json_schema_extra": {"format": "gln"}}


class PartyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(**_NAME)
    kind: Literal["organisation", "individual"] = "organisation"
    roles: list[Role] = Field(min_length=1)
    uscc: str | None = Field(default=None, **_USCC)
    licences: list[Licence] = Field(default=[], description="Licences shown publicly")
    gln: str | None = Field(default=None, **_GLN)


class PartyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, **_NAME)
    roles: list[Role] | None = Field(default=None, min_length=1)
    uscc: str | None = Field(default=None, **_USCC)
    licences: list[Licence] | None = None
    status: Literal["active", "suspended"] | None = None
    gln: str | None = Field(default=None, **_GLN)


class PartyPublic(BaseModel):
    id: str
    kind: str
    name: str
    uscc: str | None
    roles: list[str]
    status: str
    licences: list[Licence]
    gln: str | None = None


class Ranking(BaseModel):
    score: int
    level: Literal["A", "B", "C", "D"]


class PartyRanked(PartyPublic):
    credit: Ranking | None = Field(default=None, description="With order=credit")


class PartyCreated(PartyPublic):
    api_key: str = Field(description="Shown once; store it now")


class ApiKeyOut(BaseModel):
    api_key: str = Field(description="Shown once; store it now")


class PublicKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    public_key: str = Field(description="Ed25519 public key, base64 of 32 bytes",
                            json_schema_extra={"pattern": r"^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"})
    revoke_others: bool = Field(default=False, description="Rotate: stop accepting the party's older keys")


@router.post("", status_code=201, response_model=PartyCreated, summary="Register a party (admin)")
def create(body: PartyCreate, admin: AdminParty, engine: EngineDep):
    party, api_key = svc.create_party(engine, name=body.name, kind=body.kind, roles=body.roles,
                                      uscc=body.uscc, licences=[lic.model_dump(mode="json", exclude_none=True) for lic in body.licences],
                                      gln=body.gln)
    return party.public() | {"api_key": api_key}


class PartyPage(BaseModel):
    parties: list[PartyRanked]
    next: str | None = Field(description="Pass as `after` for the next page (the last id shown); "
                             "null on the last page")


@router.get("", response_model=PartyPage, summary="Registered parties and their licences, paged (public)")
def index(engine: EngineDep, settings: SettingsDep, role: Role | None = None,
          after: str | None = Query(None, max_length=48, description="The `next` of the previous page"),
          limit: int = Query(1000, ge=1, le=10000),
          order: Literal["id", "credit"] = Query("id", description="id: by id; credit: best credit first, "
                                                 "for a platform's search ranking")):
    if order == "credit":
        ranked, following = credit.parties_by_credit(engine, settings, role, after, limit)
        return {"parties": ranked, "next": following}
    parties, following = svc.parties_page(engine, role, after=after, limit=limit)
    return {"parties": [p.public() for p in parties], "next": following}


@router.get("/me", response_model=PartyPublic, summary="The authenticated party")
def me(party: CurrentParty):
    return party.public()


@router.get("/{party_id}", response_model=PartyPublic)
def show(party_id: str, engine: EngineDep):
    return svc.get_party(engine, party_id).public()


@router.patch("/{party_id}", response_model=PartyPublic, summary="Update or suspend a party (admin)")
def change(party_id: str, body: PartyUpdate, admin: AdminParty, engine: EngineDep):
    return svc.update_party(engine, party_id, **body.model_dump(mode="json", exclude_none=True)).public()


@router.post("/{party_id}/api-keys", status_code=201, response_model=ApiKeyOut,
             summary="Issue a new API key (admin, or the party itself); revoke_others rotates")
def new_api_key(party_id: str, party: CurrentParty, engine: EngineDep, revoke_others: bool = False):
    if party.id != party_id and not party.has("admin"):
        raise Forbidden(f"Not your party: expected {party.id} or an admin, got a request for {party_id}.")
    return {"api_key": svc.issue_api_key(engine, party_id, revoke_others=revoke_others)}


@router.post("/{party_id}/keys", status_code=204, summary="Register an Ed25519 public key for signing")
def new_public_key(party_id: str, body: PublicKeyIn, party: CurrentParty, engine: EngineDep):
    if party.id != party_id and not party.has("admin"):
        raise Forbidden(f"Not your party: expected {party.id} or an admin, got a request for {party_id}.")
    svc.get_party(engine, party_id)
    add_party_key(engine, party_id, body.public_key, revoke_others=body.revoke_others)


class PublicKeyOut(BaseModel):
    public_key: str = Field(description="Ed25519 public key, base64")
    created: str
    revoked: str | None = Field(description="When it stopped being accepted; null while it is")


@router.get("/{party_id}/keys", response_model=list[PublicKeyOut],
            summary="The party's Ed25519 public keys, revoked ones included (public)")
def public_keys(party_id: str, engine: EngineDep):
    svc.get_party(engine, party_id)
    return list_party_keys(engine, party_id)
