"""Privacy vault: the parties of each person's orders (`person_parties`).

Who may read a sealed person: the party that stored it, the seller whose sale
named it as buyer, the courier that sale hands the goods to, and the couriers
whose dispatch or delivery named it as recipient (plus inspectors, by role).
Capture writes these rows in the transaction of the event; they hold no
personal data and stay after the person is erased. Not a ledger table, so no
append-only triggers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "person_parties",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("party_id", sa.String(36), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("key", sa.String(200), nullable=True),
        sa.Column("entry_hash", sa.LargeBinary(32), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_person_parties"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_person_parties_person_id_people"),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"], name="fk_person_parties_party_id_parties"),
        sa.CheckConstraint(
            "reason IN ('creator', 'sell', 'courier', 'dispatch', 'deliver')",
            name="ck_person_parties_reason",
        ),
    )
    op.create_index("ix_person_parties_person_id", "person_parties", ["person_id"])
    op.create_index("ix_person_parties_party_id", "person_parties", ["party_id"])
    op.create_index("ix_person_parties_key", "person_parties", ["key"])


def downgrade() -> None:
    op.drop_table("person_parties")
