"""Goods: registering products and batches, bulk serialisation, and their recorded state.

Registration is a `register` event: these routes build the statement(s) for
the authenticated producer and capture them, exactly as POST /v1/events
would. Every write carries the client's idempotency `id` (a lower-case UUID):
the same request again answers 200 with what the first one recorded, the same
id with another request 409. A party with a registered public key signs the
statements the server builds (`suyuan.trace.events.registration`): `sig` over the one
register statement of a product or batch, `sigs` over those that
`POST /v1/goods/items:statements` returns for a serialisation.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from suyuan.api import contract
from suyuan.api.deps import CurrentParty, EngineDep, LedgerDep, SettingsDep
from suyuan.api.routes.events import StatementOut
from suyuan.api.params import LOT_PATTERN, Rfc3339, UUID_PATTERN, GoodsKey, GtinField, IdField, LotField
from suyuan.codes.gs1 import make_key, validate_key
from suyuan.trace.events import registration
from suyuan.trace.events.payloads import RegisterBatch, RegisterProduct, event_type, parse_payload
from suyuan.trace.goods import registry as goods

router = APIRouter(prefix="/v1/goods", tags=["goods"])
PREFIX_PATTERN = f"^[{re.escape(goods.SERIAL_ALPHABET)}]{{0,{20 - goods.SERIAL_RANDOM_CHARS}}}$"
SERIALISE_PATH = "/v1/goods/items:serialise"  # larger bodies: up to one signature per item

_ID = IdField
_TIME = Field(default=None, description="RFC 3339 event time; default: the recorded one on a retry, else now. "
              "Required with a signature", json_schema_extra={"format": "date-time"})


def _register_data(kind: str) -> BeforeValidator:
    # The register payload checked as POST /v1/events checks it, so the 422 reads the same
    # ("Invalid data.origin.region for register: expected ...").
    return BeforeValidator(lambda value: parse_payload(event_type("register"), kind, value)
                           if isinstance(value, dict) else value)


ProductData = Annotated[RegisterProduct, _register_data("product")]
BatchData = Annotated[RegisterBatch, _register_data("batch")]


def _as_sent(data: BaseModel) -> dict[str, Any]:
    """The payload exactly as the client sent it (the statement it signs): no defaults filled in."""
    return data.model_dump(exclude_unset=True)


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: str = _ID
    gtin: str = GtinField
    data: ProductData
    time: Rfc3339 | None = _TIME
    sig: str | None = Field(default=None, description="Ed25519 signature (base64) over the register statement")


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: str = _ID
    gtin: str = GtinField
    lot: str = LotField
    data: BatchData
    time: Rfc3339 | None = _TIME
    sig: str | None = Field(default=None, description="Ed25519 signature (base64) over the register statement")


class SerialisePlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: str = Field(description="Idempotency id, a lower-case UUID: item 0's statement id; item i's is "
                    "UUIDv5(id, str(i))", json_schema_extra={"format": "uuid", "pattern": UUID_PATTERN})
    gtin: str = GtinField
    lot: str | None = Field(default=None, description="Lot: 1 to 20 characters of GS1 character set 82",
                            json_schema_extra={"pattern": LOT_PATTERN})
    count: int = Field(description=f"1 to {goods.MAX_SERIALISE}",
                       json_schema_extra={"minimum": 1, "maximum": goods.MAX_SERIALISE})
    seller: str | None = Field(default=None, pattern=UUID_PATTERN,
                               description="merchant or platform (party id) the items are assigned to")
    prefix: str = Field(default="", description=f"readable serial prefix, at most {20 - goods.SERIAL_RANDOM_CHARS} characters",
                        json_schema_extra={"pattern": PREFIX_PATTERN})
    time: Rfc3339 | None = _TIME


class SerialiseIn(SerialisePlanIn):
    sigs: list[str] | None = Field(default=None, description="One Ed25519 signature (base64) per statement "
                                   "of POST /v1/goods/items:statements, in order")


class Registered(BaseModel):
    key: str
    hash: str
    created: bool = Field(description="False: a retry, answered with the original entry")
    statement: StatementOut = Field(description="The register statement as recorded")


class Serialised(BaseModel):
    keys: list[str]
    created: bool = Field(description="False: a retry, answered with the keys registered first")


class SerialisePlan(BaseModel):
    keys: list[str]
    statements: list[StatementOut] = Field(description="The register statements to sign, in order")


def serial_key(request: Request) -> bytes:
    """The server's serial key, derived from the log key once per process."""
    state = request.app.state
    key = getattr(state, "serial_key", None)
    if key is None:
        key = state.serial_key = state.ledger.signer.derive_secret(goods.SERIAL_KEY_PURPOSE)
    return key


def _registered(done, response: Response) -> dict[str, Any]:  # noqa: ANN001
    if not done.created:
        response.status_code = 200
    return {"key": done.appended.key, "hash": done.hash.hex(), "created": done.created,
            "statement": json.loads(done.appended.entry)["statement"]}


@router.post("/products", status_code=201, response_model=Registered,
             responses={200: {"model": Registered, "description": "A retry: the original entry"}})
def register_product(body: ProductIn, party: CurrentParty, engine: EngineDep, settings: SettingsDep,
                     response: Response):
    done = registration.register_product(engine, settings, party, body.gtin, _as_sent(body.data), ident=body.id,
                                         time=body.time, sig=body.sig)
    return _registered(done, response)


@router.post("/batches", status_code=201, response_model=Registered,
             responses={200: {"model": Registered, "description": "A retry: the original entry"}})
def register_batch(body: BatchIn, party: CurrentParty, engine: EngineDep, settings: SettingsDep,
                   response: Response):
    done = registration.register_batch(engine, settings, party, body.gtin, body.lot, _as_sent(body.data),
                                       ident=body.id, time=body.time, sig=body.sig)
    return _registered(done, response)


@router.post("/items:serialise", status_code=201, response_model=Serialised,
             responses={200: {"model": Serialised, "description": "A retry: the keys registered first"}},
             summary="Register N items with unguessable serials in one transaction")
def serialise(body: SerialiseIn, party: CurrentParty, engine: EngineDep, settings: SettingsDep,
              request: Request, response: Response):
    done = registration.register_items(engine, settings, party, body.gtin, body.count, ident=body.id,
                                       serial_key=serial_key(request), lot=body.lot, seller=body.seller,
                                       prefix=body.prefix, time=body.time, sigs=body.sigs)
    if not done.created:
        response.status_code = 200
    return {"keys": done.keys, "created": done.created}


@router.post("/items:statements", response_model=SerialisePlan,
             summary="The register statements a serialisation would record, to sign; writes nothing")
def serialise_statements(body: SerialisePlanIn, party: CurrentParty, engine: EngineDep, request: Request):
    make_key(gtin=body.gtin, lot=body.lot)  # refuse a bad GTIN or lot before building anything
    statements = registration.serialise_statements(engine, party, body.gtin, body.count, ident=body.id,
                                                   serial_key=serial_key(request), lot=body.lot,
                                                   seller=body.seller, prefix=body.prefix, time=body.time)
    return {"keys": [st["key"] for st in statements], "statements": statements}


@router.get("/{key:path}", summary="Recorded state of a product, batch, item or parcel (public)")
def show(key: GoodsKey, ledger: LedgerDep, request: Request) -> dict[str, Any]:
    contract.refuse_if_literal_path(request)
    validate_key(key)
    return goods.describe(ledger.engine, key)
