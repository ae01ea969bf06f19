"""Statement builders shared by the ledger tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, insert
from stdnum import ean

from suyuan.ledger.chain import statement_digest
from suyuan.ledger.verify.entry import canonical, make_entry
from suyuan.ledger.models import Entry, QueueItem
from suyuan.ledger.verify.proofs import leaf_hash


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


def forge_next(engine: Engine, key: str, prev: str, seq: int) -> bytes:
    """INSERT (which the triggers allow) an entry at the next seq that links to `prev`."""
    st = statement(key, "transit", hub="forged")
    raw = canonical(make_entry(st, None, seq, prev, "2026-11-27T08:00:01Z"))
    with engine.begin() as conn:
        entry_id = conn.execute(insert(Entry).returning(Entry.id), {
            "hash": leaf_hash(raw), "key": key, "seq": seq, "type": "transit", "actor": None,
            "statement_id": st["id"], "statement_digest": statement_digest(st, None), "canonical": raw,
            "recorded": datetime(2026, 11, 27, 8, 0, 1, tzinfo=timezone.utc)}).scalar_one()
        conn.execute(insert(QueueItem), {"entry_id": entry_id})
    return raw


def assert_refused(refused: Any, kind: type, message: str, field: Any) -> None:
    """`refused()` raises exactly `kind` with exactly `message` (and `field`, unless it is `...`)."""
    with pytest.raises(kind) as caught:
        refused()
    assert type(caught.value) is kind
    assert str(caught.value) == message
    if field is not ...:
        assert caught.value.field == field
