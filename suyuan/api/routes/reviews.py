"""Review tokens for sellers: how a shopper of courier-delivered goods gets one.

A delivery answers one review token per item to the courier that recorded it.
The item's seller may fetch a token of its own for that delivery, once, to
hand to the shopper (the platform's order page, a printed slip). Both tokens
share the delivery's one review, one follow-up and one complaint
(`suyuan.trace.events.reviews`).
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from suyuan.api.deps import CurrentParty, EngineDep, SettingsDep
from suyuan.api.params import ItemKey
from suyuan.codes.gs1 import validate_key
from suyuan.trace.events.reviews import hand_out

router = APIRouter(tags=["reviews"])


class ReviewTokenOut(BaseModel):
    key: str
    review_token: str = Field(description="rv_...: shown once; the server keeps only its SHA-256")
    delivered: str = Field(description="when the courier's delivery was recorded (server time)")
    review_url: str = Field(description="the item's scan page with the review form filled in, for a QR code")


@router.get("/v1/items/{key:path}/review-token", response_model=ReviewTokenOut,
            summary="The seller's review token for an item's latest delivery, answered once (seller only)")
def get_review_token(key: ItemKey, party: CurrentParty, engine: EngineDep, settings: SettingsDep,
                     response: Response):
    handed = hand_out(engine, party, validate_key(key))
    response.headers["Cache-Control"] = "no-store"
    return {"key": handed.key, "review_token": handed.review_token, "delivered": handed.delivered.isoformat(),
            "review_url": handed.review_url(settings.resolver_url)}
