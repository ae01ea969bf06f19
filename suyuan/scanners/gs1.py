"""GS1 keys as ledger keys.

A ledger key is the canonical GS1 Digital Link path of the thing it names
(GS1 Digital Link URI Syntax 1.4, §4): `01/<GTIN-14>[/10/<lot>][/21/<serial>]`
or `00/<SSCC-18>`, with check digits verified (GS1 General Specifications
§7.9). Lots and serials use the GS1 AI encodable character set 82 (§7.11),
at most 20 characters; in a path, characters outside RFC 3986 "unreserved"
are percent-encoded, so the key is exactly what appears in a Digital Link URI.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from stdnum import ean
from stdnum.exceptions import ValidationError

from suyuan.errors import InputError

# GS1 AI encodable character set 82 (General Specifications, Figure 7.11-1).
_CSET82 = re.compile(r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$")
_KEY_HINT = "expected 01/<GTIN-14>[/10/<lot>][/21/<serial>] or 00/<SSCC-18>"


def _check_digit(kind: str, digits: str, length: int) -> None:
    if len(digits) != length or not digits.isdigit():
        raise InputError(
            f"Invalid {kind} {digits!r}: expected {length} digits, got {len(digits)} characters.",
            field="key",
        )
    expected = ean.calc_check_digit(digits[:-1])
    if digits[-1] != expected:
        raise InputError(
            f"Invalid {kind} check digit for {digits!r}: expected {expected}, got {digits[-1]}.",
            field="key",
        )


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
