"""`suyuan scan` as a courier runs it: real processes, `suyuan serve` on each engine.

Offline robustness: scans queued with the server down, a sync killed with
SIGKILL while it uploads (one scan per batch, so there are many moments to
die in), and a second sync that finishes the job with every scan recorded
exactly once. A delivery whose review tokens reach the shoppers through
`--tokens`. User errors: one sentence, no traceback.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time

import httpx
import pytest
from sqlalchemy import func, select

from suyuan.config import Settings
from suyuan.ledger.db import make_engine
from suyuan.ledger.models import Entry
from suyuan.codes.gs1 import digital_link_uri
from suyuan.courier.queue import ScanQueue
from tests.api.world import DISPATCH, gtin, statement
from tests.courier.stock import sold_items
from tests.server import HANG_SECONDS, free_port, running_server

N = 150


@pytest.fixture
def env(db_url, tmp_path):
    e = {k: v for k, v in os.environ.items() if not k.startswith("SUYUAN_")}
    e |= {"SUYUAN_DATA_DIR": str(tmp_path / "data"), "SUYUAN_DATABASE_URL": db_url,
          "SUYUAN_LOG_ORIGIN": "scan.suyuan.example/log", "SUYUAN_SCAN_QUEUE": str(tmp_path / "queue.db")}
    return e


def _scan(env, *args, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "suyuan.cli", "scan", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=timeout)


def _dispatches(engine) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Entry).where(Entry.type == "dispatch")).scalar()


def _pending(path) -> int:  # noqa: ANN001
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM pending").fetchone()[0]


def test_sync_killed_midway_loses_nothing_and_duplicates_nothing(env, db_url, tmp_path):
    engine = make_engine(db_url)
    stock = sold_items(engine, Settings(data_dir=tmp_path / "lib", database_url=db_url), N)
    env["SUYUAN_API_KEY"] = stock.courier_key
    dispatch = ["--waybill", DISPATCH["waybill"], "--weight-g", str(DISPATCH["weight_g"]),
                "--from-region", DISPATCH["from_region"], "--to-region", DISPATCH["to_region"]]
    fake = f"01/{gtin(99)}/21/FAKE"
    codes = [digital_link_uri(k, "https://id.example.cn") for k in [*stock.keys, fake]] + ["not a code"]

    # 1. The server is down: every scan is queued, the garbage line is refused on the spot.
    down = f"http://127.0.0.1:{free_port()}"
    r = _scan(env, "--action", "dispatch", "--server", down, *dispatch, stdin="\n".join(codes) + "\n")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert sum(line.startswith("QUEUED") for line in lines) == N + 1, r.stdout[-2000:]
    assert sum(line.startswith("INVALID") for line in lines) == 1
    assert f"{N + 1} scans still queued (server unreachable" in r.stderr
    queue_path = tmp_path / "queue.db"
    assert _pending(queue_path) == N + 1 and _dispatches(engine) == 0

    # 2. The server comes up; a sync uploading one scan per batch is killed midway.
    with running_server(env) as base:
        sync = subprocess.Popen([sys.executable, "-m", "suyuan.cli", "scan", "--sync", "--server", base,
                                 "--batch-size", "1"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + HANG_SECONDS  # progress, not a clock, decides when to kill
        while _dispatches(engine) < N // 4 and time.monotonic() < deadline and sync.poll() is None:
            time.sleep(0.005)
        sync.send_signal(signal.SIGKILL)
        sync.communicate(timeout=30)
        assert sync.returncode == -signal.SIGKILL, "the sync finished before it could be killed"
        recorded_before = _dispatches(engine)
        assert 0 < recorded_before < N
        assert _pending(queue_path) >= N + 1 - recorded_before  # nothing settled that the server lacks

        # 3. Sync again: the rest goes up, a scan sent before the kill is reported, not duplicated.
        r = _scan(env, "--sync", "--server", base, "--batch-size", "20")
        assert r.returncode == 0, r.stderr
        assert "100%" in r.stderr  # the progress bar
        summary = r.stdout.splitlines()[-1]
        assert summary.endswith("1 rejected, 0 still queued"), r.stdout
        assert _dispatches(engine) == N  # every scan exactly once
        for key in stock.keys[:: N // 10]:
            chain = httpx.get(f"{base}/v1/chains/{key}").json()["entries"]
            assert [e["entry"]["statement"]["type"] for e in chain].count("dispatch") == 1
        with ScanQueue(queue_path) as q:
            assert q.pending_count() == 0
            [rejected] = q.rejected()
            assert rejected.statement["key"] == fake and rejected.rule == "not_registered"
        listed = _scan(env, "--rejected")
        assert fake in listed.stdout and "not_registered" in listed.stdout

        # 4. A third sync has nothing to do.
        r = _scan(env, "--sync", "--server", base)
        assert r.stdout.splitlines()[-1] == "sync: 0 recorded, 0 already recorded, 0 rejected, 0 still queued"
    engine.dispose()


def _flag_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("FLAG")]


def test_a_courier_delivery_gives_the_shoppers_review_tokens(env, db_url, tmp_path):
    engine = make_engine(db_url)
    stock = sold_items(engine, Settings(data_dir=tmp_path / "lib", database_url=db_url), 3)
    keys = stock.keys
    env["SUYUAN_API_KEY"] = stock.courier_key
    codes = [digital_link_uri(k, "https://id.example.cn") for k in keys]
    route = ["--from-region", "320700", "--to-region", "310104"]
    # 1. Dispatch with the server down, each parcel's waybill and weight on its line; 1 kg of prawns
    #    declared at 600 g is too light.
    lines = [f"{code}\tSF30000000{i}\t{1500 if i < 2 else 600}" for i, code in enumerate(codes)]
    r = _scan(env, "--action", "dispatch", "--server", f"http://127.0.0.1:{free_port()}", *route,
              stdin="\n".join(lines) + "\n")
    assert r.returncode == 0, r.stderr
    assert sum(line.startswith("QUEUED") for line in r.stdout.splitlines()) == 3, r.stdout

    with running_server(env) as base:
        # 2. The sync shows the flag the server raised, once.
        r = _scan(env, "--sync", "--server", base)
        assert r.returncode == 0, r.stderr
        assert _flag_lines(r.stdout) == [f"FLAG     {keys[2]}  weight_below_contents: declared weight 600 g "
                                         "is below the net weight of the contents, 1000 g"], r.stdout
        assert r.stdout.splitlines()[-1] == "sync: 3 recorded, 0 already recorded, 0 rejected, 0 still queued"
        dispatched = [httpx.get(f"{base}/v1/chains/{k}").json()["entries"][-1]["entry"]["statement"]["data"] for k in keys]
        assert [(d["waybill"], d["weight_g"]) for d in dispatched] == [
            ("SF300000000", 1500), ("SF300000001", 1500), ("SF300000002", 600)]
        assert _flag_lines(_scan(env, "--sync", "--server", base).stdout) == []

        # 3. Delivery to a recipient the courier stored in the vault.
        person = httpx.post(f"{base}/v1/people", headers={"Authorization": f"Bearer {stock.courier_key}"},
                            json={"kind": "recipient", "name": "李四", "phone": "13900139000",
                                  "address": "上海市徐汇区漕溪北路 1 号"})
        assert person.status_code == 201, person.text
        commitment = person.json()["commitment"]
        r = _scan(env, "--action", "deliver", "--server", base, "--signed-by", "recipient", "--region", "310104",
                  "--recipient", commitment, stdin="\n".join(codes) + "\n")
        assert r.returncode == 0, r.stderr
        assert sum(line.startswith("OK") and "1 review token kept" in line for line in r.stdout.splitlines()) == 3
        assert "3 review tokens kept for the shoppers" in r.stderr
        delivered = httpx.get(f"{base}/v1/chains/{keys[0]}").json()["entries"][-1]["entry"]["statement"]
        assert delivered["type"] == "deliver" and delivered["data"]["recipient"] == commitment

        # 4. The tokens as CSV, on stdout and in a private file.
        r = _scan(env, "--tokens")
        assert r.returncode == 0, r.stderr
        rows = list(csv.reader(io.StringIO(r.stdout)))
        assert rows[0] == ["item_key", "token"]
        assert [row[0] for row in rows[1:]] == keys and all(row[1].startswith("rv_") for row in rows[1:])
        out = tmp_path / "tokens.csv"
        r = _scan(env, "--tokens", "--out", str(out))
        assert r.returncode == 0 and r.stdout == "", r.stderr
        assert list(csv.reader(io.StringIO(out.read_text()))) == rows
        for private in (out, tmp_path / "queue.db"):
            assert stat.S_IMODE(private.stat().st_mode) == 0o600, private

        # 5. A shopper reviews with the token printed on the delivery slip.
        for key, token in rows[1:]:
            review = httpx.post(f"{base}/v1/events", headers={"Authorization": f"Bearer {token}"},
                                json={"statement": statement(key, "review", {"rating": 5, "text": "很新鲜"})})
            assert review.status_code == 201, review.text
            assert review.json()["entry"]["statement"]["actor"].startswith("consumer:")
    engine.dispose()


@pytest.fixture
def bare_env(tmp_path):
    """No database: these errors are found before anything is opened or sent."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("SUYUAN_")}
    return e | {"SUYUAN_DATA_DIR": str(tmp_path / "data"), "SUYUAN_SCAN_QUEUE": str(tmp_path / "queue.db"),
                "SUYUAN_API_KEY": "sy_courier"}


