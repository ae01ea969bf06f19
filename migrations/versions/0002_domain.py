"""Traceability domain: parties, API keys, party keys, goods and their state, flags, review tokens.

None of these is a ledger table: they are projections of the ledger that the
rules read, updated in the same transaction as the entry that changes them,
so they carry no append-only triggers. They match the `models` modules of `suyuan.trace.parties`, `.goods` and `.events`.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _created() -> sa.Column:
    return sa.Column("created", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def _party_fk(column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["parties.id"], name=f"fk_{table}_{column}_parties")


def upgrade() -> None:
    op.create_table(
        "parties",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=True),
        sa.Column("roles", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("licences", sa.JSON(), nullable=False),
        _created(),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_parties"),
        sa.UniqueConstraint("uscc", name="uq_parties_uscc"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("party_id", sa.String(36), nullable=False),
        sa.Column("digest", sa.LargeBinary(32), nullable=False),
        _created(),
        sa.Column("revoked", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        _party_fk("party_id", "api_keys"),
        sa.UniqueConstraint("digest", name="uq_api_keys_digest"),
    )
    op.create_index("ix_api_keys_party_id", "api_keys", ["party_id"])
    op.create_table(
        "party_keys",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("party_id", sa.String(36), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        _created(),
        sa.Column("revoked", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_party_keys"),
        _party_fk("party_id", "party_keys"),
        sa.UniqueConstraint("public_key", name="uq_party_keys_public_key"),
    )
    op.create_index("ix_party_keys_party_id", "party_keys", ["party_id"])
    op.create_table(
        "products",
        sa.Column("gtin", sa.String(14), nullable=False),
        sa.Column("owner", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("priority", sa.Boolean(), nullable=False),
        sa.Column("net_weight_g", sa.Integer(), nullable=True),
        _created(),
        sa.PrimaryKeyConstraint("gtin", name="pk_products"),
        _party_fk("owner", "products"),
    )
    op.create_index("ix_products_owner", "products", ["owner"])
    op.create_table(
        "batches",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("gtin", sa.String(14), nullable=False),
        sa.Column("lot", sa.String(20), nullable=False),
        sa.Column("owner", sa.String(36), nullable=False),
        sa.Column("production_date", sa.Date(), nullable=False),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        sa.Column("origin_region", sa.String(6), nullable=False),
        sa.Column("recalled", sa.Boolean(), server_default=sa.false(), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("key", name="pk_batches"),
        sa.ForeignKeyConstraint(["gtin"], ["products.gtin"], name="fk_batches_gtin_products"),
        _party_fk("owner", "batches"),
        sa.UniqueConstraint("gtin", "lot", name="uq_batches_gtin_lot"),
    )
    op.create_index("ix_batches_owner", "batches", ["owner"])
    op.create_table(
        "items",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("gtin", sa.String(14), nullable=False),
        sa.Column("batch_key", sa.String(200), nullable=True),
        sa.Column("serial", sa.String(20), nullable=False),
        sa.Column("owner", sa.String(36), nullable=False),
        sa.Column("seller", sa.String(36), nullable=True),
        sa.Column("courier", sa.String(36), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("parcel_key", sa.String(200), nullable=True),
        sa.Column("last_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_region", sa.String(6), nullable=True),
        sa.Column("last_region_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispatch_from", sa.String(6), nullable=True),
        _created(),
        sa.PrimaryKeyConstraint("key", name="pk_items"),
        sa.ForeignKeyConstraint(["gtin"], ["products.gtin"], name="fk_items_gtin_products"),
        sa.ForeignKeyConstraint(["batch_key"], ["batches.key"], name="fk_items_batch_key_batches"),
        _party_fk("owner", "items"),
        _party_fk("seller", "items"),
        _party_fk("courier", "items"),
    )
    op.create_index("ix_items_gtin", "items", ["gtin"])
    op.create_index("ix_items_batch_key", "items", ["batch_key"])
    op.create_index("ix_items_owner", "items", ["owner"])
    op.create_table(
        "parcels",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(36), nullable=False),
        sa.Column("courier", sa.String(36), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("declared_weight_g", sa.Integer(), nullable=True),
        sa.Column("last_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_region", sa.String(6), nullable=True),
        sa.Column("last_region_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispatch_from", sa.String(6), nullable=True),
        _created(),
        sa.PrimaryKeyConstraint("key", name="pk_parcels"),
        _party_fk("owner", "parcels"),
        _party_fk("courier", "parcels"),
    )
    op.create_index("ix_parcels_owner", "parcels", ["owner"])
    op.create_table(
        "parcel_contents",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("parcel_key", sa.String(200), nullable=False),
        sa.Column("item_key", sa.String(200), nullable=False),
        sa.Column("packed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unpacked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_parcel_contents"),
        sa.ForeignKeyConstraint(["parcel_key"], ["parcels.key"], name="fk_parcel_contents_parcel_key_parcels"),
        sa.ForeignKeyConstraint(["item_key"], ["items.key"], name="fk_parcel_contents_item_key_items"),
    )
    op.create_index("ix_parcel_contents_parcel_key", "parcel_contents", ["parcel_key"])
    op.create_index("ix_parcel_contents_item_key", "parcel_contents", ["item_key"])
    op.create_table(
        "flags",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("entry_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("detail", sa.String(500), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_flags"),
    )
    op.create_index("ix_flags_entry_hash", "flags", ["entry_hash"])
    op.create_index("ix_flags_key", "flags", ["key"])
    op.create_index("ix_flags_code", "flags", ["code"])
    op.create_table(
        "review_tokens",
        sa.Column("digest", sa.LargeBinary(32), nullable=False),
        sa.Column("item_key", sa.String(200), nullable=False),
        sa.Column("uses", sa.Integer(), server_default="0", nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("digest", name="pk_review_tokens"),
        sa.ForeignKeyConstraint(["item_key"], ["items.key"], name="fk_review_tokens_item_key_items"),
    )
    op.create_index("ix_review_tokens_item_key", "review_tokens", ["item_key"])


def downgrade() -> None:
    for table in (
        "review_tokens", "flags", "parcel_contents", "parcels", "items", "batches",
        "products", "party_keys", "api_keys", "parties",
    ):  # fmt: skip
        op.drop_table(table)
