"""The parameters and fields the routes share, with what the OpenAPI says the server checks of them.

The patterns document the shape; the formats (`gs1-key`, `gtin`, ...) name
what a pattern cannot say, a GS1 check digit or a USCC check character, so
that a client (or a fuzzer: tests/api/schemathesis_hooks.py) that knows the
format makes values the server accepts. The server's own checks stay where
they are (`suyuan.codes.keys`, the domain): these declarations validate
nothing themselves, so every refusal keeps its one-sentence reason.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, Field

from suyuan.timestamps import parse_time

UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
HASH_PATTERN = r"^[0-9a-f]{64}$"
# A lot or serial as it appears in a key: GS1 character set 82, percent-encoded (suyuan.codes.keys).
_QUALIFIER = r"[A-Za-z0-9!%&'()*+,\-.:;<=>?_]{1,60}"
KEY_PATTERN = rf"^(00/[0-9]{{18}}|01/[0-9]{{14}}(/10/{_QUALIFIER})?(/21/{_QUALIFIER})?)$"
CHAIN_KEY_PATTERN = rf"^(417/[0-9]{{13}}|{KEY_PATTERN[1:-1]})$"
TILE_PATTERN = r"^(entries|[0-9]{1,2})/(x[0-9]{3}/)*[0-9]{3}(\.p/[0-9]{1,3})?$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
GTIN14_PATTERN = r"^[0-9]{14}$"
LOT_PATTERN = r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$"  # decoded: GS1 character set 82


def _schema(fmt: str | None = None, pattern: str | None = None, **more: Any) -> dict[str, Any]:
    """The format, else the pattern: a format names a check a pattern cannot make (and generators that
    know the format draw from it only when no pattern competes); the description gives the shape."""
    return ({"format": fmt} if fmt else {"pattern": pattern} if pattern else {}) | more


KEY_DOC = "Ledger key: a GS1 Digital Link path with check digits, e.g. 01/06901234567892/21/SN0001"
GoodsKey = Annotated[str, Path(description=KEY_DOC, json_schema_extra=_schema("gs1-key", KEY_PATTERN))]
ItemKey = Annotated[str, Path(description="An item's key: 01/<GTIN-14>[/10/<lot>]/21/<serial>, check digit verified",
                              json_schema_extra=_schema("gs1-item-key"))]
BatchKey = Annotated[str, Path(description="A batch's key: 01/<GTIN-14>/10/<lot>, check digit verified",
                               json_schema_extra=_schema("gs1-batch-key"))]
ChainKey = Annotated[str, Path(description=KEY_DOC + ", or a party's chain 417/<GLN>",
                               json_schema_extra=_schema("gs1-chain-key", CHAIN_KEY_PATTERN))]
EntryHash = Annotated[str, Path(description="An entry hash, 64 lower-case hex",
                                json_schema_extra=_schema(pattern=HASH_PATTERN))]
TilePathParam = Annotated[str, Path(description="<L>/<N>[.p/<W>] or entries/<N>[.p/<W>] (C2SP tlog-tiles)",
                                    json_schema_extra=_schema("tlog-tile-path", TILE_PATTERN))]
PersonId = Annotated[str, Path(description="The person's id (a UUID) or commitment (hmac-sha256:<64 hex>), as "
                               "POST /v1/people returned them",
                               json_schema_extra=_schema(pattern=rf"^({UUID_PATTERN[1:-1]}|hmac-sha256:[0-9a-f]{{64}})$"))]

def _rfc3339(value: str) -> str:
    parse_time(value)  # TimeFormatError, a ValueError: the 422 names the field and the expected form
    return value


# Body fields.
Rfc3339 = Annotated[str, AfterValidator(_rfc3339)]
IdField = Field(description="Idempotency id, a lower-case UUID: becomes the statement's id",
                json_schema_extra={"format": "uuid", "pattern": UUID_PATTERN})
TimeField = Field(default=None, description="RFC 3339 event time with offset; default: the recorded one on a retry, "
                  "else now", json_schema_extra=_schema("date-time"))
GtinField = Field(description="GTIN-14 with check digit", json_schema_extra=_schema("gtin-14", GTIN14_PATTERN))
LotField = Field(description="Lot: 1 to 20 characters of GS1 character set 82",
                 json_schema_extra=_schema(pattern=LOT_PATTERN))


def media(*types: str, binary: bool = False) -> dict[str, Any]:
    """`responses` for a 200 that is not JSON: its media types, each a string (binary for images, PDF, tiles)."""
    schema = {"type": "string", "format": "binary"} if binary else {"type": "string"}
    return {200: {"description": "Successful Response", "content": {t: {"schema": schema} for t in types}}}


def key_field(description: str = KEY_DOC, **kwargs: Any) -> Any:
    return Field(description=description, json_schema_extra=_schema("gs1-key", KEY_PATTERN), **kwargs)


def date_or_time_query(description: str, alias: str) -> Any:
    """An event date (YYYY-MM-DD) or RFC 3339 time, as the exports take it; empty is no bound."""
    return Query(None, alias=alias, max_length=40, description=description,
                 json_schema_extra={"anyOf": [{"type": "string", "format": "date"},
                                              {"type": "string", "format": "date-time"},
                                              {"type": "string", "maxLength": 0}]})

# The resolver's Digital Link path segments (GS1 Digital Link URI Syntax 1.4 §4), decoded.
GtinPath = Annotated[str, Path(description="GTIN-8, -12, -13 or -14 with check digit",
                               json_schema_extra=_schema("gtin", r"^([0-9]{8}|[0-9]{12,14})$"))]
QualifierPath = Annotated[str, Path(description="Lot or serial: 1 to 20 characters of GS1 character set 82",
                                    json_schema_extra=_schema("gs1-qualifier", LOT_PATTERN))]
SsccPath = Annotated[str, Path(description="SSCC-18 with check digit",
                               json_schema_extra=_schema("sscc", r"^[0-9]{18}$"))]

HashStr = Annotated[str, Field(description="an entry hash, 64 lower-case hex", json_schema_extra={"pattern": HASH_PATTERN})]


def PartyField(default: Any = ..., description: str = "a party id (a UUID)") -> Any:  # noqa: N802
    return Field(default, max_length=36, description=description, json_schema_extra={"format": "uuid"})
