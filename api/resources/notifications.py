"""Notifications and mail for admins: the delivery log, webhook endpoints (secrets write-only),
replaying webhook calls, the mailboxes' status and incoming messages as they came."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest.error_handler import ErrorSchema
from marshmallow import Schema, fields, validate

from api import database
from api.auth import actor
from api.common import PartialSchema, blueprint, page_items, paging
from api.database import View
from api.fields import Id, Text, When
from dispatch.config import Settings
from dispatch.mail import fetch as mail_fetch
from dispatch.mail import service as mail
from dispatch.mail.models import InboundMail, InboundOutcome
from dispatch.notifications import service as notifications
from dispatch.notifications import webhooks
from dispatch.notifications.models import Channel, DeliveryStatus, Notification, WebhookEndpoint
from dispatch.notifications.outbox import EVENTS

notifications_blp = blueprint(
    "notifications", "/notifications", "The delivery log: every message and every try (admins)"
)
webhooks_blp = blueprint(
    "webhook_endpoints", "/webhook-endpoints", "Webhook endpoints, signed per Standard Webhooks (admins)"
)
mail_blp = blueprint(
    "mail", "/mail", "Incoming mail: the mailboxes' status (admins) and each message as it came (staff)"
)


def _settings() -> Settings:
    configured: Settings = current_app.config["DISPATCH"]
    return configured


# --- delivery log ------------------------------------------------------------------------------


class AttemptSchema(Schema):
    """One try at sending."""

    number = fields.Integer()
    started_at = When()
    duration_ms = fields.Integer()
    ok = fields.Boolean()
    detail = Text()


class NotificationSchema(Schema):
    """One message to one recipient, and where it is."""

    id = Id()
    event = Text()
    channel = fields.Enum(Channel, by_value=True)
    status = fields.Enum(DeliveryStatus, by_value=True)
    to_address = Text(allow_none=True)
    locale = Text(allow_none=True)
    endpoint_id = Id(allow_none=True)
    ticket_id = Id(allow_none=True)
    order_id = Id(allow_none=True)
    message_id = Text(allow_none=True)
    attempts = fields.Integer()
    next_attempt_at = When()
    sent_at = When(allow_none=True)
    last_error = Text()
    created_at = When()


class NotificationDetailSchema(NotificationSchema):
    """A message with every try and what it shows."""

    context = fields.Dict()
    tries = fields.List(fields.Nested(AttemptSchema))


class NotificationQuery(Schema):
    """Filters of the delivery log."""

    status = fields.Enum(DeliveryStatus, by_value=True)
    channel = fields.Enum(Channel, by_value=True)
    event = Text(validate=validate.OneOf(EVENTS))
    ticket_id = Id()
    order_id = Id()


@notifications_blp.route("")
class Notifications(View):
    """The delivery log."""

    @notifications_blp.arguments(NotificationQuery, location="query")
    @notifications_blp.response(200, NotificationSchema(many=True))
    @notifications_blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[Notification]:
        """Messages, newest first: waiting, sent, or given up (with the last error)."""
        result = notifications.list_notifications(
            database.session(), actor=actor(), **args, **paging(pagination_parameters)
        )
        return page_items(result, pagination_parameters)


def _fields(obj: Any, schema: type[Schema]) -> dict[str, Any]:
    """The values ``schema`` shows, read from ``obj`` (to add fields beside them)."""
    return {name: getattr(obj, name) for name in schema._declared_fields if hasattr(obj, name)}


def _detail(row: Notification) -> dict[str, Any]:
    tries = notifications.attempts_of(database.session(), row)
    return {**_fields(row, NotificationSchema), "context": row.context, "tries": tries}


@notifications_blp.route("/<id:notification_id>")
class NotificationItem(View):
    """One message."""

    @notifications_blp.response(200, NotificationDetailSchema)
    @notifications_blp.alt_response(404, schema=ErrorSchema, description="No such notification")
    def get(self, notification_id: int) -> dict[str, Any]:
        """The message, what it shows, and every try with the server's answer."""
        return _detail(
            notifications.get_or_raise(database.session(), actor=actor(), notification_id=notification_id)
        )


