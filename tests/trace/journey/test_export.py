"""The KDE export below HTTP: what each event type puts in the columns, cell quoting, filters, paging."""

from __future__ import annotations

import pytest

from suyuan.errors import InputError, NotFound
from suyuan.trace.journey.export import COLUMNS, _moves, _safe, kde_filter, kde_rows
from tests.api.world import DISPATCH, Story, ok, post, sscc


@pytest.mark.parametrize(("kind", "etype", "data", "key", "want"), [
    ("batch", "register", {"quantity": 120, "origin": {"region": "320706"},
                           "certificates": [{"name": "捕捞许可", "sha256": "ab" * 32}]}, "B",
     (120, "item", "320706", "P1", "certificate_sha256", f"捕捞许可:{'ab' * 32}", "")),
    ("item", "register", {}, "I", (1, "item", "", "P1", "", "", "")),
    ("item", "list", {}, "I", (1, "item", "P1", "P1", "", "", "")),
    ("item", "sell", {"order": "hmac-sha256:" + "0" * 64}, "I",
     (1, "item", "P1", "consumer", "order_commitment", "hmac-sha256:" + "0" * 64, "")),
    ("parcel", "pack", {"items": ["a", "b"]}, "00/X", (2, "item", "P1", "00/X", "", "", "")),
    ("parcel", "unpack", {}, "00/X", ("", "", "00/X", "P1", "", "", "")),
    ("parcel", "dispatch", {"weight_g": 900, "from_region": "320706", "to_region": "310104", "waybill": "SF1"},
     "00/X", (900, "g", "320700", "310100", "waybill", "SF1", "")),
    ("item", "transit", {"hub": "上海转运中心", "region": "310112", "action": "depart"}, "I",
     (1, "item", "", "310100", "", "", "depart 上海转运中心")),
    ("item", "deliver", {"region": "310104", "signed_by": "locker"}, "I",
     (1, "item", "", "310100", "", "", "signed by locker")),
    ("item", "return", {"reason": "坏了"}, "I", (1, "item", "consumer", "P1", "", "", "坏了")),
    ("batch", "inspect", {"result": "fail", "sampling": True, "lab_report_sha256": "cd" * 32}, "B",
     ("", "", "", "", "lab_report_sha256", "cd" * 32, "fail (sampling)")),
    ("batch", "recall", {"reason": "超标"}, "B", ("", "", "", "", "", "", "超标")),
    ("item", "review", {"rating": 4}, "I", (1, "item", "", "", "", "", "rating 4")),
    ("item", "complain", {"category": "late"}, "I", (1, "item", "", "", "", "", "late")),
])
def test_each_event_type_fills_quantity_from_to_and_reference(kind, etype, data, key, want):
    # Regions at prefecture level only (the export is for inspectors, not a delivery address).
    assert _moves(kind, etype, "P1", data, key) == want


@pytest.mark.parametrize(("value", "cell"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+86 123", "'+86 123"), ("-1", "'-1"),
    ("@SUM(A1)", "'@SUM(A1)"), ("正常", "正常"), (None, ""), (12, "12"),
])
def test_cells_that_a_spreadsheet_would_run_are_quoted(value, cell):
    assert _safe(value) == cell


@pytest.fixture
def journey(client, cast):
    story = Story(client, cast)
    item, _ = story.delivered("X1")
    parcel = f"00/{sscc(41)}"
    other = story.sold("X2")
    ok(post(client, cast.merchant, parcel, "pack", {"items": [other], "courier": cast.courier.id}))
    ok(post(client, cast.courier, parcel, "dispatch", DISPATCH))
    return story, item, parcel


def test_rows_follow_the_recorded_order_and_small_pages_change_nothing(journey, ledger):
    story, item, parcel = journey
    flt = kde_filter(ledger.engine, story.gtin, "LOT1")
    whole = list(kde_rows(ledger.engine, flt))
    paged = list(kde_rows(ledger.engine, flt, page=2))
    assert paged == whole and all(len(row) == len(COLUMNS) for row in whole)
    keys = [row[COLUMNS.index("key")] for row in whole]
    assert keys[0] == story.batch and story.product not in keys  # a lot: its batch, items and parcels
    assert parcel in keys
    events = [row[COLUMNS.index("event")] for row in whole if row[COLUMNS.index("key")] == item]
    assert events == ["register", "list", "sell", "dispatch", "deliver"]


def test_date_range_is_by_event_time_and_to_includes_its_day(journey, ledger):
    story, *_ = journey
    everything = list(kde_rows(ledger.engine, kde_filter(ledger.engine)))
    days = sorted({row[0][:10] for row in everything})
    first = list(kde_rows(ledger.engine, kde_filter(ledger.engine, start=days[0], end=days[0])))
    assert first and all(row[0][:10] == days[0] for row in first)
    assert list(kde_rows(ledger.engine, kde_filter(ledger.engine, start="2000-01-01", end="2000-01-02"))) == []


@pytest.mark.parametrize(("args", "error", "words"), [
    ({"lot": "LOT1"}, InputError, "a lot is named within a product"),
    ({"product": "12345"}, InputError, "Invalid product"),
    ({"start": "yesterday"}, InputError, "expected a date like 2026-11-27"),
    ({"start": "2026-11-02", "end": "2026-11-01"}, InputError, "expected from before to"),
    ({"product": "06901234000023"}, NotFound, "No product is registered under GTIN 06901234000023"),
])
def test_bad_filters_are_refused_before_any_row(ledger, args, error, words):
    with pytest.raises(error, match=words):
        kde_filter(ledger.engine, **args)
