"""Index items by the parcel they are packed in.

Every event on a parcel (dispatch, transit, deliver, unpack) and every parcel
page reads the parcel's items; without this index each read scans all items.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_items_parcel_key", "items", ["parcel_key"])


def downgrade() -> None:
    op.drop_index("ix_items_parcel_key", table_name="items")
