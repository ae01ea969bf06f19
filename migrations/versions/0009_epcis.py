"""EPCIS 2.0: capture jobs and the query index over the ledger's events.

`epcis_capture_jobs` holds the state of each asynchronous `POST /epcis/capture`
(running, success, errors). The index -- `epcis_events` (one row per EPCIS
event, by the fields EPCIS queries filter on), `epcis_event_entries` (the
entries that record it) and `epcis_event_epcs` (its EPCs as ledger keys) -- is
a projection of the ledger, rebuilt from the entries when missing;
`epcis_index_state` says how far through the log it has read. None of these
is a ledger table: no append-only triggers. Events recorded before this
migration are indexed from the log by the first query.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "epcis_capture_jobs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("party_id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("running", sa.Boolean(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=True),
        sa.Column("error_behaviour", sa.String(8), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("captured", sa.Integer(), server_default="0", nullable=False),
        sa.Column("errors", sa.Text(), server_default="[]", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_epcis_capture_jobs"),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"], name="fk_epcis_capture_jobs_party_id_parties"),
    )
    op.create_index("ix_epcis_capture_jobs_party_id", "epcis_capture_jobs", ["party_id"])
    op.create_table(
        "epcis_events",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(1000), nullable=False),
        sa.Column("event_type", sa.String(300), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(8), nullable=True),
        sa.Column("biz_step", sa.String(300), nullable=True),
        sa.Column("disposition", sa.String(300), nullable=True),
        sa.Column("read_point", sa.String(1000), nullable=True),
        sa.Column("biz_location", sa.String(1000), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_epcis_events"),
        sa.UniqueConstraint("event_id", name="uq_epcis_events_event_id"),
    )
    op.create_index("ix_epcis_events_event_time", "epcis_events", ["event_time"])
    op.create_index("ix_epcis_events_record_time", "epcis_events", ["record_time"])
    op.create_index("ix_epcis_events_biz_step", "epcis_events", ["biz_step"])
    op.create_table(
        "epcis_event_entries",
        sa.Column("entry_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("event", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("entry_hash", name="pk_epcis_event_entries"),
        sa.ForeignKeyConstraint(["event"], ["epcis_events.id"], name="fk_epcis_event_entries_event_epcis_events"),
    )
    op.create_index("ix_epcis_event_entries_event", "epcis_event_entries", ["event"])
    op.create_table(
        "epcis_event_epcs",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("event", sa.BigInteger(), nullable=False),
        sa.Column("field", sa.String(24), nullable=False),
        sa.Column("epc", sa.String(300), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_epcis_event_epcs"),
        sa.ForeignKeyConstraint(["event"], ["epcis_events.id"], name="fk_epcis_event_epcs_event_epcis_events"),
    )
    op.create_index("ix_epcis_event_epcs_event", "epcis_event_epcs", ["event"])
    op.create_index("ix_epcis_event_epcs_epc_field", "epcis_event_epcs", ["epc", "field"])
    op.create_table(
        "epcis_index_state",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_epcis_index_state"),
    )


def downgrade() -> None:
    op.drop_table("epcis_index_state")
    op.drop_table("epcis_event_epcs")
    op.drop_table("epcis_event_entries")
    op.drop_table("epcis_events")
    op.drop_table("epcis_capture_jobs")
