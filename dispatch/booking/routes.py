"""The day's booking lock, and putting a booked visit on its engineer's route at the promised time."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

import optimizer
from dispatch.access import SYSTEM
from dispatch.booking.day import Stop
from dispatch.booking.models import BookingDay
from dispatch.booking.slots import Check, Slot
from dispatch.db import utcnow
from dispatch.engineers.models import Engineer
from dispatch.errors import Conflict
from dispatch.events import service as events
from dispatch.i18n import _
from dispatch.orders import service as orders
from dispatch.orders import states
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
        raise Conflict(_("the visit could not be placed on the route; try another window"))
    sequence, start = placed[key]
    published = any(
        o.engineer_id == slot.engineer_id and o.status in PUBLISHED
        for k, o in loaded.orders.items()
        if k != key
    )
    _assign(session, order, slot.engineer_id, loaded.at(start), sequence, dispatch=published)
    moved = {}
    for other_key, (position, other_start) in placed.items():
        other = loaded.orders.get(other_key)
        if other is None or other.id == order.id or other.status not in RETIMED:
            continue
        when = loaded.at(other_start)
        if other.scheduled_start != when or other.sequence != position:
            moved[other.id] = (other, when, position)
    _retime(session, moved, reason=f"order {order.number} was booked onto the route")


def _assign(
    session: Session, order: Order, engineer_id: int, when: datetime, sequence: int, *, dispatch: bool
) -> None:
    """The booked order onto its engineer's route (and into their day when it is published).

    What ``actions.assign`` and ``actions.dispatch`` do, with their events, on the order already
    in hand: the check under the lock chose an active engineer with the skills and a start inside
    the window, so there is nothing to load again, and the order's row is written once.
    """
    if orders.window_containing(order, when) is None:  # the check placed it inside: a bug, not input
        raise Conflict(_("the visit could not be placed on the route; try another window"))
    steps = [("assign", states.transition("assign", order.status))]
    if dispatch:
        steps.append(("dispatch", states.transition("dispatch", steps[0][1])))
    before = orders.snapshot(order)
    order.engineer = session.get(Engineer, engineer_id)
    order.engineer_id, order.scheduled_start, order.sequence = engineer_id, when, sequence
    for action, status in steps:
        order.status = status
        after = orders.snapshot(order)
        old, new = events.changed(before, after)
        events.record(
            session,
            actor=SYSTEM,
            entity_type="order",
            entity_id=order.id,
            order_id=order.id,
            action=action,
            before=old,
            after=new,
        )
        before = after
    order.updated_at = utcnow()


def _retime(session: Session, moved: dict[int, tuple[Stop, datetime, int]], *, reason: str) -> None:
    """Later stops of the route follow in time: one UPDATE for all of them, one event each.

    The day was read as rows, so the orders are not loaded as objects to be flushed one by one;
    each still gets a new version (an open edit of it gets 412) and its "retimed" event.
    """
    if not moved:
        return
    now = utcnow()
    table = cast(Table, Order.__table__)
    session.execute(
        update(table)
        .where(table.c.id == bindparam("order_id"))
        .values(
            scheduled_start=bindparam("when"),
            sequence=bindparam("position"),
            version=table.c.version + 1,
            updated_at=now,
        ),
        [{"order_id": oid, "when": when, "position": pos} for oid, (_, when, pos) in moved.items()],
    )
    changes = []
    for oid, (stop, when, position) in sorted(moved.items()):
        if (held := session.identity_map.get(identity_key(Order, oid))) is not None:
            session.expire(held)  # an object of it in this session reads the new row
        old, new = events.changed(
            {"scheduled_start": events.jsonable(stop.scheduled_start), "sequence": stop.sequence},
            {"scheduled_start": events.jsonable(when), "sequence": position},
        )
        changes.append(events.Change(oid, old, new, order_id=oid, payload={"reason": reason}))
    events.record_many(session, actor=SYSTEM, entity_type="order", action="retimed", changes=changes)
