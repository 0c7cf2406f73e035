"""Marshmallow schemas of tickets, their conversation and their actions."""

from __future__ import annotations

from typing import Any

from flask import url_for
from marshmallow import Schema, ValidationError, fields, post_dump, validate, validates_schema
from webargs.fields import DelimitedList

from api.fields import Id, Text, When
from api.resources.order_schemas import SiteRef
from dispatch.i18n import _
from dispatch.orders.models import OrderStatus, Priority
from dispatch.routing.models import DeskTier
from dispatch.tickets import states
from dispatch.tickets.models import AuthorType, MessageKind, Ticket, TicketChannel, TicketKind, TicketStatus

SUBJECT = validate.Length(min=1, max=300)
BODY = validate.Length(min=1, max=20_000)
REASON = validate.Length(min=1, max=2000)
TAG = Text(validate=validate.Length(min=1, max=50))
CLIENT_ID = validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$")
INTERNAL_FIELDS = (
    "team",
    "previous_team_id",
    "owner",
    "tags",
    "routing",
    "sla_policy_id",
    "allowed_statuses",
)
"""What customers do not see of their tickets."""


class PersonRef(Schema):
    """A user, briefly."""

    id = Id()
    name = Text(attribute="full_name")


class TeamRef(Schema):
    """A desk team, briefly."""

    id = Id()
    code = Text()
    name = Text()
    tier = fields.Enum(DeskTier, by_value=True)


class CustomerBrief(Schema):
    """The ticket's customer, briefly."""

    id = Id()
    name = Text()
    tier = Text(attribute="tier.value")


class CategoryRef(Schema):
    """The ticket's category."""

    id = Id()
    name = Text()
    parent_id = Id(allow_none=True)


class LinkedOrderSchema(Schema):
    """An order linked to the ticket, with where it stands."""

    id = Id(attribute="order.id")
    number = Text(attribute="order.number")
    status = fields.Enum(OrderStatus, by_value=True, attribute="order.status")
    scheduled_start = When(attribute="order.scheduled_start", allow_none=True)
    created_from_ticket = fields.Boolean()
    linked_at = When()


class RoutingSchema(Schema):
    """Which rule routed the ticket, and why."""

    rule_id = Id(allow_none=True)
    rule = Text()
    position = fields.Integer()
    held = fields.List(
        fields.Dict(), metadata={"description": "each condition that held, with the ticket's value"}
    )
    reason = Text(metadata={"description": "which rule matched, in a sentence"})


def routing_of(ticket: Ticket) -> dict[str, Any] | None:
    """The routing record of a ticket with a sentence saying why."""
    match = ticket.routing_match
    if not match:
        return None
    reason = _("rule %(position)s (%(rule)s) matched", position=match.get("position"), rule=match.get("rule"))
    return {**match, "reason": str(reason)}