C = "https://id.example.cn/01/06901230000010/21/A1"


@pytest.mark.parametrize(("args", "words"), [
    ([], "Expected one of --action dispatch|transit|deliver, --sync, --rejected or --tokens, got none."),
    (["--sync", "--tokens"], "got --sync and --tokens."),
    (["--out", "t.csv", "--sync"], "Option --out is for --tokens"),
    (["--action", "pickup"], "argument --action: invalid choice: 'pickup'"),
    (["--action", "dispatch", "--weight-g", "1.2kg"], "argument --weight-g: invalid int value: '1.2kg'"),
    (["--action", "dispatch", "--scale"], "unrecognized arguments: --scale"),
    (["--action", "dispatch", "--from-region", "99", "--to-region", "310104"], "set it with --from-region."),
    (["--action", "transit", "--hub", "上海", "--region", "310000", "--waybill", "SF1"],
     "Option --waybill is for --action dispatch, not transit: remove it."),
    (["--action", "deliver", "--signed-by", "agent", "--region", "310104", "--recipient", "李四"],
     "Invalid --recipient '李四': expected the commitment POST /v1/people returned"),
    (["--sync", "--hub", "上海"], "Option --hub sets the payload of new scans: expected it with --action, "
                                 "not with --sync."),
    (["--sync", "--server", "127.0.0.1:8000"], "Invalid server URL '127.0.0.1:8000'"),
    (["--sync", "--batch-size", "0"], "Invalid --batch-size: expected 1 to 10000, got 0."),
    (["--sync", "--key", ""], "Missing API key"),
    (["--tokens", "--out", "/nonexistent/dir/tokens.csv"], "Cannot write /nonexistent/dir/tokens.csv"),
])
def test_usage_errors_are_one_sentence_and_exit_2(bare_env, args, words):
    env = bare_env if "--key" not in args else {k: v for k, v in bare_env.items() if k != "SUYUAN_API_KEY"}
    r = _scan(env, *args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stdout == "" and "Traceback" not in r.stderr
    [line] = r.stderr.splitlines()
    assert line.startswith("suyuan") and words in line, line


def test_bad_lines_and_an_unreachable_server_never_print_a_traceback(bare_env, tmp_path):
    lines = [C + "\tSF1\t1.2kg", C + "\tSF1\t1200\tfragile", "\xff\xfe garbage", C + "\tSF1\t1200"]
    down = f"http://127.0.0.1:{free_port()}"
    r = subprocess.run([sys.executable, "-m", "suyuan.cli", "scan", "--action", "dispatch", "--server", down,
                        "--from-region", "320700", "--to-region", "310104"], env=bare_env,
                       input="\n".join(lines).encode("latin-1") + b"\n", capture_output=True, timeout=120)
    out, err = r.stdout.decode(), r.stderr.decode()
    assert r.returncode == 0 and "Traceback" not in err, err
    tags = [line.split()[0] for line in out.splitlines()]
    assert tags == ["INVALID", "INVALID", "INVALID", "WARNING", "QUEUED"], out
    assert "expected whole grams" in out and "Too many fields" in out
    assert f"1 scans still queued (server unreachable: ConnectError at {down})" in err

    r = _scan(bare_env, "--sync", "--server", down)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert r.stdout == f"sync: 0 recorded, 0 already recorded, 0 rejected, 1 still queued (server " \
                       f"unreachable: ConnectError at {down})\n"

    (tmp_path / "a-dir").mkdir(mode=0o755)
    r = _scan(bare_env, "--tokens", "--queue", str(tmp_path / "a-dir"))
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    [line] = r.stderr.splitlines()
    assert line.startswith("suyuan: Cannot use the scan queue") and line.endswith(".")
    assert stat.S_IMODE((tmp_path / "a-dir").stat().st_mode) == 0o755  # left as it was
