"""`suyuan backup`, `suyuan restore` and `suyuan log recover`, run as an operator runs them, on each engine.

The story of issue 14: back up, let the log grow, restore the older backup.
The restored database is sound (it audits), but the log already published a
bigger tree: signing anything now would fork it. The log refuses, naming both
sizes and roots, until the operator accepts the older log with `log recover`.
"""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from suyuan.config import Settings
from suyuan.ledger.models import Checkpoint
from suyuan.ledger.db import make_engine
from suyuan.runtime import open_ledger
from tests.conftest import _pg_admin_url, _pg_exec
from tests.ledger.helpers import item_key, statement
from tests.test_cli import env, suyuan  # noqa: F401  (the fixture and the runner)


def grow(env, n: int, start: int = 0) -> None:  # noqa: F811
    """Append n events straight through the library (the CLI integrates them)."""
    settings = Settings(data_dir=env["SUYUAN_DATA_DIR"], database_url=env["SUYUAN_DATABASE_URL"],
                        log_origin=env["SUYUAN_LOG_ORIGIN"])
    ledger = open_ledger(settings)
    for i in range(start, start + n):
        ledger.append(statement(item_key(1, f"SN{i}"), "inspect", result="pass"))
    ledger.engine.dispose()


def sizes(db_url: str) -> int:
    engine = make_engine(db_url, pool_size=1)
    with engine.connect() as conn:
        size = conn.execute(select(func.max(Checkpoint.__table__.c.size))).scalar()
    engine.dispose()
    return size


@pytest.fixture
def kept_databases(db_url):
    """PostgreSQL: the restore keeps the database it replaced; drop it after the test."""
    yield
    if not db_url.startswith("postgresql"):
        return
    admin = make_engine(_pg_admin_url(), pool_size=1)
    with admin.connect() as conn:
        kept = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :n"),
                            {"n": make_url(db_url).database + "\\_%"}).scalars().all()
    admin.dispose()
    for name in kept:
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_restored_older_backup_cannot_make_the_log_fork(env, tmp_path, db_url, kept_databases):  # noqa: F811
    suyuan(env, "init")
    grow(env, 3)
    suyuan(env, "log", "integrate")
    backup = tmp_path / "backup-1"
    out = suyuan(env, "backup", str(backup)).stdout
    assert "checkpoint tree size 3" in out
    assert f"log key    {tmp_path / 'data' / 'log.key'}" in out and "vault key" in out and "log state" in out

    grow(env, 2, start=3)
    assert "tree size 5" in suyuan(env, "log", "integrate").stdout
    published = suyuan(env, "audit").stdout
    assert "tree size 5" in published

    restored = suyuan(env, "restore", str(backup))
    assert "verified   audit ok: 3 entries" in restored.stdout, restored.stdout
    assert "refuse to sign" in restored.stderr
    assert sizes(db_url) == 3

    grow(env, 1, start=100)  # a new event on the restored database: signing it would fork the log
    refused = suyuan(env, "log", "integrate", check=False)
    assert refused.returncode == 2, refused.stdout
    assert "size 5, root" in refused.stderr and "size 4 with root" in refused.stderr, refused.stderr
    assert "suyuan log recover" in refused.stderr and "Traceback" not in refused.stderr
    serve = suyuan(env, "serve", "--port", "9", check=False)  # refuses at start, before binding
    assert serve.returncode == 2 and "refuses to sign" in serve.stderr
    assert sizes(db_url) == 3  # nothing signed

    recovered = suyuan(env, "log", "recover")
    assert "remembered size 5" in recovered.stdout and "now        size 3" in recovered.stdout
    assert "verifiers holding them will see the log fork" in recovered.stderr
    assert "tree size 4" in suyuan(env, "log", "integrate").stdout
    assert suyuan(env, "audit").stdout.startswith("audit ok: 4 entries")


def test_a_backup_that_does_not_audit_replaces_nothing(env, tmp_path, db_url):  # noqa: F811
    if not db_url.startswith("sqlite"):
        pytest.skip("edits the backup file in place, which a pg_dump archive does not allow")
    suyuan(env, "init")
    grow(env, 2)
    suyuan(env, "log", "integrate")
    backup = tmp_path / "backup.db"
    suyuan(env, "backup", str(backup))
    with sqlite3.connect(backup) as conn:  # what someone with the file could do: drop the guard, edit
        conn.execute("DROP TRIGGER IF EXISTS entries_no_update")
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                            "AND tbl_name = 'entries'")]
        for name in names:
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("UPDATE entries SET canonical = CAST(replace(CAST(canonical AS TEXT), 'pass', 'fail') AS BLOB) "
                     "WHERE seq = 0")
    grow(env, 1, start=10)
    suyuan(env, "log", "integrate")
    r = suyuan(env, "restore", str(backup), check=False)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert sizes(db_url) == 3  # the live database is untouched
    assert suyuan(env, "audit").stdout.startswith("audit ok: 3 entries")
