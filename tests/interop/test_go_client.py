"""Interop: an independent Go client checks a running server's log.

`interop/go/tlogcheck` is built only on Go's golang.org/x/mod/sumdb/note and
golang.org/x/mod/sumdb/tlog (Debian's golang-golang-x-mod-dev, GOPATH mode,
no network). Against a real `suyuan serve` process on each engine it opens
the checkpoint with the log's verifier key, rebuilds the root from the hash
tiles, checks every entry bundle against the leaf hashes, proves consistency
with an earlier checkpoint, and verifies receipts (C2SP tlog-tiles,
tlog-checkpoint, signed-note, tlog-proof).

Without `go` (or x/mod) on the machine the tests are skipped, except under CI,
where they fail: CI must install golang-go and golang-golang-x-mod-dev.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from suyuan.ledger.chain import append_many
from suyuan.ledger.db import make_engine
from suyuan.ledger.signer import LogSigner
from tests.ledger.helpers import item_key, statement
from tests.server import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
TOOL_SRC = ROOT / "interop" / "go" / "tlogcheck"
DEBIAN_GOPATH = Path("/usr/share/gocode")
XMOD = Path("src/golang.org/x/mod/sumdb")
ORIGIN = "interop.suyuan.example/log"

FIRST = 600  # 2 full + 1 partial level-0 tiles, a partial level-1 tile
MORE = 300  # then 3 full + 1 partial at level 0


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the Go interop test: apt-get install golang-go golang-golang-x-mod-dev)")
    pytest.skip(reason)


def _gopath() -> Path | None:
    for p in [*(Path(x) for x in os.environ.get("GOPATH", "").split(os.pathsep) if x), DEBIAN_GOPATH]:
        if (p / XMOD / "note" / "note.go").is_file() and (p / XMOD / "tlog" / "tile.go").is_file():
            return p
    return None


@pytest.fixture(scope="session")
def go_env(tmp_path_factory) -> dict[str, str]:
    """`go` and the environment for an offline GOPATH-mode build against the system's x/mod."""
    go = shutil.which("go")
    if go is None:
        _unavailable("Go interop client: `go` is not on PATH")
    gopath = _gopath()
    if gopath is None:
        _unavailable(f"Go interop client: golang.org/x/mod not found under $GOPATH or {DEBIAN_GOPATH}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    env |= {"GO": go, "GO111MODULE": "off", "GOPATH": str(gopath), "GOPROXY": "off", "GOFLAGS": "",
            "GOTOOLCHAIN": "local", "CGO_ENABLED": "0"}
    if not (env.get("HOME") or env.get("XDG_CACHE_HOME")):
        env["GOCACHE"] = str(tmp_path_factory.mktemp("gocache"))
    return env


