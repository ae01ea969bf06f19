"""The courier scanner client against the API: online, offline, rejected, retried after a crash;
per-scan payloads, review tokens and flags kept in the queue, and the queue file itself."""

from __future__ import annotations

import csv
import http.server
import io
import json
import re
import socket
import sqlite3
import stat
import threading

import pytest

from suyuan.courier.client import ScannerClient, sync_with_progress, write_tokens
from suyuan.courier.lines import UsageError, event_payload
from suyuan.codes.gs1 import digital_link_uri
from suyuan.courier.queue import SCHEMA_VERSION, Flag, QueueError, ReviewToken, ScanQueue
from tests.api.world import DISPATCH, Story, at, gtin, ok, post, sscc

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
    return [e["entry"]["statement"]["type"] for e in client.get(f"/v1/chains/{key}").json()["entries"]]


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
    ("dispatch", {**DISPATCH, "waybill": "SF 123"}, "--waybill"),
    ("dispatch", {**DISPATCH, "weight_g": 0}, "--weight-g"),
    ("dispatch", {**DISPATCH, "from_region": "99"}, "--from-region"),
    ("dispatch", {"from_region": "320700"}, "--to-region"),
    ("dispatch", {**DISPATCH, "hub": "上海转运中心"}, r"--hub is for --action transit, not dispatch"),
    ("dispatch", {**DISPATCH, "recipient": "张三 13800000000"}, r"--recipient .*hmac-sha256:<64 hex>"),
    ("deliver", {**DELIVER, "recipient": "hmac-sha256:" + "AB" * 32}, r"--recipient .*hmac-sha256:<64 hex>"),
    ("transit", {"hub": "上海转运中心", "region": "310000", "recipient": "hmac-sha256:" + "ab" * 32},
     r"--recipient is for --action dispatch or deliver, not transit"),
    ("transit", {"hub": "上海转运中心"}, "--region"),
    ("deliver", {"signed_by": "neighbour", "region": "310104"}, "--signed-by"),
    ("pickup", {}, "expected dispatch, transit or deliver"),
])
def test_session_options_are_checked_before_any_scan(action, opts, words):
    with pytest.raises(UsageError, match=words) as caught:
        event_payload(action, **opts)
    assert _one_sentence(str(caught.value))


def test_session_options_make_the_payload():
    assert event_payload("transit", hub="上海转运中心", region="310000", direction="depart") == {
        "hub": "上海转运中心", "region": "310000", "action": "depart"}
    assert event_payload("transit", hub="上海转运中心", region="310000")["action"] == "arrive"
    assert event_payload("dispatch", **DISPATCH) == DISPATCH
    # waybill and weight may come on each line instead
    assert event_payload("dispatch", from_region="320700", to_region="310104") == {
        "from_region": "320700", "to_region": "310104"}
    commitment = "hmac-sha256:" + "0f" * 32
    assert event_payload("deliver", **DELIVER, recipient=commitment) == {**DELIVER, "recipient": commitment}


def _one_sentence(text: str) -> bool:
    text = text.replace("e.g. ", "eg ")  # an abbreviation, not the end of a sentence
    return "\n" not in text and text.endswith(".") and ". " not in text.rstrip(".") and "Traceback" not in text


ROUTE = {"from_region": "320700", "to_region": "310104"}


def test_each_line_can_carry_its_parcels_waybill_and_weight(client, cast, queue):
    story = Story(client, cast)
    a, b, c = story.sold("W1"), story.sold("W2"), story.sold("W3")
    scanner = _online(client, cast, queue)
    session = event_payload("dispatch", **ROUTE, weight_g=1800)
    for line in (f"{_code(a)}\tSF100000001\t1500\r\n",  # as a wedge scanner types it
                 f"{_code(b)}\tSF100000002\n",            # weight from --weight-g
                 f"{_code(c)}\tSF100000003\t\t\n"):       # a Tab suffix after the last field
        shown = scanner.scan(line, "dispatch", session)
        assert [o.status for o in shown] == ["recorded"], [o.line() for o in shown]
    data = {k: client.get(f"/v1/chains/{k}").json()["entries"][-1]["entry"]["statement"]["data"] for k in (a, b, c)}
    assert data[a] == {**ROUTE, "waybill": "SF100000001", "weight_g": 1500}
    assert data[b] == {**ROUTE, "waybill": "SF100000002", "weight_g": 1800}
    assert data[c]["waybill"] == "SF100000003" and data[c]["weight_g"] == 1800
    # a plain code still takes the session's options
    d = story.sold("W4")
    [shown] = scanner.scan(_code(d), "dispatch", {**session, "waybill": "SF100000004"})
    assert shown.status == "recorded"
    assert client.get(f"/v1/chains/{d}").json()["entries"][-1]["entry"]["statement"]["data"]["waybill"] == "SF100000004"


