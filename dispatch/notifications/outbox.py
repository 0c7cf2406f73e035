"""Write notifications into the outbox, in the transaction of the change that causes them.

Domain code calls :func:`notify`; nothing is sent from inside a request. Once the transaction
commits, each new row is handed to the ``notifications`` queue (:mod:`dispatch.notifications.wiring`);
if that fails (Redis down) the row simply waits in the outbox, and the sweeper sends it when the
worker runs again.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.events.service import jsonable
from dispatch.notifications.models import Channel, Notification, WebhookEndpoint

PENDING_KEY = "dispatch.notifications.pending"
"""``session.info`` key of the outbox rows written in the open transaction (queued after commit)."""

EVENTS = (
    "booking.confirmed",
    "order.en_route",
    "order.eta_changed",
    "order.completed",
    "ticket.replied",
    "ticket.resolved",
    "ticket.assigned",
    "ticket.customer_replied",
    "sla.warning",
    "sla.breached",
)
"""Every event a notification can be about (emails have a template each; webhooks can filter on them)."""


@dataclass(frozen=True)
class Recipient:
    """Who an email goes to, in which language (None: the company's default)."""

    email: str | None
    name: str = ""
    locale: str | None = None
    user_id: int | None = None
    contact_id: int | None = None


def notify(
    session: Session,
    *,
    event: str,
    recipients: Sequence[Recipient],
    context: Mapping[str, Any],
    ticket_id: int | None = None,
    order_id: int | None = None,
) -> list[Notification]:
    """Put an email for each recipient with an address, and a webhook call for each active endpoint
    that wants ``event``, into the outbox (flushed with the caller's change; sent after it commits)."""
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    data = jsonable(dict(context))
    rows: list[Notification] = []
    seen: set[str] = set()
    for recipient in recipients:
        address = (recipient.email or "").strip()
        if not address or address.lower() in seen:
            continue
        seen.add(address.lower())
        rows.append(
            Notification(
                event=event,
                channel=Channel.EMAIL,
                to_address=address,
                to_name=(recipient.name or "")[:200],
                locale=recipient.locale,
                user_id=recipient.user_id,
                contact_id=recipient.contact_id,
                ticket_id=ticket_id,
                order_id=order_id,
                context=data,
            )
        )
    endpoints = session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True)).order_by(WebhookEndpoint.id)
    )
    for endpoint in endpoints:
        if endpoint.wants(event):
            rows.append(
                Notification(
                    event=event,
                    channel=Channel.WEBHOOK,
                    endpoint_id=endpoint.id,
                    ticket_id=ticket_id,
                    order_id=order_id,
                    context=data,
                    message_id=f"msg_{uuid.uuid4().hex}",
                )
            )
    if not rows:
        return rows
    session.add_all(rows)
    session.flush()
    session.info.setdefault(PENDING_KEY, []).extend(row.id for row in rows)
    return rows


def take_pending(session: Session) -> list[int]:
    """The outbox rows written since the last commit (and forget them)."""
    ids: list[int] = session.info.pop(PENDING_KEY, [])
    return ids
