"""Capturing typed events (single and batch) and reading entries, chains, receipts and proofs.

Every write needs `Authorization: Bearer <API key>` (or a review token for
reviews and complaints) and goes through `suyuan.trace.events.capture`: the event
type, payload, role, ownership and rules are checked, and the entry and the
domain state land in one transaction.
"""

from __future__ import annotations

import re
from typing import Any

from typing import Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from suyuan.api.contract import ERROR_REF, ErrorBody
from suyuan.api.deps import CallerDep, EngineDep, LedgerDep, SettingsDep, get_current_party
from suyuan.api.params import IdField, PartyField, media
from suyuan.api.params import ChainKey, EntryHash
from suyuan.api.errors import error_body
from suyuan.errors import InputError
from suyuan.ledger.types import BIGINT_MAX
from suyuan.trace.credit.chainkey import validate_chain_key
from suyuan.trace.events.capture import capture, capture_many
from suyuan.trace.events.payloads import EVENT_TYPES

router = APIRouter(tags=["events"])
BATCH_PATH = "/v1/events:batch"

_HASH = re.compile(r"^[0-9a-f]{64}$")


class StatementIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    key: str = Field(description="Ledger key: a GS1 Digital Link path, e.g. 01/06901234567892/21/SN0001, or a "
                     "party's chain 417/<GLN>", json_schema_extra={"format": "gs1-chain-key"})
    type: str = Field(description="Event type", json_schema_extra={"enum": list(EVENT_TYPES)})
    time: str = Field(description="RFC 3339 event time with offset", json_schema_extra={"format": "date-time"})
    actor: str | None = PartyField(default=None, description="Acting party id")
    data: dict[str, Any] = Field(description="Payload of the event type: JSON with integers and strings, no floats")
    id: str = IdField


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    statement: StatementIn
    sig: str | None = Field(default=None, description="Signature over the statement's canonical bytes")


def _optional(name: str, schema: dict[str, Any]):  # noqa: ANN202
    """Document an optional field the model passes through as an extra (absent stays absent in the answer)."""
    return lambda model_schema: model_schema["properties"].update({name: schema})


class StatementOut(BaseModel):
    """A statement as recorded; `actor` when the event names one (extra fields pass: the statement is signed)."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_optional("actor", {"type": ["string", "null"]}))
    key: str
    type: str
    time: str = Field(description="RFC 3339 event time")
    data: dict[str, Any] = Field(description="The event type's payload")
    id: str = Field(description="The client's idempotency id (UUID)")


class EntryOut(BaseModel):
    """A ledger entry: the statement in its chain (`sig` when the party signed it)."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_optional("sig", {"type": "string"}))
    v: int = Field(description="Entry format version")
    statement: StatementOut
    seq: int = Field(description="Position in the key's chain, from 0")
    prev: str = Field(description="Hash of the previous entry of the chain, hex")
    recorded: str = Field(description="When the server recorded it, RFC 3339")


class EventOut(BaseModel):
    hash: str
    key: str
    seq: int
    log_index: int | None
    entry: EntryOut
    canonical: str = Field(description="The entry's canonical bytes, base64")


class FlagOut(BaseModel):
    key: str
    code: str
    detail: str


class CapturedOut(EventOut):
    flags: list[FlagOut] = Field(default=[], description="Soft signals this event raised")
    review_tokens: dict[str, str] = Field(
        default={}, description="Delivery only: one review token per delivered item, shown once"
    )


class EventBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    # Each event is checked on its own, so that per_event mode can refuse one and keep the rest.
    events: list[dict[str, Any]] = Field(
        min_length=1, description="Up to max_batch_statements events, each {statement, sig?}",
        json_schema_extra={"items": {"$ref": "#/components/schemas/EventIn"}})


class BatchItemOut(BaseModel):
    index: int
    id: str | None
    status: int = Field(description="201 written, 200 retry of a recorded statement, 4xx refused, "
                        "424 not written because another statement of an atomic batch failed")
    hash: str | None = None
    seq: int | None = None
    flags: list[FlagOut] = []
    review_tokens: dict[str, str] = {}
    error: ErrorBody | None = None


class BatchOut(BaseModel):
    mode: str
    written: int
    refused: int
    results: list[BatchItemOut]


def _shape_error(exc: ValidationError, index: int) -> InputError:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err.get("loc", ()))
    if err["type"] == "extra_forbidden":
        return InputError(f"Unknown field {field!r} in events.{index}: remove it.", field=field)
    if err["type"] == "missing":
        return InputError(f"Missing field {field!r} in events.{index}.", field=field)
    return InputError(f"Invalid {field} in events.{index}: {err['msg'].rstrip('.')}.", field=field)


def _flags(captured) -> list[dict[str, str]]:  # noqa: ANN001
    return [{"key": f.key, "code": f.code, "detail": f.detail} for f in captured.flags]


def parse_hash(value: str) -> bytes:
    if not _HASH.match(value):
        raise InputError(
            f"Invalid entry hash {value[:80]!r}: expected 64 lower-case hex characters.", field="hash"
        )
    return bytes.fromhex(value)


@router.post("/v1/events", status_code=201, response_model=CapturedOut,
             responses={200: {"model": CapturedOut, "description": "A retry: the original entry"}})
