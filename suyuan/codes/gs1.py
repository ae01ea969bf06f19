"""Scans parsed into ledger keys: the boundary between a scanner and the ledger.

`parse` takes whatever a scanner or a camera yields -- a GS1 element string
with or without a symbology identifier (ISO/IEC 15424: `]C1`, `]e0`, `]d2`,
`]Q3`, `]E0`, ...), the human-readable interpretation with parentheses, a bare
GTIN or SSCC, or a GS1 Digital Link URI on any host -- and returns a
`ScanResult`. The boundary never raises; the parsers below it raise
`InputError`:

- `suyuan.codes.keys`: check digits and the ledger keys
  (`validate_key`, `make_key`, `split_key`);
- `suyuan.codes.element_strings`: element strings and HRI, through biip;
- `suyuan.codes.digital_link`: Digital Link URIs, every primary key of the
  standard (`suyuan.codes.primary_keys`), and `digital_link_uri`.

Their public names are importable from here as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from biip import ParseError
from biip.symbology import GS1Symbology, ISOSymbology, SymbologyIdentifier
from biip.upc import Upc

from suyuan.codes.digital_link import DigitalLink, digital_link_uri, parse_digital_link
from suyuan.codes.element_strings import GS, SCAN_HINT, biip_message, parse_element_string, parse_hri
from suyuan.codes.keys import (
    KINDS,
    check_digits,
    check_key_elements,
    make_key,
    split_key,
    validate_key,
    verify_check_digit,
)
from suyuan.errors import InputError

__all__ = [
    "DigitalLink", "ScanResult", "digital_link_uri", "make_key", "parse", "parse_digital_link",
    "parse_element_string", "parse_hri", "split_key", "validate_key",
]  # fmt: skip


@dataclass(frozen=True)
class ScanResult:
    """What a scan says, with the ledger key or the reason there is none.

    `key` and `key_error` are paired: exactly one is set. The other fields
    hold what could be read even when no key could be made (for example a
    valid GTIN with an unsupported qualifier). `attributes` maps GS1 AIs
    that are not part of the key to their values, e.g. {"17": "261231"}
    for an expiry date or {"22": "A1"} for a consumer product variant.
    """

    key: str | None = None
    key_error: str | None = None
    kind: str | None = None  # "gtin" | "item" | "lot" | "lot_item" | "sscc"
    gtin: str | None = None  # always GTIN-14
    lot: str | None = None
    serial: str | None = None
    sscc: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    source_format: str | None = None  # "element_string" | "hri" | "digital_link" | "bare"
    value: str = ""  # the input, unchanged


def parse(value: str) -> ScanResult:
    """Parse what a scanner or camera yields into a ledger key. Never raises.

    Garbage gives `key=None` and a `key_error` saying what was wrong.
    """
    if not isinstance(value, str):
        return ScanResult(
            key_error=f"Invalid scan: {SCAN_HINT}, got {type(value).__name__}.",
            value="",
        )
    source_format = _guess_format(value)
    try:
        source_format, elements = _extract(value)
    except InputError as exc:
        return ScanResult(key_error=str(exc), source_format=source_format, value=value)
    except Exception as exc:  # noqa: BLE001  # the boundary must never crash on a scan
        return ScanResult(
            key_error=f"Invalid scan {value[:100]!r}: {SCAN_HINT} ({exc}).",
            source_format=source_format,
            value=value,
        )
    if isinstance(elements, DigitalLink):
        return _link_result(value, elements)
    return _result(value, source_format, elements)


def _fields(elements: dict[str, str], primary: str) -> dict:
    """The ScanResult fields of a scan whose ledger key would start with `primary`."""
    gtin = elements.get("01") if primary == "01" else None
    key_ais = {"01", "10", "21"} if primary == "01" else {"00"}
    return dict(
        gtin=gtin,
        lot=elements.get("10") if gtin is not None else None,
        serial=elements.get("21") if gtin is not None else None,
        sscc=elements.get("00") if primary == "00" else None,
        attributes={ai: v for ai, v in elements.items() if ai not in key_ais},
    )


def _result(value: str, source_format: str, elements: dict[str, str]) -> ScanResult:
    fields = _fields(elements, "01" if "01" in elements else "00")
    try:
        check_key_elements(elements)
        key = make_key(gtin=fields["gtin"], lot=fields["lot"], serial=fields["serial"],
                       sscc=fields["sscc"])  # fmt: skip
    except InputError as exc:
        return ScanResult(key_error=str(exc), source_format=source_format, value=value, **fields)
    kind = KINDS[tuple(key.split("/")[::2])]
    return ScanResult(key=key, kind=kind, source_format=source_format, value=value, **fields)


def _link_result(value: str, link: DigitalLink) -> ScanResult:
    """A Digital Link's primary key decides: its GTIN or SSCC, never one from the query."""
    fields = _fields(link.elements, link.primary_key)
    if link.primary_key not in ("01", "00"):
        fields = dict(attributes=link.elements)
    kind = KINDS[tuple(link.key.split("/")[::2])] if link.key else None
    return ScanResult(key=link.key, key_error=link.key_error, kind=kind,
                      source_format="digital_link", value=value, **fields)  # fmt: skip


