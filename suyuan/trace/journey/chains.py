"""Which chains make an item's journey, and which of their entries: defined here, once.

An item's journey (DESIGN.md, "The domain") is its own chain, its batch's
chain, its product's chain and the chains of the parcels it travelled in —
of a parcel's chain only the part while the item was packed in it: from the
`pack` that put the item in to the `unpack` that took it out (`while packed`).
Inside that window, another item's `pack` or `unpack` is not this item's
event. Windows are decided by chain order (seq), never by event time: an
offline scanner's clock may lag.

The public record (`suyuan.trace.journey.public`), the server's verdict and
the offline bundle (`suyuan.trace.journey.evidence`) and the inspectors'
traces (`suyuan.trace.journey.tracing`) all take the journey from here. The
pure part (`item_journey`, `packed_chain`) decides from recorded state and the
parcels' packing entries; `journey_chains` reads those for one item, and
`parcels_of` reads the parcels of many items at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from suyuan.codes.gs1 import make_key
from suyuan.errors import InputError, NotFound
from suyuan.ledger.models import Entry
from suyuan.trace.goods.registry import contents_t, item_row, items_t, key_ref

entries_t = Entry.__table__

ROLES = ("item", "batch", "product", "parcel")
PACKING = ("pack", "unpack")

Window = tuple[int, int | None]
"""First and last seq (inclusive) of a parcel chain while the item was in it; last None: still packed."""


@dataclass(frozen=True)
class JourneyChain:
    """One chain of a journey; `windows` None means the whole chain belongs to it."""

    role: str  # item | batch | product | parcel
    key: str
    windows: tuple[Window, ...] | None = None
    others: frozenset[int] = frozenset()  # seqs inside a window that pack or unpack other items only

    def includes(self, seq: int) -> bool:
        """Whether the chain's entry at `seq` is a step of the item's journey."""
        if self.windows is None:
            return True
        if seq in self.others:
            return False
        return any(first <= seq and (last is None or seq <= last) for first, last in self.windows)

    def public(self) -> dict[str, Any]:
        return {"role": self.role, "key": self.key,
                "while_packed": None if self.windows is None else [list(w) for w in self.windows]}


@dataclass(frozen=True)
class Journey:
    """The chains of one item's journey: item, batch, product, then parcels in the order first packed."""

    item: str
    chains: tuple[JourneyChain, ...]

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.chains]

    def chain(self, key: str) -> JourneyChain | None:
        return next((c for c in self.chains if c.key == key), None)

    def includes(self, key: str, seq: int) -> bool:
        """Whether entry `key#seq` is a step of the journey (False for a chain not in it)."""
        chain = self.chain(key)
        return chain is not None and chain.includes(seq)


def statement_of(canonical: bytes) -> dict[str, Any]:
    """The statement of a stored entry; {} for an odd or legacy one, which is shown with what can be read."""
    try:
        st = json.loads(canonical).get("statement")
    except (ValueError, AttributeError):
        return {}
    return st if isinstance(st, dict) else {}


def _listed(st: dict[str, Any]) -> list[Any] | None:
    data = st.get("data") if isinstance(st.get("data"), dict) else {}
    return data.get("items") if isinstance(data.get("items"), list) else None


def packed_chain(item_key: str, parcel_key: str, packing: Iterable[tuple[int, dict[str, Any]]]) -> JourneyChain:
    """The parcel's chain as a step of the item's journey, from its pack and unpack entries (seq, statement).

    A `pack` listing the item opens a window; an `unpack` listing it, or
    listing none (everything out), closes it. Other packing entries inside a
    window concern other items and are left out; entries of other types are
    in the journey exactly when they fall inside a window.
    """
    windows: list[Window] = []
    others: set[int] = set()
    opened: int | None = None
    for seq, st in sorted(packing, key=lambda pair: pair[0]):
        kind, listed = st.get("type"), _listed(st)
        if kind == "pack" and listed is not None and item_key in listed:
            opened = seq if opened is None else opened
        elif kind == "unpack" and opened is not None and (listed is None or item_key in listed):
            windows.append((opened, seq))
            opened = None
        elif opened is not None and kind in PACKING:
            others.add(seq)
    if opened is not None:
        windows.append((opened, None))
    return JourneyChain("parcel", parcel_key, tuple(windows), frozenset(others))


def item_journey(item_key: str, *, gtin: str, batch_key: str | None, parcels: Iterable[str],
                 packing: Iterable[tuple[str, int, dict[str, Any]]] = ()) -> Journey:
    """The journey of an item from its recorded state (pure).

    `parcels` are the parcels it was ever packed in, first packed first;
    `packing` holds (key, seq, statement) of their entries — any entries, at
    least every pack and unpack (others are ignored).
    """
    parcels = list(dict.fromkeys(parcels))
    by_parcel: dict[str, list[tuple[int, dict[str, Any]]]] = {p: [] for p in parcels}
    for key, seq, st in packing:
        if key in by_parcel and st.get("type") in PACKING:
            by_parcel[key].append((seq, st))
    chains = [JourneyChain("item", item_key)]
    if batch_key:
        chains.append(JourneyChain("batch", batch_key))
    chains.append(JourneyChain("product", make_key(gtin=gtin)))
    chains += [packed_chain(item_key, p, by_parcel[p]) for p in parcels]
    return Journey(item_key, tuple(chains))


def parcels_of(conn: Connection, *where: Any) -> dict[str, list[str]]:
    """The parcels each item matching `where` (on items or parcel contents) travelled in, first packed first.

    Ties in packing time go by parcel key, so the order is the same on every read.
    """
    # Sorted by (packed_at, parcel key), a parcel first appears at its first packing: no GROUP BY
    # needed (a forward trace reads a whole page of items, and grouping costs a fifth more).
    rows = conn.execute(
        select(contents_t.c.item_key, contents_t.c.parcel_key)
        .select_from(contents_t.join(items_t, items_t.c.key == contents_t.c.item_key)).where(*where)
        .order_by(contents_t.c.packed_at, contents_t.c.parcel_key)
    ).all()
    out: dict[str, list[str]] = {}
    for item_key, parcel_key in rows:
        found = out.setdefault(item_key, [])
        if parcel_key not in found:
            found.append(parcel_key)
    return out


def require_item_key(item_key: str) -> str:
    ref = key_ref(item_key)
    if ref.kind != "item":
        raise InputError(f"Invalid key {item_key!r}: expected an item key like 01/<gtin>/10/<lot>/21/<serial>, "
                         f"got a {ref.kind} key.", field="key")
    return item_key


def journey_chains(conn: Connection, item_key: str) -> Journey:
    """The journey of a registered item, read in three indexed queries: InputError or NotFound otherwise."""
    require_item_key(item_key)
    row = item_row(conn, item_key)
    if row is None:
        raise NotFound(f"No item is registered under {item_key}: check the code, or it may be counterfeit.")
    parcels = parcels_of(conn, contents_t.c.item_key == item_key).get(item_key, [])
    packing = []
    if parcels:
        packing = [(r.key, r.seq, statement_of(r.canonical)) for r in conn.execute(
            select(entries_t.c.key, entries_t.c.seq, entries_t.c.canonical)
            .where(entries_t.c.key.in_(parcels), entries_t.c.type.in_(PACKING))
            .order_by(entries_t.c.key, entries_t.c.seq))]
    return item_journey(item_key, gtin=row.gtin, batch_key=row.batch_key, parcels=parcels, packing=packing)
