"""the language each user reads

Revision ID: e1a0c7f3b2d4
Revises: d8b3f1a2c9e4
Create Date: 2026-12-01 23:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e1a0c7f3b2d4"
down_revision: str | None = "d8b3f1a2c9e4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=16), nullable=True))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("locale")
