"""kb article version: an article's ETag, so an editor's stale copy is refused instead of overwriting

Revision ID: 7d3a5e8c1f42
Revises: 4b7e2c91d0a6
Create Date: 2026-12-03 13:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d3a5e8c1f42"
down_revision: str | None = "4b7e2c91d0a6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply (articles written before start at version 1)."""
    with op.batch_alter_table("kb_articles") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("kb_articles") as batch:
        batch.drop_column("version")
