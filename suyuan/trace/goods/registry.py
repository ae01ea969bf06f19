"""Goods: products (GTIN), batches/lots, serialised items, parcels (SSCC) and their state.

Ledger keys are the GS1 Digital Link paths of DESIGN.md (GS1 Digital Link
URI Syntax 1.4 §4): `01/<gtin>` for a product, `01/<gtin>/10/<lot>` for a
batch, `01/<gtin>[/10/<lot>]/21/<serial>` for an item, `00/<sscc>` for a
parcel. The state tables are written only by capture, in the transaction of
the entry that changes them; registration is an event like any other
(`register`, built and captured by `suyuan.trace.events.registration`).
This module reads the state (with an atomic batch's row cache), makes
serials, and describes goods for `GET /v1/goods/{key}`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Connection, Engine, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY

from suyuan.errors import NotFound
from suyuan.codes.gs1 import make_key, split_key
from suyuan.trace.goods.models import Batch, Item, Parcel, ParcelContent, Product

products_t = Product.__table__
batches_t = Batch.__table__
items_t = Item.__table__
parcels_t = Parcel.__table__
contents_t = ParcelContent.__table__

# Unambiguous upper-case letters and digits (no 0/O, 1/I): a subset of GS1
# character set 82 that survives being read aloud or typed from a label.
SERIAL_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
SERIAL_RANDOM_CHARS = 14  # 14 x 5 bits = 70 bits: not guessable by scanning neighbours
MAX_SERIALISE = 10000
# The info string under which the server derives its serial key from the log key.
SERIAL_KEY_PURPOSE = b"suyuan/goods/v1/serial-key"


@dataclass(frozen=True)
class KeyRef:
    """A ledger key and what it names."""

    key: str
    kind: str  # product | batch | item | parcel
    gtin: str | None = None
    lot: str | None = None
    serial: str | None = None
    sscc: str | None = None

    @property
    def batch_key(self) -> str | None:
        return make_key(gtin=self.gtin, lot=self.lot) if self.lot else None


_TABLES = {t.name: t for t in (products_t, batches_t, items_t, parcels_t)}


def key_ref(key: str) -> KeyRef:
    """Parse a canonical key (InputError if it is not one)."""
    if type(key) is str:
        found = _REFS.get(key)
        if found is None:
            if len(_REFS) >= _REFS_MAX:  # a batch names each key several times; older batches' need not stay
                _REFS.clear()
            found = _REFS[key] = _key_ref(key)
        return found
    return _key_ref(key)


_REFS: dict[str, KeyRef] = {}
_REFS_MAX = 65536


def _key_ref(key: str) -> KeyRef:
    ais = split_key(key)
    if "00" in ais:
        return KeyRef(key, "parcel", sscc=ais["00"])
    kind = "item" if "21" in ais else "batch" if "10" in ais else "product"
    return KeyRef(key, kind, gtin=ais["01"], lot=ais.get("10"), serial=ais.get("21"))


def new_serial(prefix: str = "") -> str:
    """An unguessable serial (`secrets`), optionally after a short readable prefix."""
    return prefix + "".join(secrets.choice(SERIAL_ALPHABET) for _ in range(SERIAL_RANDOM_CHARS))


def derived_serial(serial_key: bytes, party_id: str, ident: str, index: int, prefix: str = "") -> str:
    """Serial `index` of serialisation request `ident`: 70 bits of HMAC-SHA256 in SERIAL_ALPHABET.

    As unguessable as `new_serial` to anyone without `serial_key`, and the
    same every time the request is retried.
    """
    mac = hmac.new(serial_key, f"{party_id}\n{ident}\n{index}".encode(), hashlib.sha256).digest()
    bits = int.from_bytes(mac[:9], "big") >> 2  # 72 bits, keep 70 = 14 characters of 5 bits
    chars = []
    for _ in range(SERIAL_RANDOM_CHARS):
        chars.append(SERIAL_ALPHABET[bits & 31])
        bits >>= 5
    return prefix + "".join(chars)


# --- state readers (used by capture inside its transaction) ---------------------------


# An atomic batch keeps, in conn.info, the state rows it has read ({(table, key):
# (row, locked)}) and the state writes it has not sent yet ({(table, key): values}).
# Reads see the writes at once; `flush_writes` sends them in bulk, before any
# query that selects rows by something other than their key, and before the
# batch's entries are appended.
ROW_CACHE = "suyuan.row_cache"
PENDING = "suyuan.pending_writes"


class StateRow:
    """A state row with this batch's unsent changes applied; read like a result row."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]):
        self._values = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None


def _values(row: Any) -> dict[str, Any]:
    return dict(row._values) if isinstance(row, StateRow) else dict(zip(row._fields, row))


def _one(conn: Connection, table, column, value, lock: bool):  # noqa: ANN001, ANN202
    cache = conn.info.get(ROW_CACHE)
    if cache is not None:
        row, locked = cache.get((table.name, value), (None, False))
        if row is not None and (locked or not lock):
            return row
    query = select(table).where(column == value)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).first()
    if cache is not None and row is not None:
        unsent = conn.info[PENDING].get((table.name, value))
        if unsent:
            row = StateRow(_values(row) | unsent)
        # SQLite's BEGIN IMMEDIATE already holds every row for this transaction.
        cache[(table.name, value)] = (row, lock or conn.dialect.name != "postgresql")
    return row


def cache_rows(conn: Connection, table, rows) -> None:  # noqa: ANN001
    """Keep rows read and locked up front by an atomic batch."""
    cache = conn.info.get(ROW_CACHE)
    if cache is not None:
        column = "gtin" if table is products_t else "key"
        for row in rows:
            cache[(table.name, getattr(row, column))] = (row, True)