class TicketSchema(Schema):
    """A ticket: who, what, where it stands, who has it, and the orders linked to it."""

    id = Id()
    number = Text(metadata={"description": "T-000123, derived from the id"})
    kind = fields.Enum(TicketKind, by_value=True)
    channel = fields.Enum(TicketChannel, by_value=True)
    status = fields.Enum(TicketStatus, by_value=True)
    priority = fields.Enum(Priority, by_value=True)
    subject = Text()
    category = fields.Nested(CategoryRef, allow_none=True)
    customer = fields.Nested(CustomerBrief)
    contact_id = Id(allow_none=True)
    site = fields.Nested(SiteRef, allow_none=True)
    team = fields.Nested(TeamRef, allow_none=True, metadata={"description": "the owning team"})
    previous_team_id = Id(allow_none=True)
    assignee = fields.Nested(PersonRef, allow_none=True)
    owner = fields.Nested(
        PersonRef, allow_none=True, metadata={"description": "owner of record: the first agent who took it"}
    )
    tags = fields.List(Text())
    routing = fields.Function(
        routing_of, metadata={"description": "the rule that matched (see RoutingSchema)"}
    )
    sla_policy_id = Id(allow_none=True)
    first_response_at = When(allow_none=True, metadata={"description": "the first public agent reply"})
    awaiting_message_id = Id(
        allow_none=True, metadata={"description": "the oldest unanswered customer message"}
    )
    awaiting_since = When(allow_none=True)
    resolved_at = When(allow_none=True)
    closed_at = When(allow_none=True)
    merged_into_id = Id(allow_none=True)
    orders = fields.List(fields.Nested(LinkedOrderSchema), attribute="order_links")
    allowed_statuses = fields.Method("get_allowed", metadata={"type": "array", "items": {"type": "string"}})
    version = fields.Integer(metadata={"description": 'also sent as the ETag "v<version>"'})
    created_at = When()
    updated_at = When()

    def get_allowed(self, ticket: Ticket) -> list[str]:
        """The statuses an agent may move it to."""
        return states.allowed_statuses(ticket.status)

    @post_dump
    def hide_internal(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        """Customers do not see routing, team, owner, tags or the SLA policy."""
        from api.auth import actor

        if not actor().is_staff:
            for name in INTERNAL_FIELDS:
                data.pop(name, None)
        return data


class TicketPageSchema(Schema):
    """One page of tickets; ask for the next with ``cursor=next_cursor`` (null on the last page)."""

    items = fields.List(fields.Nested(TicketSchema))
    next_cursor = fields.Integer(allow_none=True)


class SenderSchema(Schema):
    """Who wrote, when the customer is not known by id: the desk recognises them (or flags them for review)."""

    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    phone = Text(load_default=None, allow_none=True, validate=validate.Length(max=40))
    external_id = Text(load_default=None, allow_none=True, validate=validate.Length(max=100))
    name = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))


class TicketCreateSchema(Schema):
    """A new ticket. Staff give ``customer_id`` or ``sender``; customers and engineers open their own."""

    kind = fields.Enum(TicketKind, by_value=True, required=True)
    subject = Text(required=True, validate=SUBJECT)
    body = Text(
        required=True, validate=BODY, metadata={"description": "the customer's words: the first message"}
    )
    channel = fields.Enum(TicketChannel, by_value=True, load_default=None)
    customer_id = Id(load_default=None)
    sender = fields.Nested(SenderSchema, load_default=None)
    site_id = Id(load_default=None)
    priority = fields.Enum(Priority, by_value=True, load_default=None)
    category_id = Id(load_default=None)
    team_id = Id(load_default=None, metadata={"description": "skip the routing rules' team"})
    tags = fields.List(TAG, load_default=list, validate=validate.Length(max=20))
    order_ids = fields.List(
        Id(),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "orders the ticket is about (a complaint about a visit)"},
    )


class TicketUpdateSchema(Schema):
    """Details staff may change; status, team and assignee change through their actions."""

    subject = Text(validate=SUBJECT)
    priority = fields.Enum(Priority, by_value=True)
    kind = fields.Enum(TicketKind, by_value=True)
    category_id = Id(allow_none=True)
    site_id = Id(allow_none=True)
    tags = fields.List(TAG, validate=validate.Length(max=20))
    sla_policy_id = Id(allow_none=True)


class TicketQuery(Schema):
    """Queues and filters (lists are comma separated); newest first, keyset paging with ``cursor``."""

    queue = Text(
        validate=validate.OneOf(["mine", "team", "unassigned"]),
        metadata={"description": "mine, team (my teams'), unassigned; work not done unless status says"},
    )
    status = DelimitedList(fields.Enum(TicketStatus, by_value=True))
    team_id = Id()
    assignee_id = Id()
    kind = DelimitedList(fields.Enum(TicketKind, by_value=True))
    priority = DelimitedList(fields.Enum(Priority, by_value=True))
    channel = DelimitedList(fields.Enum(TicketChannel, by_value=True))
    customer_id = Id()
    category_id = Id()
    q = Text(
        validate=validate.Length(max=200), metadata={"description": "ticket number or words of the subject"}
    )
    cursor = Id(metadata={"description": "next_cursor of the previous page"})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 100))
    order = Text(load_default="newest", validate=validate.OneOf(["newest", "oldest"]))


