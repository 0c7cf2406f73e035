"""Booking a visit in a window the live plan can keep, and changing or cancelling it within the policy.

A booking re-checks its window while holding the day's lock (a row of ``booking_days`` locked with
``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the first write takes the database's write lock),
so two customers racing for the last room cannot both get it: the second gets a 409 with the
windows still free. The order then goes onto the chosen engineer's route through the order actions,
so the event log tells the story.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.access import STAFF, Actor, Role, require_role
from dispatch.booking import routes
from dispatch.booking.models import TrackingLink
from dispatch.booking.slots import Policy, Slot, candidate_windows, check, check_day, find
from dispatch.catalog.models import ServiceType
from dispatch.db import utcnow
from dispatch.errors import Conflict, Invalid
from dispatch.i18n import _
from dispatch.notifications import visits as notifications
from dispatch.orders import actions
from dispatch.orders import service as orders
from dispatch.orders.models import Channel, Order, OrderStatus
from dispatch.sites import service as sites
from dispatch.sites.geocoding import Geocoder, locate
from dispatch.sites.models import Site

CHANGEABLE = frozenset({OrderStatus.NEW, OrderStatus.SCHEDULED, OrderStatus.DISPATCHED, OrderStatus.ACCEPTED})
"""Bookings a customer may still cancel or move (before the engineer sets off)."""


@dataclass(frozen=True)
class Place:
    """Where the visit is: coordinates and the time zone its windows are read in."""

    latitude: float
    longitude: float
    time_zone: str


def service_type_or_raise(session: Session, service_type_id: int) -> ServiceType:
    """An active service type, or :class:`Invalid` naming the field."""
    stype = session.get(ServiceType, service_type_id)
    if stype is None or not stype.active:
        raise Invalid(
            f"service type {service_type_id} cannot be booked",
            errors={"service_type_id": ["no such active service type"]},
        )
    return stype


def resolve_place(
    *,
    address: str | None,
    latitude: float | None,
    longitude: float | None,
    geocoder: Geocoder | None,
    default_time_zone: str,
) -> Place:
    """Coordinates as given, or the address geocoded (:class:`GeocodingFailed` says why not)."""
    if latitude is not None and longitude is not None:
        return Place(latitude, longitude, default_time_zone)
    if latitude is not None or longitude is not None:
        raise Invalid("give both latitude and longitude", errors={"latitude": ["give both or neither"]})
    if not (address or "").strip():
        raise Invalid("say where the visit is: an address, or coordinates", errors={"address": ["required"]})
    found = locate(geocoder, (address or "").strip())
    return Place(found.latitude, found.longitude, default_time_zone)


def find_slots(
    session: Session,
    *,
    actor: Actor,
    service_type_id: int,
    day: date,
    place: Place,
    policy: Policy,
    now: datetime | None = None,
    leave_out: int | None = None,
) -> list[Slot]:
    """The windows on ``day`` the live plan can still keep for this service at this place, ranked."""
    require_role(
        actor,
        STAFF | {Role.CUSTOMER},
        to=_("Your role (%(role)s) may not look for booking slots (allowed: %(allowed)s)."),
    )
    return find(
        session,
        service_type=service_type_or_raise(session, service_type_id),
        latitude=place.latitude,
        longitude=place.longitude,
        day=day,
        time_zone=place.time_zone,
        policy=policy,
        now=now or utcnow(),
        leave_out=leave_out,
    )


def _local_day(moment: datetime, time_zone: str) -> date:
    return moment.astimezone(ZoneInfo(time_zone)).date()


def _slot_for(slots: Iterable[Slot], window: orders.Window) -> Slot | None:
    return next((s for s in slots if s.starts_at == window.starts_at and s.ends_at == window.ends_at), None)


def _taken(window: orders.Window, fresh: list[Slot]) -> Conflict:
    return Conflict(
        "that time window has just been taken or no longer fits the engineers' routes: "
        "pick one of the windows still free",
        errors={"window": ["no longer available"], "slots": [s.as_dict() for s in fresh]},
    )


def _check_window(window: orders.Window, *, time_zone: str, policy: Policy, now: datetime) -> date:
    """The local day of a window the policy offers, or :class:`Invalid`."""
    day = _local_day(window.starts_at, time_zone)
    check_day(day, time_zone=time_zone, policy=policy, now=now)
    if (window.starts_at, window.ends_at) not in candidate_windows(
        day, time_zone=time_zone, policy=policy, now=now
    ):
        raise Invalid(
            "that is not a window we offer: ask for the slots of the day and pick one",
            errors={"window": ["not one of the offered windows"]},
        )
    return day


def _site_for(
    session: Session,
    *,
    actor: Actor,
    customer_id: int | None,
    site_id: int | None,
    address: str | None,
    latitude: float | None,
    longitude: float | None,
    geocoder: Geocoder | None,
    default_time_zone: str,
) -> Site:
    """The given site, the customer's site at this address, or a new one (geocoded if need be)."""
    if site_id is not None:
        site = sites.get_or_raise(session, actor=actor, site_id=site_id)
        if customer_id is not None and site.customer_id != customer_id:
            raise Invalid(
                f"site {site_id} belongs to another customer",
                errors={"site_id": [f"not a site of customer {customer_id}"]},
            )
        return site
    owner = actor.customer_id if actor.role is Role.CUSTOMER else customer_id
    if owner is None:
        raise Invalid("say which customer the visit is for", errors={"customer_id": ["required"]})
    text = (address or "").strip()
    if text:
        same = session.scalar(
            select(Site).where(Site.customer_id == owner, Site.address == text).order_by(Site.id.desc())
        )
        if same is not None and (
            latitude is None or (same.latitude, same.longitude) == (latitude, longitude)
        ):
            return same
    if not text and latitude is not None and longitude is not None:
        text = f"{latitude:.5f}, {longitude:.5f}"
    return sites.create(
        session,
        actor=actor,
        customer_id=owner,
        address=text,
        latitude=latitude,
        longitude=longitude,
        geocoder=geocoder,
        default_time_zone=default_time_zone,
    )


