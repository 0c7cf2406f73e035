"""Orders: create, read, list and edit, scoped by who is asking."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import Session, defaultload

from dispatch.access import STAFF, Actor, Role, refusal
from dispatch.catalog import service as catalog
from dispatch.catalog.models import ServiceType
from dispatch.customers import service as customers
from dispatch.customers.models import Customer
from dispatch.db import utcnow
from dispatch.engineers.models import Engineer, Team
from dispatch.errors import Conflict, Forbidden, Invalid, NotFound, StaleVersion
from dispatch.events import service as events
from dispatch.events.models import Event
from dispatch.i18n import _
from dispatch.listing import Page, Sort, paginate
from dispatch.orders import states
from dispatch.orders.models import (
    Channel,
    Order,
    OrderStatus,
    OrderTimeWindow,
    Priority,
    parse_number,
)
from dispatch.sites import service as sites
from dispatch.statuses import status_word

AUDITED = (
    "status",
    "status_reason",
    "priority",
    "channel",
    "duration_s",
    "description",
    "external_ref",
    "pinned",
    "scheduled_start",
    "sequence",
    "engineer_id",
    "team_id",
)
MAX_WINDOWS = 10
MAX_DURATION_S = 12 * 3600
STAFF_ONLY_FIELDS = ("priority", "team_id", "pinned", "external_ref", "skills", "duration_s")


@dataclass(frozen=True)
class Window:
    """A requested time window (aware datetimes)."""

    starts_at: datetime
    ends_at: datetime


def visible(stmt: Select[Any], actor: Actor) -> Select[Any]:
    """Staff see every order, a customer their own, an engineer those assigned to them."""
    if actor.is_staff:
        return stmt
    if actor.role is Role.CUSTOMER:
        return stmt.where(Order.customer_id == actor.customer_id)
    if actor.role is Role.ENGINEER:
        return stmt.where(Order.engineer_id == actor.engineer_id)
    return stmt.where(false())


def may_see(order: Order, actor: Actor) -> bool:
    """What :func:`visible` asks of the database, asked of an order in hand."""
    if actor.is_staff:
        return True
    if actor.role is Role.CUSTOMER:
        return order.customer_id == actor.customer_id
    if actor.role is Role.ENGINEER:
        return order.engineer_id == actor.engineer_id
    return False


def get(session: Session, *, actor: Actor, order_id: int) -> Order | None:
    """Return the order if the actor may see it, else None.

    An order this request has loaded already comes from the session with no query (a field step
    asks for its order two to four times, and each query reloaded its windows, skills, contacts).
    """
    found = session.get(Order, order_id)
    return found if found is not None and may_see(found, actor) else None


def get_or_raise(session: Session, *, actor: Actor, order_id: int) -> Order:
    """Return the order or raise :class:`NotFound`."""
    order = get(session, actor=actor, order_id=order_id)
    if order is None:
        raise NotFound(_("order %(order_id)s not found", order_id=order_id))
    return order


def check_version(order: Order, expected: int | None) -> None:
    """Raise :class:`StaleVersion` unless the client's copy is the current one."""
    if expected is not None and expected != order.version:
        raise StaleVersion(_("order %(number)s", number=order.number), expected, order.version)


def snapshot(order: Order) -> dict[str, Any]:
    """The audited fields of an order plus its windows and skills, for the event log."""
    return events.snapshot(order, AUDITED) | {
        "time_windows": [[w.starts_at.isoformat(), w.ends_at.isoformat()] for w in order.time_windows],
        "skills": [s.code for s in order.skills],
    }


_first_window = (
    select(func.min(OrderTimeWindow.starts_at))
    .where(OrderTimeWindow.order_id == Order.id)
    .correlate(Order)
    .scalar_subquery()
)
ORDER_SORT = Sort(
    {
        "id": Order.id,
        "created_at": Order.created_at,
        "updated_at": Order.updated_at,
        "scheduled_start": Order.scheduled_start,
        "status": Order.status,
        "priority": Order.priority,
        "window_start": _first_window,
        "sequence": Order.sequence,
    },
    default="id",
)


LIST_LOADING = (
    defaultload(Order.customer).lazyload(Customer.contacts),
    defaultload(Order.service_type).lazyload(ServiceType.skills),
    defaultload(Order.engineer).lazyload(Engineer.skills),
)
"""A list shows the customer, service type and engineer briefly: not their contacts or skills."""


