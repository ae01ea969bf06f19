"""EPCs as EPCIS carries them -- EPC URNs and GS1 Digital Link URIs -- and the ledger keys they name.

EPCIS 2.0 (§8.1, and GS1 EPC Tag Data Standard 2.0 §6) lets an event name
things by EPC URN (`urn:epc:id:sgtin:0614141.107346.2017`), EPC class URN
(`urn:epc:class:lgtin:...`), EPC pattern (`urn:epc:idpat:sgtin:...*`) or
GS1 Digital Link URI (`https://id.gs1.org/01/.../21/2017`). Every one of them
becomes a ledger key: the canonical Digital Link path of the GS1 key
(`01/<GTIN-14>/21/<serial>`, `00/<SSCC-18>`, `414/<GLN>/254/<ext>`,
`8004/<GIAI>`, ...). A URN's dot says where the GS1 Company Prefix ends, which
is how a key is written back as a URN (`to_urn`); without it, biip's table of
GS1 Company Prefix lengths decides. Check digits are computed from a URN and
verified in a URI: a bad one, a wrong prefix length or an unknown scheme is an
`InputError` naming the EPC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote

from biip import ParseError
from biip.checksums import gs1_standard_check_digit
from biip.gs1_prefixes import GS1CompanyPrefix

from suyuan.codes.digital_link import parse_digital_link
from suyuan.codes.keys import validate_key
from suyuan.errors import InputError

DL_BASE = "https://id.gs1.org/"
_CANONICAL_DL = re.compile(r"^https://id\.gs1\.org/((?:01/\d{14}(?:/10/[^/?#]+)?(?:/21/[^/?#]+)?)|00/\d{18})$")
_URN = re.compile(r"^urn:epc:(id|class|idpat):([a-z]+):(.+)$")


@dataclass(frozen=True)
class Epc:
    """An EPC as written (`value`) and the ledger key it names.

    `level` is `instance` (one thing) or `class` (a product or lot, as in a
    quantity element or a pattern); `gcp` is the GS1 Company Prefix length a
    URN gave, so that it can be written back the same way.
    """

    value: str
    key: str
    level: str
    gcp: int | None = None

    @property
    def is_urn(self) -> bool:
        return self.value.startswith("urn:")


def _cd(digits: str) -> str:
    return str(gs1_standard_check_digit(digits))


def _bad(value: str, why: str) -> InputError:
    return InputError(f"Invalid EPC {value[:200]!r}: {why}.", field="epc")


def _digits(value: str, part: str, what: str) -> str:
    if not part.isdigit():
        raise _bad(value, f"expected digits for the {what}, got {part[:40]!r}")
    return part


def _company(value: str, prefix: str, ref: str, total: int, what: str) -> tuple[str, str]:
    """Check a company prefix and reference that together hold `total` digits."""
    _digits(value, prefix, "GS1 Company Prefix")
    if not 6 <= len(prefix) <= 12:
        raise _bad(value, f"expected a GS1 Company Prefix of 6 to 12 digits, got {len(prefix)}")
    if len(prefix) + len(ref) != total:
        raise _bad(value, f"expected the GS1 Company Prefix and {what} to hold {total} digits together, "
                          f"got {len(prefix)} + {len(ref)}")
    return prefix, _digits(value, ref, what)


def _serial(value: str, part: str) -> str:
    """A URN serial component: its %-escapes decoded, percent-encoded again as in a key."""
    if not part:
        raise _bad(value, "expected a serial after the last dot, got nothing")
    return quote(unquote(part), safe="")


def _gtin(value: str, prefix: str, ref: str) -> str:
    _company(value, prefix, ref, 13, "indicator and item reference")
    body = ref[0] + prefix + ref[1:]
    return body + _cd(body)


def _gln(value: str, prefix: str, ref: str) -> str:
    _company(value, prefix, ref, 12, "location reference")
    return prefix + ref + _cd(prefix + ref)


def _sgtin(v: str, p: list[str]) -> str:
    return f"01/{_gtin(v, p[0], p[1])}/21/{_serial(v, p[2])}"


def _lgtin(v: str, p: list[str]) -> str:
    return f"01/{_gtin(v, p[0], p[1])}/10/{_serial(v, p[2])}"


def _sscc(v: str, p: list[str]) -> str:
    _company(v, p[0], p[1], 17, "extension digit and serial reference")
    body = p[1][0] + p[0] + p[1][1:]
    return f"00/{body + _cd(body)}"


def _sgln(v: str, p: list[str]) -> str:
    gln = _gln(v, p[0], p[1])
    return f"414/{gln}" if p[2] == "0" else f"414/{gln}/254/{_serial(v, p[2])}"


def _grai(v: str, p: list[str]) -> str:
    _company(v, p[0], p[1], 12, "asset type")
    body = "0" + p[0] + p[1]
    return f"8003/{body + _cd(body)}{_serial(v, p[2])}"


def _numbered(ai: str, what: str, total: int, serial: bool) -> Any:
    """A key of `total` digits (prefix + reference) and its check digit, then maybe a serial."""
    def build(v: str, p: list[str]) -> str:
        _company(v, p[0], p[1], total, what)
        body = p[0] + p[1]
        return f"{ai}/{body + _cd(body)}" + (_serial(v, p[2]) if serial else "")
    return build


def _free(ai: str) -> Any:
    """A key of a company prefix and a free-form reference (GIAI, GINC), no check digit."""
    def build(v: str, p: list[str]) -> str:
        return f"{ai}/{_digits(v, p[0], 'GS1 Company Prefix')}{_serial(v, p[1])}"
    return build


def _cpi(v: str, p: list[str]) -> str:
    return f"8010/{_digits(v, p[0], 'GS1 Company Prefix')}{_serial(v, p[1])}/8011/{_digits(v, p[2], 'serial')}"


def _itip(v: str, p: list[str]) -> str:
    piece, total = _digits(v, p[2], "piece"), _digits(v, p[3], "total")
    return f"8006/{_gtin(v, p[0], p[1])}{piece}{total}/21/{_serial(v, p[4])}"


def _upui(v: str, p: list[str]) -> str:
    return f"01/{_gtin(v, p[0], p[1])}/235/{_serial(v, p[2])}"


# TDS 2.0 §6.3: scheme -> (how many dot-separated parts, the ledger key they make)
_SCHEMES: dict[str, tuple[int, Any]] = {
    "sgtin": (3, _sgtin), "lgtin": (3, _lgtin), "sscc": (2, _sscc), "sgln": (3, _sgln),
    "pgln": (2, lambda v, p: f"417/{_gln(v, p[0], p[1])}"), "grai": (3, _grai), "giai": (2, _free("8004")),
    "gsrn": (2, _numbered("8018", "service reference", 17, False)),
    "gsrnp": (2, _numbered("8017", "service reference", 17, False)),
    "gdti": (3, _numbered("253", "document type", 12, True)),
    "sgcn": (3, _numbered("255", "coupon reference", 12, True)), "ginc": (2, _free("401")),
    "gsin": (2, _numbered("402", "shipper reference", 16, False)), "cpi": (3, _cpi), "itip": (5, _itip),
    "upui": (3, _upui),
}  # fmt: skip


def _urn_path(value: str, scheme: str, parts: list[str]) -> str:
    """The ledger key of an EPC URN's scheme and dot-separated parts."""
    if scheme not in _SCHEMES:
        raise _bad(value, f"expected an EPC scheme suyuan keys by ({', '.join(_SCHEMES)}), got {scheme!r}")
    count, build = _SCHEMES[scheme]
    if len(parts) != count:
        raise _bad(value, f"expected {count} dot-separated parts for {scheme}, got {len(parts)}")
    return build(value, parts)


