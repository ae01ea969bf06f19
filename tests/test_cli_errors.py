"""Every command, run wrongly or from another directory, answers one sentence and no traceback.

Real processes with a clean environment: no SUYUAN_* settings, a private
XDG_DATA_HOME (so the default data directory is empty) and a working
directory of their own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from suyuan.ledger.db import make_engine
from suyuan.ledger.schema import upgrade


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUYUAN_") and k != "XDG_DATA_HOME"}
    return env | {"XDG_DATA_HOME": str(tmp_path / "xdg")} | extra


def _run(tmp_path: Path, *args: str, cwd: Path | None = None, **extra: str) -> subprocess.CompletedProcess:
    cwd = cwd or tmp_path / "elsewhere"
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run([sys.executable, "-m", "suyuan.cli", *args], env=_env(tmp_path, **extra), cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def _assert_one_sentence(r: subprocess.CompletedProcess, *, contains: str) -> None:
    assert "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("suyuan"), lines[0]
    assert contains in lines[0], lines[0]


BAD_ARGUMENTS = [
    ([], "required: command"),
    (["bogus"], "invalid choice: 'bogus'"),
    (["db"], "required: db_command"),
    (["party"], "required: party_command"),
    (["party", "add", "--name", "x"], "required: --role"),
    (["serve", "--port", "eighty"], "invalid int value: 'eighty'"),
    (["labels", "--out", "x.pdf"], "required: --batch"),
    (["scan", "--action", "fly"], "invalid choice: 'fly'"),
    (["scan", "--action", "dispatch", "--weight-g", "heavy"], "invalid int value: 'heavy'"),
    (["verify-bundle"], "required: bundle"),
    (["verify-bundle", "missing.json", "--log-key", "k"], "missing.json"),
    (["verify-receipt", "missing.txt", "--key", "k", "--entry", "e.bin"], "missing.txt"),
    (["audit", "--deep"], "unrecognized arguments: --deep"),
]


@pytest.mark.parametrize(("args", "contains"), BAD_ARGUMENTS, ids=[" ".join(a) or "(none)" for a, _ in BAD_ARGUMENTS])
def test_bad_arguments_answer_one_sentence_and_exit_2(tmp_path, args, contains):
    _assert_one_sentence(_run(tmp_path, *args), contains=contains)


UNINITIALISED = [
    ["audit"],
    ["log", "integrate"],
    ["party", "add", "--name", "某公司", "--role", "producer"],
    ["labels", "--batch", "01/06901234567892/10/LOT7", "--out", "labels.pdf"],
]


@pytest.mark.parametrize("args", UNINITIALISED, ids=[" ".join(a) for a in UNINITIALISED])
def test_commands_refuse_an_uninitialised_database_and_create_nothing(tmp_path, args):
    r = _run(tmp_path, *args)
    _assert_one_sentence(r, contains="run `suyuan init` first")
    assert not (tmp_path / "xdg").exists(), "a refused command must not create a data directory"
    assert not list((tmp_path / "elsewhere").iterdir()), "nor anything in the working directory"


def test_an_older_schema_is_refused_naming_both_revisions(tmp_path):
    data = tmp_path / "xdg" / "suyuan"
    engine = make_engine(f"sqlite:///{data / 'suyuan.db'}")
    upgrade(engine, "0001")
    engine.dispose()
    r = _run(tmp_path, "audit")
    _assert_one_sentence(r, contains="is at schema revision 0001, expected")
    assert "suyuan db upgrade" in r.stderr


def test_an_unreachable_database_and_a_bad_setting_are_one_sentence(tmp_path):
    down = "postgresql://nobody@127.0.0.1:1/none"
    _assert_one_sentence(_run(tmp_path, "audit", SUYUAN_DATABASE_URL=down), contains="Cannot reach the database")
    _assert_one_sentence(_run(tmp_path, "init", SUYUAN_DATABASE_URL=down), contains="cannot reach the database")
    _assert_one_sentence(_run(tmp_path, "audit", SUYUAN_INTEGRATE_INTERVAL="often"),
                         contains="SUYUAN_INTEGRATE_INTERVAL")


def test_commands_find_the_same_data_from_any_directory(tmp_path):
    made = _run(tmp_path, "init", cwd=tmp_path / "a")
    assert made.returncode == 0, made.stderr
    assert f"data dir   {tmp_path / 'xdg' / 'suyuan'}" in made.stdout
    added = _run(tmp_path, "party", "add", "--name", "某水产公司", "--role", "producer", cwd=tmp_path / "b")
    assert added.returncode == 0, added.stderr
    audited = _run(tmp_path, "audit", cwd=tmp_path / "c")
    assert audited.returncode == 0 and audited.stdout.startswith("audit ok"), audited.stderr
    assert not (tmp_path / "b" / ".suyuan").exists() and not (tmp_path / "c" / ".suyuan").exists()
