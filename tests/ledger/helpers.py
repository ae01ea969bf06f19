"""Statement builders shared by the ledger tests."""

from __future__ import annotations

import uuid
from typing import Any

from stdnum import ean


def gtin(n: int) -> str:
    body = f"0690123{n:06d}"
    return body + ean.calc_check_digit(body)


def item_key(n: int = 1, serial: str = "SN1") -> str:
    return f"01/{gtin(n)}/21/{serial}"


def statement(key: str | None = None, kind: str = "register", **data: Any) -> dict[str, Any]:
    return {
        "key": key or item_key(),
        "type": kind,
        "time": "2026-11-27T08:00:00Z",
        "actor": None,
        "data": data,
        "id": str(uuid.uuid4()),
    }