def _from_urn(value: str) -> Epc:
    m = _URN.match(value)
    if m is None:
        raise _bad(value, "expected urn:epc:id:, urn:epc:class: or urn:epc:idpat: and a scheme")
    space, scheme, body = m.groups()
    parts = body.split(".")
    if space == "class" and scheme != "lgtin":
        raise _bad(value, f"expected the EPC class scheme lgtin, got {scheme!r}")
    if space == "idpat":
        if scheme != "sgtin" or len(parts) != 3 or parts[2] != "*":
            raise _bad(value, "expected a class-level pattern urn:epc:idpat:sgtin:<prefix>.<item ref>.*")
        return Epc(value, f"01/{_gtin(value, parts[0], parts[1])}", "class", len(parts[0]))
    if space == "id" and scheme == "lgtin":
        raise _bad(value, "expected lgtin as urn:epc:class:lgtin:, not urn:epc:id:")
    key = _urn_path(value, scheme, parts)
    _check_key(value, key)
    return Epc(value, key, "class" if scheme == "lgtin" else "instance", len(parts[0]))


def _check_key(value: str, key: str) -> None:
    """Validate a key built from a URN: GTIN/SSCC keys directly, other GS1 keys as a Digital Link."""
    try:
        if key.startswith(("01/", "00/")) and "/235/" not in key:
            validate_key(key)
        else:
            parse_digital_link(DL_BASE + key)
    except InputError as exc:
        raise _bad(value, str(exc).rstrip(".")) from None


