"""Backups of the ledger's database, and restores that are audited before they replace anything.

SQLite: the online backup API (`sqlite3.Connection.backup`), a consistent
copy taken while the server runs. PostgreSQL: `pg_dump --format=custom`,
restored with `pg_restore` into a new database that replaces the old one
(renamed, then kept beside it) only once `suyuan audit`'s checks pass on it.
The keys are not in the database, so not in a backup: the report names them,
to be backed up apart (the vault key above all: without it every sealed
person is lost).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import URL, make_url

from suyuan.errors import ConfigError, InputError
from suyuan.ledger.audit import AuditReport, audit
from suyuan.ledger.db import make_engine
from suyuan.ledger.models import Checkpoint

checkpoints_t = Checkpoint.__table__


@dataclass(frozen=True)
class Copy:
    """A backup written, or a restore done: where, the checkpoint it holds, and (restore) its audit."""

    path: Path | None
    database: str
    tree_size: int | None
    audit: AuditReport | None = None
    replaced: str | None = None  # PostgreSQL: the database the restore replaced, kept under this name


def latest_size(engine: Engine) -> int | None:
    with engine.connect() as conn:
        return conn.execute(select(func.max(checkpoints_t.c.size))).scalar()


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise ConfigError(f"Cannot back up {url.render_as_string()}: expected a SQLite file.")
    return Path(url.database)


def _pg_env(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password, and the environment that carries it (never on a command line)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ConfigError(f"Cannot find {name}: expected PostgreSQL's client tools on PATH "
                          "(Debian: postgresql-client).")
    return found


def _run(argv: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise ConfigError(f"{Path(argv[0]).name} failed with status {done.returncode}: {last}")


def backup(database_url: str, out: Path) -> Copy:
    """Write a consistent copy of the database to `out` (never over an existing file)."""
    url, out = make_url(database_url), Path(out)
    if out.exists():
        raise InputError(f"Backup file {out} exists: expected a new file, got one already there.", field="out")
    out.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url), timeout=60)
        target = sqlite3.connect(out)
        try:
            source.backup(target)  # page by page, under a read lock: writers go on in WAL mode
        finally:
            target.close()
            source.close()
    else:
        uri, env = _pg_env(url)
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(out), uri], env)
    engine = make_engine(f"sqlite:///{out}") if url.get_backend_name() == "sqlite" else make_engine(database_url)
    try:
        size = latest_size(engine)
    finally:
        engine.dispose()
    return Copy(out, url.render_as_string(hide_password=True), size)


def restore(database_url: str, source: Path, verifier_key: str, origin: str) -> Copy:
    """Replace the database with the backup at `source`, once the backup passes the audit.

    Nothing is replaced when the audit fails (VerificationError) or a tool
    fails (ConfigError). Stop the server first: a restore under a running
    server is refused by PostgreSQL (open sessions) and unsafe on SQLite.
    """
    url, source = make_url(database_url), Path(source)
    if not source.is_file():
        raise InputError(f"No backup at {source}: expected a file `suyuan backup` wrote.", field="backup")
    if url.get_backend_name() == "sqlite":
        return _restore_sqlite(url, source, verifier_key, origin)
    return _restore_postgresql(url, source, verifier_key, origin)


def _audited(url: str, verifier_key: str, origin: str) -> tuple[AuditReport, int | None]:
    engine = make_engine(url, pool_size=1)
    try:
        return audit(engine, verifier_key, origin), latest_size(engine)
    finally:
        engine.dispose()


def _restore_sqlite(url: URL, source: Path, verifier_key: str, origin: str) -> Copy:
    target = _sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(target.name + ".restoring")
    staged.unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(staged)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    try:
        report, size = _audited(f"sqlite:///{staged}", verifier_key, origin)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    for stale in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        stale.unlink(missing_ok=True)  # the old database's journal must not be replayed into the new one
    os.replace(staged, target)
    return Copy(target, url.render_as_string(hide_password=True), size, report)


def _admin(url: URL):  # noqa: ANN202
    """An engine on the server's maintenance database, to create and rename databases."""
    return make_engine(url.set(database="postgres").render_as_string(hide_password=False), pool_size=1)


def _restore_postgresql(url: URL, source: Path, verifier_key: str, origin: str) -> Copy:
    name = url.database
    staged = f"{name}_restoring"
    admin = _admin(url)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{staged}"'))
            conn.execute(text(f'CREATE DATABASE "{staged}"'))
        staged_url = url.set(database=staged)
        uri, env = _pg_env(staged_url)
        try:
            _run([_tool("pg_restore"), "--no-owner", "--exit-on-error", "--dbname", uri, str(source)], env)
            report, size = _audited(staged_url.render_as_string(hide_password=False), verifier_key, origin)
        except BaseException:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{staged}" WITH (FORCE)'))
            raise
        replaced = _swap(admin, name, staged)
    finally:
        admin.dispose()
    return Copy(None, url.render_as_string(hide_password=True), size, report, replaced)


def _swap(admin: Engine, name: str, staged: str) -> str | None:
    """Rename the live database aside (its sessions ended) and the restored one into its place."""
    kept = f"{name}_before_restore_{time.strftime('%Y%m%d%H%M%S')}"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if exists:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                         {"n": name})
            conn.execute(text(f'ALTER DATABASE "{name}" RENAME TO "{kept}"'))
        conn.execute(text(f'ALTER DATABASE "{staged}" RENAME TO "{name}"'))
    return kept if exists else None