def list_orders(
    session: Session,
    *,
    actor: Actor,
    status: Sequence[OrderStatus] = (),
    priority: Sequence[Priority] = (),
    customer_id: int | None = None,
    site_id: int | None = None,
    engineer_id: int | None = None,
    team_id: int | None = None,
    service_type_id: int | None = None,
    unassigned: bool | None = None,
    pinned: bool | None = None,
    window_from: datetime | None = None,
    window_to: datetime | None = None,
    scheduled_from: datetime | None = None,
    scheduled_to: datetime | None = None,
    q: str | None = None,
    sort: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[Order]:
    """List the orders the actor may see, with filters a dispatcher's day view needs."""
    stmt = visible(select(Order).options(*LIST_LOADING), actor)
    if status:
        stmt = stmt.where(Order.status.in_(status))
    if priority:
        stmt = stmt.where(Order.priority.in_(priority))
    for column, value in (
        (Order.customer_id, customer_id),
        (Order.site_id, site_id),
        (Order.engineer_id, engineer_id),
        (Order.team_id, team_id),
        (Order.service_type_id, service_type_id),
        (Order.pinned, pinned),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if unassigned is not None:
        stmt = stmt.where(Order.engineer_id.is_(None) if unassigned else Order.engineer_id.is_not(None))
    if window_from is not None or window_to is not None:
        overlap = OrderTimeWindow.order_id == Order.id
        if window_from is not None:
            overlap = overlap & (OrderTimeWindow.ends_at > window_from)
        if window_to is not None:
            overlap = overlap & (OrderTimeWindow.starts_at < window_to)
        stmt = stmt.where(select(OrderTimeWindow.id).where(overlap).exists())
    if scheduled_from is not None:
        stmt = stmt.where(Order.scheduled_start >= scheduled_from)
    if scheduled_to is not None:
        stmt = stmt.where(Order.scheduled_start < scheduled_to)
    if q:
        number = parse_number(q)
        match = Order.description.ilike(f"%{q.strip()}%") | Order.external_ref.ilike(q.strip())
        stmt = stmt.where(or_(match, Order.id == number) if number is not None else match)
    return paginate(session, ORDER_SORT.apply(stmt, sort), page=page, page_size=page_size)


def check_windows(windows: Sequence[Window], *, now: datetime | None = None) -> list[Window]:
    """Validate requested windows: at least one, well ordered, not overlapping, not past."""
    now = now or utcnow()
    if not windows:
        raise Invalid("give at least one time window", errors={"time_windows": ["at least one window"]})
    if len(windows) > MAX_WINDOWS:
        raise Invalid("too many time windows", errors={"time_windows": [f"at most {MAX_WINDOWS}"]})
    ordered = sorted(windows, key=lambda w: w.starts_at)
    errors: dict[str, list[str]] = {}
    for i, w in enumerate(ordered):
        if w.ends_at <= w.starts_at:
            errors.setdefault("time_windows", []).append(f"window {i + 1} ends before it starts")
        elif w.ends_at <= now:
            errors.setdefault("time_windows", []).append(f"window {i + 1} is already over")
        if i and w.starts_at < ordered[i - 1].ends_at:
            errors.setdefault("time_windows", []).append(f"window {i + 1} overlaps the one before")
    if errors:
        raise Invalid("the time windows are not usable", errors=errors)
    return ordered


def _check_duration(duration_s: int) -> int:
    if not 0 < duration_s <= MAX_DURATION_S:
        raise Invalid(
            "the duration is out of range",
            errors={"duration_s": [f"between 1 and {MAX_DURATION_S} seconds"]},
        )
    return duration_s


def _check_team(session: Session, team_id: int | None) -> None:
    if team_id is not None and session.get(Team, team_id) is None:
        raise Invalid(
            _("team %(team_id)s does not exist", team_id=team_id), errors={"team_id": ["no such team"]}
        )


def create(
    session: Session,
    *,
    actor: Actor,
    site_id: int,
    service_type_id: int,
    time_windows: Sequence[Window],
    customer_id: int | None = None,
    priority: Priority = Priority.NORMAL,
    channel: Channel | None = None,
    duration_s: int | None = None,
    skills: Iterable[str] | None = None,
    description: str = "",
    team_id: int | None = None,
    external_ref: str | None = None,
    pinned: bool = False,
) -> Order:
    """Book an on-site order; customers book only for themselves and only plain fields."""
    if actor.role is Role.CUSTOMER:
        if customer_id not in (None, actor.customer_id):
            raise Forbidden(_("A customer may book orders only for their own account."))
        customer_id = actor.customer_id
        asked = {
            "priority": priority is not Priority.NORMAL,
            "team_id": team_id is not None,
            "pinned": pinned,
            "external_ref": external_ref is not None,
            "skills": skills is not None,
            "duration_s": duration_s is not None,
        }
        staff_only = [name for name in STAFF_ONLY_FIELDS if asked[name]]
        if staff_only:
            raise Forbidden(_("a customer may not set %(fields)s on an order", fields=", ".join(staff_only)))
        channel = channel or Channel.WEB
    elif actor.role not in STAFF:
        raise refusal(
            actor,
            STAFF | {Role.CUSTOMER},
            _("Your role (%(role)s) may not create orders (allowed: %(allowed)s)."),
        )
    site = sites.get(session, actor=actor, site_id=site_id)
    if site is None:
        raise Invalid(
            _("site %(site_id)s does not exist", site_id=site_id), errors={"site_id": ["no such site"]}
        )
    if customer_id is None:
        customer_id = site.customer_id
    customers.get_or_raise(session, actor=actor, customer_id=customer_id)
    if site.customer_id != customer_id:
        raise Invalid(
            _("site %(site_id)s belongs to another customer", site_id=site_id),
            errors={"site_id": [f"not a site of customer {customer_id}"]},
        )
    stype = session.get(ServiceType, service_type_id)
    if stype is None or not stype.active:
        raise Invalid(
            _("service type %(service_type_id)s cannot be booked", service_type_id=service_type_id),
            errors={"service_type_id": ["no such active service type"]},
        )
    if external_ref is not None and session.scalar(
        select(Order.id).where(Order.external_ref == external_ref)
    ):
        raise Conflict(
            _("an order with external_ref %(external_ref)s exists", external_ref=repr(external_ref)),
            errors={"external_ref": ["already used"]},
        )
    _check_team(session, team_id)
    order = Order(
        customer_id=customer_id,
        site=site,
        service_type=stype,
        priority=priority,
        channel=channel or Channel.AGENT,
        duration_s=_check_duration(duration_s or stype.default_duration_s),
        description=description,
        team=session.get(Team, team_id) if team_id is not None else None,
        external_ref=external_ref,
        pinned=pinned,
        skills=list(stype.skills) if skills is None else catalog.skills_by_code(session, skills),
        time_windows=[
            OrderTimeWindow(starts_at=w.starts_at, ends_at=w.ends_at) for w in check_windows(time_windows)
        ],
    )
    session.add(order)
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="order",
        entity_id=order.id,
        order_id=order.id,
        action="created",
        after=snapshot(order),
    )
    return order


def update(
    session: Session,
    *,
    actor: Actor,
    order_id: int,
    expected_version: int | None,
    changes: Mapping[str, Any],
) -> Order:
    """Edit an order's details (staff); windows change through :func:`actions.reschedule`."""
    order = get_or_raise(session, actor=actor, order_id=order_id)
    if not actor.is_staff:
        raise refusal(actor, STAFF, _("Your role (%(role)s) may not edit orders (allowed: %(allowed)s)."))
    check_version(order, expected_version)
    if order.status in states.FINAL:
        raise Conflict(
            _(
                "order %(number)s is %(status)s; it can no longer change",
                number=order.number,
                status=status_word(order.status),
            )
        )
    if "team_id" in changes:
        _check_team(session, changes["team_id"])
    if changes.get("external_ref") is not None:
        clash = session.scalar(
            select(Order.id).where(Order.external_ref == changes["external_ref"], Order.id != order.id)
        )
        if clash is not None:
            raise Conflict(
                _("order %(clash)s already has that external_ref", clash=clash),
                errors={"external_ref": ["already used"]},
            )
    skills = catalog.skills_by_code(session, changes["skills"]) if "skills" in changes else None
    with recording(session, actor=actor, order=order, action="updated"):
        if "duration_s" in changes:
            order.duration_s = _check_duration(changes["duration_s"])
        if "team_id" in changes:
            order.team = session.get(Team, changes["team_id"]) if changes["team_id"] is not None else None
        for name in ("description", "priority", "channel", "external_ref", "pinned"):
            if name in changes:
                setattr(order, name, changes[name])
        if skills is not None:
            order.skills = skills
    return order


@contextmanager
def recording(session: Session, *, actor: Actor, order: Order, action: str) -> Iterator[dict[str, Any]]:
    """Log an order change as one event; touching the row moves its version even for windows or skills."""
    with events.recording(
        session,
        actor=actor,
        entity=order,
        entity_type="order",
        view=snapshot,
        action=action,
        order_id=order.id,
    ) as payload:
        yield payload
        order.updated_at = utcnow()


def timeline(session: Session, *, actor: Actor, order_id: int) -> list[Event]:
    """Everything that happened to an order the actor may see, oldest first."""
    get_or_raise(session, actor=actor, order_id=order_id)
    return events.for_order(session, order_id=order_id)


def window_containing(order: Order, moment: datetime) -> OrderTimeWindow | None:
    """The order's window in which a visit starting at ``moment`` would start, if any."""
    for w in order.time_windows:
        if w.starts_at <= moment <= w.ends_at:
            return w
    return None
