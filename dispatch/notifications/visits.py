"""What customers are told about their visit: booked, engineer on the way, new arrival time, done.

Each function is one small call at the one place the change happens (booking, the order actions,
publishing a plan); it writes outbox rows in that transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from dispatch.booking.models import TrackingLink
from dispatch.notifications import recipients
from dispatch.notifications.outbox import notify
from dispatch.orders.models import Order

ETA_MARGIN_S = 30 * 60
"""Default margin (``DISPATCH_NOTIFY_ETA_MARGIN_MINUTES``): a smaller move of the arrival time is not worth an email."""


def _token(session: Session, order: Order) -> str:
    link = session.get(TrackingLink, order.id)
    if link is None:
        link = TrackingLink(order_id=order.id)
        session.add(link)
        session.flush()
    return link.token


def _first_name(order: Order) -> str:
    name = order.engineer.name if order.engineer is not None else ""
    return name.split()[0] if name.split() else ""


def _context(session: Session, order: Order) -> dict[str, Any]:
    window = order.time_windows[0] if order.time_windows else None
    return {
        "number": order.number,
        "service": order.service_type.name,
        "address": order.site.address,
        "time_zone": order.site.time_zone,
        "window_starts_at": window.starts_at if window else None,
        "window_ends_at": window.ends_at if window else None,
        "engineer": _first_name(order),
        "tracking_token": _token(session, order),
    }


def _send(session: Session, order: Order, event: str, extra: dict[str, Any] | None = None) -> None:
    recipient = recipients.customer(session, order.customer_id)
    context = _context(session, order) | (extra or {})
    notify(
        session, event=event, recipients=[recipient] if recipient else [], context=context, order_id=order.id
    )


def booking_confirmed(session: Session, *, order: Order) -> None:
    """The customer booked (or moved) a visit: confirm the window, with the tracking and change links."""
    _send(session, order, "booking.confirmed")


def on_the_way(session: Session, *, order: Order) -> None:
    """The engineer set off: tell the customer, with the expected arrival and the tracking link."""
    from dispatch.booking.tracking import eta_for

    _send(session, order, "order.en_route", {"eta": eta_for(session, order)})


def visit_done(session: Session, *, order: Order) -> None:
    """The engineer completed the visit: tell the customer where the report is, and ask for a rating."""
    from dispatch.surveys import service as surveys

    _send(session, order, "order.completed", {"survey_token": surveys.for_visit(session, order=order).token})


def eta_moved(
    session: Session, *, order: Order, previous: datetime | None, margin_s: int = ETA_MARGIN_S
) -> bool:
    """The expected start moved (a publish or a re-plan): tell the customer if it moved by more than the margin."""
    now = order.scheduled_start
    if previous is None or now is None or abs((now - previous).total_seconds()) <= margin_s:
        return False
    _send(session, order, "order.eta_changed", {"eta": now, "previous_eta": previous})
    return True
