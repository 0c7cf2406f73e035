"""The day's booking lock, and putting a booked visit on its engineer's route at the promised time."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

import optimizer
from dispatch.access import SYSTEM
from dispatch.booking.models import BookingDay
from dispatch.booking.slots import Check, Slot
from dispatch.errors import Conflict
from dispatch.orders import actions
from dispatch.orders import service as orders
from dispatch.orders.models import Order, OrderStatus
from dispatch.planning.problem import PRIORITY, PUBLISHED, engineer_key, visit_id

RETIMED = frozenset({OrderStatus.SCHEDULED, OrderStatus.DISPATCHED, OrderStatus.ACCEPTED})
"""Orders whose expected start follows the route when a booking joins it."""


def lock_day(session: Session, day: date) -> BookingDay:
    """Serialise bookings of one local day until the transaction ends; the first write of it."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(BookingDay).values(day=day, bookings=0).on_conflict_do_nothing())
    else:  # SQLite: this write takes the database's write lock for the rest of the transaction
        session.execute(sqlite.insert(BookingDay).values(day=day, bookings=0).on_conflict_do_nothing())
    row = session.scalar(
        select(BookingDay)
        .where(BookingDay.day == day)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


def place_on_route(session: Session, order: Order, slot: Slot, checked: Check) -> None:
    """Put the order on the slot's engineer's route at its position; later stops follow in time.

    Only that engineer's route is timed again (the rest of the day does not move).
    """
    loaded, plan = checked.day, checked.plan
    assert loaded is not None
    assert plan is not None
    key, engineer = visit_id(order.id), engineer_key(slot.engineer_id)
    route = plan.route_of(engineer)
    stops = [s.visit_id for s in route.stops if s.visit_id != key] if route is not None else []
    stops.insert(min(slot.position, len(stops)), key)
    by_id = {v.id: v for v in loaded.problem.visits}
    window = order.time_windows[0]
    visit = optimizer.Visit(
        id=key,
        location=optimizer.Location(order.site.latitude, order.site.longitude),
        service_duration=order.duration_s,
        windows=((loaded.seconds(window.starts_at), loaded.seconds(window.ends_at)),),
        required_skills=frozenset(s.code for s in order.skills),
        priority=PRIORITY[order.priority],
    )
    one_route = replace(
        loaded.problem,
        engineers=tuple(e for e in loaded.problem.engineers if e.id == engineer),
        visits=(*(by_id[v] for v in stops if v != key), visit),
    )
    timed = optimizer.evaluate(one_route, {engineer: stops}).route_of(engineer)
    placed = {s.visit_id: (i, s.start) for i, s in enumerate(timed.stops)} if timed is not None else {}
    if key not in placed:  # the check under the lock said it fits: this is a bug, not a race
        raise Conflict("the visit could not be placed on the route; try another window")
    sequence, start = placed[key]
    actions.assign(
        session,
        actor=SYSTEM,
        order_id=order.id,
        expected_version=None,
        engineer_id=slot.engineer_id,
        scheduled_start=loaded.at(start),
        sequence=sequence,
    )
    published = any(
        o.engineer_id == slot.engineer_id and o.status in PUBLISHED
        for k, o in loaded.orders.items()
        if k != key
    )
    if published:
        actions.dispatch(session, actor=SYSTEM, order_id=order.id, expected_version=None)
    moved = {}
    for other_key, (position, other_start) in placed.items():
        other = loaded.orders.get(other_key)
        if other is None or other.id == order.id or other.status not in RETIMED:
            continue
        when = loaded.at(other_start)
        if other.scheduled_start != when or other.sequence != position:
            moved[other.id] = (when, position)
    if not moved:
        return
    # Only the orders that move on this one route are loaded as objects (the day was read as rows).
    for other_order in session.scalars(select(Order).where(Order.id.in_(moved)).order_by(Order.id)):
        when, position = moved[other_order.id]
        with orders.recording(session, actor=SYSTEM, order=other_order, action="retimed") as logged:
            other_order.scheduled_start, other_order.sequence = when, position
            logged["reason"] = f"order {order.number} was booked onto the route"
