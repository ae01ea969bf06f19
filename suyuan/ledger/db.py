"""Engines for the embedded SQLite default and for PostgreSQL.

SQLite: WAL so readers never wait on the writer, and `BEGIN IMMEDIATE` for
writing transactions so appends to a chain are serialised up front instead
of failing at commit (pysqlite's own deferred BEGIN is switched off, as the
SQLAlchemy docs' "Serializable isolation / Savepoints" recipe shows).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


# Kept open: as many as the server's threadpool (AnyIO's default, 40) has threads, so busy
# handlers reuse connections instead of opening and closing overflow ones on every request.
POOL_SIZE = 40


def make_engine(url: str, *, pool_size: int = POOL_SIZE) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 60}, pool_size=pool_size,
            max_overflow=40,
        )
        _configure_sqlite(engine)
        return engine
    if parsed.drivername == "postgresql":
        # SQLAlchemy 2.1 defaults to psycopg 3; suyuan ships psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg2")
    # Overflow stays small so two workers stay under PostgreSQL's default max_connections (100).
    # values_plus_batch: executemany UPDATEs go in pages (psycopg2's execute_batch), not one by one.
    return create_engine(parsed, pool_size=pool_size, max_overflow=8, pool_pre_ping=True,
                         executemany_mode="values_plus_batch")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        # Reads ask for a deferred BEGIN with execution_options(readonly=True).
        if conn.get_execution_options().get("readonly"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
