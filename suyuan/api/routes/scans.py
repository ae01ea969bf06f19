"""Photo decoding: `POST /v1/scans/decode` with a JPEG or PNG as the request body.

The body is the image itself (`Content-Type: image/jpeg` or `image/png`, or
`application/octet-stream`); the file's magic bytes decide, not the header.
Each code zxing-cpp finds comes back parsed to a ledger key, or with the
reason it names none. Decoding is CPU work, so it runs in the thread pool.
"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from suyuan.api.deps import SettingsDep
from suyuan.errors import InputError
from suyuan.codes.decode import decode_image

router = APIRouter(prefix="/v1/scans", tags=["scans"])
DECODE_PATH = "/v1/scans/decode"


class CodeOut(BaseModel):
    key: str | None = Field(description="Ledger key, or null with key_error")
    key_error: str | None
    kind: str | None
    gtin: str | None
    lot: str | None
    serial: str | None
    sscc: str | None
    attributes: dict[str, str] = Field(description="AIs that are not part of the key, e.g. expiry 17")
    source_format: str | None
    value: str = Field(description="What the symbol carried, with its symbology identifier")


class DecodeOut(BaseModel):
    count: int
    codes: list[CodeOut]


@router.post("/decode", response_model=DecodeOut,
             summary="Find the codes in a photo (JPEG or PNG, up to 5 MB) and parse them to keys",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                 "image/png": {"schema": {"type": "string", "format": "binary"}}}}})
async def decode(request: Request, settings: SettingsDep) -> dict:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/", "application/x-www-form-urlencoded")):
        raise InputError(
            f"Unsupported upload {content_type.split(';')[0]!r}: send the image itself as the request "
            "body with Content-Type image/jpeg or image/png.",
            field="image",
        )
    data = await request.body()
    results = await run_in_threadpool(decode_image, data, settings.max_image_bytes)
    return {"count": len(results), "codes": [asdict(r) for r in results]}
