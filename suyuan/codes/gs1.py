"""GS1 keys as ledger keys, and scans parsed into them.

A ledger key is the canonical GS1 Digital Link path of the thing it names
(GS1 Digital Link URI Syntax 1.4, §4): `01/<GTIN-14>[/10/<lot>][/21/<serial>]`
or `00/<SSCC-18>`, with check digits verified (GS1 General Specifications
§7.9). Lots and serials use the GS1 AI encodable character set 82 (§7.11),
at most 20 characters; in a path, characters outside RFC 3986 "unreserved"
are percent-encoded, so the key is exactly what appears in a Digital Link URI.

`parse` takes whatever a scanner or a camera yields -- a GS1 element string
with or without a symbology identifier (ISO/IEC 15424: `]C1`, `]e0`, `]d2`, `]Q3`, `]E0`, ...), the
human-readable interpretation with parentheses, a bare GTIN or SSCC, or a
GS1 Digital Link URI on any host -- and returns a `ScanResult`. The boundary
never raises; the helpers below it raise `InputError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

from biip import ParseError
from biip.gs1_application_identifiers import GS1ApplicationIdentifier
from biip.gs1_element_strings import GS1ElementString
from biip.gs1_messages import GS1Message
from biip.symbology import GS1Symbology, ISOSymbology, SymbologyIdentifier
from biip.upc import Upc
from stdnum import ean

from suyuan.errors import InputError

# GS1 AI encodable character set 82 (General Specifications, Figure 7.11-1).
_CSET82 = re.compile(r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$")
_KEY_HINT = "expected 01/<GTIN-14>[/10/<lot>][/21/<serial>] or 00/<SSCC-18>"
_SCAN_HINT = (
    "expected a GS1 element string, a GS1 Digital Link URI, "
    "a GTIN (8, 12, 13 or 14 digits) or an SSCC (18 digits)"
)
_GS = "\x1d"  # ASCII group separator: how scanners transmit FNC1

# GS1 Digital Link URI Syntax: primary keys that may start the path info.
_DL_PRIMARY_KEYS = {
    "00", "01", "253", "255", "401", "402", "414", "415", "417",
    "8003", "8004", "8006", "8010", "8013", "8017", "8018",
}  # fmt: skip
# Key qualifiers of a GTIN, in the order the URI Syntax requires (22, 10, 21, 235).
_GTIN_QUALIFIERS = ("22", "10", "21", "235")
# Alphabetic AI names of Digital Link 1.0/1.1, deprecated since URI Syntax 1.2.
_DL_LEGACY_NAMES = {"gtin": "01", "sscc": "00", "cpv": "22", "lot": "10", "ser": "21"}

_NAMES = {"00": "SSCC", "01": "GTIN", "02": "GTIN", "10": "lot", "21": "serial"}


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


# --- check digits and keys ---------------------------------------------------


def _verify_check_digit(kind: str, digits: str, field: str = "key") -> None:
    """Raise InputError unless the last digit is the GS1 mod-10 check digit (§7.9)."""
    expected = ean.calc_check_digit(digits[:-1])
    if digits[-1] != expected:
        raise InputError(
            f"Invalid {kind} check digit for {digits!r}: expected {expected}, got {digits[-1]}.",
            field=field,
        )


def _check_digit(kind: str, digits: str, length: int, field: str = "key") -> None:
    if len(digits) != length or not digits.isdigit():
        raise InputError(
            f"Invalid {kind} {digits!r}: expected {length} digits, got {len(digits)} characters.",
            field=field,
        )
    _verify_check_digit(kind, digits, field)


def _attribute(kind: str, encoded: str) -> str:
    value = unquote(encoded)
    if not _CSET82.match(value):
        raise InputError(
            f"Invalid {kind} {value!r}: expected 1 to 20 characters of GS1 character set 82.",
            field="key",
        )
    if quote(value, safe="") != encoded:
        raise InputError(
            f"Invalid {kind} {encoded!r} in key: expected it percent-encoded as "
            f"{quote(value, safe='')!r}.",
            field="key",
        )
    return value


def validate_key(key: str) -> str:
    """Return `key` if it is a canonical ledger key, else raise InputError."""
    if not isinstance(key, str) or not key:
        raise InputError(f"Invalid key: {_KEY_HINT}, got an empty value.", field="key")
    parts = key.split("/")
    if parts[0] == "00":
        if len(parts) != 2:
            raise InputError(f"Invalid key {key!r}: {_KEY_HINT}.", field="key")
        _check_digit("SSCC", parts[1], 18)
        return key
    if parts[0] != "01" or len(parts) not in (2, 4, 6):
        raise InputError(f"Invalid key {key!r}: {_KEY_HINT}.", field="key")
    _check_digit("GTIN", parts[1], 14)
    qualifiers = [parts[i] for i in range(2, len(parts), 2)]
    if qualifiers not in ([], ["10"], ["21"], ["10", "21"]):
        raise InputError(
            f"Invalid key {key!r}: qualifiers must be /10/<lot> then /21/<serial>, "
            f"got {'/'.join(qualifiers)}.",
            field="key",
        )
    for i in range(2, len(parts), 2):
        _attribute("lot" if parts[i] == "10" else "serial", parts[i + 1])
    return key


def make_key(
    *,
    gtin: str | None = None,
    lot: str | None = None,
    serial: str | None = None,
    sscc: str | None = None,
) -> str:
    """Build the canonical key from its parts (GTIN-14 or SSCC-18, decoded lot/serial)."""
    if sscc is not None:
        if gtin is not None or lot is not None or serial is not None:
            raise InputError(
                "Invalid key parts: an SSCC key takes no GTIN, lot or serial.", field="key"
            )
        return validate_key(f"00/{sscc}")
    if gtin is None:
        raise InputError(f"Invalid key parts: {_KEY_HINT}, got neither GTIN nor SSCC.", field="key")
    key = f"01/{gtin}"
    if lot is not None:
        key += f"/10/{quote(lot, safe='')}"
    if serial is not None:
        key += f"/21/{quote(serial, safe='')}"
    return validate_key(key)


def split_key(key: str) -> dict[str, str]:
    """Return the AIs of a valid key with decoded values, e.g. {"01": ..., "10": ...}."""
    parts = validate_key(key).split("/")
    return {parts[i]: unquote(parts[i + 1]) for i in range(0, len(parts), 2)}


# --- the boundary ------------------------------------------------------------


def parse(value: str) -> ScanResult:
    """Parse what a scanner or camera yields into a ledger key. Never raises.

    Garbage gives `key=None` and a `key_error` saying what was wrong.
    """
    if not isinstance(value, str):
        return ScanResult(
            key_error=f"Invalid scan: {_SCAN_HINT}, got {type(value).__name__}.",
            value="",
        )
    source_format = _guess_format(value)
    try:
        source_format, elements = _extract(value)
    except InputError as exc:
        return ScanResult(key_error=str(exc), source_format=source_format, value=value)
    except Exception as exc:  # noqa: BLE001  # the boundary must never crash on a scan
        return ScanResult(
            key_error=f"Invalid scan {value[:100]!r}: {_SCAN_HINT} ({exc}).",
            source_format=source_format,
            value=value,
        )
    return _result(value, source_format, elements)


def _result(value: str, source_format: str, elements: dict[str, str]) -> ScanResult:
    gtin = elements.get("01")
    sscc = elements.get("00") if gtin is None else None
    lot = elements.get("10") if gtin is not None else None
    serial = elements.get("21") if gtin is not None else None
    key_ais = {"01", "10", "21"} if gtin is not None else {"00"}
    attributes = {ai: v for ai, v in elements.items() if ai not in key_ais}
    fields = dict(
        gtin=gtin, lot=lot, serial=serial, sscc=sscc, attributes=attributes,
        source_format=source_format, value=value,
    )  # fmt: skip
    try:
        _check_key_elements(elements)
        key = make_key(gtin=gtin, lot=lot, serial=serial, sscc=sscc)
    except InputError as exc:
        return ScanResult(key_error=str(exc), **fields)
    kind = _KINDS[tuple(key.split("/")[::2])]
    return ScanResult(key=key, kind=kind, **fields)


# The key's AIs name its kind.
_KINDS = {
    ("00",): "sscc",
    ("01",): "gtin",
    ("01", "21"): "item",
    ("01", "10"): "lot",
    ("01", "10", "21"): "lot_item",
}


def _check_key_elements(elements: dict[str, str]) -> None:
    """Refuse combinations that name no single ledger key."""
    ais = "".join(f"({ai})" for ai in elements)
    if "01" in elements and "00" in elements:
        raise InputError(
            f"Ambiguous scan {ais}: expected one primary key, got both an SSCC (00) "
            "and a GTIN (01).",
            field="scan",
        )
    if "01" not in elements and "00" not in elements:
        raise InputError(
            f"No ledger key in scan {ais}: expected a GTIN (01) or an SSCC (00).",
            field="scan",
        )
    # General Specifications, invalid pairs of element strings: (01) with (02)/(37).
    for other in ("02", "37"):
        if "01" in elements and other in elements:
            raise InputError(
                f"Invalid AI pair (01) and ({other}): ({other}) describes the contents "
                "of a logistic unit and must not appear with a GTIN (01).",
                field="scan",
            )
    if "01" in elements and "235" in elements:
        raise InputError(
            "Unsupported key qualifier (235) third-party controlled serial: "
            "expected only (10) lot and (21) serial with a GTIN.",
            field="scan",
        )


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


def _extract(value: str) -> tuple[str, dict[str, str]]:
    """Return (source_format, {AI: value}) for a scan, or raise InputError."""
    # Keyboard-wedge scanners end with CR/LF; printed HRI is often spaced out.
    text = value.strip(" \t\r\n")
    if not text:
        raise InputError(f"Empty scan: {_SCAN_HINT}.", field="scan")
    if len(text) > 4096:
        raise InputError(
            f"Scan too long: expected at most 4096 characters, got {len(text)}.", field="scan"
        )
    symbology: SymbologyIdentifier | None = None
    if text.startswith("]"):
        try:
            if len(text) < 3:
                raise ParseError("expected ']' and two characters")
            symbology = SymbologyIdentifier.extract(text)
        except (ParseError, ValueError) as exc:
            raise InputError(
                f"Invalid symbology identifier in {text[:20]!r}: {_biip(exc)}", field="scan"
            ) from exc
        text = text[len(symbology) :]
        if not text:
            raise InputError(f"Empty scan after symbology identifier {str(symbology)!r}.", field="scan")

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
        gs1 = symbology.gs1_symbology
        if gs1 in GS1Symbology.with_gtin():
            if gs1 == GS1Symbology.EAN_13_WITH_ADD_ON and len(text) in (15, 18):
                text = text[:13]  # a 2- or 5-digit add-on (price, issue) is not part of the GTIN
            return "bare", _bare_gtin(text, upc_e=gs1 == GS1Symbology.EAN_13 and len(text) == 8)
        if gs1 in GS1Symbology.with_gs1_messages():
            return "element_string", parse_element_string(text)
        raise InputError(
            f"Unsupported symbology {str(symbology)!r} ({symbology.iso_symbology.name}): "
            f"{_SCAN_HINT} from a GS1 symbology.",
            field="scan",
        )

    if text.startswith("("):
        return "hri", parse_hri(text)
    if text.isdigit() and len(text) in (8, 12, 13, 14):
        return "bare", _bare_gtin(text)
    if text.isdigit() and len(text) == 18:
        _check_digit("SSCC", text, 18, field="scan")
        return "bare", {"00": text}
    if text.startswith(_GS) or re.match(r"^\d{2}", text):
        return "element_string", parse_element_string(text)
    raise InputError(f"Unrecognised scan {text[:100]!r}: {_SCAN_HINT}.", field="scan")


_NO_MATCH = re.compile(r"^Failed to match '(.*)' with GS1 AI \((\d+)\) pattern", re.S)
_NO_AI = re.compile(r"^Failed to get GS1 Application Identifier from '(.*)'\.$", re.S)


def _explain(exc: Exception) -> str:
    """Say which field of an element string failed, in suyuan's words."""
    text = str(exc)
    if match := _NO_MATCH.match(text):
        ai = match.group(2)
        data = match.group(1)[len(ai) :]
        app_id = GS1ApplicationIdentifier.extract(ai)
        spec = app_id.format.split("+", 1)[-1]
        return (
            f"AI ({ai}) {app_id.data_title} expected format {spec}, "
            f"got {data!r} ({len(data)} characters)."
        )
    if match := _NO_AI.match(text):
        return f"expected a GS1 Application Identifier, got {match.group(1)[:20]!r}."
    return _biip(exc)