@pytest.mark.parametrize(("action", "tail", "words"), [
    ("dispatch", "", "Missing field 'data.waybill'.*put it on the line \\(code<TAB>waybill<TAB>weight_g\\) "
                     "or set --waybill"),
    ("dispatch", "\tSF100000001", "Missing field 'data.weight_g'.*or set --weight-g"),
    ("dispatch", "\tSF100000001\t1.2kg", "Invalid weight_g '1.2kg' on this line: expected whole grams"),
    ("dispatch", "\tSF100000001\t0", "Invalid data.weight_g"),
    ("dispatch", "\tSF 1\t1200", "Invalid data.waybill for dispatch: expected a waybill number: letters, "
                               "digits and hyphens, got 'SF 1'"),
    ("dispatch", "\tSF100000001\t1200\tfragile", "Too many fields on this line: expected "
                                                  "code<TAB>waybill<TAB>weight_g, got 4"),
    ("deliver", "\tSF100000001", "fields after a tab .* are for dispatch only"),
])
def test_a_bad_line_is_refused_on_the_spot_in_one_sentence(client, cast, queue, action, tail, words):
    story = Story(client, cast)
    key = story.dispatched("L1") if action == "deliver" else story.sold("L1")
    scanner = _online(client, cast, queue)
    session = event_payload(action, **(ROUTE if action == "dispatch" else DELIVER))
    [shown] = scanner.scan(_code(key) + tail, action, session)
    assert shown.status == "invalid" and shown.key == key, shown.line()
    assert re.search(words, shown.detail), shown.detail
    assert _one_sentence(shown.detail), shown.detail
    assert queue.pending_count() == 0 and queue.rejected() == []
    # the courier fixes the line and scans again: not taken for a double fire
    fixed = "\tSF100000001\t1200" if action == "dispatch" else ""
    shown = scanner.scan(_code(key) + fixed, action, session)
    assert [o.status for o in shown] == ["recorded"], [o.line() for o in shown]


def test_a_delivery_keeps_one_review_token_per_item_for_the_shoppers(client, cast, queue):
    story = Story(client, cast)
    single = story.dispatched("T1")
    packed = [story.sold(f"P{i}") for i in range(3)]
    parcel = f"00/{sscc(31)}"
    ok(post(client, cast.merchant, parcel, "pack", {"items": packed, "courier": cast.courier.id}))
    ok(post(client, cast.courier, parcel, "dispatch", DISPATCH | {"weight_g": 5000}, time=at(-600)))
    scanner = _online(client, cast, queue)
    [shown] = scanner.scan(_code(single), "deliver", DELIVER)
    assert shown.status == "recorded" and "1 review token kept" in shown.detail
    [shown] = scanner.scan(_code(parcel), "deliver", DELIVER)
    assert shown.status == "recorded" and "3 review tokens kept" in shown.detail
    tokens = queue.review_tokens()
    assert [t.item_key for t in tokens] == [single, *packed]  # delivery order
    assert {t.delivered_key for t in tokens[1:]} == {parcel} and len({t.token for t in tokens}) == 4
    out = io.StringIO()
    assert write_tokens(tokens, out) == 4
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["item_key", "token"] and rows[1:] == [[t.item_key, t.token] for t in tokens]
    # the shopper of a packed item reviews with the token the courier's queue kept
    for item_key, token in rows[2:3]:
        ok(post(client, token, item_key, "review", {"rating": 5, "text": "新鲜"}))


def test_a_queue_file_from_the_first_release_opens_and_keeps_its_scans(tmp_path):
    path = tmp_path / "old-queue.db"
    db = sqlite3.connect(path)
    db.executescript(FIRST_RELEASE_SCHEMA)
    statement = {"key": "01/06901234000014/21/A1", "type": "dispatch", "time": "2026-11-21T08:00:00Z",
                 "actor": None, "data": DISPATCH, "id": "7d4f2a4e-8a39-4c4e-9d7e-0b8c7f6b1e11"}
    db.execute("INSERT INTO meta VALUES ('client_id', 'c-old')")
    db.execute("INSERT INTO pending (id, client_id, code, statement, scanned) VALUES (?, 'c-old', 'A1', ?, "
               "'2026-11-21T08:00:00.000000Z')", (statement["id"], json.dumps(statement)))
    db.execute("INSERT INTO counters VALUES ('recorded', 7)")
    db.commit()
    db.close()
    path.chmod(0o644)  # what the first release left behind
    with ScanQueue(path) as q:
        assert q.client_id == "c-old" and q.recorded_count() == 7
        [row] = q.peek(10)
        assert row.statement == statement
        flag = Flag(statement["id"], statement["key"], "weight_below_contents", "declared 900 g")
        token = ReviewToken(statement["key"], "rv_secret", statement["id"], statement["key"], "")
        assert q.settle([row.id], [], tokens=[token], flags=[flag]) == [flag]
        assert [t.token for t in q.review_tokens()] == ["rv_secret"] and q.pending_count() == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds review tokens now
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    with ScanQueue(path) as q:  # opening again migrates nothing twice
        assert q.client_id == "c-old" and len(q.review_tokens()) == 1


