"""Tickets and their life — ``/api/v1/tickets`` (ETag / If-Match on writes, Idempotency-Key on creates)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request, url_for
from flask_smorest.error_handler import ErrorSchema

from api import database
from api.auth import actor
from api.common import IF_MATCH_DOC, blueprint, etag, if_match
from api.database import View
from api.idempotency import DOC as IDEMPOTENCY_DOC
from api.idempotency import PARAMETER as IDEMPOTENCY_PARAMETER
from api.idempotency import idempotent
from api.resources.attachments import UPLOAD_DOC, client_id, store
from api.resources.booking import policy as booking_policy
from api.resources.events import EventSchema
from api.resources.order_schemas import OrderSchema
from api.resources.sites import geocoder
from api.resources.ticket_schemas import (
    LinkOrderSchema,
    MergeSchema,
    MessageCreateSchema,
    MessageSchema,
    QueueCountSchema,
    StatusChangeSchema,
    TicketAssignSchema,
    TicketCreateSchema,
    TicketImageSchema,
    TicketPageSchema,
    TicketQuery,
    TicketReasonSchema,
    TicketSchema,
    TicketTransferSchema,
    TicketUpdateSchema,
    VisitSchema,
)
from dispatch.attachments.images import TooLarge
from dispatch.attachments.models import Attachment
from dispatch.config import Settings
from dispatch.customers.recognition import Sender
from dispatch.events.models import Event
from dispatch.i18n import _
from dispatch.orders.models import Order
from dispatch.orders.service import Window
from dispatch.routing import transfers
from dispatch.tickets import conversation, flows
from dispatch.tickets import service as tickets
from dispatch.tickets.models import Ticket, TicketMessage

blp = blueprint(
    "tickets", "/tickets", "Service desk tickets: conversation, status, routing, transfers, visits"
)

Reply = tuple[Ticket, int, dict[str, str]]
WRITE_DOC = {"parameters": [*IF_MATCH_DOC["parameters"], IDEMPOTENCY_PARAMETER]}


def settings() -> Settings:
    """This app's settings."""
    configured: Settings = current_app.config["DISPATCH"]
    return configured


def _reply(ticket: Ticket, status: int = 200, **headers: str) -> Reply:
    return ticket, status, {"ETag": etag(ticket.version), **headers}


@blp.route("")
class Tickets(View):
    """The agents' queues and every ticket you may see; open a ticket."""

    @blp.arguments(TicketQuery, location="query")
    @blp.response(200, TicketPageSchema)
    @blp.alt_response(422, schema=ErrorSchema, description="Unknown filter value")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List tickets, newest first: a queue (mine, team, unassigned) and/or filters, keyset paged."""
        cursor, limit, order = args.pop("cursor", None), args.pop("limit"), args.pop("order")
        page = tickets.list_tickets(
            database.session(),
            actor=actor(),
            cursor=cursor,
            limit=limit,
            oldest_first=order == "oldest",
            **args,
        )
        return {"items": page.items, "next_cursor": page.next_cursor}

    @idempotent
    @blp.arguments(TicketCreateSchema)
    @blp.response(201, TicketSchema)
    @blp.alt_response(403, schema=ErrorSchema, description="Staff fields or another customer's ticket")
    @blp.alt_response(422, schema=ErrorSchema, description="Unknown customer, site, category, team or order")
    @blp.doc(**IDEMPOTENCY_DOC)
    def post(self, data: dict[str, Any]) -> Reply:
        """Open a ticket (the routing rules set its team, priority and category; an agent is assigned next)."""
        sender = data.pop("sender")
        new = tickets.NewTicket(**data, sender=Sender(**sender) if sender else None)
        ticket = tickets.create(
            database.session(), actor=actor(), new=new, phone_region=settings().phone_region
        )
        return _reply(ticket, 201, Location=url_for("tickets.TicketById", ticket_id=ticket.id))


@blp.route("/queues")
class Queues(View):
    """How many tickets wait in each of your queues."""

    @blp.response(200, QueueCountSchema(many=True))
    def get(self) -> list[Any]:
        """Counts of mine, my teams', unassigned, and each of my teams (capped at 1,000)."""
        return tickets.queue_counts(database.session(), actor=actor())


