"""Field types of event payloads, and the closed, strict base every payload extends."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# --- field types -------------------------------------------------------------------


def _iso_date(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected a date like 2026-11-27, got {value!r}") from None
    if len(value) != 10:
        raise ValueError(f"expected a date like 2026-11-27, got {value!r}")
    return value


IsoDate = Annotated[str, AfterValidator(_iso_date)]
Region = Annotated[str, Field(pattern=r"^[1-8]\d{5}$", description="GB/T 2260 region code, 6 digits")]
Money = Annotated[str, Field(pattern=r"^\d{1,12}(\.\d{1,2})?$", description="decimal string, e.g. 88.00")]
Coordinate = Annotated[str, Field(pattern=r"^-?\d{1,3}\.\d{1,7}$", description="decimal degrees as a string")]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="64 lower-case hex characters")]
Commitment = Annotated[str, Field(min_length=8, max_length=200, pattern=r"^[A-Za-z0-9:_\-+/=]+$",
                                  description="a keyed commitment from the privacy vault, never the data")]
PersonCommitment = Annotated[str, Field(pattern=r"^hmac-sha256:[0-9a-f]{64}$",
                                        description="the commitment POST /v1/people returned "
                                        "(hmac-sha256:<64 hex>), never the person's data")]
PartyId = Annotated[str, Field(min_length=1, max_length=36)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
LongText = Annotated[str, Field(min_length=1, max_length=2000)]
Grams = Annotated[int, Field(gt=0, le=10**9)]


class EpcisKept(BaseModel):
    """What an EPCIS 2.0 event held beyond a typed event's fields, kept so it is given back exactly.

    Written by `suyuan.epcis` (see its `kept` module): `event` holds fields
    verbatim, `drop` the fields the typed event's own EPCIS form has but the
    captured event had not, `epcs` this chain's EPCs as `[field, index, value]`,
    `sizes` how many each EPC field held, `numbers` JSON pointers (into this
    object) of numbers kept as decimal strings (the ledger takes no floats), and
    `context` the namespace prefixes the event's extensions use.
    """

    model_config = ConfigDict(extra="forbid", strict=True)
    event: dict[str, Any] = {}
    drop: list[str] = []
    epcs: list[list[Any]] = []
    sizes: dict[str, int] = {}
    numbers: list[str] = []
    context: dict[str, str] = {}


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    epcis: EpcisKept | None = Field(default=None, description="set by EPCIS capture: what the EPCIS event "
                                    "held beyond this event's fields, kept to give it back exactly")


