"""service desk: tickets and their conversation, categories, desk teams, agents, routing rules

Revision ID: 303f2f21f4fc
Revises: e1a0c7f3b2d4
Create Date: 2026-12-01 23:36:16.448973

Also: attachments may belong to no order (images sent with tickets), contacts can wait for review,
and events name the ticket whose timeline shows them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import dispatch.db

revision: str = "303f2f21f4fc"
down_revision: str | None = "e1a0c7f3b2d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "condition",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "actions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rules")),
        sa.UniqueConstraint("position", name=op.f("uq_routing_rules_position")),
    )
    op.create_table(
        "ticket_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "skills",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
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
            ["parent_id"],
            ["ticket_categories.id"],
            name=op.f("fk_ticket_categories_parent_id_ticket_categories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_categories")),
        sa.UniqueConstraint("parent_id", "name", name="uq_ticket_categories_parent_id_name"),
    )
    with op.batch_alter_table("ticket_categories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_categories_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "desk_agents",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("away", sa.Boolean(), nullable=False),
        sa.Column("away_since", dispatch.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column(
            "working_hours",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "skills",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
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
            ["user_id"], ["users.id"], name=op.f("fk_desk_agents_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_desk_agents")),
    )
    op.create_table(
        "desk_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "tier",
            sa.Enum(
                "first_line",
                "second_line",
                "engineering",
                "partner",
                "branch",
                name="desk_tier",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "strategy",
            sa.Enum(
                "round_robin",
                "least_loaded",
                "skills",
                "manual",
                name="desk_assignment_strategy",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("escalates_to_id", sa.Integer(), nullable=True),
        sa.Column("last_assigned_user_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
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
            ["escalates_to_id"], ["desk_teams.id"], name=op.f("fk_desk_teams_escalates_to_id_desk_teams")
        ),
        sa.ForeignKeyConstraint(
            ["last_assigned_user_id"],
            ["users.id"],
            name=op.f("fk_desk_teams_last_assigned_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_teams")),
        sa.UniqueConstraint("code", name=op.f("uq_desk_teams_code")),
    )
    op.create_table(
        "desk_team_members",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("is_lead", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["desk_teams.id"],
            name=op.f("fk_desk_team_members_team_id_desk_teams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_desk_team_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_desk_team_members")),
    )
    with op.batch_alter_table("desk_team_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_desk_team_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "inquiry",
                "fault",
                "visit_request",
                "complaint",
                name="ticket_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum(
                "web_form",
                "portal",
                "email",
                "phone",
                "api",
                "engineer_app",
                name="ticket_channel",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "open",
                "pending",
                "on_hold",
                "resolved",
                "closed",
                "reopened",
                name="ticket_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "priority",
            sa.Enum(
                "low",
                "normal",
                "high",
                "urgent",
                name="ticket_priority",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("previous_team_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("routing_rule_id", sa.Integer(), nullable=True),
        sa.Column(
            "routing_match",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("sla_policy_id", sa.Integer(), nullable=True),
        sa.Column("first_response_at", dispatch.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("awaiting_message_id", sa.Integer(), nullable=True),
        sa.Column("awaiting_since", dispatch.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", dispatch.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", dispatch.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
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
        sa.CheckConstraint(
            "merged_into_id IS NULL OR merged_into_id <> id", name=op.f("ck_tickets_not_merged_into_itself")
        ),
        sa.ForeignKeyConstraint(["assignee_id"], ["users.id"], name=op.f("fk_tickets_assignee_id_users")),
        sa.ForeignKeyConstraint(
            ["category_id"], ["ticket_categories.id"], name=op.f("fk_tickets_category_id_ticket_categories")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["customer_contacts.id"],
            name=op.f("fk_tickets_contact_id_customer_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_tickets_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["tickets.id"], name=op.f("fk_tickets_merged_into_id_tickets")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_tickets_owner_id_users")),
        sa.ForeignKeyConstraint(
            ["previous_team_id"], ["desk_teams.id"], name=op.f("fk_tickets_previous_team_id_desk_teams")
        ),
        sa.ForeignKeyConstraint(
            ["routing_rule_id"],
            ["routing_rules.id"],
            name=op.f("fk_tickets_routing_rule_id_routing_rules"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_tickets_site_id_sites")),
        sa.ForeignKeyConstraint(["team_id"], ["desk_teams.id"], name=op.f("fk_tickets_team_id_desk_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_assignee_id_status_id", ["assignee_id", "status", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_tickets_category_id"), ["category_id"], unique=False)
        batch_op.create_index("ix_tickets_customer_id_id", ["customer_id", "id"], unique=False)
        batch_op.create_index("ix_tickets_kind_id", ["kind", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index("ix_tickets_priority_id", ["priority", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_resolved_at"), ["resolved_at"], unique=False)
        batch_op.create_index("ix_tickets_status_id", ["status", "id"], unique=False)
        batch_op.create_index("ix_tickets_team_id_status_id", ["team_id", "status", "id"], unique=False)

    op.create_table(
        "ticket_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "public_reply",
                "internal_note",
                name="ticket_message_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "author_type",
            sa.Enum(
                "customer",
                "agent",
                "system",
                name="ticket_author_type",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column(
            "channel",
            sa.Enum(
                "web_form",
                "portal",
                "email",
                "phone",
                "api",
                "engineer_app",
                name="ticket_message_channel",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("moved_from_ticket_id", sa.Integer(), nullable=True),
        sa.Column("created_at", dispatch.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_user_id"], ["users.id"], name=op.f("fk_ticket_messages_author_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["customer_contacts.id"],
            name=op.f("fk_ticket_messages_contact_id_customer_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["moved_from_ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_messages_moved_from_ticket_id_tickets"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_messages_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_messages")),
        sa.UniqueConstraint("external_id", name=op.f("uq_ticket_messages_external_id")),
    )
    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_messages_ticket_id_id", ["ticket_id", "id"], unique=False)

    op.create_table(
        "ticket_orders",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("created_from_ticket", sa.Boolean(), nullable=False),
        sa.Column("linked_at", dispatch.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_ticket_orders_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_orders_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("ticket_id", "order_id", name=op.f("pk_ticket_orders")),
    )
    with op.batch_alter_table("ticket_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_orders_order_id"), ["order_id"], unique=False)

    op.create_table(
        "ticket_attachments",
        sa.Column("attachment_id", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachments.id"],
            name=op.f("fk_ticket_attachments_attachment_id_attachments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["ticket_messages.id"],
            name=op.f("fk_ticket_attachments_message_id_ticket_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_attachments_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("attachment_id", name=op.f("pk_ticket_attachments")),
    )
    with op.batch_alter_table("ticket_attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_attachments_message_id"), ["message_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ticket_attachments_ticket_id"), ["ticket_id"], unique=False)

    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.alter_column("order_id", existing_type=sa.INTEGER(), nullable=True)

    with op.batch_alter_table("customer_contacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("needs_review", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(batch_op.f("ix_customer_contacts_needs_review"), ["needs_review"], unique=False)

    # Plain ALTER TABLE (no batch copy): the events table keeps its append-only trigger.
    op.add_column("events", sa.Column("ticket_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_events_ticket_id"), "events", ["ticket_id"], unique=False)


def downgrade() -> None:
    """Revert."""
    op.drop_index(op.f("ix_events_ticket_id"), table_name="events")
    op.drop_column("events", "ticket_id")  # SQLite 3.35+ drops a column in place, trigger kept

    with op.batch_alter_table("customer_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_contacts_needs_review"))
        batch_op.drop_column("needs_review")

    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.alter_column("order_id", existing_type=sa.INTEGER(), nullable=False)

    with op.batch_alter_table("ticket_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_attachments_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_ticket_attachments_message_id"))

    op.drop_table("ticket_attachments")
    with op.batch_alter_table("ticket_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_orders_order_id"))

    op.drop_table("ticket_orders")
    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_messages_ticket_id_id")

    op.drop_table("ticket_messages")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_team_id_status_id")
        batch_op.drop_index("ix_tickets_status_id")
        batch_op.drop_index(batch_op.f("ix_tickets_resolved_at"))
        batch_op.drop_index("ix_tickets_priority_id")
        batch_op.drop_index(batch_op.f("ix_tickets_owner_id"))
        batch_op.drop_index("ix_tickets_kind_id")
        batch_op.drop_index("ix_tickets_customer_id_id")
        batch_op.drop_index(batch_op.f("ix_tickets_category_id"))
        batch_op.drop_index("ix_tickets_assignee_id_status_id")

    op.drop_table("tickets")
    with op.batch_alter_table("desk_team_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_team_members_user_id"))

    op.drop_table("desk_team_members")
    op.drop_table("desk_teams")
    op.drop_table("desk_agents")
    with op.batch_alter_table("ticket_categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_categories_parent_id"))

    op.drop_table("ticket_categories")
    op.drop_table("routing_rules")
