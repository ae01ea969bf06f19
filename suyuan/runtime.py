"""Turning settings into running parts: data dir, log key, engine, ledger."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from suyuan.config import Settings
from suyuan.errors import ConfigError, NotInitialised
from suyuan.ledger.db import make_engine
from suyuan.ledger.ledger import Ledger
from suyuan.ledger.published import PublishedState
from suyuan.ledger.signer import LogSigner, create_key_file, load_key_file


def load_signer(settings: Settings) -> LogSigner:
    if settings.log_key:
        return LogSigner.from_pem(settings.log_key.encode())
    if not settings.log_key_path.exists():
        raise ConfigError(
            f"No log key at {settings.log_key_path}: run `suyuan init` first "
            "or set SUYUAN_LOG_KEY."
        )
    return load_key_file(settings.log_key_path)


def init_data_dir(settings: Settings) -> bool:
    """Create the data dir and the log key if missing; True if a key was made."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.log_key or settings.log_key_path.exists():
        return False
    create_key_file(settings.log_key_path)
    return True


def open_ledger(settings: Settings) -> Ledger:
    engine = make_engine(settings.sqlalchemy_url)
    return Ledger(engine, settings.log_origin, load_signer(settings), PublishedState(settings.log_state_path))


def initialised_engine(settings: Settings) -> Engine:
    """An engine on the settings' database, which must already hold the current schema.

    Commands that only read or add to an existing ledger call this instead of
    `make_engine`, so that run from the wrong directory they say so instead of
    creating an empty SQLite file beside the user.
    """
    url = make_url(settings.sqlalchemy_url)
    where = url.render_as_string(hide_password=True)
    hint = "run `suyuan init` first, or set SUYUAN_DATA_DIR or SUYUAN_DATABASE_URL to the one you made"
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).is_file():
        raise NotInitialised(f"No suyuan database at {url.database}: {hint}.")
    from suyuan.ledger.schema import current_revision, head_revision

    engine = make_engine(settings.sqlalchemy_url)
    try:
        current = current_revision(engine)
    except OperationalError as exc:
        engine.dispose()
        raise ConfigError(f"Cannot reach the database {where}: {str(exc.orig).strip().splitlines()[0]}.") from exc
    head = head_revision(engine)
    if current is None:
        engine.dispose()
        raise NotInitialised(f"The database {where} holds no suyuan schema: {hint}.")
    if current != head:
        engine.dispose()
        raise NotInitialised(f"The database {where} is at schema revision {current}, expected {head}: "
                             "run `suyuan db upgrade`.")
    return engine


def open_initialised_ledger(settings: Settings) -> Ledger:
    """`open_ledger` on a database that must already be initialised."""
    engine = initialised_engine(settings)
    return Ledger(engine, settings.log_origin, load_signer(settings), PublishedState(settings.log_state_path))
