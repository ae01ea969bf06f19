"""Codes for ledger keys: `GET /v1/codes/{key}.png|.svg?kind=qr|ean13|gs1-128`.

A QR code carries the key's GS1 Digital Link URI on `settings.resolver_url`
(GS1 Digital Link URI Syntax 1.4; GB/T 33993 "manufacturer's own URL"
structure); EAN-13 and GS1-128 carry the GTIN or the element string. A code
is a pure function of the key, the kind and the resolver, so responses are
cacheable by anyone. The key is the raw path, exactly as it appears in a
Digital Link URI: `/v1/codes/01/06901234567892/21/A%2FB.png` names the
serial `A/B` (key `01/06901234567892/21/A%2FB`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from suyuan.api.deps import SettingsDep
from suyuan.api.params import KEY_PATTERN, media
from suyuan.errors import InputError
from suyuan.codes import render

router = APIRouter(prefix="/v1/codes", tags=["codes"])

MEDIA = {"png": "image/png", "svg": "image/svg+xml"}
CACHE = "public, max-age=86400"


def split_format(path: str) -> tuple[str, str]:
    """(key, fmt) from `01/.../21/SN1.png`; the last suffix names the format."""
    key, dot, fmt = path.rpartition(".")
    if not dot or fmt not in MEDIA or not key:
        raise InputError(
            f"Invalid code path {path[:120]!r}: expected /v1/codes/<key>.png or /v1/codes/<key>.svg, "
            "e.g. /v1/codes/01/06901234567892/21/SN1.png.",
            field="key",
        )
    return key, fmt


@router.get("/{path:path}", response_class=Response,
            summary="A QR code (Digital Link URI), EAN-13 or GS1-128 for a key, as PNG or SVG",
            responses=media("image/png", "image/svg+xml", binary=True))
def get_code(path: Annotated[str, Path(description="<key>.png or <key>.svg", json_schema_extra={
                 "format": "gs1-code-path", "pattern": KEY_PATTERN[:-2] + r")\.(png|svg)$"})],
             request: Request, settings: SettingsDep,
             kind: Literal["qr", "ean13", "gs1-128"] = Query("qr", description="symbol to draw")) -> Response:
    # The decoded path would turn %2F inside a serial into a separator; the raw one keeps the key.
    # A key sent as one encoded segment (01%2F0690...%2F21%2FSN1.png) has no raw separator: decode it once.
    raw = request.scope.get("raw_path", b"").decode("ascii", "replace")
    prefix = router.prefix + "/"
    raw_key = raw[len(prefix):] if raw.startswith(prefix) else path
    key, fmt = split_format(raw_key if "/" in raw_key else path)
    body = render.render(key, kind, fmt, settings.resolver_url)  # type: ignore[arg-type]
    return Response(body, media_type=MEDIA[fmt], headers={"Cache-Control": CACHE})
