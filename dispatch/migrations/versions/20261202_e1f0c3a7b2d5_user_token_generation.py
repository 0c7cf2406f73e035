"""user token generation

Revision ID: e1f0c3a7b2d5
Revises: 303f2f21f4fc
Create Date: 2026-12-02 00:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e1f0c3a7b2d5"
down_revision: str | None = "303f2f21f4fc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("token_generation", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("token_generation")