def write_row(conn: Connection, table, value: str, **values: Any) -> None:  # noqa: ANN001
    """Update one state row by key: at once, or, inside an atomic batch, at its next flush."""
    pending = conn.info.get(PENDING)
    if pending is None:
        conn.execute(update(table).where(_key_column(table) == value).values(**values))
        return
    pending.setdefault((table.name, value), {}).update(values)
    cache = conn.info[ROW_CACHE]
    if (table.name, value) in cache:
        row, locked = cache[(table.name, value)]
        cache[(table.name, value)] = (StateRow(_values(row) | values), locked)


def forget_row(conn: Connection, table, value: str) -> None:  # noqa: ANN001
    """Drop a row from the batch's cache after writing it directly."""
    cache = conn.info.get(ROW_CACHE)
    if cache is not None:
        cache.pop((table.name, value), None)


def flush_writes(conn: Connection) -> None:
    """Send the batch's unsent state writes, one executemany per table and column set."""
    pending = conn.info.get(PENDING)
    if not pending:
        return
    groups: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}
    for (table_name, value), values in pending.items():
        columns = tuple(sorted(values))
        groups.setdefault((table_name, columns), []).append(
            {"k_": value, **{f"v_{c}": values[c] for c in columns}})
    for (table_name, columns), rows in groups.items():
        table = _TABLES[table_name]
        if len(rows) > 1 and conn.dialect.name == "postgresql" and _arrays_take(table, columns):
            conn.execute(_update_from_arrays(conn, table, columns, rows))
            continue
        conn.execute(update(table).where(_key_column(table) == bindparam("k_"))
                     .values({c: bindparam(f"v_{c}") for c in columns}), rows)
    pending.clear()


def _arrays_take(table, columns: tuple[str, ...]) -> bool:  # noqa: ANN001
    return not any(isinstance(table.c[c].type, JSON) for c in columns)


def _update_from_arrays(conn: Connection, table, columns: tuple[str, ...], rows: list[dict[str, Any]]):  # noqa: ANN001, ANN202
    """One UPDATE ... FROM unnest(arrays) for many rows (PostgreSQL): one statement, where an
    executemany runs one UPDATE per row. Each array is typed as its column, so values bind as they would."""
    quote = conn.dialect.identifier_preparer.quote
    key = _key_column(table)
    cols = [key, *(table.c[c] for c in columns)]
    names = ["k_", *(f"v_{c}" for c in columns)]
    arrays = [bindparam(f"a{i}", [r[n] for r in rows], type_=ARRAY(col.type)) for i, (col, n) in
              enumerate(zip(cols, names))]
    unnest = ", ".join(f"CAST(:a{i} AS {col.type.compile(dialect=conn.dialect)}[])" for i, col in enumerate(cols))
    alias = ", ".join(f"c{i}" for i in range(len(cols)))
    sets = ", ".join(f"{quote(col.name)} = v.c{i}" for i, col in enumerate(cols) if i)
    return text(f"UPDATE {quote(table.name)} SET {sets} FROM unnest({unnest}) AS v({alias}) "
                f"WHERE {quote(table.name)}.{quote(key.name)} = v.c0").bindparams(*arrays)


def _key_column(table):  # noqa: ANN001, ANN202
    return table.c.gtin if table is products_t else table.c.key


def product_row(conn: Connection, gtin: str, lock: bool = False):  # noqa: ANN201
    return _one(conn, products_t, products_t.c.gtin, gtin, lock)


def batch_row(conn: Connection, key: str, lock: bool = False):  # noqa: ANN201
    return _one(conn, batches_t, batches_t.c.key, key, lock)


def item_row(conn: Connection, key: str, lock: bool = False):  # noqa: ANN201
    return _one(conn, items_t, items_t.c.key, key, lock)


def parcel_row(conn: Connection, key: str, lock: bool = False):  # noqa: ANN201
    return _one(conn, parcels_t, parcels_t.c.key, key, lock)


def parcel_items(conn: Connection, parcel_key: str, lock: bool = False) -> list[Any]:
    flush_writes(conn)  # selects by parcel, so unsent writes must land first
    query = select(items_t).where(items_t.c.parcel_key == parcel_key).order_by(items_t.c.key)
    if lock:
        query = query.with_for_update()
    return list(conn.execute(query).all())


# --- public views -------------------------------------------------------------------------


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def describe(engine: Engine, key: str) -> dict[str, Any]:
    """The recorded state of the goods a key names, for `GET /v1/goods/{key}`."""
    ref = key_ref(key)
    with engine.connect() as conn:
        if ref.kind == "product":
            row = product_row(conn, ref.gtin)
        elif ref.kind == "batch":
            row = batch_row(conn, key)
        elif ref.kind == "item":
            row = item_row(conn, key)
        else:
            row = parcel_row(conn, key)
        if row is None:
            raise NotFound(f"No {ref.kind} is registered under {key}.")
        out = {k: _iso(v) for k, v in row._mapping.items()}
        out["kind"] = ref.kind
        if ref.kind == "parcel":
            out["items"] = [r.key for r in parcel_items(conn, key)]
        if ref.kind == "item":
            # A recall is on the batch chain: every item read shows it at once.
            batch = batch_row(conn, row.batch_key) if row.batch_key else None
            out["recalled"] = bool(batch is not None and batch.recalled)
        if ref.kind == "batch":
            out["items"] = conn.execute(
                select(items_t.c.key).where(items_t.c.batch_key == key).order_by(items_t.c.key).limit(10000)
            ).scalars().all()
    return out
