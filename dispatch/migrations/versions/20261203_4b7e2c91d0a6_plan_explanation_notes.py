"""plan explanation notes: the optimizer's reasons stored as codes and values

Revision ID: 4b7e2c91d0a6
Revises: 50c27b15c39a
Create Date: 2026-12-03 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "4b7e2c91d0a6"
down_revision: str | None = "50c27b15c39a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    """Apply (rows planned before keep their English sentence and are shown with it)."""
    with op.batch_alter_table("plan_stops") as batch:
        batch.add_column(sa.Column("why_notes", JSON, nullable=True))
    with op.batch_alter_table("plan_unassigned") as batch:
        batch.add_column(sa.Column("detail_note", JSON, nullable=True))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("plan_unassigned") as batch:
        batch.drop_column("detail_note")
    with op.batch_alter_table("plan_stops") as batch:
        batch.drop_column("why_notes")
