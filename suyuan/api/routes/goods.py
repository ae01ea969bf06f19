"""Goods: registering products and batches, bulk serialisation, and their recorded state.

Registration is a `register` event: these routes build the statement for the
authenticated producer and capture it, exactly as POST /v1/events would.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from suyuan.api.deps import CurrentParty, EngineDep, LedgerDep, SettingsDep
from suyuan.scanners.gs1 import validate_key
from suyuan.trace import goods

router = APIRouter(prefix="/v1/goods", tags=["goods"])


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    gtin: str = Field(description="GTIN-14 with check digit")
    data: dict[str, Any] = Field(description="{name, category, priority?, net_weight_g?, brand?}")


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    gtin: str
    lot: str
    data: dict[str, Any] = Field(description="{production_date, expiry_date?|shelf_life_days?, origin, seafood?, certificates?}")


class SerialiseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    gtin: str
    lot: str | None = None
    count: int = Field(description=f"1 to {goods.MAX_SERIALISE}")
    seller: str | None = Field(default=None, description="merchant or platform the items are assigned to")
    prefix: str = Field(default="", description="readable serial prefix, at most 6 characters")


class Registered(BaseModel):
    key: str
    hash: str
    created: bool


class Serialised(BaseModel):
    keys: list[str]


@router.post("/products", status_code=201, response_model=Registered)
def register_product(body: ProductIn, party: CurrentParty, engine: EngineDep, settings: SettingsDep):
    done = goods.register_product(engine, settings, party, body.gtin, body.data)
    return {"key": done.appended.key, "hash": done.hash.hex(), "created": done.created}


@router.post("/batches", status_code=201, response_model=Registered)
def register_batch(body: BatchIn, party: CurrentParty, engine: EngineDep, settings: SettingsDep):
    done = goods.register_batch(engine, settings, party, body.gtin, body.lot, body.data)
    return {"key": done.appended.key, "hash": done.hash.hex(), "created": done.created}


@router.post("/items:serialise", status_code=201, response_model=Serialised,
             summary="Register N items with unguessable serials in one transaction")
def serialise(body: SerialiseIn, party: CurrentParty, engine: EngineDep, settings: SettingsDep):
    keys = goods.serialise(engine, settings, party, body.gtin, body.count, lot=body.lot,
                           seller=body.seller, prefix=body.prefix)
    return {"keys": keys}


@router.get("/{key:path}", summary="Recorded state of a product, batch, item or parcel (public)")
def show(key: str, ledger: LedgerDep) -> dict[str, Any]:
    validate_key(key)
    return goods.describe(ledger.engine, key)
