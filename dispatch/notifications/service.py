"""The delivery log an admin reads: outbox rows with every try, and sending one again."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.access import Actor, Role, require_role
from dispatch.db import utcnow
from dispatch.errors import Conflict, NotFound
from dispatch.i18n import _
from dispatch.listing import Page, paginate
from dispatch.notifications.models import Channel, DeliveryAttempt, DeliveryStatus, Notification
from dispatch.notifications.outbox import PENDING_KEY
from dispatch.statuses import status_word

ADMINS = frozenset({Role.ADMIN})


def list_notifications(
    session: Session,
    *,
    actor: Actor,
    status: DeliveryStatus | None = None,
    channel: Channel | None = None,
    event: str | None = None,
    ticket_id: int | None = None,
    order_id: int | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[Notification]:
    """Outbox rows, newest first, with filters (admins)."""
    require_role(
        actor, ADMINS, to=_("Your role (%(role)s) may not read the delivery log (allowed: %(allowed)s).")
    )
    stmt = select(Notification)
    for column, value in (
        (Notification.status, status),
        (Notification.channel, channel),
        (Notification.event, event),
        (Notification.ticket_id, ticket_id),
        (Notification.order_id, order_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    return paginate(session, stmt.order_by(Notification.id.desc()), page=page, page_size=page_size)


def get_or_raise(session: Session, *, actor: Actor, notification_id: int) -> Notification:
    """One outbox row (admins), or :class:`NotFound`."""
    require_role(
        actor, ADMINS, to=_("Your role (%(role)s) may not read the delivery log (allowed: %(allowed)s).")
    )
    found = session.get(Notification, notification_id)
    if found is None:
        raise NotFound(_("notification %(id)s not found", id=notification_id))
    return found


def attempts_of(session: Session, notification: Notification) -> list[DeliveryAttempt]:
    """Every try at sending it, oldest first."""
    stmt = select(DeliveryAttempt).where(DeliveryAttempt.notification_id == notification.id)
    return list(session.scalars(stmt.order_by(DeliveryAttempt.id)))


def retry(session: Session, *, actor: Actor, notification_id: int) -> Notification:
    """Send a failed (or waiting) notification again now; a sent one is not sent twice (409)."""
    row = get_or_raise(session, actor=actor, notification_id=notification_id)
    if row.status in (DeliveryStatus.SENT, DeliveryStatus.SENDING):
        raise Conflict(
            _(
                "notification %(id)s is %(status)s: it is not sent again",
                id=row.id,
                status=status_word(row.status),
            ),
            errors={"status": [row.status.value]},
        )
    row.status, row.attempts, row.next_attempt_at, row.last_error = DeliveryStatus.PENDING, 0, utcnow(), ""
    session.flush()
    session.info.setdefault(PENDING_KEY, []).append(row.id)
    return row
