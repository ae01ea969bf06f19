"""Consumer scan log tables: anonymous checks of a code on the public scan page.

Not ledger tables and not personal data: a row holds the key, the time, a
coarse (prefecture-level) GB/T 2260 region when the client offered one, and a
checker pseudonym (a keyed hash of the client's address and the day, see
`suyuan.trace.scanlog.checker_id`); never an IP address or a device id.
`consumer_scan_stats` keeps one row per key so the page reads its clone signal
in one statement. Migrations 0005 and 0007 must match.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from suyuan.ledger.models import Base, BigId
from suyuan.ledger.types import UtcDateTime
from suyuan.trace.goods.models import Item


class ConsumerScan(Base):
    """One consumer check of a registered code."""

    __tablename__ = "consumer_scans"
    # Has this checker checked the key within the window (one probe), and how many
    # distinct checkers did (a range over the key's entries only).
    __table_args__ = (Index("ix_consumer_scans_key_checker", "key", "checker", "scanned"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200))
    scanned: Mapped[datetime] = mapped_column(UtcDateTime())
    region: Mapped[str | None] = mapped_column(String(6))
    checker: Mapped[str | None] = mapped_column(String(32))


class ConsumerScanStats(Base):
    """Per key: how often, since when and where it was checked, and whether it was seen far apart."""

    __tablename__ = "consumer_scan_stats"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[datetime] = mapped_column(UtcDateTime())
    first_region: Mapped[str | None] = mapped_column(String(6))
    last_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The last region seen, and the one before it: the pair the far-apart test compares.
    region: Mapped[str | None] = mapped_column(String(6))
    region_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    prev_region: Mapped[str | None] = mapped_column(String(6))
    prev_region_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    far_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    far_detail: Mapped[str | None] = mapped_column(String(200))


# The resolver path /01/{gtin}/21/{serial} names an item without its lot (GS1
# Digital Link: a serial is unique within its GTIN), so the page finds items
# by (gtin, serial). Declared here, beside the migration that creates it.
Index("ix_items_gtin_serial", Item.__table__.c.gtin, Item.__table__.c.serial)