@notifications_blp.route("/<id:notification_id>/retry")
class RetryNotification(View):
    """Send again."""

    @notifications_blp.response(200, NotificationSchema)
    @notifications_blp.alt_response(404, schema=ErrorSchema, description="No such notification")
    @notifications_blp.alt_response(409, schema=ErrorSchema, description="Already sent, or being sent")
    def post(self, notification_id: int) -> Notification:
        """Send a failed or waiting message again now (the worker sends it)."""
        return notifications.retry(database.session(), actor=actor(), notification_id=notification_id)


# --- webhook endpoints -------------------------------------------------------------------------


class WebhookEndpointSchema(Schema):
    """A subscribed URL. The secret is write-only: it is never shown, except once when we made it."""

    id = Id(dump_only=True)
    url = Text(required=True, validate=validate.Length(min=1, max=2000))
    description = Text(load_default="", validate=validate.Length(max=200))
    events = fields.List(
        Text(validate=validate.Length(max=60)),
        load_default=list,
        validate=validate.Length(max=len(EVENTS)),
        metadata={"description": f"event types ({', '.join(EVENTS)}) or families (ticket.*); empty: all"},
    )
    active = fields.Boolean(load_default=True)
    secret = Text(
        load_only=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "whsec_ + base64; leave out to have one made (shown once in the answer)"},
    )
    created_at = When(dump_only=True)
    updated_at = When(dump_only=True)


class WebhookEndpointCreatedSchema(WebhookEndpointSchema):
    """A new endpoint; ``signing_secret`` is there only when we made the secret (copy it now)."""

    signing_secret = Text(dump_only=True, allow_none=True)


class WebhookEndpointUpdateSchema(PartialSchema, WebhookEndpointSchema):
    """Fields to change."""


class ReplaySchema(Schema):
    """Which webhook calls to send again."""

    since = When(required=True)
    endpoint_id = Id(allow_none=True, load_default=None)
    failed_only = fields.Boolean(load_default=False)


class ReplayedSchema(Schema):
    """How many calls were queued again."""

    queued = fields.Integer()
    notification_ids = fields.List(Id())


@webhooks_blp.route("")
class WebhookEndpoints(View):
    """List and subscribe."""

    @webhooks_blp.response(200, WebhookEndpointSchema(many=True))
    @webhooks_blp.paginate()
    def get(self, pagination_parameters: Any) -> list[WebhookEndpoint]:
        """Every endpoint (never with its secret)."""
        result = webhooks.list_endpoints(database.session(), actor=actor(), **paging(pagination_parameters))
        return page_items(result, pagination_parameters)

    @webhooks_blp.arguments(WebhookEndpointSchema)
    @webhooks_blp.response(201, WebhookEndpointCreatedSchema)
    @webhooks_blp.alt_response(
        422, schema=ErrorSchema, description="Not an http(s) URL, unknown events, bad secret"
    )
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Subscribe a URL; without a secret one is made and shown in this answer only."""
        endpoint, made = webhooks.create_endpoint(database.session(), actor=actor(), **data)
        return {
            **_fields(endpoint, WebhookEndpointSchema),
            "signing_secret": endpoint.secret if made else None,
        }


@webhooks_blp.route("/<id:endpoint_id>")
class WebhookEndpointItem(View):
    """One endpoint."""

    @webhooks_blp.response(200, WebhookEndpointSchema)
    @webhooks_blp.alt_response(404, schema=ErrorSchema, description="No such endpoint")
    def get(self, endpoint_id: int) -> WebhookEndpoint:
        """The endpoint (never with its secret)."""
        return webhooks.get_endpoint_or_raise(database.session(), actor=actor(), endpoint_id=endpoint_id)

    @webhooks_blp.arguments(WebhookEndpointUpdateSchema)
    @webhooks_blp.response(200, WebhookEndpointSchema)
    @webhooks_blp.alt_response(404, schema=ErrorSchema, description="No such endpoint")
    @webhooks_blp.alt_response(
        422, schema=ErrorSchema, description="Not an http(s) URL, unknown events, bad secret"
    )
    def patch(self, changes: dict[str, Any], endpoint_id: int) -> WebhookEndpoint:
        """Change the URL, events, description, secret, or switch it off."""
        return webhooks.update_endpoint(
            database.session(), actor=actor(), endpoint_id=endpoint_id, changes=changes
        )

    @webhooks_blp.response(204)
    @webhooks_blp.alt_response(404, schema=ErrorSchema, description="No such endpoint")
    def delete(self, endpoint_id: int) -> None:
        """Remove the endpoint; its waiting calls are dropped (the log keeps what was tried)."""
        webhooks.delete_endpoint(database.session(), actor=actor(), endpoint_id=endpoint_id)


@webhooks_blp.route("/replay")
class ReplayWebhooks(View):
    """Send calls again."""

    @webhooks_blp.arguments(ReplaySchema)
    @webhooks_blp.response(202, ReplayedSchema)
    @webhooks_blp.alt_response(404, schema=ErrorSchema, description="No such endpoint")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Queue the calls made since a moment again, with their webhook-id (as `dispatch webhooks replay`)."""
        ids = webhooks.replay(database.session(), actor=actor(), **data)
        return {"queued": len(ids), "notification_ids": ids[:1000]}


