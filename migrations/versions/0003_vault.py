"""Privacy vault: sealed person records (`people`) and their access log.

Names, phones and addresses of consumers and recipients never enter the ledger;
they live here, AES-GCM encrypted under a per-person data key that is wrapped
by the vault master key. These are not ledger tables and get no append-only
triggers: erasing a person sets its sealed columns to NULL. A check constraint
keeps each row either fully sealed or fully erased.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("commitment", sa.String(80), nullable=False),
        sa.Column("kek_id", sa.String(16), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(40), nullable=True),
        sa.Column("nonce", sa.LargeBinary(12), nullable=True),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("salt", sa.LargeBinary(32), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("erased", sa.DateTime(timezone=True), nullable=True),
        sa.Column("erased_by", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_people"),
        sa.UniqueConstraint("commitment", name="uq_people_commitment"),
        sa.CheckConstraint("kind IN ('consumer', 'recipient')", name="ck_people_kind"),
        sa.CheckConstraint(
            "(erased IS NULL AND wrapped_key IS NOT NULL AND nonce IS NOT NULL "
            "AND ciphertext IS NOT NULL AND salt IS NOT NULL) OR "
            "(erased IS NOT NULL AND wrapped_key IS NULL AND nonce IS NULL "
            "AND ciphertext IS NULL AND salt IS NULL)",
            name="ck_people_sealed_or_erased",
        ),
    )
    op.create_table(
        "people_access_log",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("reader", sa.String(200), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_people_access_log"),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name="fk_people_access_log_person_id_people"
        ),
        sa.CheckConstraint("action IN ('read', 'erase')", name="ck_people_access_log_action"),
    )
    op.create_index("ix_people_access_log_person_id", "people_access_log", ["person_id"])
    op.create_index("ix_people_access_log_reader", "people_access_log", ["reader"])


def downgrade() -> None:
    op.drop_table("people_access_log")
    op.drop_table("people")
