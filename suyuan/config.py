"""Settings: one pydantic-settings object, read from `SUYUAN_*` variables.

The only module that reads the environment. Pass the object in; tests build
their own.
"""

from __future__ import annotations

import ipaddress
import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from suyuan.thresholds import Thresholds


def default_data_dir() -> Path:
    """`$XDG_DATA_HOME/suyuan`, else `~/.local/share/suyuan`: one place whatever the working directory.

    Every command resolves it the same way, so `suyuan labels` run from another
    directory finds the database `suyuan serve` made instead of a new empty one.
    """
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "suyuan"


# The default resolver is a placeholder under the reserved `.example` TLD (RFC 2606): a QR code
# printed with it resolves nowhere. `suyuan labels` and `suyuan serve` warn while it is in use.
PLACEHOLDER_RESOLVER_URL = "https://id.suyuan.example"


def resolver_warning(resolver_url: str) -> str | None:
    """One line of warning if `resolver_url` is the placeholder default, else None."""
    if resolver_url.rstrip("/").lower() != PLACEHOLDER_RESOLVER_URL:
        return None
    return (f"warning: SUYUAN_RESOLVER_URL is the placeholder {PLACEHOLDER_RESOLVER_URL}: QR codes printed "
            "with it lead nowhere; set it to the base URL your scan pages are served under.")


class Settings(Thresholds):
    model_config = SettingsConfigDict(env_prefix="SUYUAN_", extra="ignore")

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Holds the embedded SQLite file, the log key, the vault key and the scanner's queue; "
        "default: $XDG_DATA_HOME/suyuan or ~/.local/share/suyuan.",
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
    log_state: Path | None = Field(
        default=None,
        description="The log's memory of the newest checkpoint it published, outside the database (a "
        "restored older database cannot make it sign a fork); default: <data_dir>/log.state.",
    )
    vault_key: SecretStr | None = Field(
        default=None,
        description="Privacy vault master key: base64 of 32 random bytes; "
        "default: read <data_dir>/vault.key, made on first use with mode 0600.",
    )
    resolver_url: str = Field(
        default=PLACEHOLDER_RESOLVER_URL,
        description="Base of the GS1 Digital Link URIs printed in QR codes.",
    )
    integrate_interval: float = Field(
        default=0.1, description="Seconds between sequencer runs inside `serve`."
    )
    integrate_batch: int = Field(
        default=20000, description="Most leaves one sequencer run integrates."
    )
    max_body_bytes: int = Field(default=65536, description="Largest request body accepted.")
    max_batch_body_bytes: int = Field(
        default=16 * 1024 * 1024, description="Largest body accepted by POST /v1/events:batch."
    )
    max_batch_statements: int = Field(default=10000, description="Most statements in one batch.")
    max_image_bytes: int = Field(
        default=5 * 1024 * 1024, description="Largest photo accepted by POST /v1/scans/decode."
    )
    server_url: str = Field(
        default="http://127.0.0.1:8000", description="Server the `suyuan scan` client talks to."
    )
    api_key: SecretStr | None = Field(
        default=None, description="API key the `suyuan scan` client sends (the courier's)."
    )
    scan_queue: Path | None = Field(
        default=None, description="The scanner client's offline queue; default: <data_dir>/scan-queue.db."
    )
    clock_skew_seconds: int = Field(
        default=300, description="Event times further ahead than this are flagged `time_future`."
    )
    stale_event_days: int = Field(
        default=30, description="Event times older than this are flagged `time_stale`."
    )
    min_delivery_minutes: int = Field(
        default=60, description="Fastest plausible dispatch-to-delivery time for any region pair."
    )
    min_delivery_minutes_by_pair: dict[str, int] = Field(
        default_factory=dict,
        description='Per province pair, e.g. {"32-31": 360}: first two digits of the GB/T 2260 '
        "codes of the dispatch and delivery regions.",
    )
    serial_region_window_minutes: int = Field(
        default=120,
        description="A serial seen in two provinces within this window is flagged `serial_far_apart`.",
    )
    follow_up_min_hours: int = Field(
        default=24, ge=0,
        description="A follow-up review (`data.follow_up_to`) is accepted this many hours after the "
        "delivery's first review, not sooner.",
    )
    scan_clone_count: int = Field(
        default=20,
        description="Scan page: a serial checked by this many distinct checkers (client address and "
        "day, hashed) within scan_clone_count_window_minutes shows the possible-clone warning.",
    )
    scan_clone_count_window_minutes: int = Field(
        default=1440,
        description="Scan page: the window in which distinct checkers of a serial are counted.",
    )
    scan_clone_window_minutes: int = Field(
        default=180,
        description="Scan page: a serial checked in two provinces within this window shows the "
        "possible-clone warning.",
    )
    scan_page_max_age_seconds: int = Field(
        default=5, ge=0, le=3600,
        description="Scan page: Cache-Control max-age, and how long a revalidation (If-None-Match) is "
        "answered 304 from the tag the process sent last (0: no-cache, every check reads the record).",
    )
    ready_max_lag_seconds: float = Field(
        default=60.0, gt=0,
        description="GET /readyz answers 503 while the oldest entry waiting for the sequencer has waited "
        "longer than this many seconds.",
    )
    shutdown_grace_seconds: float = Field(
        default=30.0, gt=0,
        description="On SIGTERM `serve` stops accepting connections and waits this long for in-flight "
        "requests and the running integration before it exits.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description='Addresses or networks of reverse proxies whose X-Forwarded-For is believed, e.g. '
        '["10.0.0.0/8"]; default: none, the scan page takes the connecting address.',
    )

    credit_weights: dict[str, int] = Field(
        default_factory=lambda: {"finding": 40, "complaint": 6, "inspection": 15, "breach": 12, "recall": 20},
        description="Credit: points a fresh mark of each kind takes off the score at medium severity "
        "(a finding is weighted by its score/1000 instead of a severity).",
    )
    credit_severity_factors: dict[str, float] = Field(
        default_factory=lambda: {"low": 0.5, "medium": 1.0, "high": 2.0},
        description="Credit: how much a low, medium or high severity multiplies a mark's weight.",
    )
    credit_half_life_days: int = Field(
        default=180, ge=1,
        description="Credit: a mark's weight halves every this many days (decay with age).",
    )
    credit_base_score: int = Field(
        default=90, ge=0, le=100, description="Credit: the score of a party with no marks and no history yet."
    )
    credit_clean_bonus: int = Field(
        default=10, ge=0, le=100,
        description="Credit: points a clean history adds, reached after credit_clean_days without a mark.",
    )
    credit_clean_days: int = Field(
        default=365, ge=1, description="Credit: days without a new mark that earn the whole clean bonus."
    )
    credit_levels: dict[str, int] = Field(
        default_factory=lambda: {"A": 85, "B": 70, "C": 50},
        description="Credit: the lowest score of levels A, B and C; below C's is D (a listed party is D).",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"expected an IP address or network such as 10.0.0.0/8, got {item!r}") from None
        return value

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        # Absolute once, so a later chdir (or a command run elsewhere) cannot move it.
        return value.expanduser().absolute()

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'suyuan.db').resolve()}"

    @property
    def log_key_path(self) -> Path:
        return self.data_dir / "log.key"

    @property
    def log_state_path(self) -> Path:
        return self.log_state or self.data_dir / "log.state"

    @property
    def scan_queue_path(self) -> Path:
        return self.scan_queue or self.data_dir / "scan-queue.db"


@lru_cache
def get_settings() -> Settings:
    """The process's settings, for FastAPI's `Depends`; tests override it."""
    return Settings()