def _biip(exc: Exception) -> str:
    # biip writes "Expected 7, got 8."; suyuan's messages read "expected A, got B".
    return str(exc).replace(": Expected", ": expected")


# --- bare GTINs --------------------------------------------------------------


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
            raise InputError(f"Invalid UPC-E {digits!r}: {_biip(exc)}", field="scan") from exc
    _verify_check_digit("GTIN", digits, field="scan")
    return {"01": digits.zfill(14)}


# --- element strings and HRI -------------------------------------------------


def _element(ai: str, data: str, where: str) -> str:
    """Validate one AI's data against its format (§3.2) and check digits (§7.9)."""
    try:
        app_id = GS1ApplicationIdentifier.extract(ai)
    except ParseError:
        app_id = None
    if app_id is None or app_id.ai != ai:
        raise InputError(f"Unknown GS1 Application Identifier ({ai}) in {where}.", field="scan")
    if ai in ("00", "01", "02") and data.isdigit():
        length = 18 if ai == "00" else 14
        if len(data) == length:
            _verify_check_digit(_NAMES[ai], data, field="scan")
    try:
        element = GS1ElementString.parse(f"{ai}{data}")
    except ParseError as exc:
        spec = app_id.format.split("+", 1)[-1]
        if "date" in str(exc):
            raise InputError(
                f"Invalid date in AI ({ai}) {app_id.data_title}: expected a calendar "
                f"date (YYMMDD, DD may be 00), got {data!r}.",
                field="scan",
            ) from exc
        raise InputError(
            f"Invalid AI ({ai}) {app_id.data_title} value {data!r} in {where}: "
            f"expected format {spec}, got {len(data)} characters that do not match it.",
            field="scan",
        ) from exc
    for error in (element.gtin_error, element.sscc_error):
        if error:
            raise InputError(_biip(error), field="scan")
    return element.value


