"""What the customer's tracking link shows: status, the engineer's first name, the window, the ETA."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.access import Actor
from dispatch.booking import service as booking
from dispatch.booking.models import TrackingLink
from dispatch.errors import NotFound
from dispatch.orders.models import Order, OrderStatus

SHOWS_ENGINEER = frozenset(
    {OrderStatus.DISPATCHED, OrderStatus.ACCEPTED, OrderStatus.EN_ROUTE, OrderStatus.ON_SITE}
)
"""Once the day is published the engineer is known; before that the name could still change."""
HAS_ETA = frozenset(
    {OrderStatus.SCHEDULED, OrderStatus.DISPATCHED, OrderStatus.ACCEPTED, OrderStatus.EN_ROUTE}
)

HEADLINES = {
    OrderStatus.NEW: "Booked: we are planning your visit",
    OrderStatus.SCHEDULED: "Booked and planned",
    OrderStatus.DISPATCHED: "Your engineer has the visit on their day",
    OrderStatus.ACCEPTED: "Your engineer has confirmed the visit",
    OrderStatus.EN_ROUTE: "Your engineer is on the way",
    OrderStatus.ON_SITE: "Your engineer has arrived",
    OrderStatus.COMPLETED: "Visit completed",
    OrderStatus.INCOMPLETE: "Visit finished: a follow-up is needed",
    OrderStatus.CANCELLED: "Visit cancelled",
    OrderStatus.DECLINED: "We are finding another engineer",
}


@dataclass(frozen=True)
class Tracking:
    """The tracking page's content: nothing the holder of the link does not need."""

    number: str
    status: OrderStatus
    headline: str
    service: str
    engineer_first_name: str | None
    window_starts_at: datetime | None
    window_ends_at: datetime | None
    eta: datetime | None
    time_zone: str
    updated_at: datetime


def link_for(session: Session, *, actor: Actor, order_id: int) -> TrackingLink:
    """The order's tracking link (made on first request for orders booked another way)."""
    order = booking.booking_of(session, actor=actor, order_id=order_id)
    link = session.get(TrackingLink, order.id)
    if link is None:
        link = TrackingLink(order_id=order.id)
        session.add(link)
        session.flush()
    return link


def by_token(session: Session, *, token: str) -> Order:
    """The order a tracking token opens, or :class:`NotFound` (no hint whether it ever existed)."""
    if not token or len(token) > 64:
        raise NotFound("no visit is tracked at this link")
    link = session.scalar(select(TrackingLink).where(TrackingLink.token == token))
    if link is None:
        raise NotFound("no visit is tracked at this link")
    return link.order


def first_name(full_name: str) -> str:
    """The first word of a name: all the tracking page says about the engineer."""
    parts = full_name.split()
    return parts[0] if parts else ""


def eta_for(session: Session, order: Order) -> datetime | None:
    """When the engineer is expected to start the visit, or None when there is nothing to expect.

    Today this is the scheduled start from the published plan (it moves when the plan moves).
    This is the one place to add the engineer's live position when they are en route.
    """
    del session  # kept for the live-position version, which reads the engineer's last GPS point
    if order.status not in HAS_ETA or order.scheduled_start is None:
        return None
    return order.scheduled_start


def track(session: Session, *, token: str) -> Tracking:
    """What the tracking link ``token`` shows, or :class:`NotFound`."""
    order = by_token(session, token=token)
    window = order.time_windows[0] if order.time_windows else None
    engineer = order.engineer if order.status in SHOWS_ENGINEER else None
    return Tracking(
        number=order.number,
        status=order.status,
        headline=HEADLINES[order.status],
        service=order.service_type.name,
        engineer_first_name=first_name(engineer.name) if engineer is not None else None,
        window_starts_at=window.starts_at if window else None,
        window_ends_at=window.ends_at if window else None,
        eta=eta_for(session, order),
        time_zone=order.site.time_zone,
        updated_at=order.updated_at,
    )
