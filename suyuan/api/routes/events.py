"""Appending statements and reading entries, chains, receipts and proofs."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from suyuan.api.deps import LedgerDep
from suyuan.errors import InputError
from suyuan.scanners.gs1 import validate_key

router = APIRouter(tags=["events"])

_HASH = re.compile(r"^[0-9a-f]{64}$")


class StatementIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    key: str = Field(description="Ledger key: a GS1 Digital Link path, e.g. 01/06901234567892/21/SN0001")
    type: str = Field(description="Event type")
    time: str = Field(description="RFC 3339 event time with offset")
    actor: str | None = Field(default=None, description="Acting party id")
    data: dict[str, Any] = Field(description="Payload: JSON with integers and strings, no floats")
    id: str = Field(description="Client idempotency id (UUID)")


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    statement: StatementIn
    sig: str | None = Field(default=None, description="Signature over the statement's canonical bytes")


class EventOut(BaseModel):
    hash: str
    key: str
    seq: int
    log_index: int | None
    entry: dict[str, Any]
    canonical: str = Field(description="The entry's canonical bytes, base64")


def parse_hash(value: str) -> bytes:
    if not _HASH.match(value):
        raise InputError(
            f"Invalid entry hash {value[:80]!r}: expected 64 lower-case hex characters.", field="hash"
        )
    return bytes.fromhex(value)


@router.post("/v1/events", status_code=201, response_model=EventOut,
             responses={200: {"model": EventOut, "description": "A retry: the original entry"}})
def post_event(body: EventIn, ledger: LedgerDep, response: Response,
               wait: bool = Query(False, description="Answer once the entry is in a signed checkpoint")):
    statement = body.statement.model_dump()
    validate_key(statement["key"])
    done = ledger.append(statement, body.sig)
    log_index = done.log_index
    if wait and log_index is None:
        log_index = ledger.wait_for_checkpoint(done.hash)
        if log_index is None:
            response.status_code = 202
    if not done.created:
        response.status_code = 200
    return ledger.entry(done.hash).public() | {"log_index": log_index}


@router.get("/v1/events/{entry_hash}", response_model=EventOut)
def get_event(entry_hash: str, ledger: LedgerDep):
    return ledger.entry(parse_hash(entry_hash)).public()


@router.get("/v1/events/{entry_hash}/receipt", response_class=Response,
            summary="C2SP tlog-proof@v1 receipt against the latest checkpoint")
def get_receipt(entry_hash: str, ledger: LedgerDep) -> Response:
    text = ledger.receipt(parse_hash(entry_hash))
    return Response(text, media_type="text/plain; charset=utf-8")


@router.get("/v1/chains/{key:path}", response_model=list[EventOut])
def get_chain(key: str, ledger: LedgerDep,
              after: int = Query(-1, ge=-1, description="Only entries with seq greater than this"),
              limit: int = Query(1000, ge=1, le=10000)):
    validate_key(key)
    return [e.public() for e in ledger.chain(key, after, limit)]


@router.get("/v1/log/consistency")
def get_consistency(ledger: LedgerDep, first: int = Query(..., ge=1), second: int = Query(..., ge=1)):
    if first > second:
        raise InputError(f"Invalid range: expected first <= second, got first={first}, second={second}.")
    return ledger.consistency(first, second)
