"""Ledger tables (SQLAlchemy 2 typed models).

Every table here except `log_queue` is insert-only: the migrations install
triggers that refuse UPDATE and DELETE. The schema is created only by Alembic;
these models must match it (`tests/test_migrations.py` checks for drift).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from suyuan.ledger.types import UtcDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY, PostgreSQL wants BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Chain(Base):
    """One row per ledger key; its row lock serialises appends to the key."""

    __tablename__ = "chains"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    created: Mapped[datetime] = mapped_column(
        UtcDateTime(), server_default=func.now()
    )


class Entry(Base):
    """A ledger entry: canonical bytes stored verbatim, plus columns to find it."""

    __tablename__ = "entries"
    __table_args__ = (UniqueConstraint("key", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    key: Mapped[str] = mapped_column(String(200), ForeignKey("chains.key"))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str | None] = mapped_column(String(200), index=True)
    statement_id: Mapped[str] = mapped_column(String(36), unique=True)
    # SHA-256 of the canonical statement and signature: how a retry is told
    # from a different statement reusing an id.
    statement_digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    canonical: Mapped[bytes] = mapped_column(LargeBinary)
    recorded: Mapped[datetime] = mapped_column(UtcDateTime())


class QueueItem(Base):
    """Entries waiting for the sequencer. Not a ledger table: rows are deleted."""

    __tablename__ = "log_queue"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("entries.id"), unique=True)


class Leaf(Base):
    """The entry at each leaf index of the Merkle log."""

    __tablename__ = "log_leaves"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entry_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("entries.id"), unique=True)


class Tile(Base):
    """C2SP tlog-tiles hash tiles, full (width 256) and partial, as served."""

    __tablename__ = "log_tiles"
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    width: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Checkpoint(Base):
    """Every signed checkpoint the log has issued."""

    __tablename__ = "checkpoints"
    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(
        UtcDateTime(), server_default=func.now()
    )


LEDGER_TABLES = ("chains", "entries", "log_leaves", "log_tiles", "checkpoints")
