"""Party tables: who a party is, its API key digests and its statement-signing keys.

These are not ledger tables: they are projections of the ledger that the
rules read, updated in the same transaction as the entry that changes them.
The ledger stays the record; these tables can be rebuilt from it. They share
`Base` with the ledger models so Alembic sees one metadata; the migrations
must match them (`tests/test_migrations.py` checks for drift).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    LargeBinary,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from suyuan.ledger.models import Base, BigId
from suyuan.ledger.types import UtcDateTime

PARTY = "parties.id"


class Party(Base):
    """A registered party (主体), named by its real name (实名登记)."""

    __tablename__ = "parties"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # organisation | individual
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    roles: Mapped[str] = mapped_column(String(200))  # comma-separated, sorted
    status: Mapped[str] = mapped_column(String(16))  # active | suspended
    licences: Mapped[list[Any]] = mapped_column(JSON)
    gln: Mapped[str | None] = mapped_column(String(13), unique=True, index=True)  # GS1 party GLN, names its chain
    created: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    updated: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ApiKey(Base):
    """An API key, stored only as its SHA-256: the key itself is shown once."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    party_id: Mapped[str] = mapped_column(String(36), ForeignKey(PARTY), index=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    revoked: Mapped[datetime | None] = mapped_column(UtcDateTime())


class PartyKey(Base):
    """A party's Ed25519 public key; revoked keys stay so old entries still verify."""

    __tablename__ = "party_keys"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    party_id: Mapped[str] = mapped_column(String(36), ForeignKey(PARTY), index=True)
    public_key: Mapped[str] = mapped_column(String(64), unique=True)  # base64 of 32 bytes
    created: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    revoked: Mapped[datetime | None] = mapped_column(UtcDateTime())
