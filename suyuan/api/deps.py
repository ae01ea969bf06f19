"""Annotated dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy import Engine

from suyuan.config import Settings, get_settings
from suyuan.errors import Unauthorized
from suyuan.ledger.ledger import Ledger
from suyuan.trace.parties.auth import Caller, identify, require_active, require_roles
from suyuan.trace.parties.registry import PartyView
from suyuan.trace.privacy.vault import Vault, vault_master_key


def get_ledger(request: Request) -> Ledger:
    return request.app.state.ledger


def get_engine(request: Request) -> Engine:
    return request.app.state.ledger.engine


SettingsDep = Annotated[Settings, Depends(get_settings)]
LedgerDep = Annotated[Ledger, Depends(get_ledger)]
EngineDep = Annotated[Engine, Depends(get_engine)]

_AUTH = Header(alias="Authorization", description="Bearer <API key> or Bearer <review token>")


def get_caller(engine: EngineDep, authorization: Annotated[str | None, _AUTH] = None) -> Caller:
    return identify(engine, authorization)


def get_current_party(caller: Annotated[Caller, Depends(get_caller)]) -> PartyView:
    if caller.review_token is not None:
        raise Unauthorized("Invalid credentials: expected a party's API key, got a review token.")
    if caller.party is None:
        raise Unauthorized("Missing credentials: expected an 'Authorization: Bearer <API key>' header.")
    return require_active(caller.party)


def get_admin(party: Annotated[PartyView, Depends(get_current_party)]) -> PartyView:
    return require_roles(party, "admin")


def get_inspector(party: Annotated[PartyView, Depends(get_current_party)]) -> PartyView:
    return require_roles(party, "inspector", "admin")


CallerDep = Annotated[Caller, Depends(get_caller)]
CurrentParty = Annotated[PartyView, Depends(get_current_party)]
AdminParty = Annotated[PartyView, Depends(get_admin)]
InspectorParty = Annotated[PartyView, Depends(get_inspector)]


def get_vault(request: Request, settings: SettingsDep) -> Vault:
    """The privacy vault, built on first use: the master key may be a file made then."""
    vault = getattr(request.app.state, "vault", None)
    if vault is None:
        vault = request.app.state.vault = Vault(request.app.state.ledger.engine, vault_master_key(settings))
    return vault


VaultDep = Annotated[Vault, Depends(get_vault)]
