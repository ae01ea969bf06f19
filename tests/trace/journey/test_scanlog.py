"""The scan log's clone signals over time: distinct checkers per window, one flag per window."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from suyuan.config import Settings
from suyuan.trace.journey.flags import list_flags
from suyuan.trace.journey.scanlog import checker_id, china_day, record_scan

KEY = "01/06901230000010/21/CLONE1"
SALT = b"s" * 32
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)


def check(engine, settings, address: str, when: datetime, region: str | None = None):  # noqa: ANN001, ANN201
    with engine.begin() as conn:
        return record_scan(conn, settings, KEY, region, when, watch=True,
                           checker=checker_id(SALT, address, china_day(when)))


def test_checker_pseudonyms_hide_the_address_and_change_with_the_china_day():
    day = china_day(T0)
    assert checker_id(SALT, "198.51.100.1", day) == checker_id(SALT, "198.51.100.1", day)
    assert checker_id(SALT, "198.51.100.1", day) != checker_id(SALT, "198.51.100.2", day)
    assert checker_id(SALT, "198.51.100.1", day) != checker_id(b"t" * 32, "198.51.100.1", day)
    # 15:59 and 16:01 UTC are two China days (midnight CST), so two pseudonyms.
    before = datetime(2026, 12, 1, 15, 59, tzinfo=timezone.utc)
    after = datetime(2026, 12, 1, 16, 1, tzinfo=timezone.utc)
    assert china_day(before) != china_day(after)
    assert checker_id(SALT, "198.51.100.1", china_day(before)) != checker_id(SALT, "198.51.100.1", china_day(after))


def test_many_checkers_are_counted_within_the_window_and_flagged_once_per_window(engine):
    settings = Settings(scan_clone_count=3, scan_clone_count_window_minutes=60)
    assert check(engine, settings, "a", T0).checkers is None
    assert check(engine, settings, "b", T0 + timedelta(minutes=10)).checkers is None
    assert check(engine, settings, "b", T0 + timedelta(minutes=11)).checkers is None  # b again: still two
    assert check(engine, settings, "c", T0 + timedelta(minutes=20)).checkers == 3
    assert check(engine, settings, "d", T0 + timedelta(minutes=30)).checkers is None  # flagged in this window
    assert [f["code"] for f in list_flags(engine, key=KEY)["flags"]] == ["consumer_checks_many"]
    # Two hours later every earlier check and the flag are out of the window: e, f, g make three again.
    later = T0 + timedelta(minutes=140)
    for i, who in enumerate("ef"):
        assert check(engine, settings, who, later + timedelta(minutes=i)).checkers is None
    assert check(engine, settings, "g", later + timedelta(minutes=5)).checkers == 3
    assert [f["code"] for f in list_flags(engine, key=KEY)["flags"]] == ["consumer_checks_many"] * 2


def test_two_provinces_are_flagged_once_per_window_and_the_page_signal_stays(engine):
    settings = Settings(scan_clone_window_minutes=60)
    check(engine, settings, "a", T0, "320706")
    assert check(engine, settings, "b", T0 + timedelta(minutes=30), "440305").far_at == T0 + timedelta(minutes=30)
    check(engine, settings, "a", T0 + timedelta(minutes=40), "320706")
    assert len(list_flags(engine, key=KEY)["flags"]) == 1
    # Far apart in time: not a signal, but the first one stays on the page.
    assert check(engine, settings, "b", T0 + timedelta(minutes=200), "440305").far_at == T0 + timedelta(minutes=30)
    assert len(list_flags(engine, key=KEY)["flags"]) == 1
    check(engine, settings, "a", T0 + timedelta(minutes=230), "320706")  # a new window, a new flag
    details = [f["detail"] for f in list_flags(engine, key=KEY)["flags"]]
    assert len(details) == 2 and "region 440300" in details[0] and "region 320700" in details[0]