def _from_uri(value: str) -> Epc:
    fast = _CANONICAL_DL.match(value)
    if fast is not None:
        try:
            key = validate_key(fast.group(1))
        except InputError as exc:
            raise _bad(value, str(exc).rstrip(".")) from None
        return Epc(value, key, "instance" if "/21/" in key or key.startswith("00/") else "class")
    try:
        link = parse_digital_link(value)
    except InputError as exc:
        raise _bad(value, str(exc).rstrip(".")) from None
    if link.attributes:
        raise _bad(value, "expected a Digital Link URI without data attributes in its query")
    key = link.key or "/".join(f"{ai}/{quote(v, safe='')}" for ai, v in link.path)
    qualifiers = {ai for ai, _ in link.path[1:]}
    level = "class" if link.primary_key == "01" and not qualifiers & {"21", "235"} else "instance"
    return Epc(value, key, level)


@lru_cache(maxsize=65536)
def parse_epc(value: str) -> Epc:
    """The ledger key an EPC URN or GS1 Digital Link URI names; InputError naming it otherwise."""
    if not isinstance(value, str) or not value:
        raise InputError("Invalid EPC: expected an EPC URN or a GS1 Digital Link URI, got an empty value.",
                         field="epc")
    if value.startswith("urn:"):
        return _from_urn(value)
    if value.startswith(("http://", "https://")):
        return _from_uri(value)
    raise _bad(value, "expected an EPC URN (urn:epc:...) or a GS1 Digital Link URI (https://...)")


def maybe_epc(value: object) -> Epc | None:
    """`parse_epc`, or None for anything that is not a GS1 identifier (a location given by name)."""
    if not isinstance(value, str):
        return None
    try:
        return parse_epc(value)
    except InputError:
        return None


# --- writing keys back ---------------------------------------------------------------


def to_digital_link(key: str) -> str:
    """The canonical GS1 Digital Link URI of a ledger key (on id.gs1.org)."""
    return DL_BASE + key


def company_prefix_length(digits: str) -> int | None:
    """The GS1 Company Prefix length of a key's digits (from after an indicator), by biip's table."""
    try:
        prefix = GS1CompanyPrefix.extract(digits)
    except (ParseError, ValueError):
        return None
    return len(prefix.value) if prefix is not None else None


def _split(digits: str, gcp: int | None, lookup_from: int = 0) -> tuple[str, str] | None:
    gcp = gcp or company_prefix_length(digits[lookup_from:])
    if gcp is None or not 6 <= gcp <= 12:
        return None
    return digits[lookup_from:lookup_from + gcp], digits[lookup_from + gcp:]


def _urn_serial(encoded: str) -> str:
    """A key's percent-encoded serial as an EPC URN component (TDS 2.0 §6.2.1 escapes)."""
    return quote(unquote(encoded), safe="!'()*+,-.:;=_")


def _gtin_urn(value: str, quals: dict[str, str], gcp: int | None) -> str | None:
    split = _split(value[1:13], gcp)
    if split is None:
        return None
    head = f"{split[0]}.{value[0]}{split[1]}"
    if "21" in quals:
        return f"urn:epc:id:sgtin:{head}.{_urn_serial(quals['21'])}"
    if "235" in quals:
        return f"urn:epc:id:upui:{head}.{_urn_serial(quals['235'])}"
    if "10" in quals:
        return f"urn:epc:class:lgtin:{head}.{_urn_serial(quals['10'])}"
    return f"urn:epc:idpat:sgtin:{head}.*"


