"""Times as suyuan reads and writes them: RFC 3339 date-times, always UTC inside.

A statement's `time` is an RFC 3339 `date-time` (section 5.6): full date, "T",
full time with seconds, optional fraction, and an offset ("Z" or +hh:mm). Every
place that reads one goes through `parse_time`, so the rule and its error (a
`TimeFormatError`, answered with 422) exist once. Pure: the standard library and
`suyuan.errors` only, so offline verifiers use it too.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from suyuan.errors import TimeFormatError

UTC = timezone.utc

# RFC 3339 section 5.6 `date-time`; "T" and "Z" may be lower case (its note to the grammar).
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?P<offset>[Zz]|[+-]\d{2}:\d{2})?")


def parse_time(value: object, field: str = "time", *, assume_utc: bool = False) -> datetime:
    """An RFC 3339 date-time with offset as an aware UTC datetime; `TimeFormatError` otherwise.

    `assume_utc` also takes a time without offset as UTC: only for documents that
    older servers wrote from SQLite's naive columns (a bundle's key times).
    """
    match = _DATE_TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None or (match["offset"] is None and not assume_utc):
        raise TimeFormatError(value, field)
    try:
        parsed = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:  # a month 13, an hour 25, a leap second
        raise TimeFormatError(value, field) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def format_time(when: datetime) -> str:
    """RFC 3339 in UTC to the second, with "Z": how suyuan writes a time it makes."""
    if when.tzinfo is None:
        raise ValueError(f"expected an aware datetime, got naive {when.isoformat()}")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
