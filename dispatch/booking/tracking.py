"""What the customer's tracking link shows: status, the engineer's first name, the window, the ETA."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

import optimizer
from dispatch.access import Actor
from dispatch.booking import service as booking
from dispatch.booking.models import TrackingLink
from dispatch.db import utcnow
from dispatch.errors import NotFound
from dispatch.i18n import LazyText, _
from dispatch.orders.models import Order, OrderStatus
from dispatch.positions import service as positions

SHOWS_ENGINEER = frozenset(
    {OrderStatus.DISPATCHED, OrderStatus.ACCEPTED, OrderStatus.EN_ROUTE, OrderStatus.ON_SITE}
)
"""Once the day is published the engineer is known; before that the name could still change."""
HAS_ETA = frozenset(
    {OrderStatus.SCHEDULED, OrderStatus.DISPATCHED, OrderStatus.ACCEPTED, OrderStatus.EN_ROUTE}
)

HEADLINES: dict[OrderStatus, LazyText] = {
    OrderStatus.NEW: _("Booked: we are planning your visit"),
    OrderStatus.SCHEDULED: _("Booked and planned"),
    OrderStatus.DISPATCHED: _("Your engineer has the visit on their day"),
    OrderStatus.ACCEPTED: _("Your engineer has confirmed the visit"),
    OrderStatus.EN_ROUTE: _("Your engineer is on the way"),
    OrderStatus.ON_SITE: _("Your engineer has arrived"),
    OrderStatus.COMPLETED: _("Visit completed"),
    OrderStatus.INCOMPLETE: _("Visit finished: a follow-up is needed"),
    OrderStatus.CANCELLED: _("Visit cancelled"),
    OrderStatus.DECLINED: _("We are finding another engineer"),
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


LIVE_POSITION_S = 15 * 60
"""An en-route engineer's position older than this is not used for the ETA."""


def eta_for(session: Session, order: Order, *, now: datetime | None = None) -> datetime | None:
    """When the engineer is expected to arrive, or None when there is nothing to expect.

    The scheduled start from the published plan (it moves when the plan moves); once the engineer
    is en route and their phone has sent a recent position, now plus the drive from there (never
    earlier than the start of the customer's window, when the visit may start at the earliest).
    """
    if order.status not in HAS_ETA or order.scheduled_start is None:
        return None
    if order.status is not OrderStatus.EN_ROUTE or order.engineer_id is None:
        return order.scheduled_start
    now = now or utcnow()
    seen = positions.latest(session, engineer_ids=[order.engineer_id]).get(order.engineer_id)
    if seen is None or (now - seen.recorded_at).total_seconds() > LIVE_POSITION_S:
        return order.scheduled_start
    drive = optimizer.HaversineTravel().matrix(
        [optimizer.Location(seen.latitude, seen.longitude)],
        [optimizer.Location(order.site.latitude, order.site.longitude)],
    )
    arrival = now + timedelta(seconds=int(drive.durations[0, 0]))
    window = next((w for w in order.time_windows if w.ends_at >= arrival), None)
    return max(arrival, window.starts_at) if window is not None else arrival


def track(session: Session, *, token: str) -> Tracking:
    """What the tracking link ``token`` shows, or :class:`NotFound`."""
    order = by_token(session, token=token)
    window = order.time_windows[0] if order.time_windows else None
    engineer = order.engineer if order.status in SHOWS_ENGINEER else None
    return Tracking(
        number=order.number,
        status=order.status,
        headline=str(HEADLINES[order.status]),
        service=order.service_type.name,
        engineer_first_name=first_name(engineer.name) if engineer is not None else None,
        window_starts_at=window.starts_at if window else None,
        window_ends_at=window.ends_at if window else None,
        eta=eta_for(session, order),
        time_zone=order.site.time_zone,
        updated_at=order.updated_at,
    )