class QueueCountSchema(Schema):
    """A queue and how many tickets wait in it (counted up to 1,000: ``capped`` when there are more)."""

    name = Text()
    team_id = Id(allow_none=True)
    count = fields.Integer()
    capped = fields.Boolean()


class StatusChangeSchema(Schema):
    """The status wanted (open, pending, on_hold, resolved, reopened, closed) and why."""

    status = fields.Enum(TicketStatus, by_value=True, required=True)
    reason = Text(load_default=None, validate=REASON)


class TicketAssignSchema(Schema):
    """The agent of the ticket's team to give it to; null takes it off its agent."""

    assignee_id = Id(required=True, allow_none=True)


class TicketTransferSchema(Schema):
    """Another team, why, and (on purpose only) a new owner of record."""

    team_id = Id(required=True)
    reason = Text(required=True, validate=REASON)
    owner_id = Id(load_default=None, metadata={"description": "move the owner of record to this agent too"})


class TicketReasonSchema(Schema):
    """Why (required)."""

    reason = Text(required=True, validate=REASON)


class MergeSchema(Schema):
    """The ticket this one is a duplicate of."""

    into_ticket_id = Id(required=True)


class LinkOrderSchema(Schema):
    """An existing order of the ticket's customer."""

    order_id = Id(required=True)


class VisitSchema(Schema):
    """A visit for the ticket's customer in a window the slot offer gave (GET /api/v1/slots)."""

    service_type_id = Id(required=True)
    site_id = Id(load_default=None, metadata={"description": "defaults to the ticket's site"})
    starts_at = When(required=True)
    ends_at = When(required=True)
    description = Text(load_default=None, validate=validate.Length(max=5000))

    @validates_schema
    def ordered(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """The window ends after it starts."""
        if data["ends_at"] <= data["starts_at"]:
            raise ValidationError([_("the window ends before it starts")], "ends_at")


class MessageSchema(Schema):
    """A public reply or an internal note."""

    id = Id()
    ticket_id = Id()
    kind = fields.Enum(MessageKind, by_value=True)
    author_type = fields.Enum(AuthorType, by_value=True)
    author = fields.Nested(PersonRef, allow_none=True)
    contact_id = Id(allow_none=True)
    channel = fields.Enum(TicketChannel, by_value=True)
    body = Text()
    automatic = fields.Boolean()
    attachment_ids = fields.List(Text())
    moved_from_ticket_id = Id(allow_none=True)
    created_at = When()


class MessageCreateSchema(Schema):
    """A reply (the customer sees it) or an internal note; images uploaded to the ticket first."""

    kind = fields.Enum(MessageKind, by_value=True, load_default=MessageKind.PUBLIC_REPLY)
    body = Text(required=True, validate=BODY)
    attachment_ids = fields.List(
        Text(validate=CLIENT_ID), load_default=list, validate=validate.Length(max=10)
    )


class TicketImageSchema(Schema):
    """An image sent with a ticket (fetch it at ``content_url``)."""

    id = Text()
    ticket_id = Id(attribute="ticket_link.ticket_id")
    message_id = Id(attribute="ticket_link.message_id", allow_none=True)
    content_type = Text()
    size_bytes = fields.Integer()
    width = fields.Integer()
    height = fields.Integer()
    caption = Text(allow_none=True)
    created_at = When()
    content_url = fields.Method("get_url")

    def get_url(self, attachment: Any) -> str:
        """Where the image itself is served."""
        link = attachment.ticket_link
        return url_for(
            "tickets.TicketAttachmentContent", ticket_id=link.ticket_id, attachment_id=attachment.id
        )
