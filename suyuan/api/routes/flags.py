"""Soft flags raised by accepted events and by consumer checks of the scan page, for inspectors."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from suyuan.api.deps import EngineDep, InspectorParty
from suyuan.ledger.types import BIGINT_MAX
from suyuan.trace.journey.flags import DEFAULT_PAGE, MAX_PAGE, list_flags

router = APIRouter(prefix="/v1/flags", tags=["flags"])


class FlagPublic(BaseModel):
    id: int
    entry_hash: str | None = Field(description="The entry that raised it; null for a flag raised by consumer checks")
    key: str
    code: str
    detail: str
    created: str


class FlagPage(BaseModel):
    flags: list[FlagPublic]
    next: int | None = Field(description="Pass as `after` for the next page; null on the last page")


@router.get("", response_model=FlagPage, summary="Soft flags, oldest first, paged by id (inspectors)")
def index(inspector: InspectorParty, engine: EngineDep, code: str | None = None, key: str | None = None,
          after: int = Query(0, ge=0, le=BIGINT_MAX,
                             description="The `next` of the previous page: only flags with a greater id"),
          limit: int = Query(DEFAULT_PAGE, ge=1, le=MAX_PAGE)):
    return list_flags(engine, code=code, key=key, after=after, limit=limit)
