"""Labels for ledger keys: QR codes, EAN-13 and GS1-128, as PNG or SVG.

A QR code carries the key's GS1 Digital Link URI on the resolver the caller
names (settings: `SUYUAN_RESOLVER_URL`); EAN-13 carries a bare GTIN
(GS1 General Specifications §5.2); GS1-128 carries the element string
with FNC1 after each variable-length field that is not last (§5.4).
"""

from __future__ import annotations

import io
from typing import Literal

import barcode
import qrcode
import qrcode.image.svg
from barcode.errors import BarcodeError
from barcode.writer import ImageWriter, SVGWriter
from biip import ParseError
from biip.gtin import Gtin, GtinFormat
from qrcode.exceptions import DataOverflowError

from suyuan.errors import InputError
from suyuan.codes import element_strings, gs1, keys

Kind = Literal["qr", "ean13", "gs1-128"]
Fmt = Literal["png", "svg"]

# Level Q restores up to ~25 % of the codewords. Printed labels get scuffed,
# folded over a bottle's curve, wet or partly covered by a price sticker;
# M (~15 %) is the usual screen default but leaves less margin for that,
# and a Digital Link URI of 40-90 characters still fits a small symbol
# (version 4-6) at Q.
QR_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_Q

# X-dimensions: 0.330 mm is EAN-13's nominal size; logistic labels want
# GS1-128 at 0.495 mm or more and bars at least 31.75 mm high (GS1 symbol
# specification tables). The height also lets a camera read the long
# symbol when it is held a few degrees off the horizontal.
_EAN13_MODULE_MM = 0.33
_GS1_128_MODULE_MM = 0.495
_GS1_128_HEIGHT_MM = 32.0
_DPI = 300
# GS1-128 holds at most 48 data characters, FNC1 separators not counted (§5.4).
_GS1_128_MAX_DATA = 48
_FNC1 = "\xf1"  # python-barcode's FNC1 marker inside Code 128 data


# --- QR ----------------------------------------------------------------------


def _qr(data: str, box_size: int, border: int) -> qrcode.QRCode:
    if not isinstance(data, str) or not data:
        raise InputError("Invalid QR data: expected a non-empty string.", field="data")
    if box_size < 1 or border < 0:
        raise InputError(
            f"Invalid QR size: expected box_size >= 1 and border >= 0, got {box_size} and {border}.",
            field="box_size",
        )
    qr = qrcode.QRCode(error_correction=QR_ERROR_CORRECTION, box_size=box_size, border=border)
    qr.add_data(data)
    try:
        qr.make(fit=True)
    except (DataOverflowError, ValueError) as exc:  # qrcode says "Invalid version (was 41...)"
        raise InputError(
            f"QR data too long: {len(data)} characters do not fit a version 40 symbol at level Q.",
            field="data",
        ) from exc
    return qr


def qr_png(data: str, *, box_size: int = 10, border: int = 4) -> bytes:
    """A PNG QR code for `data` (usually a Digital Link URI); border is the 4-module quiet zone."""
    image = _qr(data, box_size, border).make_image()
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def qr_svg(data: str, *, border: int = 4) -> bytes:
    """An SVG QR code for `data`: one path of unit squares, sized in mm."""
    image = _qr(data, 10, border).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode").encode()


# --- EAN-13 ------------------------------------------------------------------


def _ean13_digits(gtin: str) -> str:
    """The 13 digits an EAN-13 symbol carries for `gtin` (GTIN-13, or GTIN-14 with a leading 0).

    GTIN-12 is printed as EAN-13 with a leading 0, the same bars as UPC-A;
    GTIN-8 belongs in EAN-8 and a GTIN-14 with indicator 1-9 in ITF-14 or
    GS1-128, so both are refused.
    """
    if not isinstance(gtin, str) or not gtin.isdigit() or len(gtin) not in (13, 14):
        raise InputError(
            f"Invalid GTIN {gtin!r} for EAN-13: expected 13 digits or 14 with a leading 0.",
            field="gtin",
        )
    gtin14 = gtin.zfill(14)
    keys.check_digits("GTIN", gtin14, 14, field="gtin")
    if gtin14[0] != "0":
        raise InputError(
            f"GTIN {gtin14!r} has indicator digit {gtin14[0]}: expected 0 for EAN-13, "
            "use GS1-128 or a QR code.",
            field="gtin",
        )
    try:
        fmt = Gtin.parse(gtin14).format
    except ParseError as exc:  # pragma: no cover - check digit and length checked above
        raise InputError(str(exc), field="gtin") from exc
    if fmt == GtinFormat.GTIN_8:
        raise InputError(
            f"GTIN {gtin14!r} is a GTIN-8: expected a GTIN-12 or GTIN-13 for EAN-13, "
            "GTIN-8 is printed as EAN-8.",
            field="gtin",
        )
    return gtin14[1:]


