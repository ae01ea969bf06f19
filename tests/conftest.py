"""Test databases: the same suite on SQLite and on PostgreSQL.

Every test that asks for `db_url` runs twice: on a fresh SQLite file and on a
fresh PostgreSQL database, both built by `alembic upgrade head` (never
create_all). PostgreSQL needs `SUYUAN_TEST_DATABASE_URL` (a database the tests
may use to create others); without it the PostgreSQL half is skipped, which
`.ci/run` does not allow. The schema is migrated once into a template per
engine; each test gets a copy (a file copy, or CREATE DATABASE ... TEMPLATE).
"""

from __future__ import annotations

import os
import shutil
import uuid

import pytest
from sqlalchemy.engine import make_url

from suyuan.config import Settings
from suyuan.ledger.db import make_engine
from suyuan.ledger.schema import upgrade
from suyuan.ledger.signer import LogSigner

PG_ENV = "SUYUAN_TEST_DATABASE_URL"
ENGINES = ["sqlite", "postgresql"]


def _pg_admin_url() -> str | None:
    return os.environ.get(PG_ENV)


def _pg_exec(sql: str) -> None:
    engine = make_engine(_pg_admin_url(), pool_size=1)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(sql)
    engine.dispose()


@pytest.fixture(scope="session")
def _templates(tmp_path_factory):  # noqa: ANN001, ANN202
    made: dict[str, str] = {}
    base = tmp_path_factory.mktemp("tpl")
    sqlite_path = base / "template.db"
    engine = make_engine(f"sqlite:///{sqlite_path}")
    upgrade(engine)
    engine.dispose()  # the last connection to close folds the WAL into the file
    made["sqlite"] = str(sqlite_path)
    pg_names: list[str] = []
    if _pg_admin_url():
        name = f"suyuan_tpl_{uuid.uuid4().hex[:8]}"
        _pg_exec(f"CREATE DATABASE {name}")
        pg_names.append(name)
        url = make_url(_pg_admin_url()).set(database=name)
        engine = make_engine(url.render_as_string(hide_password=False), pool_size=1)
        upgrade(engine)
        engine.dispose()
        made["postgresql"] = name
    made["_pg_names"] = pg_names  # type: ignore[assignment]
    yield made
    for name in pg_names:
        _pg_exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=ENGINES)
def db_url(request, _templates, tmp_path):  # noqa: ANN001, ANN201
    """URL of a fresh, migrated database on each engine."""
    if request.param == "sqlite":
        path = tmp_path / "suyuan.db"
        shutil.copy(_templates["sqlite"], path)
        yield f"sqlite:///{path}"
        return
    if not _pg_admin_url():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL half: {PG_ENV} is not set")
        pytest.skip(f"PostgreSQL half: set {PG_ENV} to run it")
    name = f"suyuan_t_{uuid.uuid4().hex[:10]}"
    _pg_exec(f"CREATE DATABASE {name} TEMPLATE {_templates['postgresql']}")
    yield make_url(_pg_admin_url()).set(database=name).render_as_string(hide_password=False)
    _pg_exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def engine(db_url):  # noqa: ANN001, ANN201
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def log_signer() -> LogSigner:
    return LogSigner.generate()


@pytest.fixture
def settings(db_url, tmp_path, log_signer):  # noqa: ANN001, ANN201
    return Settings(
        data_dir=tmp_path / "data",
        database_url=db_url,
        log_origin="test.suyuan.example/log",
        log_key=log_signer.to_pem().decode(),
        integrate_interval=0.05,
    )