def post_event(body: EventIn, caller: CallerDep, ledger: LedgerDep, settings: SettingsDep, response: Response,
               wait: bool = Query(False, description="Answer once the entry is in a signed checkpoint")):
    statement = body.statement.model_dump()
    validate_chain_key(statement["key"])
    done = capture(ledger.engine, settings, statement, body.sig,
                   party=caller.party, review_token=caller.review_token)
    log_index = done.appended.log_index
    if wait and log_index is None:
        log_index = ledger.wait_for_checkpoint(done.hash)
        if log_index is None:
            response.status_code = 202
    if not done.created:
        response.status_code = 200
    return ledger.entry(done.hash).public() | {
        "log_index": log_index, "flags": _flags(done), "review_tokens": done.review_tokens,
    }


# An atomic batch that is refused answers the first refusal's status with the whole BatchOut.
_REFUSED_BATCH = {status: {"content": {"application/json": {"schema": {"anyOf": [
    {"$ref": ERROR_REF}, {"$ref": "#/components/schemas/BatchOut"}]}}}} for status in (400, 401, 403, 404, 409, 410, 422)}


@router.post(BATCH_PATH, response_model=BatchOut, responses=_REFUSED_BATCH,
             summary="Capture up to 10,000 events: atomic (all or nothing) or per_event")
def post_batch(body: EventBatchIn, caller: CallerDep, engine: EngineDep, settings: SettingsDep,
               response: Response, mode: Literal["atomic", "per_event"] = Query("atomic")):
    # A party's batch, or a consumer's (reviews and complaints with one review token).
    party = get_current_party(caller) if caller.review_token is None else None
    if len(body.events) > settings.max_batch_statements:
        raise InputError(f"Too many events: expected at most {settings.max_batch_statements}, "
                         f"got {len(body.events)}.", field="events")
    items, early = [], {}
    for i, raw in enumerate(body.events):
        try:
            event = EventIn.model_validate(raw)
            items.append((event.statement.model_dump(), event.sig))
        except ValidationError as exc:
            early[i] = _shape_error(exc, i)
            sent = raw.get("statement", {}).get("id") if isinstance(raw.get("statement"), dict) else None
            items.append(({"id": sent if isinstance(sent, str) else None, "_invalid": True}, None))
    results = capture_many(engine, settings, items, party=party, review_token=caller.review_token,
                           mode=mode, refused=early)
    out = []
    for r in results:
        item: dict[str, Any] = {"index": r.index, "id": r.id}
        if r.captured is not None:
            c = r.captured
            item |= {"status": 201 if c.created else 200, "hash": c.hash.hex(), "seq": c.appended.seq,
                     "flags": _flags(c), "review_tokens": c.review_tokens}
        elif r.error is not None:
            status, err = error_body(r.error)
            item |= {"status": status, "error": err}
        else:
            item |= {"status": 424, "error": {"detail": "Not written: another event of this atomic "
                                                        "batch was refused.", "field": None}}
        out.append(item)
    refused = sum(1 for r in out if r["status"] >= 400)
    if mode == "atomic" and refused:
        response.status_code = next(r["status"] for r in out if 400 <= r["status"] < 424 or r["status"] > 424)
    return {"mode": mode, "written": len(out) - refused, "refused": refused, "results": out}


@router.get("/v1/events/{entry_hash}", response_model=EventOut)
def get_event(entry_hash: EntryHash, ledger: LedgerDep):
    return ledger.entry(parse_hash(entry_hash)).public()


@router.get("/v1/events/{entry_hash}/receipt", response_class=Response, responses=media("text/plain"),
            summary="C2SP tlog-proof@v1 receipt against the latest checkpoint")
def get_receipt(entry_hash: EntryHash, ledger: LedgerDep) -> Response:
    text = ledger.receipt(parse_hash(entry_hash))
    return Response(text, media_type="text/plain; charset=utf-8")


class ChainPage(BaseModel):
    key: str
    entries: list[EventOut]
    next: int | None = Field(description="Pass as `after` for the next page (the last seq shown); "
                             "null on the last page")


@router.get("/v1/chains/{key:path}", response_model=ChainPage, summary="A key's entries in seq order, paged")
def get_chain(key: ChainKey, ledger: LedgerDep,
              after: int = Query(-1, ge=-1, le=BIGINT_MAX,
                                 description="The `next` of the previous page: only entries with a greater seq"),
              limit: int = Query(1000, ge=1, le=10000)):
    validate_chain_key(key)  # goods, or a party's own chain 417/<GLN>
    entries = ledger.chain(key, after, limit + 1)
    more = len(entries) > limit
    entries = entries[:limit]
    return {"key": key, "entries": [e.public() for e in entries], "next": entries[-1].seq if more else None}


class ConsistencyOut(BaseModel):
    first: int
    second: int
    first_root: str = Field(description="Root hash at `first`, base64")
    second_root: str = Field(description="Root hash at `second`, base64")
    proof: list[str] = Field(description="RFC 9162 §2.1.4 consistency proof, base64 hashes")


@router.get("/v1/log/consistency", response_model=ConsistencyOut,
            responses={404: {"description": "A size the log has not reached"}},
            summary="RFC 9162 consistency proof between two tree sizes")
def get_consistency(ledger: LedgerDep, first: int = Query(..., ge=1, le=BIGINT_MAX),
                    second: int = Query(..., ge=1, le=BIGINT_MAX)):
    if first > second:
        raise InputError(f"Invalid range: expected first <= second, got first={first}, second={second}.")
    return ledger.consistency(first, second)