@pytest.fixture(scope="session")
def tlogcheck(go_env, tmp_path_factory) -> Path:
    """The Go client, built once."""
    out = tmp_path_factory.mktemp("go") / "tlogcheck"
    r = subprocess.run([go_env["GO"], "build", "-o", str(out), "."], cwd=TOOL_SRC, env=go_env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"go build failed:\n{r.stdout}\n{r.stderr}"
    return out


def test_go_unit_tests(go_env):
    """The client's own Go tests: C2SP tile paths, and the full-tile check it adds to x/mod's reader."""
    r = subprocess.run([go_env["GO"], "test", "-count=1", "-v", "."], cwd=TOOL_SRC, env=go_env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "--- PASS: TestTilePathsFollowC2SP" in r.stdout
    assert "--- PASS: TestAuthenticateFullTiles" in r.stdout


class Server(ServerProcess):
    def __init__(self, db_url: str, tmp_path: Path):
        env = {k: v for k, v in os.environ.items() if not k.startswith("SUYUAN_")}
        env |= {"SUYUAN_DATA_DIR": str(tmp_path / "data"), "SUYUAN_DATABASE_URL": db_url,
                "SUYUAN_LOG_ORIGIN": ORIGIN, "SUYUAN_INTEGRATE_INTERVAL": "0.05"}
        super().__init__(env, tmp_path / "server.log", cwd=tmp_path)
        self.start()
        # The verifier key as `suyuan init` printed it to the operator (out of band),
        # not as the server under test serves it.
        lines = [ln for ln in self.log.read_text().splitlines() if ln.startswith("verifier ")]
        assert lines, self.log.read_text()
        self.vkey = lines[-1].split()[-1]

    def checkpoint(self) -> str:
        return httpx.get(f"{self.base}/log/checkpoint").text

    def wait_for_size(self, size: int, timeout: float = 120.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            note = self.checkpoint()
            if int(note.split("\n")[1]) >= size:
                return note
            time.sleep(0.05)
        pytest.fail(f"log did not reach size {size}: {self.checkpoint()!r}")

@pytest.fixture
def server(db_url, tmp_path):
    s = Server(db_url, tmp_path)
    yield s
    s.stop()


def seed(db_url: str, n: int, tag: str) -> list[str]:
    """Append n entries on the server's database (the library write path, no HTTP auth)."""
    engine = make_engine(db_url)
    try:
        done = append_many(engine, [(statement(item_key(i % 50 + 1, f"{tag}{i}")), None)
                                    for i in range(n)])
    finally:
        engine.dispose()
    return [a.hash.hex() for a in done]


def seed_many(db_url: str, n: int, tag: str, chunk: int = 8192) -> None:
    for start in range(0, n, chunk):
        seed(db_url, min(chunk, n - start), f"{tag}{start}-")


def run(tool: Path, server: Server, *args: str, vkey: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(tool), "-url", server.base, "-vkey", vkey or server.vkey, *args],
                          capture_output=True, text=True, timeout=60)


def fetch_receipt(server: Server, entry_hash: str, tmp_path: Path, name: str) -> tuple[Path, Path]:
    r = httpx.get(f"{server.base}/v1/events/{entry_hash}/receipt")
    assert r.status_code == 200, r.text
    entry = httpx.get(f"{server.base}/v1/events/{entry_hash}").json()
    (tmp_path / f"{name}.tlog-proof").write_text(r.text, encoding="utf-8")
    (tmp_path / f"{name}.entry").write_bytes(base64.b64decode(entry["canonical"]))
    return tmp_path / f"{name}.tlog-proof", tmp_path / f"{name}.entry"


def lines(r: subprocess.CompletedProcess) -> dict[str, str]:
    """The tool's report as {check: rest of line}."""
    out = {}
    for ln in r.stdout.splitlines():
        if ln.startswith(("ok   ", "FAIL ")):
            check, _, rest = ln[5:].partition(": ")
            out[check] = ln[:4].strip() + " " + rest
    return out


def test_go_client_verifies_tiles_entries_consistency_and_receipts(tlogcheck, server, db_url, tmp_path):
    first = seed(db_url, FIRST, "A")
    old_note = server.wait_for_size(FIRST)
    assert old_note.split("\n")[:2] == [ORIGIN, str(FIRST)]
    (tmp_path / "old.checkpoint").write_text(old_note, encoding="utf-8")
    # A receipt against the first checkpoint, for an entry in the first level-0 tile.
    old_receipt, old_entry = fetch_receipt(server, first[5], tmp_path, "old")
    assert f"\n{ORIGIN}\n{FIRST}\n" in old_receipt.read_text()

    second = seed(db_url, MORE, "B")
    size = FIRST + MORE
    server.wait_for_size(size)

    r = run(tlogcheck, server, "-old-checkpoint", str(tmp_path / "old.checkpoint"),
            "-receipt", str(old_receipt), "-entry", str(old_entry))
    assert r.returncode == 0, r.stdout + r.stderr
    got = lines(r)
    assert got["checkpoint"].startswith(f"ok origin {ORIGIN}, size {size}, root ")
    assert f"signed by {ORIGIN}+" in got["checkpoint"]
    assert got["tree hash"] == ("ok root rebuilt from tiles equals the checkpoint root "
                                "(level 0: 3 full + 1 partial, level 1: 0 full + 1 partial)")
    assert got["entry bundles"] == f"ok {size} entries in 4 bundles, each RecordHash equals its leaf hash"
    assert got["old checkpoint"].startswith(f"ok origin {ORIGIN}, size {FIRST}, root ")
    assert got["old tree hash"] == f"ok root of tree {FIRST} rebuilt from its own tiles (2 fetched)"
    assert got["consistency"].startswith(f"ok tree {FIRST} is a prefix of tree {size} (ProveTree from tiles")
    assert got["consistency api"].startswith("ok /v1/log/consistency proof (")
    assert got["receipt"] == (f"ok entry {base64.b64encode(bytes.fromhex(first[5])).decode()} is leaf 5 "
                              f"of tree {FIRST} (10 proof hashes, CheckRecord ok)")
    assert got["receipt tree"] == f"ok the receipt's tree {FIRST} is a prefix of the current tree {size}"
    assert got["receipt tiles"] == f"ok ProveRecord from tiles proves leaf 5 in tree {size} too"
    assert not any(v.startswith("FAIL") for v in got.values())

    # A fresh receipt, for the last entry (in the partial tile), against the current tree.
    new_receipt, new_entry = fetch_receipt(server, second[-1], tmp_path, "new")
    r = run(tlogcheck, server, "-receipt", str(new_receipt), "-entry", str(new_entry))
    assert r.returncode == 0, r.stdout + r.stderr
    got = lines(r)
    assert f"is leaf {size - 1} of tree {size} (" in got["receipt"]
    assert got["receipt tree"] == "ok the receipt's tree is the current tree"

    # Negative: one flipped bit in one proof hash of the receipt.
    text = new_receipt.read_text()
    head, sep, rest = text.partition("\n\n")
    proof_lines = head.split("\n")
    raw = bytearray(base64.b64decode(proof_lines[2]))
    raw[0] ^= 1
    proof_lines[2] = base64.b64encode(bytes(raw)).decode()
    bad = tmp_path / "bad.tlog-proof"
    bad.write_text("\n".join(proof_lines) + sep + rest, encoding="utf-8")
    r = run(tlogcheck, server, "-receipt", str(bad), "-entry", str(new_entry))
    assert r.returncode == 1, r.stdout + r.stderr
    assert lines(r)["receipt"].startswith("FAIL CheckRecord index ")
    assert lines(r)["tree hash"].startswith("ok ")  # only the receipt failed

    # Negative: the receipt is right but the entry bytes are not the logged ones.
    (tmp_path / "other.entry").write_bytes(old_entry.read_bytes() + b" ")
    r = run(tlogcheck, server, "-receipt", str(new_receipt), "-entry", str(tmp_path / "other.entry"))
    assert r.returncode == 1 and lines(r)["receipt"].startswith("FAIL CheckRecord"), r.stdout


def test_go_client_rejects_a_checkpoint_under_another_key(tlogcheck, server, db_url):
    seed(db_url, 3, "K")
    server.wait_for_size(3)

    # Same key name, another key: note.Open finds no signature it can check.
    r = run(tlogcheck, server, vkey=LogSigner.generate().verifier_key(ORIGIN))
    assert r.returncode == 1
    assert lines(r)["checkpoint"].startswith("FAIL note.Open: ")


def test_go_client_walks_a_full_level_one_tile(tlogcheck, server, db_url, tmp_path):
    # 65,536 leaves: 256 full level-0 tiles, one full level-1 tile, a level-2 tile of width 1
    # (tlog-tiles' "tree of size 256" example, one level up); then 300 more.
    seed_many(db_url, 65536, "F")
    (tmp_path / "old.checkpoint").write_text(server.wait_for_size(65536, timeout=300), encoding="utf-8")
    seed(db_url, 300, "G")
    server.wait_for_size(65836)
    r = run(tlogcheck, server, "-old-checkpoint", str(tmp_path / "old.checkpoint"))
    assert r.returncode == 0, r.stdout + r.stderr
    got = lines(r)
    assert got["tree hash"] == ("ok root rebuilt from tiles equals the checkpoint root (level 0: 257 full "
                                "+ 1 partial, level 1: 1 full + 1 partial, level 2: 0 full + 1 partial)")
    assert got["tile authentication"] == "ok 258 full hash tiles each hash to their entry in the parent tile"
    assert got["entry bundles"] == "ok 65836 entries in 258 bundles, each RecordHash equals its leaf hash"
    assert got["old tree hash"] == "ok root of tree 65536 rebuilt from its own tiles (1 fetched)"
    assert got["consistency"].startswith("ok tree 65536 is a prefix of tree 65836 ")
    assert got["consistency api"].startswith("ok ")


def _tamper(db_url: str, table: str, sql: str, params: dict) -> None:
    """Rewrite a row of an append-only table, as an attacker with the database would."""
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
            else:
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update"))
            conn.execute(text(sql), params)
    finally:
        engine.dispose()


def test_go_client_catches_a_rewritten_entry_and_a_rewritten_tile(tlogcheck, server, db_url):
    hashes = seed(db_url, 300, "T")
    server.wait_for_size(300)
    assert run(tlogcheck, server).returncode == 0

    # An entry rewritten after it was logged: tiles and root still agree, the bundle does not.
    _tamper(db_url, "entries", "UPDATE entries SET canonical = :c WHERE hash = :h",
            {"c": b'{"forged":true}', "h": bytes.fromhex(hashes[7])})
    r = run(tlogcheck, server)
    assert r.returncode == 1, r.stdout
    got = lines(r)
    assert got["tree hash"].startswith("ok ")
    assert got["entry bundles"].startswith("FAIL /tile/entries/000: entry 7 hashes to "), r.stdout

    # A leaf hash rewritten in the full level-0 tile: the Go client cannot authenticate it.
    engine = make_engine(db_url)
    with engine.connect() as conn:
        data = bytes(conn.execute(text("SELECT data FROM log_tiles WHERE level = 0 AND idx = 0 "
                                       "AND width = 256")).scalar())
        parent = bytes(conn.execute(text("SELECT data FROM log_tiles WHERE level = 1 AND idx = 0 "
                                         "AND width = 1")).scalar())
    engine.dispose()
    _tamper(db_url, "log_tiles", "UPDATE log_tiles SET data = :d WHERE level = 0 AND idx = 0 AND width = 256",
            {"d": bytes([data[0] ^ 1]) + data[1:]})
    r = run(tlogcheck, server)
    assert r.returncode == 1, r.stdout
    got = lines(r)
    assert got["tree hash"].startswith("ok "), r.stdout  # the root does not cover full tiles...
    assert got["tile authentication"].startswith(  # ...their parent tile does
        "FAIL /tile/0/000 hashes to "), r.stdout
    assert got["tile authentication"].endswith(", but /tile/1/000.p/1 lists "
                                               f"{base64.b64encode(parent).decode()} for it"), r.stdout