def book(
    session: Session,
    *,
    actor: Actor,
    service_type_id: int,
    window: orders.Window,
    policy: Policy,
    geocoder: Geocoder | None,
    default_time_zone: str,
    customer_id: int | None = None,
    site_id: int | None = None,
    address: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    description: str = "",
    now: datetime | None = None,
) -> tuple[Order, TrackingLink]:
    """Book a visit in an offered window and put it on the route that keeps the promise (or 409)."""
    require_role(
        actor,
        STAFF | {Role.CUSTOMER},
        to=_("Your role (%(role)s) may not book visits (allowed: %(allowed)s)."),
    )
    now = now or utcnow()
    stype = service_type_or_raise(session, service_type_id)
    site = _site_for(
        session,
        actor=actor,
        customer_id=customer_id,
        site_id=site_id,
        address=address,
        latitude=latitude,
        longitude=longitude,
        geocoder=geocoder,
        default_time_zone=default_time_zone,
    )
    day = _check_window(window, time_zone=site.time_zone, policy=policy, now=now)
    # The order is written before the day's lock is taken (nothing in it depends on the routes, and
    # a refusal rolls it back with the rest), and so is its tracking link: the lock is held only to
    # check and place it.
    order = orders.create(
        session,
        actor=actor,
        site_id=site.id,
        service_type_id=stype.id,
        customer_id=site.customer_id,
        time_windows=[window],
        channel=Channel.WEB if actor.role is Role.CUSTOMER else None,
        description=description,
    )
    link = TrackingLink(order_id=order.id)
    session.add(link)
    lock = routes.lock_day(session, day)
    checked = check(
        session,
        service_type=stype,
        latitude=site.latitude,
        longitude=site.longitude,
        day=day,
        time_zone=site.time_zone,
        policy=policy,
        now=now,
    )
    slot = _slot_for(checked.slots, window)
    if slot is None:
        raise _taken(window, checked.slots)
    routes.place_on_route(session, order, slot, checked)
    lock.bookings += 1
    session.flush()
    notifications.booking_confirmed(session, order=order)
    return order, link


