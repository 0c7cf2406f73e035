"""business calendars (with dated overrides), SLA policies and one row per SLA/OLA clock

Revision ID: 0bde0e5517b3
Revises: e1f0c3a7b2d5
Create Date: 2026-12-02 00:14:13.686716

Also: tickets keep why they have their SLA policy (sla_match). The clock indexes are partial:
only running clocks are in them, so the scan and the about-to-breach queue read few rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import dispatch.db

revision: str = "0bde0e5517b3"
down_revision: str | None = "e1f0c3a7b2d5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "business_calendars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column(
            "week",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            dispatch.db.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            dispatch.db.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_calendars")),
        sa.UniqueConstraint("name", name=op.f("uq_business_calendars_name")),
    )
    op.create_table(
        "business_calendar_days",
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "intervals",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["business_calendars.id"],
            name=op.f("fk_business_calendar_days_calendar_id_business_calendars"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("calendar_id", "day", name=op.f("pk_business_calendar_days")),
    )
    op.create_table(
        "sla_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "condition",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("first_response_s", sa.Integer(), nullable=True),
        sa.Column("next_response_s", sa.Integer(), nullable=True),
        sa.Column("resolution_s", sa.Integer(), nullable=True),
        sa.Column(
            "ola_targets",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("pause_on_hold", sa.Boolean(), nullable=False),
        sa.Column("warn_percent", sa.Integer(), nullable=False),
        sa.Column(
            "escalations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            dispatch.db.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            dispatch.db.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["business_calendars.id"],
            name=op.f("fk_sla_policies_calendar_id_business_calendars"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policies")),
        sa.UniqueConstraint("name", name=op.f("uq_sla_policies_name")),
        sa.UniqueConstraint("position", name=op.f("uq_sla_policies_position")),
    )
    with op.batch_alter_table("sla_policies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sla_policies_calendar_id"), ["calendar_id"], unique=False)

    op.create_table(
        "sla_clocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "first_response",
                "next_response",
                "resolution",
                "ola",
                name="sla_clock_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("target_s", sa.Integer(), nullable=False),
        sa.Column("started_at", dispatch.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", dispatch.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("warn_at", dispatch.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paused_s", sa.Integer(), nullable=False),
        sa.Column("paused_since", dispatch.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", dispatch.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("breached_at", dispatch.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("warned_at", dispatch.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_sla_clocks_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_clocks")),
        sa.UniqueConstraint("ticket_id", "key", name="uq_sla_clocks_ticket_id_key"),
    )
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sla_clocks_breach_due",
            ["due_at"],
            unique=False,
            postgresql_where=sa.text("stopped_at IS NULL AND breached_at IS NULL"),
            sqlite_where=sa.text("stopped_at IS NULL AND breached_at IS NULL"),
        )
        batch_op.create_index(
            "ix_sla_clocks_running_calendar",
            ["calendar_id"],
            unique=False,
            postgresql_where=sa.text("stopped_at IS NULL"),
            sqlite_where=sa.text("stopped_at IS NULL"),
        )
        batch_op.create_index(
            "ix_sla_clocks_running_due",
            ["due_at", "id"],
            unique=False,
            postgresql_where=sa.text("stopped_at IS NULL AND due_at IS NOT NULL"),
            sqlite_where=sa.text("stopped_at IS NULL AND due_at IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_sla_clocks_warn_due",
            ["warn_at"],
            unique=False,
            postgresql_where=sa.text("stopped_at IS NULL AND warned_at IS NULL AND breached_at IS NULL"),
            sqlite_where=sa.text("stopped_at IS NULL AND warned_at IS NULL AND breached_at IS NULL"),
        )

    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "sla_match",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("sla_match")

    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_sla_clocks_warn_due",
            postgresql_where=sa.text("stopped_at IS NULL AND warned_at IS NULL AND breached_at IS NULL"),
            sqlite_where=sa.text("stopped_at IS NULL AND warned_at IS NULL AND breached_at IS NULL"),
        )
        batch_op.drop_index(
            "ix_sla_clocks_running_due",
            postgresql_where=sa.text("stopped_at IS NULL AND due_at IS NOT NULL"),
            sqlite_where=sa.text("stopped_at IS NULL AND due_at IS NOT NULL"),
        )
        batch_op.drop_index(
            "ix_sla_clocks_running_calendar",
            postgresql_where=sa.text("stopped_at IS NULL"),
            sqlite_where=sa.text("stopped_at IS NULL"),
        )
        batch_op.drop_index(
            "ix_sla_clocks_breach_due",
            postgresql_where=sa.text("stopped_at IS NULL AND breached_at IS NULL"),
            sqlite_where=sa.text("stopped_at IS NULL AND breached_at IS NULL"),
        )

    op.drop_table("sla_clocks")
    with op.batch_alter_table("sla_policies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sla_policies_calendar_id"))

    op.drop_table("sla_policies")
    op.drop_table("business_calendar_days")
    op.drop_table("business_calendars")
