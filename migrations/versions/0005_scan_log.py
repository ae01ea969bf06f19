"""Consumer scan log: anonymous checks on the public scan page, and per-key stats.

Consumer scans are reads, recorded outside the ledger: key, time and a coarse
GB/T 2260 region, never an IP address. `consumer_scan_stats` holds one row per
key (count, first check, the last two regions) for the possible-clone warning.
Also indexes items by (gtin, serial) for the lot-less Digital Link path
/01/{gtin}/21/{serial}. Not ledger tables, so no append-only triggers; they
match `suyuan.trace.journey.scanlog_models`.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "consumer_scans",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("scanned", sa.DateTime(timezone=True), nullable=False),
        sa.Column("region", sa.String(6), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_consumer_scans"),
    )
    op.create_index("ix_consumer_scans_key", "consumer_scans", ["key"])
    op.create_table(
        "consumer_scan_stats",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_region", sa.String(6), nullable=True),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("region", sa.String(6), nullable=True),
        sa.Column("region_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("prev_region", sa.String(6), nullable=True),
        sa.Column("prev_region_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("far_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("far_detail", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_consumer_scan_stats"),
    )
    op.create_index("ix_items_gtin_serial", "items", ["gtin", "serial"])


def downgrade() -> None:
    op.drop_index("ix_items_gtin_serial", table_name="items")
    op.drop_table("consumer_scan_stats")
    op.drop_index("ix_consumer_scans_key", table_name="consumer_scans")
    op.drop_table("consumer_scans")
