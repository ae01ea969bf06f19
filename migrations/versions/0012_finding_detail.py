"""Findings explain themselves: `findings.detail`, the one sentence that names the entries.

The detectors of `suyuan.analytics` write it; an older finding (recorded by a
tool before the detectors) has none.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("detail", sa.String(1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("detail")
