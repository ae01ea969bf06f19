"""The findings table: one row per (type, reason, subject) judgement with its evidence.

A finding is not a ledger entry: detectors derive it from entries and it can be
recomputed from them. What is recorded on the ledger is an inspector's decision about
it (upheld or dismissed), so who decided what cannot be rewritten; `decision_entry`
names that entry. `fingerprint` makes detection idempotent: rerunning a detector over
the same evidence finds the row it made before instead of adding a second.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, func
from sqlalchemy.orm import Mapped, mapped_column

from suyuan.ledger.models import Base, BigId
from suyuan.ledger.types import UtcDateTime

STATUSES = ("open", "upheld", "dismissed", "resolved")


class Finding(Base):
    """A scored finding (score 0-1000) about a party and the keys its evidence concerns."""

    __tablename__ = "findings"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(32), index=True)
    reason: Mapped[str] = mapped_column(String(48))
    score: Mapped[int] = mapped_column(Integer)
    subject_party: Mapped[str | None] = mapped_column(String(36), ForeignKey("parties.id"), index=True)
    subject_keys: Mapped[list[Any]] = mapped_column(JSON)  # ledger keys (Digital Link paths)
    evidence: Mapped[list[Any]] = mapped_column(JSON)  # entry hashes, lowercase hex
    detail: Mapped[str | None] = mapped_column(String(1000))  # one sentence naming the entries
    fingerprint: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    status: Mapped[str] = mapped_column(String(16), default="open")  # one of STATUSES
    decided_by: Mapped[str | None] = mapped_column(String(36), ForeignKey("parties.id"))
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    decision_entry: Mapped[bytes | None] = mapped_column(LargeBinary(32))  # the decision's entry hash
    updated: Mapped[datetime | None] = mapped_column(UtcDateTime())


class FindingKey(Base):
    """Which findings concern a key: the index behind `GET /v1/findings?key=`."""

    __tablename__ = "finding_keys"
    finding_id: Mapped[int] = mapped_column(BigId, ForeignKey("findings.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(400), primary_key=True, index=True)
