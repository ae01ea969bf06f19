"""Soft flags raised by accepted events and by consumer checks of the scan page, for inspectors."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from suyuan.api.deps import EngineDep, InspectorParty
from suyuan.trace.journey.flags import list_flags

router = APIRouter(prefix="/v1/flags", tags=["flags"])


class FlagPublic(BaseModel):
    id: int
    entry_hash: str | None = Field(description="The entry that raised it; null for a flag raised by consumer checks")
    key: str
    code: str
    detail: str
    created: str


@router.get("", response_model=list[FlagPublic], summary="Soft flags, newest first (inspectors)")
def index(inspector: InspectorParty, engine: EngineDep, code: str | None = None, key: str | None = None,
          after: int = Query(0, ge=0, description="Only flags with id greater than this"),
          limit: int = Query(100, ge=1, le=1000)):
    return list_flags(engine, code=code, key=key, after=after, limit=limit)
