"""EPCIS tables: capture jobs, and the query index over the ledger's events.

None of them is a ledger table. `epcis_capture_jobs` is the state of an
asynchronous capture (EPCIS 2.0 REST binding, "capture jobs"). The index
(`epcis_events`, `epcis_event_entries`, `epcis_event_epcs`) is a projection of
the ledger, written after the entries it describes and rebuilt from them when
missing (`suyuan.epcis.index`): one row per EPCIS event with the fields the
standard queries filter on, the entries that record it, and its EPCs as ledger
keys by the field they appear in. `epcis_index_state` holds how far through
the log the indexer has read.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from suyuan.ledger.models import Base, BigId
from suyuan.ledger.types import UtcDateTime


class CaptureJob(Base):
    """One `POST /epcis/capture`: who sent it, how it is going, and what was refused."""

    __tablename__ = "epcis_capture_jobs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    party_id: Mapped[str] = mapped_column(String(36), ForeignKey("parties.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    running: Mapped[bool] = mapped_column(Boolean)
    success: Mapped[bool | None] = mapped_column(Boolean)
    error_behaviour: Mapped[str] = mapped_column(String(8))  # rollback | proceed
    events: Mapped[int] = mapped_column(Integer)
    captured: Mapped[int] = mapped_column(Integer, server_default="0")
    errors: Mapped[str] = mapped_column(Text, server_default="[]")  # JSON list of problem objects


class EpcisEvent(Base):
    """One EPCIS event in the ledger, by the fields EPCIS queries filter on."""

    __tablename__ = "epcis_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(1000), unique=True)
    event_type: Mapped[str] = mapped_column(String(300))
    event_time: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    record_time: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    action: Mapped[str | None] = mapped_column(String(8))
    biz_step: Mapped[str | None] = mapped_column(String(300), index=True)
    disposition: Mapped[str | None] = mapped_column(String(300))
    read_point: Mapped[str | None] = mapped_column(String(1000))
    biz_location: Mapped[str | None] = mapped_column(String(1000))


class EpcisEventEntry(Base):
    """Which ledger entry records (a part of) which EPCIS event."""

    __tablename__ = "epcis_event_entries"
    entry_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    event: Mapped[int] = mapped_column(BigInteger, ForeignKey("epcis_events.id"), index=True)


class EpcisEventEpc(Base):
    """An EPC of an event, as a ledger key, with the field it is in (`epcList`, `parentID`, ...)."""

    __tablename__ = "epcis_event_epcs"
    __table_args__ = (Index("ix_epcis_event_epcs_epc_field", "epc", "field"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event: Mapped[int] = mapped_column(BigInteger, ForeignKey("epcis_events.id"), index=True)
    field: Mapped[str] = mapped_column(String(24))
    epc: Mapped[str] = mapped_column(String(300))


class IndexState(Base):
    """How far the indexer has read the log: leaves below `position` are indexed."""

    __tablename__ = "epcis_index_state"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)
