"""`parse_time`: RFC 3339 section 5.6 date-times with an offset, to aware UTC; one typed error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from suyuan.errors import InputError, TimeFormatError
from suyuan.timestamps import format_time, parse_time

GOOD = [
    ("2026-11-27T08:00:00Z", datetime(2026, 11, 27, 8, 0, tzinfo=UTC)),
    ("2026-11-27T16:00:00+08:00", datetime(2026, 11, 27, 8, 0, tzinfo=UTC)),
    ("2026-11-27t08:00:00z", datetime(2026, 11, 27, 8, 0, tzinfo=UTC)),  # RFC 3339 allows lower case
    ("2026-11-27T08:00:00.5-01:30", datetime(2026, 11, 27, 9, 30, 0, 500000, tzinfo=UTC)),
    ("2026-11-27T08:00:00.123456789+00:00", datetime(2026, 11, 27, 8, 0, 0, 123456, tzinfo=UTC)),
]

BAD = [
    "2026-11-27T08:00:00",  # no offset: whose 8 o'clock?
    "2026-11-27 08:00:00Z",  # the grammar's separator is T
    "2026-11-27T08:00Z",  # seconds are not optional
    "2026-11-27",
    "20261127T080000Z",  # ISO 8601 basic format, not RFC 3339
    "2026-11-27T08:00:00+0800",
    "2026-13-27T08:00:00Z",
    "2026-11-27T25:00:00Z",
    "27/11/2026",
    "yesterday",
    "",
    None,
    1732694400,
]


@pytest.mark.parametrize(("text", "expected"), GOOD)
def test_rfc3339_times_parse_to_aware_utc(text, expected):
    parsed = parse_time(text)
    assert parsed == expected and parsed.tzinfo is UTC


@pytest.mark.parametrize("value", BAD)
def test_anything_else_is_one_typed_error_naming_the_field(value):
    with pytest.raises(TimeFormatError, match=r"^Invalid data\.time: expected an RFC 3339 timestamp with offset "
                                              r"like 2026-11-27T08:00:00Z, got ") as info:
        parse_time(value, "data.time")
    assert info.value.field == "data.time" and info.value.value == value
    assert isinstance(info.value, InputError) and isinstance(info.value, ValueError)  # 422; `except ValueError` works


def test_a_long_bad_value_is_cut_in_the_message():
    with pytest.raises(TimeFormatError) as info:
        parse_time("x" * 5000)
    assert len(str(info.value)) < 200


def test_assume_utc_reads_old_naive_times_as_utc_but_still_refuses_junk():
    assert parse_time("2026-11-27T08:00:00.250000", assume_utc=True) == datetime(2026, 11, 27, 8, 0, 0, 250000,
                                                                                   tzinfo=UTC)
    with pytest.raises(TimeFormatError):
        parse_time("2026-11-27", assume_utc=True)


def test_format_time_writes_utc_to_the_second_and_round_trips():
    when = datetime(2026, 11, 27, 16, 0, 7, 999999, tzinfo=timezone(timedelta(hours=8)))
    assert format_time(when) == "2026-11-27T08:00:07Z"
    assert parse_time(format_time(when)) == when.replace(microsecond=0)
    with pytest.raises(ValueError, match="expected an aware datetime"):
        format_time(datetime(2026, 11, 27, 8, 0))
