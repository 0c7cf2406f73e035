"""Tickets, their conversation, their links to orders and attachments, and the category tree."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from dispatch.attachments.models import Attachment
from dispatch.customers.models import Customer
from dispatch.db import Base, JSONType, Timestamps, enum_type, utcnow
from dispatch.orders.models import Order, Priority
from dispatch.sites.models import Site
from dispatch.users.models import User

if TYPE_CHECKING:
    from dispatch.routing.models import DeskTeam


class TicketKind(StrEnum):
    """What the customer wants."""

    INQUIRY = "inquiry"
    FAULT = "fault"
    VISIT_REQUEST = "visit_request"
    COMPLAINT = "complaint"


class TicketChannel(StrEnum):
    """How the ticket reached us."""

    WEB_FORM = "web_form"
    PORTAL = "portal"
    EMAIL = "email"
    PHONE = "phone"
    API = "api"
    ENGINEER_APP = "engineer_app"


class TicketStatus(StrEnum):
    """Where a ticket is in its life (see :mod:`dispatch.tickets.states`)."""

    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"


class MessageKind(StrEnum):
    """A public reply is seen by the customer; an internal note only by staff."""

    PUBLIC_REPLY = "public_reply"
    INTERNAL_NOTE = "internal_note"


class AuthorType(StrEnum):
    """Who wrote a message: the customer, an agent (any staff user), or the system (automatic mail)."""

    CUSTOMER = "customer"
    AGENT = "agent"
    SYSTEM = "system"


NUMBER_PREFIX = "T-"


def format_number(ticket_id: int) -> str:
    """Format a ticket id as its public number (``T-000042``)."""
    return f"{NUMBER_PREFIX}{ticket_id:06d}"


def parse_number(number: str) -> int | None:
    """Return the ticket id a public number (``T-000042``, ``t-42``, ``42``) stands for, or None."""
    text = number.strip().upper()
    if text.startswith(NUMBER_PREFIX):
        text = text[len(NUMBER_PREFIX) :]
    return int(text) if text.isdigit() and len(text) < 10 else None


class TicketCategory(Timestamps, Base):
    """A node of the category tree an admin edits (``Heating > Boiler > No hot water``)."""

    __tablename__ = "ticket_categories"
    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_ticket_categories_parent_id_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_categories.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    skills: Mapped[list[str]] = mapped_column(JSONType, default=list)
    """Skill codes an agent needs to take tickets of this category (the ``skills`` strategy)."""
    active: Mapped[bool] = mapped_column(default=True)


class Ticket(Timestamps, Base):
    """A customer's request, worked by the desk: routed to a team, assigned to an agent, answered."""

    __tablename__ = "tickets"
    __table_args__ = (
        # The agents' queues: mine, my team's, unassigned; each by status, newest first (keyset on id).
        Index("ix_tickets_assignee_id_status_id", "assignee_id", "status", "id"),
        Index("ix_tickets_team_id_status_id", "team_id", "status", "id"),
        Index("ix_tickets_status_id", "status", "id"),
        Index("ix_tickets_customer_id_id", "customer_id", "id"),
        Index("ix_tickets_kind_id", "kind", "id"),
        Index("ix_tickets_priority_id", "priority", "id"),
        CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="not_merged_into_itself"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TicketKind] = mapped_column(enum_type(TicketKind, "ticket_kind"))
    channel: Mapped[TicketChannel] = mapped_column(enum_type(TicketChannel, "ticket_channel"))
    status: Mapped[TicketStatus] = mapped_column(
        enum_type(TicketStatus, "ticket_status"), default=TicketStatus.NEW
    )
    priority: Mapped[Priority] = mapped_column(
        enum_type(Priority, "ticket_priority"), default=Priority.NORMAL
    )
    subject: Mapped[str] = mapped_column(String(300))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_categories.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("customer_contacts.id", ondelete="SET NULL"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("desk_teams.id"))
    """The owning team (changes with transfers and escalations)."""
    previous_team_id: Mapped[int | None] = mapped_column(ForeignKey("desk_teams.id"))
    """The team it came from on its last transfer or escalation (take-back returns it there)."""
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    """The owner of record: the first agent who took it; stays answerable when it moves on."""
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    routing_rule_id: Mapped[int | None] = mapped_column(ForeignKey("routing_rules.id", ondelete="SET NULL"))
    routing_match: Mapped[dict[str, Any] | None]
    """Why the rule matched: the rule's name and each condition that held, with the ticket's value."""
    sla_policy_id: Mapped[int | None]
    """The SLA policy chosen for the ticket (a rule can set it; the SLA package owns the policies)."""
    sla_match: Mapped[dict[str, Any] | None]
    """Why the ticket has its SLA policy: by order (the conditions that held), a rule, or by hand."""
    first_response_at: Mapped[datetime | None]
    """When the first public agent reply the customer can see was written (SLA first response)."""
    awaiting_message_id: Mapped[int | None]
    """The oldest customer message no public agent reply has answered yet (SLA next response)."""
    awaiting_since: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None] = mapped_column(index=True)
    closed_at: Mapped[datetime | None]
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    version: Mapped[int] = mapped_column(default=1)

    customer: Mapped[Customer] = relationship(lazy="joined", innerjoin=True)
    site: Mapped[Site | None] = relationship(lazy="joined")
    category: Mapped[TicketCategory | None] = relationship(lazy="joined")
    team: Mapped[DeskTeam | None] = relationship(foreign_keys=[team_id], lazy="joined")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="joined")
    messages: Mapped[list[TicketMessage]] = relationship(
        back_populates="ticket", order_by="TicketMessage.id", foreign_keys="TicketMessage.ticket_id"
    )
    order_links: Mapped[list[TicketOrder]] = relationship(
        back_populates="ticket",
        cascade="all, delete-orphan",
        order_by="TicketOrder.order_id",
        lazy="selectin",
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def number(self) -> str:
        """The ticket number people read out on the phone and see in mail subjects."""
        return format_number(self.id)

    @property
    def order_ids(self) -> list[int]:
        """The linked orders' ids."""
        return [link.order_id for link in self.order_links]


class TicketMessage(Base):
    """One message of the conversation: a public reply or an internal note (never edited)."""

    __tablename__ = "ticket_messages"
    __table_args__ = (Index("ix_ticket_messages_ticket_id_id", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[MessageKind] = mapped_column(enum_type(MessageKind, "ticket_message_kind"))
    author_type: Mapped[AuthorType] = mapped_column(enum_type(AuthorType, "ticket_author_type"))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("customer_contacts.id", ondelete="SET NULL"))
    channel: Mapped[TicketChannel] = mapped_column(enum_type(TicketChannel, "ticket_message_channel"))
    body: Mapped[str] = mapped_column(Text)
    automatic: Mapped[bool] = mapped_column(default=False)
    """Written by the system (acknowledgements, auto-replies): never a first response."""
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    """The channel's own id of the message (an email's Message-ID), so it is stored once."""
    moved_from_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    """Set when a merge moved this message here from a duplicate."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="messages", foreign_keys=[ticket_id])
    author: Mapped[User | None] = relationship(lazy="joined")
    attachment_links: Mapped[list[TicketAttachment]] = relationship(
        back_populates="message", order_by="TicketAttachment.attachment_id", lazy="selectin"
    )

    @property
    def attachment_ids(self) -> list[str]:
        """The ids of the images attached to this message."""
        return [link.attachment_id for link in self.attachment_links]


class TicketOrder(Base):
    """An on-site order linked to a ticket (created from it, or the visit it is about)."""

    __tablename__ = "ticket_orders"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_from_ticket: Mapped[bool] = mapped_column(default=False)
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="order_links")
    order: Mapped[Order] = relationship(lazy="joined", innerjoin=True)


class TicketAttachment(Base):
    """An image of the attachment store uploaded to a ticket, and the message it went with."""

    __tablename__ = "ticket_attachments"

    attachment_id: Mapped[str] = mapped_column(
        ForeignKey("attachments.id", ondelete="CASCADE"), primary_key=True
    )
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_messages.id"), index=True)

    message: Mapped[TicketMessage | None] = relationship(back_populates="attachment_links")
    attachment: Mapped[Attachment] = relationship(
        backref=backref("ticket_link", uselist=False, lazy="selectin")
    )
