"""Ledger core: chains, entries, the log's queue, leaves, tiles and checkpoints.

Every ledger table is insert-only. Triggers on both engines refuse UPDATE and
DELETE (and TRUNCATE on PostgreSQL) with a message naming the table; the one
exception is `log_queue`, the sequencer's work list, which is not ledger data.
`suyuan audit` still catches an edit made with the triggers dropped.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LEDGER_TABLES = ("chains", "entries", "log_leaves", "log_tiles", "checkpoints")


def upgrade() -> None:
    op.create_table(
        "chains",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_chains"),
    )
    op.create_table(
        "entries",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("statement_id", sa.String(36), nullable=False),
        sa.Column("statement_digest", sa.LargeBinary(32), nullable=False),
        sa.Column("canonical", sa.LargeBinary(), nullable=False),
        sa.Column("recorded", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_entries"),
        sa.ForeignKeyConstraint(["key"], ["chains.key"], name="fk_entries_key_chains"),
        sa.UniqueConstraint("hash", name="uq_entries_hash"),
        sa.UniqueConstraint("key", "seq", name="uq_entries_key_seq"),
        sa.UniqueConstraint("statement_id", name="uq_entries_statement_id"),
    )
    op.create_index("ix_entries_type", "entries", ["type"])
    op.create_index("ix_entries_actor", "entries", ["actor"])
    op.create_table(
        "log_queue",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_log_queue"),
        sa.ForeignKeyConstraint(["entry_id"], ["entries.id"], name="fk_log_queue_entry_id_entries"),
        sa.UniqueConstraint("entry_id", name="uq_log_queue_entry_id"),
    )
    op.create_table(
        "log_leaves",
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("idx", name="pk_log_leaves"),
        sa.ForeignKeyConstraint(["entry_id"], ["entries.id"], name="fk_log_leaves_entry_id_entries"),
        sa.UniqueConstraint("entry_id", name="uq_log_leaves_entry_id"),
    )
    op.create_table(
        "log_tiles",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("width", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", "width", name="pk_log_tiles"),
    )
    op.create_table(
        "checkpoints",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("size", name="pk_checkpoints"),
    )
    install_append_only(LEDGER_TABLES)


def install_append_only(tables) -> None:  # noqa: ANN001
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE OR REPLACE FUNCTION suyuan_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% on % refused: % is an append-only ledger table',
                    TG_OP, TG_TABLE_NAME, TG_TABLE_NAME
                    USING ERRCODE = 'restrict_violation';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in tables:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION suyuan_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION suyuan_append_only()"
            )
        return
    for table in tables:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{verb} on {table} refused: {table} is an "
                f"append-only ledger table'); END"
            )


def downgrade() -> None:
    for table in ("checkpoints", "log_tiles", "log_leaves", "log_queue", "entries", "chains"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS suyuan_append_only()")