def _collect(pairs: list[tuple[str, str]], where: str) -> dict[str, str]:
    """AI pairs into a dict; a repeated AI must repeat its value."""
    elements: dict[str, str] = {}
    for ai, data in pairs:
        if ai in elements and elements[ai] != data:
            raise InputError(
                f"Conflicting values for AI ({ai}) in {where}: "
                f"expected one value, got {elements[ai]!r} and {data!r}.",
                field="scan",
            )
        elements[ai] = data
    return elements


def parse_element_string(text: str) -> dict[str, str]:
    """Parse a GS1 element string, GS-separated, into {AI: value}.

    Variable-length fields not at the end must be followed by GS (0x1D),
    which is how scanners transmit FNC1; a leading GS (FNC1 in first
    position) and a trailing one are tolerated.
    """
    where = "element string"
    body = text.strip(_GS)
    if not body:
        raise InputError(f"Empty element string: {_SCAN_HINT}.", field="scan")
    if _GS * 2 in body:
        raise InputError(
            f"Invalid element string {text!r}: expected one GS between fields, got two in a row.",
            field="scan",
        )
    try:
        message = GS1Message.parse(body)
    except ParseError as exc:
        raise InputError(
            f"Invalid GS1 element string {text[:100]!r}: {_explain(exc)}", field="scan"
        ) from exc
    pairs = []
    for es in message.element_strings:
        pairs.append((es.ai.ai, _element(es.ai.ai, es.value, where)))
    return _collect(pairs, where)


