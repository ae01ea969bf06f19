"""The courier scanner client against the API: online, offline, rejected, retried after a crash."""

from __future__ import annotations

import io
import socket

import pytest

from suyuan.errors import InputError
from suyuan.scanners.client import ScannerClient, event_payload, sync_with_progress
from suyuan.scanners.gs1 import digital_link_uri
from suyuan.scanners.queue import ScanQueue
from tests.api.world import DISPATCH, Story, gtin

DELIVER = {"signed_by": "recipient", "region": "310104"}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def queue(tmp_path):
    with ScanQueue(tmp_path / "scan-queue.db") as q:
        yield q


def _online(client, cast, queue, **kw) -> ScannerClient:  # noqa: ANN001
    return ScannerClient("http://testserver", cast.courier.key, queue, http=client, **kw)


def _offline(cast, queue) -> ScannerClient:  # noqa: ANN001
    return ScannerClient(f"http://127.0.0.1:{_closed_port()}", cast.courier.key, queue, timeout=2)


def _code(key: str) -> str:
    """What a QR code on the label carries."""
    return digital_link_uri(key, "https://id.example.cn")


def _chain(client, key):  # noqa: ANN001, ANN202
    return [e["entry"]["statement"]["type"] for e in client.get(f"/v1/chains/{key}").json()]


def test_online_scans_are_recorded_in_any_code_format(client, cast, queue):
    story = Story(client, cast)
    a, b = story.sold("A1"), story.sold("B2")
    scanner = _online(client, cast, queue)
    shown = scanner.scan(digital_link_uri(a, "https://any.host.cn"), "dispatch", DISPATCH)
    assert [o.status for o in shown] == ["recorded"], [o.line() for o in shown]
    assert shown[0].key == a and "dispatch recorded" in shown[0].line()
    # GS1 element string with symbology identifier and GS separator, as a wedge scanner types it
    shown = scanner.scan(f"]d201{story.gtin}10LOT1\x1d21B2\r\n", "dispatch", DISPATCH)
    assert [o.status for o in shown] == ["recorded"]
    again = scanner.scan(f"(01){story.gtin}(10)LOT1(21)A1", "dispatch", DISPATCH)
    assert [o.status for o in again] == ["skipped"]  # a double fire of the scanner is one event
    assert _chain(client, a).count("dispatch") == 1 and _chain(client, b).count("dispatch") == 1
    assert queue.pending_count() == 0 and queue.recorded_count() == 2


def test_garbage_lines_are_reported_and_never_queued(client, cast, queue):
    scanner = _online(client, cast, queue)
    [shown] = scanner.scan("0690123456789X", "transit", {"hub": "上海转运中心", "region": "310000"})
    assert shown.status == "invalid" and shown.key is None and shown.detail
    assert scanner.scan("   \n", "transit", {}) == []
    assert queue.pending_count() == 0


def test_dispatch_warns_about_codes_never_registered(client, cast, queue):
    scanner = _online(client, cast, queue)
    fake = f"01/{gtin(77)}/21/FAKE1"
    shown = scanner.scan(_code(fake), "dispatch", DISPATCH)
    assert shown[0].status == "warning" and "never registered" in shown[0].detail
    assert shown[1].status == "rejected" and "register" in shown[1].detail
    [rejected] = queue.rejected()
    assert rejected.statement["key"] == fake and rejected.status == 409 and rejected.rule == "not_registered"


def test_offline_scans_queue_then_sync_once(client, cast, queue):
    story = Story(client, cast)
    sold = [story.sold(f"S{i}") for i in range(5)]
    unsold = story.item("U1")  # registered but never sold: dispatch breaks a hard rule
    offline = _offline(cast, queue)
    for key in [*sold, unsold]:
        shown = offline.scan(_code(key), "dispatch", DISPATCH)
        assert [o.status for o in shown] == ["warning", "queued"], [o.line() for o in shown]
        assert "not checked" in shown[0].detail
    shown = offline.scan(_code(sold[0]), "deliver", DELIVER)  # transit/deliver follow while still offline
    assert [o.status for o in shown] == ["queued"] and "waiting" in shown[0].detail
    assert queue.pending_count() == 7
    ids = [q.id for q in queue.peek(10)]
    assert len(set(ids)) == 7 and {q.client_id for q in queue.peek(10)} == {queue.client_id}

    online = _online(client, cast, queue, batch_size=2)
    err = io.StringIO()
    report = sync_with_progress(online, err)
    assert (report.recorded, report.duplicates, report.rejected, report.remaining) == (6, 0, 1, 0), report.summary()
    assert "7/7 100%" in err.getvalue()
    [rejected] = queue.rejected()
    assert rejected.statement["key"] == unsold and "Not your goods" in rejected.reason
    assert _chain(client, sold[0])[-2:] == ["dispatch", "deliver"]  # scan order kept across batches
    assert online.sync().recorded == 0  # nothing left


def test_a_crash_after_the_server_commits_reports_already_recorded(client, cast, queue, monkeypatch):
    story = Story(client, cast)
    keys = [story.sold(f"C{i}") for i in range(3)]
    offline = _offline(cast, queue)
    for key in keys:
        offline.scan(_code(key), "dispatch", DISPATCH)

    def die(*_a, **_k):  # the process dies between the server's answer and the local settle
        raise KeyboardInterrupt

    monkeypatch.setattr(queue, "settle", die)
    with pytest.raises(KeyboardInterrupt):
        _online(client, cast, queue).sync()
    monkeypatch.undo()
    assert queue.pending_count() == 3
    report = _online(client, cast, queue).sync()
    assert (report.recorded, report.duplicates, report.remaining) == (0, 3, 0)
    assert all(o.line().startswith("DUP") for o in report.outcomes)
    for key in keys:
        assert _chain(client, key).count("dispatch") == 1


def test_a_refused_api_key_keeps_the_queue(client, cast, queue):
    story = Story(client, cast)
    key = story.sold("K1")
    _offline(cast, queue).scan(_code(key), "dispatch", DISPATCH)
    report = ScannerClient("http://testserver", "sk_wrong", queue, http=client).sync()
    assert report.error and "401" in report.error and report.remaining == 1
    assert queue.rejected() == []


@pytest.mark.parametrize(("action", "opts", "words"), [
    ("dispatch", {"weight_g": 1200, "from_region": "320700", "to_region": "310104"}, "--waybill"),
    ("dispatch", {**{k.replace("-", "_"): v for k, v in DISPATCH.items()}, "from_region": "99"}, "--from-region"),
    ("transit", {"hub": "上海转运中心"}, "--region"),
    ("deliver", {"signed_by": "neighbour", "region": "310104"}, "--signed-by"),
    ("pickup", {}, "expected dispatch, transit or deliver"),
])
def test_session_options_are_checked_before_any_scan(action, opts, words):
    with pytest.raises(InputError, match=words):
        event_payload(action, **opts)


def test_session_options_make_the_payload():
    assert event_payload("transit", hub="上海转运中心", region="310000", direction="depart") == {
        "hub": "上海转运中心", "region": "310000", "action": "depart"}
    assert event_payload("dispatch", **DISPATCH) == DISPATCH
