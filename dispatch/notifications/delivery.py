"""Sending what waits in the outbox: claim a row, send it, record the try, retry with backoff.

A row is claimed with one conditional UPDATE (pending and due -> sending, with a lease), so two
workers never send it at once; a worker that dies mid-send leaves a lease that runs out, and the
sweeper takes the row again. Failed tries are retried after ``base * 2^(n-1)`` seconds (capped at six
hours) until ``DISPATCH_NOTIFICATION_MAX_ATTEMPTS``; a permanent refusal stops at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jinja2 import TemplateError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dispatch.config import Settings
from dispatch.db import utcnow
from dispatch.mail import tokens
from dispatch.notifications import email, rendering, webhooks
from dispatch.notifications.models import Channel, DeliveryAttempt, DeliveryStatus, Notification

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_BACKOFF_S = 6 * 3600
SWEEP_EVERY_S = 30
"""How often the sweeper runs: retries that are due, and rows whose enqueue was lost."""
MAX_DETAIL = 1000


def backoff_s(attempts: int, base_s: int) -> int:
    """Seconds to wait after the ``attempts``-th failed try (exponential, capped)."""
    return int(min(MAX_BACKOFF_S, base_s * 2 ** max(0, attempts - 1)))


def claim(session: Session, notification_id: int, *, now: datetime | None = None) -> bool:
    """Take a due pending row for sending (one conditional UPDATE); False if it is not ours to send."""
    now = now or utcnow()
    result = session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.status == DeliveryStatus.PENDING,
            Notification.next_attempt_at <= now,
        )
        .values(status=DeliveryStatus.SENDING, locked_until=now + LEASE, attempts=Notification.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def links(
    settings: Settings, context: dict[str, Any], *, ticket_id: int | None, order_id: int | None
) -> dict[str, str]:
    """The absolute links a message shows (tracking page, the customer's visit or ticket, the desk)."""
    base = settings.public_url.rstrip("/")
    found: dict[str, str] = {}
    if context.get("tracking_token"):
        found["tracking"] = f"{base}/track/{context['tracking_token']}"
    if context.get("survey_token"):
        found["survey"] = f"{base}/survey/{context['survey_token']}"
    if order_id is not None:
        found["booking"] = f"{base}/my/bookings/{order_id}"
    if ticket_id is not None:
        found["ticket"] = f"{base}/my/tickets/{ticket_id}"
        found["desk"] = f"{base}/desk/tickets/{ticket_id}"
    return found


def _references(session: Session, row: Notification) -> list[str]:
    """What the customer's mail client threads by: their messages and ours on this ticket, oldest first."""
    from dispatch.tickets.models import TicketMessage

    theirs = [
        m
        for m in session.scalars(
            select(TicketMessage.external_id)
            .where(TicketMessage.ticket_id == row.ticket_id, TicketMessage.external_id.is_not(None))
            .order_by(TicketMessage.id)
        )
        if m and m.startswith("<")
    ]
    ours = list(
        session.scalars(
            select(Notification.message_id)
            .where(
                Notification.ticket_id == row.ticket_id,
                Notification.channel == Channel.EMAIL,
                Notification.id < row.id,
                Notification.message_id.is_not(None),
                Notification.to_address == row.to_address,
            )
            .order_by(Notification.id)
        )
    )
    return [m for m in (theirs + ours) if m][-20:]


def render_for(row: Notification, settings: Settings, locale: str | None = None) -> rendering.Rendered:
    """The email of an outbox row as its recipient will read it (or in ``locale``)."""
    context = dict(row.context)
    context["links"] = links(settings, context, ticket_id=row.ticket_id, order_id=row.order_id)
    context.setdefault("recipient_name", row.to_name or row.to_address)
    return rendering.render(
        row.event, locale=locale or row.locale or settings.default_locale, context=context
    )


def _email(session: Session, row: Notification, settings: Settings) -> Callable[[], str]:
    locale = row.locale or settings.default_locale
    context = dict(row.context)
    rendered = render_for(row, settings, locale)
    domain = tokens.domain_of(settings.support_address)
    if row.message_id is None:
        row.message_id = tokens.message_id(row.ticket_id, row.id, domain, settings.secret_key)
    thread = row.event.startswith("ticket.replied") or row.event == "ticket.resolved"
    references = _references(session, row) if thread and row.ticket_id else []
    message = email.build(
        settings=settings,
        rendered=rendered,
        to_address=row.to_address or "",
        to_name=row.to_name,
        message_id=row.message_id,
        automatic=row.event != "ticket.replied",
        reply_to=tokens.reply_address(settings.support_address, row.ticket_id, settings.secret_key)
        if row.ticket_id and thread
        else None,
        in_reply_to=context.get("in_reply_to") or (references[-1] if references else None),
        references=references,
        language=locale,
    )
    return lambda: email.send(message, settings)


def _webhook(row: Notification, settings: Settings) -> Callable[[], str]:
    endpoint = row.endpoint
    if endpoint is None or not endpoint.active:
        raise email.PermanentFailure("the endpoint is gone or switched off")
    data = dict(row.context)
    data["links"] = links(settings, data, ticket_id=row.ticket_id, order_id=row.order_id)
    data.pop("reply_marker", None)
    body = webhooks.body_of(row, data)
    msg_id = row.message_id or f"msg_n{row.id}"
    timeout, allow_private = settings.webhook_timeout_s, settings.webhook_allow_private
    return lambda: webhooks.post(
        endpoint, msg_id=msg_id, body=body, timeout_s=timeout, allow_private=allow_private
    )


@dataclass(frozen=True)
class Outcome:
    """How one try went."""

    notification_id: int
    ok: bool
    status: DeliveryStatus
    detail: str


def deliver(sessions: Callable[[], Session], settings: Settings, notification_id: int) -> Outcome | None:
    """Send one outbox row if it is due and nobody else is sending it; record the try. None: not sent now."""
    with sessions() as session:
        if not claim(session, notification_id):
            session.rollback()
            return None
        session.commit()
        row = session.get(Notification, notification_id)
        if row is None:
            return None
        started = utcnow()
        clock = time.monotonic()
        permanent = False
        try:
            send = _email(session, row, settings) if row.channel is Channel.EMAIL else _webhook(row, settings)
            session.commit()  # keep the Message-ID; no transaction stays open while we talk to a server
            detail = send()
            ok = True
        except email.PermanentFailure as exc:
            ok, permanent, detail = False, True, str(exc)
        except TemplateError as exc:  # a broken template stays broken: no point in retrying
            ok, permanent, detail = False, True, f"the {row.event} template failed: {exc}"
        except Exception as exc:  # any other failure is worth another try later
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        return _record(
            session,
            row,
            ok=ok,
            permanent=permanent,
            detail=detail,
            started=started,
            clock=clock,
            settings=settings,
        )


def _record(
    session: Session,
    row: Notification,
    *,
    ok: bool,
    permanent: bool,
    detail: str,
    started: datetime,
    clock: float,
    settings: Settings,
) -> Outcome:
    session.rollback()  # a render error may have left the transaction unusable
    row = session.get(Notification, row.id, populate_existing=True) or row
    number = (session.scalar(select(func.count()).where(DeliveryAttempt.notification_id == row.id)) or 0) + 1
    session.add(
        DeliveryAttempt(
            notification_id=row.id,
            number=number,
            started_at=started,
            duration_ms=int((time.monotonic() - clock) * 1000),
            ok=ok,
            detail=detail[:MAX_DETAIL],
        )
    )
    row.locked_until = None
    if ok:
        row.status, row.sent_at, row.last_error = DeliveryStatus.SENT, utcnow(), ""
    elif permanent or row.attempts >= settings.notification_max_attempts:
        row.status, row.last_error = DeliveryStatus.FAILED, detail[:MAX_DETAIL]
    else:
        row.status, row.last_error = DeliveryStatus.PENDING, detail[:MAX_DETAIL]
        row.next_attempt_at = utcnow() + timedelta(
            seconds=backoff_s(row.attempts, settings.notification_retry_base_s)
        )
    session.commit()
    if not ok:
        log.warning("notification %s (%s) try %s failed: %s", row.id, row.event, row.attempts, detail)
    return Outcome(row.id, ok, row.status, detail)


def release_stale(session: Session, *, now: datetime | None = None) -> int:
    """Rows a dead worker left in ``sending`` past their lease go back to pending (due now)."""
    now = now or utcnow()
    result = session.execute(
        update(Notification)
        .where(Notification.status == DeliveryStatus.SENDING, Notification.locked_until < now)
        .values(status=DeliveryStatus.PENDING, locked_until=None, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def due(session: Session, *, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Pending rows whose time has come, oldest first."""
    now = now or utcnow()
    stmt = (
        select(Notification.id)
        .where(Notification.status == DeliveryStatus.PENDING, Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def sweep(sessions: Callable[[], Session], settings: Settings, *, limit: int = 200) -> dict[str, int]:
    """Send what is due (retries, and rows whose enqueue was lost); returns counts."""
    with sessions() as session:
        released = release_stale(session)
        ids = due(session, limit=limit)
        session.commit()
    sent = failed = 0
    for notification_id in ids:
        outcome = deliver(sessions, settings, notification_id)
        if outcome is not None:
            sent += outcome.ok
            failed += not outcome.ok
    return {"released": released, "sent": sent, "failed": failed}
