"""report aggregates

Revision ID: 5e7a1c9d4b20
Revises: 85286be46a6a
Create Date: 2026-12-03 09:00:00

Daily aggregate rows of the reports: one row per (figure, day, dimension, key), rebuilt by the
nightly job; the report pages read these instead of the ticket, visit and plan tables.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import dispatch.db

revision: str = "5e7a1c9d4b20"
down_revision: str | None = "85286be46a6a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "report_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("figure", sa.String(length=40), nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column(
            "samples",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("computed_at", dispatch.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_daily")),
        sa.UniqueConstraint(
            "figure", "day", "dimension", "key", name="uq_report_daily_figure_day_dimension_key"
        ),
    )
    op.create_index("ix_report_daily_day", "report_daily", ["day"], unique=False)


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_report_daily_day", table_name="report_daily")
    op.drop_table("report_daily")
