"""Scan log: distinct checkers per window, and flags raised by consumer checks.

`consumer_scans.checker` holds a pseudonym of the client that checked the
code: HMAC-SHA256 under a server secret of the client's address and the
China calendar day, first 16 bytes as hex (`suyuan.trace.scanlog.checker_id`),
never the address itself. The possible-clone warning asks whether a checker
is new for a key within a window and counts distinct checkers, so an index on
(key, checker, scanned) replaces the one on key alone. `flags.entry_hash` becomes nullable: a flag raised by consumer
checks on the scan page (`consumer_checks_many`, `consumer_checks_far_apart`)
belongs to no ledger entry.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("consumer_scans", sa.Column("checker", sa.String(32), nullable=True))
    op.drop_index("ix_consumer_scans_key", table_name="consumer_scans")
    op.create_index("ix_consumer_scans_key_checker", "consumer_scans", ["key", "checker", "scanned"])
    with op.batch_alter_table("flags") as batch:  # SQLite rebuilds the table; PostgreSQL alters it
        batch.alter_column("entry_hash", existing_type=sa.LargeBinary(32), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM flags WHERE entry_hash IS NULL")
    with op.batch_alter_table("flags") as batch:
        batch.alter_column("entry_hash", existing_type=sa.LargeBinary(32), nullable=False)
    op.drop_index("ix_consumer_scans_key_checker", table_name="consumer_scans")
    op.create_index("ix_consumer_scans_key", "consumer_scans", ["key"])
    with op.batch_alter_table("consumer_scans") as batch:
        batch.drop_column("checker")