def booking_of(session: Session, *, actor: Actor, order_id: int) -> Order:
    """A booking the actor may change (staff: any; customers: their own; others: 403)."""
    require_role(
        actor,
        STAFF | {Role.CUSTOMER},
        to=_("Your role (%(role)s) may not change bookings (allowed: %(allowed)s)."),
    )
    return orders.get_or_raise(session, actor=actor, order_id=order_id)


def change_deadline(order: Order, policy: Policy) -> datetime | None:
    """Until when the customer may cancel or move the booking themselves (None: no window)."""
    if not order.time_windows:
        return None
    return order.time_windows[0].starts_at - timedelta(hours=policy.change_hours)


def check_changeable(order: Order, *, actor: Actor, policy: Policy, now: datetime, what: str) -> None:
    """Raise :class:`Conflict` saying why, when the booking may no longer be changed by this actor."""
    if order.status not in CHANGEABLE:
        raise Conflict(
            f"this visit is {order.status.value.replace('_', ' ')}; it can no longer be {what}",
            errors={"status": [order.status.value]},
        )
    check_deadline(order, actor=actor, policy=policy, now=now, what=what)


def check_deadline(order: Order, *, actor: Actor, policy: Policy, now: datetime, what: str) -> None:
    """Raise :class:`Conflict` when a customer is past the policy's deadline to change the visit."""
    deadline = change_deadline(order, policy)
    if actor.role is Role.CUSTOMER and deadline is not None and now > deadline:
        raise Conflict(
            f"a booking can be {what} online until {policy.change_hours} hours before its window "
            "starts; please call us to change it now",
            errors={"deadline": [deadline.isoformat()]},
        )


def cancel(
    session: Session, *, actor: Actor, order_id: int, reason: str, policy: Policy, now: datetime | None = None
) -> Order:
    """Cancel a booking; customers only until the policy's deadline."""
    order = booking_of(session, actor=actor, order_id=order_id)
    check_changeable(order, actor=actor, policy=policy, now=now or utcnow(), what="cancelled")
    return actions.cancel(session, actor=actor, order_id=order_id, expected_version=None, reason=reason)


def reschedule(
    session: Session,
    *,
    actor: Actor,
    order_id: int,
    window: orders.Window,
    policy: Policy,
    now: datetime | None = None,
) -> Order:
    """Move a booking to another offered window the routes can keep (409 with fresh slots if not)."""
    now = now or utcnow()
    order = booking_of(session, actor=actor, order_id=order_id)
    check_changeable(order, actor=actor, policy=policy, now=now, what="moved")
    site = order.site
    day = _check_window(window, time_zone=site.time_zone, policy=policy, now=now)
    lock = routes.lock_day(session, day)
    checked = check(
        session,
        service_type=order.service_type,
        latitude=site.latitude,
        longitude=site.longitude,
        day=day,
        time_zone=site.time_zone,
        policy=policy,
        now=now,
        leave_out=order.id,
    )
    slot = _slot_for(checked.slots, window)
    if slot is None:
        raise _taken(window, checked.slots)
    actions.reschedule(
        session,
        actor=actor,
        order_id=order.id,
        expected_version=None,
        time_windows=[window],
        reason="moved by the customer" if actor.role is Role.CUSTOMER else None,
    )
    routes.place_on_route(session, order, slot, checked)
    lock.bookings += 1
    session.flush()
    notifications.booking_confirmed(session, order=order)
    return order
