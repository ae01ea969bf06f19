"""Credit state tables: projections of the party chains, written in capture's transaction.

`credit_parties` holds each party's chain key, its current score and level
and its standing on the dishonesty list; `credit_marks` every entry that
weighs on a score (a breach, an upheld complaint, a failed inspection, a
recall), and `credit_sums` per party, kind and severity the decayed sum of
those marks anchored at a fixed epoch (`suyuan.trace.credit.score`), so a
party with ten thousand events is scored from a handful of rows. The others
are what the public pages list: pledges, complaints, warnings, repairs.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from suyuan.ledger.models import Base, BigId
from suyuan.ledger.types import UtcDateTime

PARTY = "parties.id"
Hash = LargeBinary(32)


class CreditParty(Base):
    """A party's chain key (fixed at its first credit event), score, level and listing."""

    __tablename__ = "credit_parties"
    party_id: Mapped[str] = mapped_column(String(36), ForeignKey(PARTY), primary_key=True)
    chain_key: Mapped[str] = mapped_column(String(20), unique=True)  # 417/<GLN-13>
    score: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(1))
    as_of: Mapped[datetime] = mapped_column(UtcDateTime())
    half_life_days: Mapped[int] = mapped_column(Integer)  # the half-life credit_sums are anchored with
    last_mark: Mapped[datetime | None] = mapped_column(UtcDateTime())
    listed: Mapped[bool] = mapped_column(Boolean, default=False)
    listed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    listed_basis: Mapped[str | None] = mapped_column(Text)
    listing_entry: Mapped[bytes | None] = mapped_column(Hash)
    listing_grounds: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {findings: [...], breaches: [...]}


class CreditMark(Base):
    """An entry that weighs on a party's score; `resolved_by` names the repair that resolved it."""

    __tablename__ = "credit_marks"
    __table_args__ = (Index("ix_credit_marks_bucket", "party_id", "kind", "severity", "at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    party_id: Mapped[str] = mapped_column(String(36), ForeignKey(PARTY))
    kind: Mapped[str] = mapped_column(String(16))  # complaint | inspection | breach | recall
    severity: Mapped[str] = mapped_column(String(8))  # low | medium | high
    entry_hash: Mapped[bytes] = mapped_column(Hash, unique=True)
    key: Mapped[str] = mapped_column(String(400))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    resolved_by: Mapped[bytes | None] = mapped_column(Hash)


class CreditSum(Base):
    """Sum over a party's unresolved marks of one kind and severity of 2^((at - epoch) / half-life)."""

    __tablename__ = "credit_sums"
    party_id: Mapped[str] = mapped_column(String(36), ForeignKey(PARTY), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    severity: Mapped[str] = mapped_column(String(8), primary_key=True)
    anchored: Mapped[float] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer)


class CreditPledge(Base):
    __tablename__ = "credit_pledges"
    entry_hash: Mapped[bytes] = mapped_column(Hash, primary_key=True)
    party_id: Mapped[str] = mapped_column(String(36), ForeignKey(PARTY), index=True)
    pledge: Mapped[str] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(String(500))
    time: Mapped[datetime] = mapped_column(UtcDateTime())
    breaches: Mapped[int] = mapped_column(Integer, default=0)


class CreditComplaint(Base):
    """A complaint from a hotline or a shopper about a party; `status` open, upheld or rejected."""

    __tablename__ = "credit_complaints"
    entry_hash: Mapped[bytes] = mapped_column(Hash, primary_key=True)
    party_id: Mapped[str] = mapped_column(String(36), ForeignKey(PARTY), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str | None] = mapped_column(String(100))
    subject_key: Mapped[str | None] = mapped_column(String(400))
    filed: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16), index=True)
    resolution_entry: Mapped[bytes | None] = mapped_column(Hash)


class CreditWarning(Base):
    """A risk warning (风险提示) about a party or a batch, public until `ends`."""

    __tablename__ = "credit_warnings"
    entry_hash: Mapped[bytes] = mapped_column(Hash, primary_key=True)
    party_id: Mapped[str | None] = mapped_column(String(36), ForeignKey(PARTY), index=True)
    key: Mapped[str | None] = mapped_column(String(400), index=True)  # the batch, for a batch warning
    severity: Mapped[str] = mapped_column(String(8))
    text_zh: Mapped[str] = mapped_column(String(2000))
    text_en: Mapped[str] = mapped_column(String(2000))
    ends: Mapped[date] = mapped_column(Date, index=True)
    time: Mapped[datetime] = mapped_column(UtcDateTime())


class CreditRepair(Base):
    """A credit repair request (信用修复); `status` open, accepted or rejected."""

    __tablename__ = "credit_repairs"
    entry_hash: Mapped[bytes] = mapped_column(Hash, primary_key=True)
    party_id: Mapped[str] = mapped_column(String(36), ForeignKey(PARTY), index=True)
    findings: Mapped[list[Any]] = mapped_column(JSON)
    breaches: Mapped[list[Any]] = mapped_column(JSON)
    filed: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16), index=True)
    decision_entry: Mapped[bytes | None] = mapped_column(Hash)
