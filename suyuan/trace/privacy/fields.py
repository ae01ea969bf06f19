"""A person's fields as the vault keeps them: checked and normalised before sealing.

Normalising makes a commitment stable under harmless spelling differences:
Unicode NFC, trimmed and single-spaced text, phones as `13800138000` or
`010-12345678[-ext]` (mainland mobile numbers and landlines with area codes).
Error messages name the field and never echo a personal value back.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from suyuan.errors import InputError

__all__ = ["CONTROL", "FIELDS", "MAX_CHARS", "REQUIRED", "validate_person"]

FIELDS = ("name", "phone", "address")
MAX_CHARS = {"name": 100, "phone": 32, "address": 300}
# A parcel cannot be delivered without all three; a consumer who reviews or
# complains may give as little as one.
REQUIRED: dict[str, tuple[str, ...]] = {"recipient": FIELDS, "consumer": ()}

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES = re.compile(r"\s+")
_PHONE_JUNK = re.compile(r"[\s()（）.]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_PHONE_PARTS = re.compile(r"(?P<main>[\d-]+?)(?:(?:转|ext\.?|x|#)(?P<ext>\d{1,6}))?", re.I)
_PHONE_RULE = (
    "expected a mainland China mobile number (11 digits starting 13 to 19) or a "
    "landline number (area code starting 0, then 7 or 8 digits, optional extension)"
)


def validate_person(fields: Mapping[str, Any], *, kind: str) -> dict[str, str]:
    """Check and normalise a person's fields; InputError names the first bad field.

    Normalising makes the commitment stable under harmless spelling differences:
    Unicode NFC, trimmed and single-spaced text, phones as `13800138000` or
    `010-12345678[-ext]`.
    """
    if kind not in REQUIRED:
        raise InputError(
            f"Kind {kind!r} is not a person kind: use 'consumer' or 'recipient'.", "kind"
        )
    if not isinstance(fields, Mapping):
        raise InputError(
            f"Person fields must be an object with name, phone and address, got "
            f"{type(fields).__name__}.",
            None,
        )
    for name in fields:
        if name not in FIELDS:
            raise InputError(
                f"Unknown field {str(name)[:40]!r}: a person has only name, phone and address.",
                str(name)[:40],
            )
    for name in REQUIRED[kind]:
        if name not in fields:
            raise InputError(
                f"Field {name!r} is missing: a {kind} needs name, phone and address.", name
            )
    if not fields:
        raise InputError(f"A {kind} needs at least one of name, phone and address.", None)
    clean: dict[str, str] = {}
    for name in FIELDS:
        if name not in fields:
            continue
        value = fields[name]
        if not isinstance(value, str):
            raise InputError(
                f"Field {name!r} must be a string, got {type(value).__name__}.", name
            )
        limit = MAX_CHARS[name]
        if len(value) > limit:
            raise InputError(
                f"Field {name!r} is {len(value)} characters long: expected at most {limit}.",
                name,
            )
        clean[name] = _normalize_phone(value) if name == "phone" else _normalize_text(name, value)
    return clean


def _normalize_text(name: str, value: str) -> str:
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()
    if CONTROL.search(text):
        raise InputError(f"Field {name!r} contains a control character: remove it.", name)
    if not text:
        raise InputError(f"Field {name!r} is empty: give a value or leave the field out.", name)
    return text


def _normalize_phone(value: str) -> str:
    s = _PHONE_JUNK.sub("", unicodedata.normalize("NFKC", value))
    for prefix in ("+86", "0086"):
        if s.startswith(prefix):
            s = s[len(prefix):].lstrip("-")
            # The trunk 0 is dropped after the country code; put it back for landlines.
            if not _MOBILE.fullmatch(s.replace("-", "")):
                s = "0" + s
            break
    if _MOBILE.fullmatch(s.replace("-", "")) and s.count("-") <= 2:
        return s.replace("-", "")
    m = _PHONE_PARTS.fullmatch(s)
    if m is None:
        raise InputError(f"Field 'phone' is not a phone number: {_PHONE_RULE}.", "phone")
    parts = m["main"].split("-")
    ext = m["ext"]
    if len(parts) == 3 and ext is None:
        parts, ext = parts[:2], parts[2]
    if len(parts) == 1:
        digits = parts[0]
        # Beijing (010) and the 02x cities have 3-digit area codes, the rest 4 digits.
        cut = 3 if digits.startswith(("010", "02")) else 4
        parts = [digits[:cut], digits[cut:]]
    bad_ext = ext is not None and re.fullmatch(r"\d{1,6}", ext) is None
    if len(parts) != 2 or bad_ext or not _landline_ok(parts[0], parts[1]):
        raise InputError(f"Field 'phone' is not a phone number: {_PHONE_RULE}.", "phone")
    return f"{parts[0]}-{parts[1]}" + (f"-{ext}" if ext else "")


def _landline_ok(area: str, number: str) -> bool:
    if area in ("010",) or re.fullmatch(r"02\d", area):
        return re.fullmatch(r"[1-9]\d{7}", number) is not None
    return (
        re.fullmatch(r"0[3-9]\d{2}", area) is not None
        and re.fullmatch(r"[1-9]\d{6,7}", number) is not None
    )