def _guess_format(value: str) -> str | None:
    text = value.strip()
    if not text:
        return None
    if re.match(r"^(\][A-Za-z][0-9A-Za-z])?[A-Za-z][A-Za-z0-9+.\-]*://", text):
        return "digital_link"
    if text.startswith("("):
        return "hri"
    if text.isdigit() and len(text) in (8, 12, 13, 14, 18):
        return "bare"
    return "element_string"


def _symbology(text: str) -> tuple[SymbologyIdentifier | None, str]:
    """Split off an ISO/IEC 15424 symbology identifier, if the scan starts with one."""
    if not text.startswith("]"):
        return None, text
    try:
        if len(text) < 3:
            raise ParseError("expected ']' and two characters")
        symbology = SymbologyIdentifier.extract(text)
    except (ParseError, ValueError) as exc:
        raise InputError(
            f"Invalid symbology identifier in {text[:20]!r}: {biip_message(exc)}", field="scan"
        ) from exc
    rest = text[len(symbology) :]
    if not rest:
        raise InputError(f"Empty scan after symbology identifier {str(symbology)!r}.", field="scan")
    return symbology, rest


def _extract(value: str) -> tuple[str, dict[str, str] | DigitalLink]:
    """Return (source_format, {AI: value} or the Digital Link) for a scan, or raise InputError."""
    # Keyboard-wedge scanners end with CR/LF; printed HRI is often spaced out.
    text = value.strip(" \t\r\n")
    if not text:
        raise InputError(f"Empty scan: {SCAN_HINT}.", field="scan")
    if len(text) > 4096:
        raise InputError(
            f"Scan too long: expected at most 4096 characters, got {len(text)}.", field="scan"
        )
    symbology, text = _symbology(text)
    if _guess_format(text) == "digital_link":
        carriers = (ISOSymbology.QR_CODE, ISOSymbology.DATA_MATRIX)
        if symbology is not None and symbology.iso_symbology not in carriers:
            raise InputError(
                f"Unexpected URI in a {symbology.iso_symbology.name} symbol ({str(symbology)!r}): "
                "GS1 Digital Link URIs are carried by QR Code or Data Matrix.",
                field="scan",
            )
        return "digital_link", parse_digital_link(text)
    if symbology is not None:
        return _from_symbology(symbology, text)
    if text.startswith("("):
        return "hri", parse_hri(text)
    if text.isdigit() and len(text) in (8, 12, 13, 14):
        return "bare", _bare_gtin(text)
    if text.isdigit() and len(text) == 18:
        check_digits("SSCC", text, 18, field="scan")
        return "bare", {"00": text}
    if text.startswith(GS) or re.match(r"^\d{2}", text):
        return "element_string", parse_element_string(text)
    raise InputError(f"Unrecognised scan {text[:100]!r}: {SCAN_HINT}.", field="scan")


def _from_symbology(symbology: SymbologyIdentifier, text: str) -> tuple[str, dict[str, str]]:
    gs1 = symbology.gs1_symbology
    if gs1 in GS1Symbology.with_gtin():
        if gs1 == GS1Symbology.EAN_13_WITH_ADD_ON and len(text) in (15, 18):
            text = text[:13]  # a 2- or 5-digit add-on (price, issue) is not part of the GTIN
        return "bare", _bare_gtin(text, upc_e=gs1 == GS1Symbology.EAN_13 and len(text) == 8)
    if gs1 in GS1Symbology.with_gs1_messages():
        return "element_string", parse_element_string(text)
    raise InputError(
        f"Unsupported symbology {str(symbology)!r} ({symbology.iso_symbology.name}): "
        f"{SCAN_HINT} from a GS1 symbology.",
        field="scan",
    )


def _bare_gtin(digits: str, *, upc_e: bool = False) -> dict[str, str]:
    """A GTIN-8/12/13/14 from a linear symbol or typed in, padded to 14.

    With `]E0` an 8-digit value is UPC-E, the zero-suppressed form of a
    GTIN-12, expanded before padding.
    """
    if not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        raise InputError(
            f"Invalid GTIN {digits!r}: expected 8, 12, 13 or 14 digits, got {len(digits)} characters.",
            field="scan",
        )
    if upc_e:
        try:
            digits = Upc.parse(digits).as_upc_a()
        except ParseError as exc:
            raise InputError(f"Invalid UPC-E {digits!r}: {biip_message(exc)}", field="scan") from exc
    verify_check_digit("GTIN", digits, field="scan")
    return {"01": digits.zfill(14)}