def test_a_queue_file_that_is_not_ours_is_refused_untouched(tmp_path):
    newer = tmp_path / "newer.db"
    with ScanQueue(newer):
        pass
    with sqlite3.connect(newer) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(QueueError, match=f"expected schema version {SCHEMA_VERSION} or older, "
                                         f"got {SCHEMA_VERSION + 1}"):
        ScanQueue(newer)
    server_db = tmp_path / "suyuan.db"  # a courier pointing --queue at the server's database
    with sqlite3.connect(server_db) as db:
        db.execute("CREATE TABLE entries (id INTEGER PRIMARY KEY)")
    with pytest.raises(QueueError, match="expected a queue file made by suyuan scan, got a database with "
                                         "tables entries"):
        ScanQueue(server_db)
    with sqlite3.connect(server_db) as db:
        assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["entries"]
    garbage = tmp_path / "notes.txt"
    garbage.write_text("not a database, just some notes " * 100)
    with pytest.raises(QueueError, match="Cannot use the scan queue .*notes.txt"):
        ScanQueue(garbage)


def test_the_queue_and_its_wal_are_private(tmp_path):
    path = tmp_path / "q" / "scan-queue.db"
    with ScanQueue(path) as q:
        q.add("A1", {"key": "01/06901234000014/21/A1", "type": "transit", "id": "x1"})
        files = [f for f in path.parent.iterdir()]
        assert {f.name for f in files} >= {"scan-queue.db", "scan-queue.db-wal"}
        assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == {f.name: 0o600 for f in files}


def test_flags_are_shown_once_on_the_item_or_parcel_they_are_about(client, cast, queue):
    story = Story(client, cast)
    packed = [story.sold(f"F{i}") for i in range(2)]
    parcel = f"00/{sscc(32)}"
    ok(post(client, cast.merchant, parcel, "pack", {"items": packed, "courier": cast.courier.id}))
    scanner = _online(client, cast, queue)
    # 1 kg of prawns per item: a 2-item parcel declared at 900 g weighs less than its contents
    shown = scanner.scan(_code(parcel) + "\tSF200000001\t900", "dispatch", event_payload("dispatch", **ROUTE))
    [recorded] = [o for o in shown if o.status == "recorded"]
    assert recorded.line().splitlines()[1:] == [
        f"FLAG     {parcel}  weight_below_contents: declared weight 900 g is below the net weight of the "
        "contents, 2000 g"]
    # transit in another province minutes later: each item of the parcel is flagged, under its own key
    [moved] = scanner.scan(_code(parcel), "transit", event_payload("transit", hub="北京转运中心", region="110000"))
    lines = moved.line().splitlines()[1:]
    assert sorted(line.split()[1] for line in lines) == sorted(packed), lines
    assert all(line.split()[2] == "serial_far_apart:" for line in lines)
    # the same answer for the same scan again (an upload retried after a crash) shows nothing new
    again = [Flag(f.statement_id, f.key, f.code, f.detail) for f in queue.flags()]
    assert len(again) == 3
    assert queue.settle([], [], flags=again) == []


def test_the_recipient_commitment_goes_into_dispatch_and_deliver(client, cast, queue):
    story = Story(client, cast)
    key = story.sold("R1")
    person = ok(client.post("/v1/people", headers=cast.courier.headers, json={
        "kind": "recipient", "name": "王小明", "phone": "13800138000", "address": "上海市徐汇区漕溪北路 1 号"}))
    commitment = person["commitment"]
    scanner = _online(client, cast, queue)
    for action, opts in (("dispatch", DISPATCH), ("deliver", DELIVER)):
        [shown] = scanner.scan(_code(key), action, event_payload(action, **opts, recipient=commitment))
        assert shown.status == "recorded", shown.line()
    chain = client.get(f"/v1/chains/{key}").json()["entries"]
    assert [e["entry"]["statement"]["data"].get("recipient") for e in chain[-2:]] == [commitment, commitment]
    assert "王小明" not in json.dumps(chain) and "13800138000" not in json.dumps(chain)


def test_a_server_that_is_not_suyuan_leaves_the_queue_alone(queue):
    class Portal(http.server.BaseHTTPRequestHandler):  # a web site at the --server address, say a router's page
        def do_POST(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>login</html>")

        def log_message(self, *_: object) -> None:
            pass

    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Portal)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        queue.add("A1", {"key": "01/06901234000014/21/A1", "type": "transit", "id": "x1"})
        report = ScannerClient(f"http://127.0.0.1:{site.server_port}", "sy_key", queue).sync()
    finally:
        site.shutdown()
    assert report.remaining == 1 and report.recorded == 0
    assert "expected a suyuan server's batch answer" in report.error and "text/html" in report.error


@pytest.mark.parametrize("server", ["localhost:8000", "ftp://example.cn", "http://"])
def test_a_server_url_without_scheme_or_host_is_a_usage_error(queue, server):
    with pytest.raises(UsageError, match="expected http:// or https:// and a host"):
        ScannerClient(server, "sy_key", queue)


FIRST_RELEASE_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pending (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL,
    code TEXT NOT NULL,
    statement TEXT NOT NULL,
    scanned TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rejected (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    code TEXT NOT NULL,
    statement TEXT NOT NULL,
    scanned TEXT NOT NULL,
    status INTEGER NOT NULL,
    rule TEXT,
    reason TEXT NOT NULL,
    rejected_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""  # the queue schema of the first release, verbatim
