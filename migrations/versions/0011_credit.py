"""Credit: the projections of every party's own chain, and a party's GLN.

`parties.gln` (optional, unique) names a party's chain `417/<gln>`; a party
without one gets a suyuan key in the GS1 restricted-circulation range
(`suyuan.trace.credit.chainkey`), kept in `credit_parties` with its score,
level and standing on the dishonesty list. `credit_marks` and `credit_sums`
hold what weighs on a score; `credit_pledges`, `credit_complaints`,
`credit_warnings` and `credit_repairs` what the public pages list. None is a
ledger table: the entries on the party chains are the record.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def _party_fk(table: str, column: str = "party_id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["parties.id"], name=f"fk_{table}_{column}_parties")


def upgrade() -> None:
    # A unique index, not a constraint: SQLite adds the column in place (a constraint would rebuild
    # the table, which the foreign keys to parties forbid once it has rows).
    op.add_column("parties", sa.Column("gln", sa.String(13), nullable=True))
    op.create_index("ix_parties_gln", "parties", ["gln"], unique=True)
    op.create_table(
        "credit_parties",
        sa.Column("party_id", sa.String(36), nullable=False),
        sa.Column("chain_key", sa.String(20), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(1), nullable=False),
        sa.Column("as_of", _TIME, nullable=False),
        sa.Column("half_life_days", sa.Integer(), nullable=False),
        sa.Column("last_mark", _TIME, nullable=True),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("listed_at", _TIME, nullable=True),
        sa.Column("listed_basis", sa.Text(), nullable=True),
        sa.Column("listing_entry", sa.LargeBinary(32), nullable=True),
        sa.Column("listing_grounds", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("party_id", name="pk_credit_parties"),
        sa.UniqueConstraint("chain_key", name="uq_credit_parties_chain_key"),
        _party_fk("credit_parties"),
    )
    op.create_table(
        "credit_marks",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("party_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("entry_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("key", sa.String(400), nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("resolved_by", sa.LargeBinary(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_credit_marks"),
        sa.UniqueConstraint("entry_hash", name="uq_credit_marks_entry_hash"),
        _party_fk("credit_marks"),
    )
    op.create_index("ix_credit_marks_bucket", "credit_marks", ["party_id", "kind", "severity", "at"])
    op.create_table(
        "credit_sums",
        sa.Column("party_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("anchored", sa.Float(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("party_id", "kind", "severity", name="pk_credit_sums"),
        _party_fk("credit_sums"),
    )
    op.create_table(
        "credit_pledges",
        sa.Column("entry_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("party_id", sa.String(36), nullable=False),
        sa.Column("pledge", sa.String(32), nullable=False),
        sa.Column("text", sa.String(500), nullable=True),
        sa.Column("time", _TIME, nullable=False),
        sa.Column("breaches", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("entry_hash", name="pk_credit_pledges"),
        _party_fk("credit_pledges"),
    )
    op.create_index("ix_credit_pledges_party_id", "credit_pledges", ["party_id"])
    op.create_table(
        "credit_complaints",
        sa.Column("entry_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("party_id", sa.String(36), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(100), nullable=True),
        sa.Column("subject_key", sa.String(400), nullable=True),
        sa.Column("filed", _TIME, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("resolution_entry", sa.LargeBinary(32), nullable=True),
        sa.PrimaryKeyConstraint("entry_hash", name="pk_credit_complaints"),
        _party_fk("credit_complaints"),
    )
    op.create_index("ix_credit_complaints_party_id", "credit_complaints", ["party_id"])
    op.create_index("ix_credit_complaints_status", "credit_complaints", ["status"])
    op.create_table(
        "credit_warnings",
        sa.Column("entry_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("party_id", sa.String(36), nullable=True),
        sa.Column("key", sa.String(400), nullable=True),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("text_zh", sa.String(2000), nullable=False),
        sa.Column("text_en", sa.String(2000), nullable=False),
        sa.Column("ends", sa.Date(), nullable=False),
        sa.Column("time", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("entry_hash", name="pk_credit_warnings"),
        _party_fk("credit_warnings"),
    )
    op.create_index("ix_credit_warnings_party_id", "credit_warnings", ["party_id"])
    op.create_index("ix_credit_warnings_key", "credit_warnings", ["key"])
    op.create_index("ix_credit_warnings_ends", "credit_warnings", ["ends"])
    op.create_table(
        "credit_repairs",
        sa.Column("entry_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("party_id", sa.String(36), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("breaches", sa.JSON(), nullable=False),
        sa.Column("filed", _TIME, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decision_entry", sa.LargeBinary(32), nullable=True),
        sa.PrimaryKeyConstraint("entry_hash", name="pk_credit_repairs"),
        _party_fk("credit_repairs"),
    )
    op.create_index("ix_credit_repairs_party_id", "credit_repairs", ["party_id"])
    op.create_index("ix_credit_repairs_status", "credit_repairs", ["status"])


def downgrade() -> None:
    for table, indices in (("credit_repairs", ("party_id", "status")),
                           ("credit_warnings", ("party_id", "key", "ends")),
                           ("credit_complaints", ("party_id", "status")),
                           ("credit_pledges", ("party_id",)), ("credit_sums", ()), ("credit_marks", ()),
                           ("credit_parties", ())):
        for column in indices:
            op.drop_index(f"ix_{table}_{column}", table_name=table)
        if table == "credit_marks":
            op.drop_index("ix_credit_marks_bucket", table_name=table)
        op.drop_table(table)
    op.drop_index("ix_parties_gln", table_name="parties")
    op.drop_column("parties", "gln")  # in place on SQLite >= 3.35 too: no rebuild of a referenced table
