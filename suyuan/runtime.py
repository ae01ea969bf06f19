"""Turning settings into running parts: data dir, log key, engine, ledger."""

from __future__ import annotations

from suyuan.config import Settings
from suyuan.errors import ConfigError
from suyuan.ledger.db import make_engine
from suyuan.ledger.ledger import Ledger
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
    return Ledger(engine, settings.log_origin, load_signer(settings))