# --- mail --------------------------------------------------------------------------------------


class MailboxSchema(Schema):
    """An IMAP mailbox and how fetching it goes."""

    mailbox = Text()
    configured = fields.Boolean()
    uidvalidity = fields.Integer(allow_none=True)
    last_uid = fields.Integer(allow_none=True)
    fetched = fields.Integer()
    last_run_at = When(allow_none=True)
    last_ok_at = When(allow_none=True)
    last_error = Text()


class InboundSchema(Schema):
    """An incoming message and where it went."""

    id = Id()
    mailbox = Text()
    uid = fields.Integer()
    message_id = Text()
    from_address = Text()
    subject = Text()
    outcome = fields.Enum(InboundOutcome, by_value=True)
    reason = Text()
    ticket_id = Id(allow_none=True)
    ticket_message_id = Id(allow_none=True)
    received_at = When()


class InboundFileSchema(Schema):
    """A file that came with the message (in the attachment store under its SHA-256)."""

    filename = Text()
    content_type = Text()
    size_bytes = fields.Integer()
    sha256 = Text()
    ticket_attachment_id = Text(allow_none=True)


class OriginalSchema(InboundSchema):
    """The message as it came: the full text and the part the ticket shows."""

    full_text = Text()
    shown_text = Text()
    attachments = fields.List(fields.Nested(InboundFileSchema))


class InboundQuery(Schema):
    """Filters."""

    outcome = fields.Enum(InboundOutcome, by_value=True)
    ticket_id = Id()


@mail_blp.route("/mailboxes")
class Mailboxes(View):
    """The mailboxes."""

    @mail_blp.response(200, MailboxSchema(many=True))
    def get(self) -> list[mail.MailboxStatus]:
        """Each configured mailbox: UIDVALIDITY, last UID taken, messages so far, the last run and error."""
        return mail.mailbox_status(
            database.session(), actor=actor(), configured=mail_fetch.mailboxes(_settings())
        )


@mail_blp.route("/messages")
class InboundMessages(View):
    """Incoming messages."""

    @mail_blp.arguments(InboundQuery, location="query")
    @mail_blp.response(200, InboundSchema(many=True))
    @mail_blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[InboundMail]:
        """Messages that came in, newest first, and what became of each."""
        result = mail.list_inbound(database.session(), actor=actor(), **args, **paging(pagination_parameters))
        return page_items(result, pagination_parameters)


@mail_blp.route("/messages/<id:inbound_id>")
class InboundMessage(View):
    """One incoming message."""

    @mail_blp.response(200, OriginalSchema)
    @mail_blp.alt_response(404, schema=ErrorSchema, description="No such message")
    def get(self, inbound_id: int) -> dict[str, Any]:
        """The message with its full text (quotes and all), the part shown on the ticket, and its files."""
        found = mail.original(database.session(), actor=actor(), inbound_id=inbound_id)
        return {
            **_fields(found.mail, InboundSchema),
            "full_text": found.full_text,
            "shown_text": found.shown_text,
            "attachments": found.attachments,
        }
