"""Settings: one pydantic-settings object, read from `SUYUAN_*` variables.

The only module that reads the environment. Pass the object in; tests build
their own.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SUYUAN_", extra="ignore")

    data_dir: Path = Field(
        default=Path(".suyuan"),
        description="Holds the embedded SQLite file and the log key.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: sqlite:///<data_dir>/suyuan.db.",
    )
    log_origin: str = Field(
        default="suyuan.example/log",
        description="Checkpoint origin line and signing key name.",
    )
    log_key: str | None = Field(
        default=None,
        description="The log's Ed25519 private key as a PKCS#8 PEM string; "
        "default: read <data_dir>/log.key made by `suyuan init`.",
    )
    integrate_interval: float = Field(
        default=0.1, description="Seconds between sequencer runs inside `serve`."
    )
    integrate_batch: int = Field(
        default=20000, description="Most leaves one sequencer run integrates."
    )
    max_body_bytes: int = Field(default=65536, description="Largest request body accepted.")

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'suyuan.db').resolve()}"

    @property
    def log_key_path(self) -> Path:
        return self.data_dir / "log.key"


@lru_cache
def get_settings() -> Settings:
    """The process's settings, for FastAPI's `Depends`; tests override it."""
    return Settings()
