"""Findings of the integrity analytics: scored judgements with their evidence.

`findings` holds one row per (type, reason, subject, evidence) judgement, made
idempotent by `fingerprint`; `finding_keys` indexes them by the keys they
concern. Neither is a ledger table: an inspector's decision about a finding is
recorded on the ledger, and `decision_entry` names that entry.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "findings",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(48), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("subject_party", sa.String(36), nullable=True),
        sa.Column("subject_keys", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.LargeBinary(32), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(36), nullable=True),
        sa.Column("decision_reason", sa.String(500), nullable=True),
        sa.Column("decision_entry", sa.LargeBinary(32), nullable=True),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_findings"),
        sa.UniqueConstraint("fingerprint", name="uq_findings_fingerprint"),
        sa.ForeignKeyConstraint(["subject_party"], ["parties.id"], name="fk_findings_subject_party_parties"),
        sa.ForeignKeyConstraint(["decided_by"], ["parties.id"], name="fk_findings_decided_by_parties"),
    )
    op.create_index("ix_findings_type", "findings", ["type"])
    op.create_index("ix_findings_subject_party", "findings", ["subject_party"])
    op.create_table(
        "finding_keys",
        sa.Column("finding_id", _BIG_ID, nullable=False),
        sa.Column("key", sa.String(400), nullable=False),
        sa.PrimaryKeyConstraint("finding_id", "key", name="pk_finding_keys"),
        sa.ForeignKeyConstraint(["finding_id"], ["findings.id"], name="fk_finding_keys_finding_id_findings"),
    )
    op.create_index("ix_finding_keys_key", "finding_keys", ["key"])


def downgrade() -> None:
    op.drop_index("ix_finding_keys_key", table_name="finding_keys")
    op.drop_table("finding_keys")
    op.drop_index("ix_findings_subject_party", table_name="findings")
    op.drop_index("ix_findings_type", table_name="findings")
    op.drop_table("findings")
