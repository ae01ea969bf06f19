"""Tables capture writes beside the ledger: soft flags, deliveries and their review tokens.

These are not ledger tables: they are projections of the ledger that the
rules read, updated in the same transaction as the entry that changes them.
The ledger stays the record; these tables can be rebuilt from it. They share
`Base` with the ledger models so Alembic sees one metadata; the migrations
must match them (`tests/test_migrations.py` checks for drift).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    LargeBinary,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from suyuan.ledger.models import Base, BigId
from suyuan.ledger.types import UtcDateTime

PARTY = "parties.id"


class Flag(Base):
    """A soft signal for inspectors: raised by an accepted event, or by consumer checks (no entry)."""

    __tablename__ = "flags"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entry_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), index=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    detail: Mapped[str] = mapped_column(String(500))
    created: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


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
    delivered: Mapped[datetime] = mapped_column(UtcDateTime())
    review: Mapped[bytes | None] = mapped_column(LargeBinary(32))  # entry hash of the first review
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    followed_up_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    complained_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    handed_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # seller's fetch


class ReviewToken(Base):
    """A review token, stored as its SHA-256: binds a consumer to one delivery of one item."""

    __tablename__ = "review_tokens"
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    item_key: Mapped[str] = mapped_column(String(200), ForeignKey("items.key"), index=True)
    delivery: Mapped[str] = mapped_column(String(36), ForeignKey("deliveries.id"), index=True)
    created: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
