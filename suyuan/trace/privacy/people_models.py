"""Who may read a person in the vault: the parties of the orders that person belongs to.

Not a ledger table, and it holds no personal data: a row says that party P
became a party of an order of person X, when, and by which ledger event (the
sale that named X as buyer, the courier that sale named, the dispatch or
delivery that named X as recipient), or that P stored X in the vault. Rows
are kept after X is erased. The schema is created only by
`migrations/versions/0004_vault_orders.py`; this model matches it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, func
from sqlalchemy.orm import Mapped, mapped_column

from suyuan.ledger.models import Base, BigId
from suyuan.ledger.types import UtcDateTime

# creator: stored the person (POST /v1/people); sell / dispatch / deliver: recorded
# that event naming the person; courier: the courier a sale naming the person hands the goods to.
LINK_REASONS = ("creator", "sell", "courier", "dispatch", "deliver")


class PersonParty(Base):
    """One party of an order of one person, and the event that made it so."""

    __tablename__ = "person_parties"
    __table_args__ = (CheckConstraint(f"reason IN {LINK_REASONS!r}", name="reason"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(36), ForeignKey("people.id"), index=True)
    party_id: Mapped[str] = mapped_column(String(36), ForeignKey("parties.id"), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    key: Mapped[str | None] = mapped_column(String(200), index=True)  # ledger key of the event
    entry_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    created: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