def _ean13(gtin: str, writer: ImageWriter | SVGWriter) -> bytes:
    digits = _ean13_digits(gtin)
    symbol = barcode.get("ean13", digits, writer=writer)
    out = io.BytesIO()
    symbol.write(out, options={"module_width": _EAN13_MODULE_MM, "dpi": _DPI})
    return out.getvalue()


def ean13_png(gtin: str) -> bytes:
    return _ean13(gtin, ImageWriter(format="PNG"))


def ean13_svg(gtin: str) -> bytes:
    return _ean13(gtin, SVGWriter())


# --- GS1-128 -----------------------------------------------------------------


def element_string(key: str, attributes: dict[str, str] | None = None) -> str:
    """The HRI element string of a key, e.g. `(01)06901234567892(10)LOT7(21)SN1`.

    Attributes (expiry 17 and so on) follow the key's AIs, sorted by AI.
    """
    fields = gs1.split_key(key)
    for ai in sorted(attributes or {}):
        if ai in fields:
            raise InputError(
                f"Invalid attribute ({ai}): it is part of the key, expected it only once.",
                field="attributes",
            )
        fields[ai] = (attributes or {})[ai]
    return "".join(f"({ai}){value}" for ai, value in fields.items())


def _gs1_128_data(hri: str) -> tuple[str, str]:
    """(Code 128 data with FNC1 markers, HRI text) for an HRI element string.

    biip joins the fields, with FNC1 (GS) after each variable-length one but the last.
    """
    if not isinstance(hri, str) or not hri.startswith("("):
        raise InputError(
            f"Invalid element string {hri!r}: expected the (AI)data form, "
            "e.g. '(01)06901234567892(10)LOT7'.",
            field="element_string",
        )
    message = element_strings.message(gs1.parse_hri(hri))
    data = message.value.replace(element_strings.GS, _FNC1)
    length = len(message.value.replace(element_strings.GS, ""))
    if length > _GS1_128_MAX_DATA:
        raise InputError(
            f"Element string too long for GS1-128: expected at most {_GS1_128_MAX_DATA} "
            f"data characters, got {length}; use a QR code.",
            field="element_string",
        )
    return data, message.as_hri()


def _gs1_128(hri: str, writer: ImageWriter | SVGWriter) -> bytes:
    data, text = _gs1_128_data(hri)
    try:
        symbol = barcode.get("gs1_128", data, writer=writer)
    except BarcodeError as exc:  # pragma: no cover - set 82 is all Code 128
        raise InputError(f"Cannot encode {text!r} in GS1-128: {exc}", field="element_string") from exc
    out = io.BytesIO()
    options = {"module_width": _GS1_128_MODULE_MM, "module_height": _GS1_128_HEIGHT_MM, "dpi": _DPI}
    symbol.write(out, options=options, text=text)
    return out.getvalue()


def gs1_128_png(element_string: str) -> bytes:
    """A PNG GS1-128 for an HRI element string such as `(01)06901234567892(10)LOT7`."""
    return _gs1_128(element_string, ImageWriter(format="PNG"))


def gs1_128_svg(element_string: str) -> bytes:
    return _gs1_128(element_string, SVGWriter())


# --- dispatch ----------------------------------------------------------------


def render(
    key: str,
    kind: Kind,
    fmt: Fmt,
    resolver_base: str | None = None,
    attributes: dict[str, str] | None = None,
) -> bytes:
    """Render a label for a ledger key.

    `qr` carries the Digital Link URI on `resolver_base` (required for it);
    `ean13` fits only a GTIN key without lot or serial whose GTIN is an
    EAN-13/UPC-A; `gs1-128` carries the key (and attributes) as AIs.
    """
    gs1.validate_key(key)
    if fmt not in ("png", "svg"):
        raise InputError(f"Invalid format {fmt!r}: expected 'png' or 'svg'.", field="fmt")
    if kind == "qr":
        if not resolver_base:
            raise InputError(
                "No resolver base for a QR code: expected an http(s) URL "
                "(setting SUYUAN_RESOLVER_URL).",
                field="resolver_base",
            )
        uri = gs1.digital_link_uri(key, resolver_base, attributes)
        return qr_png(uri) if fmt == "png" else qr_svg(uri)
    if kind == "ean13":
        parts = key.split("/")
        if parts[0] != "01" or len(parts) != 2:
            what = "an SSCC" if parts[0] == "00" else "a lot or serial"
            raise InputError(
                f"EAN-13 does not fit key {key!r}: it carries only a GTIN and this key has "
                f"{what}, expected 'qr' or 'gs1-128'.",
                field="kind",
            )
        if attributes:
            raise InputError(
                "EAN-13 carries no attributes: expected 'qr' or 'gs1-128' for them.",
                field="attributes",
            )
        return ean13_png(parts[1]) if fmt == "png" else ean13_svg(parts[1])
    if kind == "gs1-128":
        hri = element_string(key, attributes)
        return gs1_128_png(hri) if fmt == "png" else gs1_128_svg(hri)
    raise InputError(
        f"Invalid label kind {kind!r}: expected 'qr', 'ean13' or 'gs1-128'.", field="kind"
    )