@blp.route("/<id:ticket_id>")
class TicketById(View):
    """One ticket."""

    @blp.response(200, TicketSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such ticket, or not yours")
    def get(self, ticket_id: int) -> Reply:
        """Read a ticket (its ETag comes in the header)."""
        return _reply(tickets.get_or_raise(database.session(), actor=actor(), ticket_id=ticket_id))

    @blp.arguments(TicketUpdateSchema)
    @blp.response(200, TicketSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such ticket")
    @blp.alt_response(409, schema=ErrorSchema, description="The ticket is closed")
    @blp.alt_response(412, schema=ErrorSchema, description="Changed since you read it")
    @blp.alt_response(428, schema=ErrorSchema, description="If-Match missing")
    @blp.doc(**IF_MATCH_DOC)
    def patch(self, changes: dict[str, Any], ticket_id: int) -> Reply:
        """Change a ticket's subject, priority, kind, category, site, tags or SLA policy."""
        ticket = tickets.update(
            database.session(),
            actor=actor(),
            ticket_id=ticket_id,
            expected_version=if_match(),
            changes=changes,
        )
        return _reply(ticket)


def _action(path: str, summary: str, schema: Any, run: Any) -> None:
    """Register ``POST /tickets/<id>/<path>``: one ticket action under If-Match, replay-safe."""

    def post(self: View, body: dict[str, Any], ticket_id: int) -> Reply:
        ticket = run(
            database.session(), actor=actor(), ticket_id=ticket_id, expected_version=if_match(), **body
        )
        return _reply(ticket)

    post.__doc__ = summary
    decorated = blp.doc(**WRITE_DOC)(post)
    for code, text in (
        (404, "No such ticket, or not yours"),
        (409, "Not allowed from the ticket's current status or team"),
        (412, "Changed since you read it"),
        (428, "If-Match missing"),
    ):
        decorated = blp.alt_response(code, schema=ErrorSchema, description=text)(decorated)
    decorated = blp.response(200, TicketSchema)(decorated)
    decorated = blp.arguments(schema)(decorated)
    decorated = idempotent(decorated)
    name = "Ticket" + "".join(part.title() for part in path.split("-"))
    blp.route(f"/<id:ticket_id>/{path}")(type(name, (View,), {"post": decorated, "__doc__": summary}))


def _merge(session: Any, **kwargs: Any) -> Ticket:
    return flows.merge(session, **kwargs)


_action(
    "status",
    "Move the ticket to another status (409 names both states if not allowed).",
    StatusChangeSchema,
    tickets.change_status,
)
_action(
    "assign",
    "Give the ticket to an agent of its team (null: take it off its agent).",
    TicketAssignSchema,
    tickets.assign,
)
_action(
    "transfer",
    "Hand the ticket to another team, saying why (the owner of record stays).",
    TicketTransferSchema,
    transfers.transfer,
)
_action(
    "escalate", "Send the ticket to its team's next tier, saying why.", TicketReasonSchema, transfers.escalate
)
_action(
    "take-back",
    "The previous team, or the owner of record, takes the ticket back.",
    TicketReasonSchema,
    transfers.take_back,
)
_action(
    "merge", "Merge this duplicate into another ticket: messages move, this one closes.", MergeSchema, _merge
)


@blp.route("/<id:ticket_id>/messages")
class Messages(View):
    """The conversation."""

    @blp.response(200, MessageSchema(many=True))
    @blp.alt_response(404, schema=ErrorSchema, description="No such ticket, or not yours")
    def get(self, ticket_id: int) -> list[TicketMessage]:
        """The messages, oldest first (customers see the public replies)."""
        return conversation.messages_of(database.session(), actor=actor(), ticket_id=ticket_id)

    @idempotent
    @blp.arguments(MessageCreateSchema)
    @blp.response(201, MessageSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such ticket, or not yours")
    @blp.alt_response(409, schema=ErrorSchema, description="The ticket is closed")
    @blp.alt_response(
        422, schema=ErrorSchema, description="Empty message, or an image not uploaded to this ticket"
    )
    @blp.alt_response(412, schema=ErrorSchema, description="If-Match given, and the ticket changed since")
    @blp.doc(**IDEMPOTENCY_DOC)
    def post(self, data: dict[str, Any], ticket_id: int) -> tuple[TicketMessage, int, dict[str, str]]:
        """Reply to the customer or add an internal note (a customer's reply reopens a resolved ticket)."""
        expected = if_match() if request.headers.get("If-Match") else None  # optional: replies rarely clash
        message = conversation.add_message(
            database.session(), actor=actor(), ticket_id=ticket_id, expected_version=expected, **data
        )
        ticket = tickets.get_or_raise(database.session(), actor=actor(), ticket_id=ticket_id)
        return message, 201, {"ETag": etag(ticket.version)}


@blp.route("/<id:ticket_id>/timeline")
class Timeline(View):
    """What happened to the ticket and its orders."""

    @blp.response(200, EventSchema(many=True))
    @blp.alt_response(403, schema=ErrorSchema, description="Customers follow the conversation instead")
    @blp.alt_response(404, schema=ErrorSchema, description="No such ticket, or not yours")
    def get(self, ticket_id: int) -> list[Event]:
        """The ticket's events and its linked orders' events, oldest first."""
        return tickets.timeline(database.session(), actor=actor(), ticket_id=ticket_id)


@blp.route("/<id:ticket_id>/orders")
class TicketOrders(View):
    """Visits booked from the ticket."""

    @idempotent
    @blp.arguments(VisitSchema)
    @blp.response(201, OrderSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such ticket")
    @blp.alt_response(
        409, schema=ErrorSchema, description="The window has gone: errors.slots has those still free"
    )
    @blp.alt_response(
        422, schema=ErrorSchema, description="Not an offered window, or not the customer's site"
    )
    @blp.doc(**IDEMPOTENCY_DOC)
    def post(self, data: dict[str, Any], ticket_id: int) -> tuple[Order, int, dict[str, str]]:
        """Book an on-site visit for the ticket's customer in an offered window; it is linked to the ticket."""
        order = flows.create_visit(
            database.session(),
            actor=actor(),
            ticket_id=ticket_id,
            service_type_id=data["service_type_id"],
            window=Window(data["starts_at"], data["ends_at"]),
            site_id=data["site_id"],
            description=data["description"],
            policy=booking_policy(),
            geocoder=geocoder(),
            default_time_zone=settings().default_time_zone,
        )
        return (
            order,
            201,
            {"ETag": etag(order.version), "Location": url_for("orders.OrderById", order_id=order.id)},
        )


@blp.route("/<id:ticket_id>/links")
class TicketLinks(View):
    """Orders linked to the ticket."""

    @idempotent
    @blp.arguments(LinkOrderSchema)
    @blp.response(200, TicketSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such ticket")
    @blp.alt_response(422, schema=ErrorSchema, description="Not an order of the ticket's customer")
    @blp.doc(**IDEMPOTENCY_DOC)
    def post(self, data: dict[str, Any], ticket_id: int) -> Reply:
        """Link an existing order of the customer (its life shows on the ticket's timeline)."""
        return _reply(
            flows.link_order(
                database.session(), actor=actor(), ticket_id=ticket_id, order_id=data["order_id"]
            )
        )


@blp.route("/<id:ticket_id>/attachments/<attachment_id>")
class TicketAttachmentUpload(View):
    """Upload an image to the ticket under the id the device made; a message then sends it."""

    @idempotent
    @blp.response(201, TicketImageSchema)
    @blp.alt_response(200, schema=TicketImageSchema, description="The same image was uploaded before")
    @blp.alt_response(404, schema=ErrorSchema, description="No such ticket, or not yours")
    @blp.alt_response(
        409, schema=ErrorSchema, description="The id holds another image, or the ticket is closed"
    )
    @blp.alt_response(413, schema=ErrorSchema, description="Too many bytes or pixels")
    @blp.alt_response(415, schema=ErrorSchema, description="Not a JPEG, PNG or WebP image")
    @blp.doc(**UPLOAD_DOC)
    def put(self, ticket_id: int, attachment_id: str) -> tuple[Attachment, int]:
        """Attach a photo (JPEG, PNG or WebP, checked by content)."""
        limits = settings()
        if (request.content_length or 0) > limits.attachment_max_bytes:
            size, limit = f"{request.content_length:,}", f"{limits.attachment_max_bytes:,}"
            raise TooLarge(
                _(
                    "the image is %(size)s bytes; at most %(limit)s are accepted (downscale it)",
                    size=size,
                    limit=limit,
                ),
                errors={"body": [f"at most {limits.attachment_max_bytes} bytes"]},
            )
        attachment, created = conversation.upload(
            database.session(),
            store(),
            actor=actor(),
            ticket_id=ticket_id,
            attachment_id=client_id(attachment_id, "attachment_id"),
            data=request.get_data(cache=True),
            max_bytes=limits.attachment_max_bytes,
            max_pixels=limits.attachment_max_pixels,
        )
        return attachment, 201 if created else 200


@blp.route("/<id:ticket_id>/attachments")
class TicketAttachments(View):
    """The ticket's images."""

    @blp.response(200, TicketImageSchema(many=True))
    @blp.alt_response(404, schema=ErrorSchema, description="No such ticket, or not yours")
    def get(self, ticket_id: int) -> list[Attachment]:
        """List the ticket's images, oldest first."""
        return conversation.attachments_of(database.session(), actor=actor(), ticket_id=ticket_id)


@blp.route("/<id:ticket_id>/attachments/<attachment_id>/content")
class TicketAttachmentContent(View):
    """One image of the ticket."""

    @blp.response(200, description="The image", content_type="image/jpeg")
    @blp.alt_response(404, schema=ErrorSchema, description="No such image, or not yours")
    def get(self, ticket_id: int, attachment_id: str) -> Response:
        """Download the image as uploaded."""
        from dispatch.attachments import service as attachments

        found = conversation.attachment_of(
            database.session(),
            actor=actor(),
            ticket_id=ticket_id,
            attachment_id=client_id(attachment_id, "attachment_id"),
        )
        response = Response(attachments.content(store(), found), mimetype=found.content_type)
        response.headers["Cache-Control"] = "private, max-age=86400, immutable"
        return response
