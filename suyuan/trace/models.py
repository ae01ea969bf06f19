"""Domain state tables (SQLAlchemy 2 typed models).

These are not ledger tables: they are projections of the ledger that the
rules read (who a party is, what state an item is in), updated in the same
transaction as the entry that changes them. The ledger stays the record;
these tables can be rebuilt from it. They share `Base` with the ledger models
so Alembic sees one metadata; migration 0002 must match them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from suyuan.ledger.models import Base, BigId

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
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiKey(Base):
    """An API key, stored only as its SHA-256: the key itself is shown once."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    party_id: Mapped[str] = mapped_column(String(36), ForeignKey(PARTY), index=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PartyKey(Base):
    """A party's Ed25519 public key; revoked keys stay so old entries still verify."""

    __tablename__ = "party_keys"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    party_id: Mapped[str] = mapped_column(String(36), ForeignKey(PARTY), index=True)
    public_key: Mapped[str] = mapped_column(String(64), unique=True)  # base64 of 32 bytes
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Product(Base):
    """A product (GTIN), registered by its producer."""

    __tablename__ = "products"
    gtin: Mapped[str] = mapped_column(String(14), primary_key=True)
    owner: Mapped[str] = mapped_column(String(36), ForeignKey(PARTY), index=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    priority: Mapped[bool] = mapped_column(Boolean)
    net_weight_g: Mapped[int | None] = mapped_column(Integer)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Batch(Base):
    """A batch or lot of a product; `recalled` is set and cleared by inspectors' events."""

    __tablename__ = "batches"
    __table_args__ = (UniqueConstraint("gtin", "lot"),)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    gtin: Mapped[str] = mapped_column(String(14), ForeignKey("products.gtin"))
    lot: Mapped[str] = mapped_column(String(20))
    owner: Mapped[str] = mapped_column(String(36), ForeignKey(PARTY), index=True)
    production_date: Mapped[date] = mapped_column(Date)
    expiry_date: Mapped[date | None] = mapped_column(Date)
    origin_region: Mapped[str] = mapped_column(String(6))
    recalled: Mapped[bool] = mapped_column(Boolean, server_default=false())
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Item(Base):
    """A serialised item and where it stands: state, seller, courier, last sighting."""

    __tablename__ = "items"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    gtin: Mapped[str] = mapped_column(String(14), ForeignKey("products.gtin"), index=True)
    batch_key: Mapped[str | None] = mapped_column(String(200), ForeignKey("batches.key"), index=True)
    serial: Mapped[str] = mapped_column(String(20))
    owner: Mapped[str] = mapped_column(String(36), ForeignKey(PARTY), index=True)
    seller: Mapped[str | None] = mapped_column(String(36), ForeignKey(PARTY))
    courier: Mapped[str | None] = mapped_column(String(36), ForeignKey(PARTY))
    # registered | listed | sold | dispatched | delivered | returned
    state: Mapped[str] = mapped_column(String(16))
    parcel_key: Mapped[str | None] = mapped_column(String(200), index=True)
    last_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_region: Mapped[str | None] = mapped_column(String(6))
    last_region_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dispatch_from: Mapped[str | None] = mapped_column(String(6))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Parcel(Base):
    """A parcel (SSCC): who packed it, who carries it, and where it stands."""

    __tablename__ = "parcels"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    owner: Mapped[str] = mapped_column(String(36), ForeignKey(PARTY), index=True)
    courier: Mapped[str | None] = mapped_column(String(36), ForeignKey(PARTY))
    state: Mapped[str] = mapped_column(String(16))  # open | dispatched | delivered
    declared_weight_g: Mapped[int | None] = mapped_column(Integer)
    last_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_region: Mapped[str | None] = mapped_column(String(6))
    last_region_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dispatch_from: Mapped[str | None] = mapped_column(String(6))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ParcelContent(Base):
    """Which item was in which parcel when: rows are closed on unpack, never deleted."""

    __tablename__ = "parcel_contents"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    parcel_key: Mapped[str] = mapped_column(String(200), ForeignKey("parcels.key"), index=True)
    item_key: Mapped[str] = mapped_column(String(200), ForeignKey("items.key"), index=True)
    packed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    unpacked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Flag(Base):
    """A soft signal for inspectors: raised by an accepted event, or by consumer checks (no entry)."""

    __tablename__ = "flags"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entry_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), index=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    detail: Mapped[str] = mapped_column(String(500))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Delivery(Base):
    """One item handed to its shopper by one `deliver` event, and what its review tokens have used.

    Consumers have no account, so the allowance lives here, not with a person:
    one review, one follow-up review and one complaint per delivery, whichever
    of the delivery's tokens (the courier's, the seller's) is used. Times are
    the server's, so a client's clock cannot shorten the follow-up interval.
    """

    __tablename__ = "deliveries"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # uuid4: a parcel's rows insert in one go
    item_key: Mapped[str] = mapped_column(String(200), ForeignKey("items.key"), index=True)
    statement_id: Mapped[str | None] = mapped_column(String(36))  # the `deliver` statement; None before 0008
    seller: Mapped[str | None] = mapped_column(String(36), ForeignKey(PARTY))  # who recorded the sale
    delivered: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    review: Mapped[bytes | None] = mapped_column(LargeBinary(32))  # entry hash of the first review
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    followed_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    complained_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handed_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # seller's fetch


class ReviewToken(Base):
    """A review token, stored as its SHA-256: binds a consumer to one delivery of one item."""

    __tablename__ = "review_tokens"
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    item_key: Mapped[str] = mapped_column(String(200), ForeignKey("items.key"), index=True)
    delivery: Mapped[str] = mapped_column(String(36), ForeignKey("deliveries.id"), index=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


DOMAIN_TABLES = (
    "parties", "api_keys", "party_keys", "products", "batches", "items", "parcels",
    "parcel_contents", "flags", "deliveries", "review_tokens",
)  # fmt: skip
