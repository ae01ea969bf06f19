"""GS1 identification keys: their check digits, and the ledger keys built from them.

A ledger key is the canonical GS1 Digital Link path of the thing it names:
`01/<GTIN-14>[/10/<lot>][/21/<serial>]` or `00/<SSCC-18>`, with check digits
verified (GS1 General Specifications §7.9). Lots and serials use the GS1 AI
encodable character set 82 (§7.11), at most 20 characters; in a path,
characters outside RFC 3986 "unreserved" are percent-encoded, so the key is
exactly what appears in a Digital Link URI. suyuan keys only GTINs and
SSCCs; every other GS1 key (GLN, GIAI, GRAI, ...) can be read, never keyed.

Every GS1 key's check digit is verified here, whether or not it can be a
ledger key: the numeric keys' mod-10 digit (§7.9.1, computed by biip) at the
position the GS1 Barcode Syntax Dictionary's `csum` linter names, and the
Global Model Number's check character pair (§7.9.5, `csumalpha`), and an
ITIP's piece of total (`pieceoftotal`).
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from biip.checksums import gs1_standard_check_digit

from suyuan.codes.primary_keys import PRIMARY_KEYS
from suyuan.errors import InputError

# GS1 AI encodable character set 82 (General Specifications, Figure 7.11-1).
CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
_CSET82_VALUE = re.compile(r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$")
_CSET32 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
KEY_HINT = "expected 01/<GTIN-14>[/10/<lot>][/21/<serial>] or 00/<SSCC-18>"

# Where each key's mod-10 check digit sits (Syntax Dictionary `csum`): (name, start, end).
_CHECK_DIGITS = {
    "00": ("SSCC", 0, 18), "01": ("GTIN", 0, 14), "02": ("GTIN", 0, 14), "03": ("GTIN", 0, 14),
    "253": ("GDTI", 0, 13), "255": ("GCN", 0, 13), "402": ("GSIN", 0, 17),
    **{ai: ("GLN", 0, 13) for ai in ("410", "411", "412", "413", "414", "415", "416", "417")},
    "8003": ("GRAI", 1, 14), "8006": ("ITIP", 0, 14), "8017": ("GSRN", 0, 18),
    "8018": ("GSRN", 0, 18), "8026": ("ITIP", 0, 14),
}  # fmt: skip
# The primes that weigh a Global Model Number's characters, right to left (§7.9.5).
_PRIMES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83)

# The key's AIs name its kind.
KINDS = {
    ("00",): "sscc",
    ("01",): "gtin",
    ("01", "21"): "item",
    ("01", "10"): "lot",
    ("01", "10", "21"): "lot_item",
}


# --- check digits --------------------------------------------------------------


def verify_check_digit(kind: str, digits: str, field: str = "key") -> None:
    """Raise InputError unless the last digit is the GS1 mod-10 check digit (§7.9.1)."""
    expected = str(gs1_standard_check_digit(digits[:-1]))
    if digits[-1] != expected:
        raise InputError(
            f"Invalid {kind} check digit for {digits!r}: expected {expected}, got {digits[-1]}.",
            field=field,
        )


def check_digits(kind: str, digits: str, length: int, field: str = "key") -> None:
    """Raise InputError unless `digits` is `length` digits ending in its check digit."""
    if len(digits) != length or not digits.isdigit():
        raise InputError(
            f"Invalid {kind} {digits!r}: expected {length} digits, got {len(digits)} characters.",
            field=field,
        )
    verify_check_digit(kind, digits, field)


def check_character_pair(value: str) -> str:
    """The two check characters a Global Model Number `value` (without them) ends in (§7.9.5)."""
    total = sum(
        CSET82.index(char) * _PRIMES[i] for i, char in enumerate(reversed(value))
    ) % 1021
    return _CSET32[total >> 5] + _CSET32[total & 31]


def verify_key(ai: str, value: str, field: str = "scan") -> None:
    """Verify the check digit(s) of a GS1 key held in AI `ai`, if it has any.

    `value` must already match the AI's format (biip checks that first).
    """
    if ai in _CHECK_DIGITS:
        kind, start, end = _CHECK_DIGITS[ai]
        verify_check_digit(kind, value[start:end], field)
    if ai in ("8006", "8026") and not 0 < int(value[14:16]) <= int(value[16:18]):
        # Syntax Dictionary `pieceoftotal`: piece number, then the total, each 01-99.
        raise InputError(
            f"Invalid ITIP piece {value[14:16]} of {value[16:18]} in {value!r}: expected a piece "
            "from 01 up to the total.",
            field=field,
        )
    if ai == "8013" and len(value) > 2:
        body, pair = value[:-2], value[-2:]
        if len(body) > len(_PRIMES) or any(char not in CSET82 for char in body):
            return  # biip's format check refuses these
        expected = check_character_pair(body)
        if pair != expected:
            raise InputError(
                f"Invalid GMN check characters for {value!r}: expected {expected}, got {pair}.",
                field=field,
            )


# --- ledger keys -----------------------------------------------------------------


def _qualifier(kind: str, encoded: str) -> str:
    value = unquote(encoded)
    if not _CSET82_VALUE.match(value):
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
    if isinstance(key, str) and key in _VALID:
        return key
    _check_key(key)
    if len(_VALID) >= _VALID_MAX:  # keys of a batch repeat within it; an old batch's need not stay
        _VALID.clear()
    _VALID.add(key)
    return key


# Keys found valid: a batch checks each key several times (capture, its state row, the entry).
_VALID: set[str] = set()
_VALID_MAX = 65536


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not key:
        raise InputError(f"Invalid key: {KEY_HINT}, got an empty value.", field="key")
    parts = key.split("/")
    if parts[0] == "00":
        if len(parts) != 2:
            raise InputError(f"Invalid key {key!r}: {KEY_HINT}.", field="key")
        check_digits("SSCC", parts[1], 18)
        return
    if parts[0] != "01" or len(parts) not in (2, 4, 6):
        raise InputError(f"Invalid key {key!r}: {KEY_HINT}.", field="key")
    check_digits("GTIN", parts[1], 14)
    qualifiers = [parts[i] for i in range(2, len(parts), 2)]
    if qualifiers not in ([], ["10"], ["21"], ["10", "21"]):
        raise InputError(
            f"Invalid key {key!r}: qualifiers must be /10/<lot> then /21/<serial>, "
            f"got {'/'.join(qualifiers)}.",
            field="key",
        )
    for i in range(2, len(parts), 2):
        _qualifier("lot" if parts[i] == "10" else "serial", parts[i + 1])


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
        raise InputError(f"Invalid key parts: {KEY_HINT}, got neither GTIN nor SSCC.", field="key")
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


def key_kind(key: str) -> str:
    """`gtin`, `item`, `lot`, `lot_item` or `sscc`: what a valid key names."""
    return KINDS[tuple(validate_key(key).split("/")[::2])]


def check_key_elements(elements: dict[str, str]) -> None:
    """Refuse combinations of AIs that name no single ledger key."""
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
    if "01" in elements:
        check_gtin_elements(elements)


def check_gtin_elements(elements: dict[str, str]) -> None:
    """Refuse what may not go with a GTIN (01) in one ledger key."""
    # General Specifications, invalid pairs of element strings: (01) with (02)/(37).
    for other in ("02", "37"):
        if other in elements:
            raise InputError(
                f"Invalid AI pair (01) and ({other}): ({other}) describes the contents "
                "of a logistic unit and must not appear with a GTIN (01).",
                field="scan",
            )
    if "235" in elements:
        raise InputError(
            "Unsupported key qualifier (235) third-party controlled serial: "
            "expected only (10) lot and (21) serial with a GTIN.",
            field="scan",
        )


def ledger_key(primary: str, elements: dict[str, str]) -> str:
    """The ledger key of a Digital Link URI whose primary key is `primary`, or InputError.

    The primary key decides: a GTIN or SSCC in the query is a data attribute.
    """
    if primary not in ("01", "00"):
        raise InputError(
            f"Unsupported primary key ({primary}) {PRIMARY_KEYS[primary].name}: "
            "suyuan keys its ledger by GTIN (01) and SSCC (00) only.",
            field="scan",
        )
    if primary == "00":
        return make_key(sscc=elements["00"])
    check_gtin_elements(elements)
    return make_key(gtin=elements["01"], lot=elements.get("10"), serial=elements.get("21"))
