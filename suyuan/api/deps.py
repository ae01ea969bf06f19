"""Annotated dependencies shared by the routers: the settings, the ledger, the caller, per-process state.

Everything a route needs comes from here, so no route reaches into
`app.state` itself. The settings are the ones `create_app(settings)` was
given, kept on the app: not a `dependency_overrides` entry, since with any
override in place FastAPI re-inspects every dependency's signature on every
request (a tenth of the scan page's time). Dependencies that do no I/O are
`async`, so FastAPI runs them in the event loop instead of a worker thread.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Annotated

import anyio
from fastapi import Depends, Header, Request
from sqlalchemy import Engine

from suyuan.api.pagecache import PageTags
from suyuan.config import Settings
from suyuan.errors import Unauthorized
from suyuan.ledger.ledger import Ledger
from suyuan.trace.journey.public import CheckpointSize
from suyuan.trace.credit.record import PartyCredit
from suyuan.trace.journey.scanlog import CHECKER_SALT_PURPOSE, CheckQueue
from suyuan.trace.parties.auth import Caller, identify, require_active, require_roles
from suyuan.trace.parties.registry import PartyView
from suyuan.trace.privacy.vault import Vault, vault_master_key

PAGE_THREADS = 8  # scan pages built at once per process (see `get_page_limiter`)


async def get_settings(request: Request) -> Settings:
    """The settings the app was made with (`suyuan.api.app.create_app`)."""
    return request.app.state.settings


async def get_ledger(request: Request) -> Ledger:
    return request.app.state.ledger


async def get_engine(request: Request) -> Engine:
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


# --- the scan page's per-process state ------------------------------------------------------


def _state(request: Request, name: str, make):  # noqa: ANN001, ANN202
    """`app.state.<name>`, made on first use (the app's lifespan has opened the ledger by then)."""
    value = getattr(request.app.state, name, None)
    if value is None:
        value = make()
        setattr(request.app.state, name, value)
    return value


async def get_checker_salt(request: Request, ledger: LedgerDep) -> bytes:
    """The secret under which a consumer's address becomes a pseudonym, derived from the log key once."""
    return _state(request, "checker_salt", lambda: ledger.signer.derive_secret(CHECKER_SALT_PURPOSE))


async def get_checkpoint_size(request: Request) -> CheckpointSize:
    """The process's latest-checkpoint size, read at most once a second by whoever needs it next."""
    return _state(request, "resolver_checkpoint", CheckpointSize)


async def get_page_tags(request: Request, settings: Settings) -> PageTags:
    """The scan-page tags this process sent lately (`suyuan.api.pagecache`)."""
    return _state(request, "page_tags", lambda: PageTags(settings.scan_page_max_age_seconds > 0))


async def get_check_queue(request: Request, ledger: Ledger, settings: Settings, tags: PageTags) -> CheckQueue:
    """Checks answered 304, logged in batches off the request path (stopped with the app)."""
    return _state(request, "check_queue", lambda: CheckQueue(ledger.engine, settings, on_flag=tags.forget))


async def get_party_credit(request: Request) -> PartyCredit:
    """Parties' public credit for scan pages, kept a second per process."""
    return _state(request, "party_credit", PartyCredit)


async def get_page_limiter(request: Request) -> anyio.CapacityLimiter:
    """At most PAGE_THREADS scan pages built at once: each holds a connection and mostly waits on it;
    past a few threads more of them only contend for the GIL and the pool."""
    return _state(request, "resolver_limiter", lambda: anyio.CapacityLimiter(PAGE_THREADS))


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(t, strict=False) for t in trusted)


def _within(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in n for n in networks)


def client_address(request: Request, settings: Settings) -> str:
    """The checking client's address: the peer's, unless the peer is a trusted proxy.

    Behind trusted proxies, the client is the right-most X-Forwarded-For hop
    that is not itself a trusted proxy: hops further left were written by the
    client and may be anything. With no trusted proxies the header is ignored,
    so a client cannot pose as many by sending it.
    """
    peer = request.client.host if request.client else ""
    trusted = _networks(tuple(settings.trusted_proxies))
    if not trusted or not _within(peer, trusted):
        return peer
    hops = [h.strip() for value in request.headers.getlist("x-forwarded-for") for h in value.split(",")]
    hops = [h for h in hops if h]
    for hop in reversed(hops):
        if not _within(hop, trusted):
            return hop[:100]
    return hops[0][:100] if hops else peer


async def get_client_address(request: Request, settings: SettingsDep) -> str:
    return client_address(request, settings)


CheckerSalt = Annotated[bytes, Depends(get_checker_salt)]
CheckpointSizeDep = Annotated[CheckpointSize, Depends(get_checkpoint_size)]
PageLimiter = Annotated[anyio.CapacityLimiter, Depends(get_page_limiter)]
ClientAddress = Annotated[str, Depends(get_client_address)]
