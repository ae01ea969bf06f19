"""A batch's label data, read from the goods tables and the batch's register entry.

The sheet itself is laid out and drawn by `suyuan.codes.labels` from plain
`LabelData`: codes know nothing of the database.
"""

from __future__ import annotations

import json

from sqlalchemy import Engine, select

from suyuan.codes import gs1
from suyuan.codes.labels import LabelData
from suyuan.errors import Forbidden, InputError, NotFound
from suyuan.ledger.models import Entry
from suyuan.trace.goods.registry import batch_row, items_t, product_row


def batch_labels(engine: Engine, batch_key: str, *, party: str | None = None, limit: int | None = None,
                 field: str = "batch") -> list[LabelData]:
    """The labels of a batch's items (by key, at most `limit`): product name and the recorded origin.

    With `party`, only the producer that registered the batch's product may
    have them (Forbidden otherwise): a sheet of valid codes is what a
    counterfeiter would want.
    """
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise InputError(f"Invalid limit {limit!r}: expected a number of labels of at least 1.", field="limit")
    parts = gs1.split_key(batch_key)
    if set(parts) != {"01", "10"}:
        raise InputError(f"Invalid batch key {batch_key!r}: expected 01/<GTIN-14>/10/<lot>.", field=field)
    with engine.connect() as conn:
        batch = batch_row(conn, batch_key)
        if batch is None:
            raise NotFound(f"No batch is registered under {batch_key}: register it first.")
        product = product_row(conn, parts["01"])
        if party is not None and (product is None or product.owner != party):
            owner = product.owner if product is not None else "no one"
            raise Forbidden(f"Not your goods: product {parts['01']} was registered by party {owner}, "
                            f"got party {party}; only its producer prints the batch's labels.", field="key")
        first = conn.execute(select(Entry.canonical).where(Entry.key == batch_key, Entry.seq == 0)).scalar()
        origin = json.loads(bytes(first))["statement"]["data"].get("origin", {}) if first else {}
        query = select(items_t.c.key).where(items_t.c.batch_key == batch_key).order_by(items_t.c.key)
        keys = conn.execute(query.limit(limit) if limit else query).scalars().all()
    place_name = " ".join(v for v in (origin.get("place"), origin.get("region") or batch.origin_region) if v)
    name = product.name if product is not None else parts["01"]
    return [LabelData(key, name, f"产地 {place_name}") for key in keys]