_HRI_FIELD = re.compile(r"\((\d{2,4})\)([^(]*)")


def parse_hri(text: str) -> dict[str, str]:
    """Parse the human-readable interpretation `(01)...(10)...` into {AI: value}."""
    # Printed HRI puts spaces around the (AI) prefixes; data never holds a
    # space (set 82 has none), so only those spaces go.
    hri = re.sub(r"\s*(\(\d{2,4}\))\s*", r"\1", text.strip())
    pairs: list[tuple[str, str]] = []
    pos = 0
    for match in _HRI_FIELD.finditer(hri):
        if match.start() != pos:
            break
        ai, data = match.groups()
        if not data:
            raise InputError(
                f"Invalid HRI {text!r}: AI ({ai}) has no data.", field="scan"
            )
        pairs.append((ai, data))
        pos = match.end()
    if not pairs or pos != len(hri):
        raise InputError(
            f"Invalid HRI {text!r}: expected (AI)data(AI)data, "
            f"got unparsable text at position {pos}.",
            field="scan",
        )
    return _collect([(ai, _element(ai, data, "HRI")) for ai, data in pairs], "HRI")


# --- GS1 Digital Link URIs ---------------------------------------------------


def parse_digital_link(uri: str) -> dict[str, str]:
    """Parse a GS1 Digital Link URI (URI Syntax 1.4) into {AI: decoded value}.

    Any host and path prefix; http or https. The path info is a primary key
    and its key qualifiers, each percent-decoded after splitting on "/"; a
    GTIN must be written with 14 digits (ABNF `gtin-value = 14DIGIT`:
    GTIN-8/12/13 "SHALL be expressed as 14 digits"), qualifiers of a GTIN
    come in the order 22, 10, 21. Numeric query parameters are data
    attributes (e.g. `17=261231`); other parameters (`linkType`, ...) are
    not GS1 data and are ignored.
    """
    where = f"Digital Link URI {uri[:200]!r}"
    try:
        parts = urlsplit(uri)
    except ValueError as exc:
        raise InputError(f"Invalid {where}: {exc}.", field="scan") from exc
    if parts.scheme not in ("http", "https"):
        raise InputError(
            f"Invalid {where}: expected scheme http or https, got {parts.scheme!r}.", field="scan"
        )
    if not parts.hostname:
        raise InputError(f"Invalid {where}: expected a host name.", field="scan")
    segments = parts.path.split("/")[1:]
    if segments and segments[-1] == "":
        segments.pop()  # a trailing slash adds no segment
    start = next((i for i, seg in enumerate(segments) if seg in _DL_PRIMARY_KEYS), None)
    if start is None:
        legacy = next((seg for seg in segments if seg in _DL_LEGACY_NAMES), None)
        if legacy is not None:
            raise InputError(
                f"Invalid {where}: the alphabetic AI {legacy!r} is deprecated since "
                f"Digital Link URI Syntax 1.2, expected the numeric AI "
                f"{_DL_LEGACY_NAMES[legacy]!r}.",
                field="scan",
            )
        raise InputError(
            f"Invalid {where}: expected a primary key such as /01/<GTIN> or /00/<SSCC> in the path.",
            field="scan",
        )
    info = segments[start:]
    if len(info) % 2:
        raise InputError(
            f"Invalid {where}: expected /AI/value pairs after the path prefix, "
            f"got {len(info)} segments.",
            field="scan",
        )
    pairs = [(info[i], _pct_decode(info[i + 1], where)) for i in range(0, len(info), 2)]
    primary, primary_value = pairs[0]
    if primary not in ("01", "00"):
        raise InputError(
            f"Unsupported primary key ({primary}) in {where}: expected a GTIN (01) or an SSCC (00).",
            field="scan",
        )
    if primary == "01" and primary_value.isdigit() and len(primary_value) in (8, 12, 13):
        raise InputError(
            f"Invalid GTIN {primary_value!r} in {where}: a GTIN in a Digital Link path "
            f"must have 14 digits, expected {primary_value.zfill(14)!r}, "
            f"got {len(primary_value)} digits.",
            field="scan",
        )
    allowed = _GTIN_QUALIFIERS if primary == "01" else ()
    seen: list[str] = []
    for ai, _ in pairs[1:]:
        if ai not in allowed:
            hint = (
                "expected it as a query parameter" if ai.isdigit() else "expected a numeric AI"
            )
            raise InputError(
                f"Invalid {where}: ({ai}) is not a key qualifier of ({primary}), {hint}.",
                field="scan",
            )
        seen.append(ai)
    if seen != sorted(set(seen), key=_GTIN_QUALIFIERS.index):
        raise InputError(
            f"Invalid {where}: key qualifiers must follow the order 22, 10, 21, "
            f"got {', '.join(seen)}.",
            field="scan",
        )
    path_pairs = [(ai, _element(ai, data, where)) for ai, data in pairs]

    query_pairs: list[tuple[str, str]] = []
    for param in parts.query.split("&") if parts.query else []:
        name, _, data = param.partition("=")
        name = unquote(name)
        if not name.isdigit():
            continue  # not GS1 data (URI Syntax: other parameters are permitted)
        if name in _DL_PRIMARY_KEYS or name in _GTIN_QUALIFIERS:
            raise InputError(
                f"Invalid {where}: ({name}) is a key or key qualifier, "
                "expected it in the path, not the query string.",
                field="scan",
            )
        # '+' is a character of set 82, not a space: no form decoding here.
        data = _pct_decode(data, where)
        query_pairs.append((name, _element(name, data, where)))
    return _collect(path_pairs + query_pairs, where)


