"""Review tokens: one review, one follow-up and one complaint per delivery (`deliveries`).

Until now each review token counted its uses and allowed any number. A
delivery of an item now gets a `deliveries` row holding what its tokens have
used (times are the server's) and who sold the item, and every token points
at its delivery: the courier's token from the delivery answer and the one the
seller fetches later (`GET /v1/items/{key}/review-token`) share one allowance.
`review_tokens.uses` goes.

Existing tokens each get a delivery of their own (delivered = the token's
creation time, the seller from the item, no statement id); what they already
posted is read back from the ledger by their pseudonymous actor, so a token
that reviewed before this migration cannot review again. Not ledger tables:
no append-only triggers.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_tokens = sa.table("review_tokens", sa.column("digest", sa.LargeBinary), sa.column("item_key", sa.String),
                   sa.column("created", sa.DateTime(timezone=True)), sa.column("delivery", sa.String))
_items = sa.table("items", sa.column("key", sa.String), sa.column("seller", sa.String))
_entries = sa.table("entries", sa.column("id", sa.BigInteger), sa.column("key", sa.String),
                    sa.column("type", sa.String), sa.column("actor", sa.String),
                    sa.column("hash", sa.LargeBinary), sa.column("recorded", sa.DateTime(timezone=True)))
_deliveries = sa.table(
    "deliveries", sa.column("id", sa.String), sa.column("item_key", sa.String),
    sa.column("statement_id", sa.String), sa.column("seller", sa.String),
    sa.column("delivered", sa.DateTime(timezone=True)), sa.column("review", sa.LargeBinary),
    sa.column("reviewed_at", sa.DateTime(timezone=True)), sa.column("followed_up_at", sa.DateTime(timezone=True)),
    sa.column("complained_at", sa.DateTime(timezone=True)),
)


def _actor(digest: bytes) -> str:
    # suyuan.trace.capture.consumer_actor, frozen here: a migration must not follow later code.
    return "consumer:" + bytes(digest)[:8].hex()


def _backfill(conn: sa.Connection) -> None:
    tokens = conn.execute(
        sa.select(_tokens.c.digest, _tokens.c.item_key, _tokens.c.created, _items.c.seller)
        .select_from(_tokens.outerjoin(_items, _items.c.key == _tokens.c.item_key))
    ).all()
    for t in tokens:
        posted = conn.execute(
            sa.select(_entries.c.type, _entries.c.hash, _entries.c.recorded)
            .where(_entries.c.key == t.item_key, _entries.c.actor == _actor(t.digest),
                   _entries.c.type.in_(("review", "complain")))
            .order_by(_entries.c.id)
        ).all()
        reviews = [p for p in posted if p.type == "review"]
        complaints = [p for p in posted if p.type == "complain"]
        delivery = str(uuid.uuid4())
        conn.execute(_deliveries.insert().values(
            id=delivery, item_key=t.item_key, statement_id=None, seller=t.seller, delivered=t.created,
            review=reviews[0].hash if reviews else None,
            reviewed_at=reviews[0].recorded if reviews else None,
            followed_up_at=reviews[1].recorded if len(reviews) > 1 else None,
            complained_at=complaints[0].recorded if complaints else None,
        ))
        conn.execute(sa.update(_tokens).where(_tokens.c.digest == t.digest).values(delivery=delivery))


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("item_key", sa.String(200), nullable=False),
        sa.Column("statement_id", sa.String(36), nullable=True),
        sa.Column("seller", sa.String(36), nullable=True),
        sa.Column("delivered", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review", sa.LargeBinary(32), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("followed_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("complained_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handed_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.ForeignKeyConstraint(["item_key"], ["items.key"], name="fk_deliveries_item_key_items"),
        sa.ForeignKeyConstraint(["seller"], ["parties.id"], name="fk_deliveries_seller_parties"),
    )
    op.create_index("ix_deliveries_item_key", "deliveries", ["item_key"])
    with op.batch_alter_table("review_tokens") as batch:
        batch.add_column(sa.Column("delivery", sa.String(36), nullable=True))
    _backfill(op.get_bind())
    with op.batch_alter_table("review_tokens") as batch:
        batch.alter_column("delivery", existing_type=sa.String(36), nullable=False)
        batch.create_foreign_key("fk_review_tokens_delivery_deliveries", "deliveries", ["delivery"], ["id"])
        batch.create_index("ix_review_tokens_delivery", ["delivery"])
        batch.drop_column("uses")


def downgrade() -> None:
    with op.batch_alter_table("review_tokens") as batch:
        batch.add_column(sa.Column("uses", sa.Integer(), server_default="0", nullable=False))
        batch.drop_index("ix_review_tokens_delivery")
        batch.drop_constraint("fk_review_tokens_delivery_deliveries", type_="foreignkey")
        batch.drop_column("delivery")
    op.drop_table("deliveries")