def _gln_urn(scheme: str) -> Any:
    def write(value: str, quals: dict[str, str], gcp: int | None) -> str | None:
        split = _split(value[:12], gcp)
        if split is None:
            return None
        tail = f".{_urn_serial(quals.get('254', '0'))}" if scheme == "sgln" else ""
        return f"urn:epc:id:{scheme}:{split[0]}.{split[1]}{tail}"
    return write


def _digits_urn(scheme: str, digits: int, start: int = 0, serial_from: int | None = None) -> Any:
    """A key of fixed digits (from `start`, `digits` long before the check digit), maybe a serial after it."""
    def write(value: str, quals: dict[str, str], gcp: int | None) -> str | None:
        split = _split(value[start:start + digits], gcp)
        if split is None or (serial_from is not None and len(value) <= serial_from):
            return None
        tail = f".{_urn_serial(value[serial_from:])}" if serial_from is not None else ""
        return f"urn:epc:id:{scheme}:{split[0]}.{split[1]}{tail}"
    return write


def _free_urn(scheme: str) -> Any:
    def write(value: str, quals: dict[str, str], gcp: int | None) -> str | None:
        split = _split(unquote(value), gcp)
        if split is None:
            return None
        serial = f".{quals['8011']}" if scheme == "cpi" else ""
        return f"urn:epc:id:{scheme}:{split[0]}.{_urn_serial(quote(split[1], safe=''))}{serial}"
    return write


def _itip_urn(value: str, quals: dict[str, str], gcp: int | None) -> str | None:
    split = _split(value[1:13], gcp)
    if split is None or "21" not in quals:
        return None
    return (f"urn:epc:id:itip:{split[0]}.{value[0]}{split[1]}.{value[14:16]}.{value[16:18]}."
            f"{_urn_serial(quals['21'])}")


# primary key AI -> how its key is written as an EPC URN (TDS 2.0 §6.3)
_URNS: dict[str, Any] = {
    "01": _gtin_urn, "414": _gln_urn("sgln"), "417": _gln_urn("pgln"),
    "8003": _digits_urn("grai", 12, 1, serial_from=14), "8017": _digits_urn("gsrnp", 17),
    "8018": _digits_urn("gsrn", 17), "253": _digits_urn("gdti", 12, serial_from=13),
    "255": _digits_urn("sgcn", 12, serial_from=13), "402": _digits_urn("gsin", 16), "8004": _free_urn("giai"),
    "401": _free_urn("ginc"), "8010": _free_urn("cpi"), "8006": _itip_urn,
}  # fmt: skip


def to_urn(key: str, gcp: int | None = None) -> str | None:
    """The EPC URN of a ledger key, with the company prefix length `gcp` (or biip's); None if none.

    Class keys become `urn:epc:class:lgtin:` (a lot) or `urn:epc:idpat:sgtin:...*` (a product).
    """
    parts = key.split("/")
    ai, value, quals = parts[0], parts[1], dict(zip(parts[2::2], parts[3::2]))
    if ai == "8010" and "8011" not in quals:
        return None
    if ai == "00":  # the extension digit goes after the company prefix
        split = _split(value[1:17], gcp)
        return None if split is None else f"urn:epc:id:sscc:{split[0]}.{value[0]}{split[1]}"
    write = _URNS.get(ai)
    return write(value, quals, gcp) if write is not None else None


def in_format(value: str, epc_format: str) -> str:
    """`value` written as the `GS1-EPC-Format` header asks; unchanged when it cannot be."""
    if epc_format == "No_Preference":
        return value
    epc = maybe_epc(value)
    if epc is None:
        return value
    if epc_format == "Always_GS1_Digital_Link":
        return value if value.startswith("http") else to_digital_link(epc.key)
    if value.startswith("urn:"):
        return value
    return to_urn(epc.key, epc.gcp) or value
