"""Privacy vault tables (个人信息保护): sealed person records and who read them.

These are not ledger tables: erasing a person overwrites the sealed columns of
its `people` row with NULL, so no append-only triggers guard them. A check
constraint keeps a row either fully sealed or fully erased. The schema is
created only by `migrations/versions/0003_vault.py`; these models match it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    LargeBinary,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from suyuan.ledger.models import Base, BigId
from suyuan.ledger.types import UtcDateTime

PERSON_KINDS = ("consumer", "recipient")
ACCESS_ACTIONS = ("read", "erase")

# Sealed columns are all set (sealed) or all NULL (erased), never a mixture:
# a half-erased row would keep a key or ciphertext someone believes destroyed.
SEALED_OR_ERASED = (
    "(erased IS NULL AND wrapped_key IS NOT NULL AND nonce IS NOT NULL "
    "AND ciphertext IS NOT NULL AND salt IS NOT NULL) OR "
    "(erased IS NOT NULL AND wrapped_key IS NULL AND nonce IS NULL "
    "AND ciphertext IS NULL AND salt IS NULL)"
)


class Person(Base):
    """One consumer's or recipient's name, phone and address, sealed.

    `ciphertext` is AES-GCM under the person's own data key, `wrapped_key` that
    data key wrapped (RFC 3394) under the vault master key named by `kek_id`.
    `commitment` is what ledger entries carry instead of the person.
    """

    __tablename__ = "people"
    __table_args__ = (
        CheckConstraint(f"kind IN {PERSON_KINDS!r}", name="kind"),
        CheckConstraint(SEALED_OR_ERASED, name="sealed_or_erased"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    commitment: Mapped[str] = mapped_column(String(80), unique=True)
    kek_id: Mapped[str] = mapped_column(String(16))
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary(40))
    nonce: Mapped[bytes | None] = mapped_column(LargeBinary(12))
    ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    salt: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    created: Mapped[datetime] = mapped_column(
        UtcDateTime(), server_default=func.now()
    )
    erased: Mapped[datetime | None] = mapped_column(UtcDateTime())
    erased_by: Mapped[str | None] = mapped_column(String(200))


class PersonAccess(Base):
    """Every read and the erasure of a person: who, when, why."""

    __tablename__ = "people_access_log"
    __table_args__ = (CheckConstraint(f"action IN {ACCESS_ACTIONS!r}", name="action"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(36), ForeignKey("people.id"), index=True)
    reader: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
