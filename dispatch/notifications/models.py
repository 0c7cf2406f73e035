"""The outbox of notifications, the log of every delivery try, and the webhook endpoints."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.db import Base, JSONType, Timestamps, enum_type, utcnow


class Channel(StrEnum):
    """How a notification leaves."""

    EMAIL = "email"
    WEBHOOK = "webhook"


class DeliveryStatus(StrEnum):
    """Where an outbox row is: waiting (maybe for a retry), being sent, sent, or given up."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    """Every try failed, or the receiver refused it for good: an admin reads why in the log."""


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookEndpoint(Timestamps, Base):
    """A URL an admin subscribed to our events, signed with its own secret (never shown again)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    secret: Mapped[str] = mapped_column(String(200), default=new_webhook_secret)
    events: Mapped[list[str]] = mapped_column(JSONType, default=list)
    """Event types it wants (``ticket.replied``, or ``ticket.*``); empty: every event."""
    active: Mapped[bool] = mapped_column(default=True)

    def wants(self, event: str) -> bool:
        """Whether this endpoint's filter lets ``event`` through."""
        if not self.events:
            return True
        return any(event == e or (e.endswith(".*") and event.startswith(e[:-1])) for e in self.events)


class Notification(Base):
    """One message to one recipient (an email address or a webhook endpoint), written in the same
    transaction as the change that causes it and sent by the worker."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_notifications_channel_created_at", "channel", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(60))
    channel: Mapped[Channel] = mapped_column(enum_type(Channel, "notification_channel"))
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_type(DeliveryStatus, "notification_status"), default=DeliveryStatus.PENDING
    )
    to_address: Mapped[str | None] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    locale: Mapped[str | None] = mapped_column(String(16))
    """The recipient's language; None: the company's default."""
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("customer_contacts.id", ondelete="SET NULL"))
    endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="SET NULL"), index=True
    )
    ticket_id: Mapped[int | None] = mapped_column(index=True)
    order_id: Mapped[int | None] = mapped_column(index=True)
    context: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    """What the template (or the webhook's ``data``) shows, as plain JSON values."""
    message_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    """The webhook-id, or the email's Message-ID (set on the first try): the same on every try and replay."""
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]
    """While sending: a worker that dies leaves the row to be taken again after this."""
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    endpoint: Mapped[WebhookEndpoint | None] = relationship(lazy="joined")


class DeliveryAttempt(Base):
    """One try at sending a notification, and how it went (the admin's delivery log)."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (Index("ix_delivery_attempts_notification_id_id", "notification_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    number: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    duration_ms: Mapped[int] = mapped_column(default=0)
    ok: Mapped[bool] = mapped_column(default=False)
    detail: Mapped[str] = mapped_column(Text, default="")
    """The server's answer (SMTP reply, HTTP status and the start of the body) or the error."""
