"""plans: optimizer runs, their routes, stops and left-out orders

Revision ID: c4a9d2e7b310
Revises: b5e1a7c0f001
Create Date: 2026-11-23 15:54:14.137560
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import dispatch.db

revision: str = "c4a9d2e7b310"
down_revision: str | None = "b5e1a7c0f001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("region", sa.String(length=200), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("full", "replan", name="plan_kind", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "ready",
                "published",
                "failed",
                "cancelled",
                name="plan_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("time_limit_s", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("job_id", sa.String(length=100), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("started_at", dispatch.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", dispatch.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", dispatch.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("best_distance_m", sa.Integer(), nullable=True),
        sa.Column("best_assigned", sa.Integer(), nullable=True),
        sa.Column("computed_at", dispatch.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "basis",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "totals",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("solver", sa.String(length=200), nullable=False),
        sa.Column("published_at", dispatch.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.Integer(), nullable=True),
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
        sa.CheckConstraint("time_limit_s > 0", name=op.f("ck_plans_positive_time_limit")),
        sa.ForeignKeyConstraint(["published_by"], ["users.id"], name=op.f("fk_plans_published_by_users")),
        sa.ForeignKeyConstraint(["requested_by"], ["users.id"], name=op.f("fk_plans_requested_by_users")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_plans_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
    )
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.create_index("ix_plans_day_status", ["day", "status"], unique=False)

    op.create_table(
        "plan_routes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("engineer_id", sa.Integer(), nullable=False),
        sa.Column("departs_at", dispatch.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("returns_at", dispatch.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("travel_distance_m", sa.Integer(), nullable=False),
        sa.Column("travel_time_s", sa.Integer(), nullable=False),
        sa.Column(
            "breaks",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["engineer_id"], ["engineers.id"], name=op.f("fk_plan_routes_engineer_id_engineers")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_routes_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_routes")),
    )
    with op.batch_alter_table("plan_routes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_routes_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "plan_unassigned",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("previous_engineer_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_plan_unassigned_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_unassigned_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["previous_engineer_id"],
            ["engineers.id"],
            name=op.f("fk_plan_unassigned_previous_engineer_id_engineers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_unassigned")),
    )
    with op.batch_alter_table("plan_unassigned", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_unassigned_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_plan_unassigned_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "plan_stops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("arrives_at", dispatch.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("starts_at", dispatch.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("departs_at", dispatch.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("travel_time_s", sa.Integer(), nullable=False),
        sa.Column("travel_distance_m", sa.Integer(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("fixed", sa.Boolean(), nullable=False),
        sa.Column("previous_engineer_id", sa.Integer(), nullable=True),
        sa.Column("previous_start", dispatch.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("sequence >= 0", name=op.f("ck_plan_stops_sequence_not_negative")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_plan_stops_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["previous_engineer_id"],
            ["engineers.id"],
            name=op.f("fk_plan_stops_previous_engineer_id_engineers"),
        ),
        sa.ForeignKeyConstraint(
            ["route_id"],
            ["plan_routes.id"],
            name=op.f("fk_plan_stops_route_id_plan_routes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_stops")),
    )
    with op.batch_alter_table("plan_stops", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_stops_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_plan_stops_route_id"), ["route_id"], unique=False)


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("plan_stops", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_stops_route_id"))
        batch_op.drop_index(batch_op.f("ix_plan_stops_order_id"))

    op.drop_table("plan_stops")
    with op.batch_alter_table("plan_unassigned", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_unassigned_plan_id"))
        batch_op.drop_index(batch_op.f("ix_plan_unassigned_order_id"))

    op.drop_table("plan_unassigned")
    with op.batch_alter_table("plan_routes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_routes_plan_id"))

    op.drop_table("plan_routes")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_index("ix_plans_day_status")

    op.drop_table("plans")
