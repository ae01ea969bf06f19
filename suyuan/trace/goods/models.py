"""Goods state tables: products, batches, items and parcels, and what each parcel held.

These are not ledger tables: they are projections of the ledger that the
rules read, updated in the same transaction as the entry that changes them.
The ledger stays the record; these tables can be rebuilt from it. They share
`Base` with the ledger models so Alembic sees one metadata; the migrations
must match them (`tests/test_migrations.py` checks for drift).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from suyuan.ledger.models import Base, BigId
from suyuan.ledger.types import UtcDateTime

PARTY = "parties.id"


class Product(Base):
    """A product (GTIN), registered by its producer."""

    __tablename__ = "products"
    gtin: Mapped[str] = mapped_column(String(14), primary_key=True)
    owner: Mapped[str] = mapped_column(String(36), ForeignKey(PARTY), index=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    priority: Mapped[bool] = mapped_column(Boolean)
    net_weight_g: Mapped[int | None] = mapped_column(Integer)
    created: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


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
    created: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


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
    last_time: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_region: Mapped[str | None] = mapped_column(String(6))
    last_region_time: Mapped[datetime | None] = mapped_column(UtcDateTime())
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    dispatch_from: Mapped[str | None] = mapped_column(String(6))
    created: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class Parcel(Base):
    """A parcel (SSCC): who packed it, who carries it, and where it stands."""

    __tablename__ = "parcels"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    owner: Mapped[str] = mapped_column(String(36), ForeignKey(PARTY), index=True)
    courier: Mapped[str | None] = mapped_column(String(36), ForeignKey(PARTY))
    state: Mapped[str] = mapped_column(String(16))  # open | dispatched | delivered
    declared_weight_g: Mapped[int | None] = mapped_column(Integer)
    last_time: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_region: Mapped[str | None] = mapped_column(String(6))
    last_region_time: Mapped[datetime | None] = mapped_column(UtcDateTime())
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    dispatch_from: Mapped[str | None] = mapped_column(String(6))
    created: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class ParcelContent(Base):
    """Which item was in which parcel when: rows are closed on unpack, never deleted."""

    __tablename__ = "parcel_contents"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    parcel_key: Mapped[str] = mapped_column(String(200), ForeignKey("parcels.key"), index=True)
    item_key: Mapped[str] = mapped_column(String(200), ForeignKey("items.key"), index=True)
    packed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    unpacked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
