"""`suyuan analyze` as a user runs it (a real process, on each engine): progress, summary, idempotence, errors."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from suyuan.analytics.candidates import TYPES
from suyuan.timestamps import format_time
from suyuan.trace.findings.models import Finding
from tests.analytics.scene import Scene
from tests.analytics.test_findings_api import empty_parcel


@pytest.fixture
def env(settings):  # noqa: ANN001, ANN201
    e = {k: v for k, v in os.environ.items() if not k.startswith("SUYUAN_")}
    return e | {"SUYUAN_DATA_DIR": str(settings.data_dir), "SUYUAN_DATABASE_URL": settings.database_url}


def analyze(env, *args: str) -> subprocess.CompletedProcess:  # noqa: ANN001
    return subprocess.run([sys.executable, "-m", "suyuan.cli", "analyze", *args], env=env, capture_output=True,
                          text=True, timeout=300)


def count(engine) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Finding.__table__)).scalar()


def test_analyze_finds_once_shows_progress_and_a_second_run_creates_nothing(engine, settings, env):
    scene = Scene(engine, settings)
    empty_parcel(scene)
    first = analyze(env)
    assert first.returncode == 0, first.stderr
    assert "findings: 1 created, 0 updated, 0 unchanged" in first.stdout
    assert [line.split() for line in first.stdout.splitlines() if "empty_parcel" in line] == \
        [["empty_parcel", "1", "found", "1", "created"]]
    assert all(any(line.split()[0] == t for line in first.stdout.splitlines()[2:]) for t in TYPES)
    assert "100%" in first.stderr and "entries and checks" in first.stderr
    assert count(engine) == 1

    again = analyze(env)
    assert again.returncode == 0, again.stderr
    assert "findings: 0 created, 0 updated, 1 unchanged" in again.stdout and count(engine) == 1


def test_analyze_by_type_and_since(engine, settings, env):
    empty_parcel(Scene(engine, settings))
    other = analyze(env, "--type", "brushing", "--type", "fake_review")
    assert other.returncode == 0, other.stderr
    assert "findings: 0 created" in other.stdout and "empty_parcel" not in other.stdout and count(engine) == 0
    later = format_time(datetime.now(timezone.utc) + timedelta(days=1))
    assert "findings: 0 created" in analyze(env, "--since", later).stdout and count(engine) == 0
    earlier = format_time(datetime.now(timezone.utc) - timedelta(days=30))
    done = analyze(env, "--type", "empty_parcel", "--since", earlier)
    assert done.returncode == 0 and "findings: 1 created" in done.stdout and count(engine) == 1


def test_an_unknown_type_or_a_bad_time_is_one_sentence_and_exit_2(env, engine):  # noqa: ARG001
    bad = analyze(env, "--type", "empty_parcel", "--type", "fake_orders")
    assert bad.returncode == 2 and bad.stdout == ""
    assert len(bad.stderr.strip().splitlines()) == 1 and "'fake_orders'" in bad.stderr
    assert all(t in bad.stderr for t in TYPES)
    when = analyze(env, "--since", "yesterday")
    assert when.returncode == 2 and "--since 'yesterday'" in when.stderr and "RFC 3339" in when.stderr