def _pct_decode(segment: str, where: str) -> str:
    try:
        return unquote(segment, errors="strict")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"Invalid percent-encoding {segment!r} in {where}: expected UTF-8 octets.",
            field="scan",
        ) from exc


def digital_link_uri(
    key: str, resolver_base: str, attributes: dict[str, str] | None = None
) -> str:
    """The GS1 Digital Link URI of `key` on `resolver_base` (any http(s) host and prefix).

    A consumer product variant (22) goes into the path before the lot, as the
    URI Syntax orders qualifiers; other attributes become query parameters,
    sorted by AI.
    """
    validate_key(key)
    base = resolver_base.rstrip("/") if isinstance(resolver_base, str) else ""
    try:
        parts = urlsplit(base)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
    ):
        raise InputError(
            f"Invalid resolver base {resolver_base!r}: expected an http(s) URL such as "
            "'https://id.example.com' with an optional path prefix.",
            field="resolver_base",
        )
    clash = [seg for seg in parts.path.split("/") if seg in _DL_PRIMARY_KEYS]
    if clash:
        # A parser takes the first such segment for the primary key.
        raise InputError(
            f"Invalid resolver base {resolver_base!r}: expected a path prefix without "
            f"a GS1 key AI as a segment, got {clash[0]!r}.",
            field="resolver_base",
        )
    attrs = dict(attributes or {})
    for ai in attrs:
        if not isinstance(ai, str) or not ai.isdigit():
            raise InputError(f"Invalid attribute {ai!r}: expected a numeric GS1 AI.", field="attributes")
        in_key = ai in _DL_PRIMARY_KEYS or ai in ("10", "21", "235")
        if in_key or (ai == "22" and key.startswith("00/")):
            raise InputError(
                f"Invalid attribute ({ai}): it is a key or key qualifier, expected it in the key.",
                field="attributes",
            )
        _element(ai, attrs[ai], "attributes")
    segments = key.split("/")
    path = f"/{segments[0]}/{segments[1]}"
    if "22" in attrs:
        path += f"/22/{quote(attrs.pop('22'), safe='')}"
    if len(segments) > 2:
        path += "/" + "/".join(segments[2:])
    query = "&".join(f"{ai}={quote(attrs[ai], safe='')}" for ai in sorted(attrs))
    return base + path + (f"?{query}" if query else "")
