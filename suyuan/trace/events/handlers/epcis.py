"""The generic `epcis` event: an EPCIS 2.0 event with no typed counterpart, on one EPC's chain.

It checks no state and changes none (`lifecycle.STATELESS`): the lifecycle of
goods moves only by typed events. Its key may be any GS1 key, not only a GTIN
or an SSCC: a GLN, GIAI or GRAI names a chain of its own (`epcis_ref`). On
goods suyuan tracks (an item, batch or product whose GTIN is registered here,
a parcel packed here) only their parties may record one -- the producer, the
item's seller and courier, the parcel's owner and courier -- or an inspector;
goods it does not track are anyone's to describe, under the caller's name.
"""

from __future__ import annotations

from urllib.parse import quote

from suyuan.codes.digital_link import parse_digital_link
from suyuan.errors import Forbidden, InputError
from suyuan.trace.events.context import Ctx
from suyuan.trace.goods.registry import KeyRef, batch_row, item_row, key_ref, parcel_row, product_row

_GS1_KEY_HINT = "expected a GS1 key as a Digital Link path, e.g. 01/<GTIN-14>/21/<serial> or 414/<GLN>"


def epcis_ref(key: str) -> KeyRef:
    """What a generic event's key names: goods (`key_ref`) or another GS1 key ("other")."""
    if not isinstance(key, str) or not key:
        raise InputError(f"Invalid key: {_GS1_KEY_HINT}, got an empty value.", field="key")
    if key.startswith(("01/", "00/")) and "/235/" not in key:
        return key_ref(key)
    try:
        link = parse_digital_link("https://id.gs1.org/" + key)
    except InputError as exc:
        raise InputError(f"Invalid key {key[:200]!r}: {exc}", field="key") from None
    canonical = "/".join(f"{ai}/{quote(value, safe='')}" for ai, value in link.path)
    if canonical != key or link.attributes or link.extensions:
        raise InputError(f"Invalid key {key[:200]!r}: {_GS1_KEY_HINT}, written as {canonical!r}.", field="key")
    return KeyRef(key, "other")


def _parties(ctx: Ctx) -> set[str] | None:
    """The parties of the goods the key names, or None when suyuan does not track them."""
    conn, ref = ctx.conn, ctx.ref
    if ref.kind == "parcel":
        row = parcel_row(conn, ref.key)
        return None if row is None else {row.owner, row.courier} - {None}
    if ref.kind == "other":
        return None
    if ref.kind == "item":
        row = item_row(conn, ref.key)
        if row is not None:
            return {row.owner, row.seller, row.courier} - {None}
    if ref.kind == "batch":
        row = batch_row(conn, ref.key)
        if row is not None:
            return {row.owner}
    product = product_row(conn, ref.gtin)
    return None if product is None else {product.owner}


def epcis(ctx: Ctx) -> None:
    parties = _parties(ctx)
    if parties is None or ctx.actor in parties or ctx.party.has("inspector"):
        return
    raise Forbidden(
        f"Not your goods: {ctx.ref.kind} {ctx.ref.key} is tracked here and belongs to "
        f"{' and '.join(sorted(parties))}, got party {ctx.actor}; only the goods' parties or an "
        "inspector record EPCIS events on them.",
        field="key",
    )
