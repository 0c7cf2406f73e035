"""booking days and tracking links

Revision ID: d8b3f1a2c9e4
Revises: c4a9d2e7b310
Create Date: 2026-11-23 15:56:45.302931
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dispatch.db

revision: str = "d8b3f1a2c9e4"
down_revision: str | None = "c4a9d2e7b310"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""

    op.create_table(
        "booking_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("bookings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_booking_days")),
    )
    op.create_table(
        "tracking_links",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", dispatch.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_tracking_links_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_tracking_links")),
        sa.UniqueConstraint("token", name=op.f("uq_tracking_links_token")),
    )


def downgrade() -> None:
    """Revert."""

    op.drop_table("tracking_links")
    op.drop_table("booking_days")
