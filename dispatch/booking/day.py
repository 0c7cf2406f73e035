"""The live day as booking needs it: the optimizer's problem read in a handful of plain queries.

:func:`dispatch.planning.problem.load_day` builds ORM objects for every order of the day (their
customers, sites, service types, teams, engineers, windows and skills); a booking times the day
under the day's lock, and that load was most of its time. This reads only the columns the
optimizer needs, in five statements whatever the size of the day, and builds the same problem
(a test compares the two). Orders are plain rows here; placing a booking loads as ORM objects only
the orders of the one route it joins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

import optimizer
from dispatch.catalog.models import Skill
from dispatch.engineers.models import Engineer, engineer_skills
from dispatch.orders.models import Order, OrderStatus, OrderTimeWindow, order_skills
from dispatch.planning.problem import (
    PLANNABLE,
    PRIORITY,
    STARTED,
    UNDER_WAY,
    day_origin,
    day_visit,
    engineer_key,
    published_place,
    shift_breaks,
    visit_id,
)
from dispatch.shifts.models import Shift
from dispatch.sites.models import Site


@dataclass(frozen=True)
class Stop:
    """What the booking needs to know of an order already on the day."""

    id: int
    status: OrderStatus
    engineer_id: int | None
    scheduled_start: datetime | None
    sequence: int | None


@dataclass
class LiveDay:
    """An optimizer problem of one day's live routes, with the order rows it came from."""

    day: date
    origin: datetime
    problem: optimizer.Problem
    orders: dict[str, Stop]
    published: dict[str, list[str]] = field(default_factory=dict)
    """Engineer id -> visit ids in sequence, as the day stands."""

    def at(self, seconds: int) -> datetime:
        """The UTC instant of a problem time."""
        return self.origin + timedelta(seconds=seconds)

    def seconds(self, moment: datetime) -> int:
        """The problem time of an instant."""
        return int((moment - self.origin).total_seconds())


def load_live_day(session: Session, *, day: date, time_zone: str) -> LiveDay:
    """The day's shifts and orders as a problem (what ``load_day`` gives with no team, position or now)."""
    origin = day_origin(day, time_zone)
    end = origin + timedelta(days=1)

    def secs(moment: datetime) -> int:
        return int((moment - origin).total_seconds())

    shift_rows = session.execute(
        select(
            Shift.engineer_id,
            Shift.starts_at,
            Shift.ends_at,
            Shift.break_earliest,
            Shift.break_latest,
            Shift.break_duration_s,
            Engineer.home_latitude,
            Engineer.home_longitude,
            Engineer.max_work_s,
        )
        .join(Engineer, Shift.engineer_id == Engineer.id)
        .where(Shift.day == day, Engineer.active.is_(True))
        .order_by(Engineer.id)
    ).all()
    shifts = {engineer_key(row.engineer_id): row for row in shift_rows}  # one shift per engineer: the last
    skills_of: dict[int, set[str]] = {}
    if shifts:
        for engineer_id, code in session.execute(
            select(engineer_skills.c.engineer_id, Skill.code)
            .join(Skill, Skill.id == engineer_skills.c.skill_id)
            .where(engineer_skills.c.engineer_id.in_([row.engineer_id for row in shifts.values()]))
        ):
            skills_of.setdefault(engineer_id, set()).add(code)

    on_day = select(OrderTimeWindow.order_id).where(
        OrderTimeWindow.starts_at >= origin, OrderTimeWindow.starts_at < end
    )
    order_rows = session.execute(
        select(
            Order.id,
            Order.status,
            Order.engineer_id,
            Order.scheduled_start,
            Order.sequence,
            Order.pinned,
            Order.duration_s,
            Order.priority,
            Site.latitude,
            Site.longitude,
        )
        .join(Site, Order.site_id == Site.id)
        .where(Order.id.in_(on_day), Order.status.in_(PLANNABLE | UNDER_WAY | STARTED))
        .order_by(Order.id)
    ).all()
    rows = []
    for row in order_rows:
        engineer = engineer_key(row.engineer_id) if row.engineer_id is not None else None
        if row.status in UNDER_WAY | STARTED and engineer not in shifts:
            continue  # someone else's day (no shift): not ours to plan
        rows.append(row)
    ids = [row.id for row in rows]
    windows_of: dict[int, list[tuple[int, int]]] = {}
    order_skills_of: dict[int, set[str]] = {}
    if ids:
        for order_id, starts_at, ends_at in session.execute(
            select(OrderTimeWindow.order_id, OrderTimeWindow.starts_at, OrderTimeWindow.ends_at)
            .where(OrderTimeWindow.order_id.in_(on_day))
            .order_by(OrderTimeWindow.order_id, OrderTimeWindow.starts_at)
        ):
            if origin <= starts_at < end:
                windows_of.setdefault(order_id, []).append((secs(starts_at), secs(ends_at)))
        for order_id, code in session.execute(
            select(order_skills.c.order_id, Skill.code)
            .join(Skill, Skill.id == order_skills.c.skill_id)
            .where(order_skills.c.order_id.in_(on_day))
        ):
            order_skills_of.setdefault(order_id, set()).add(code)

    engineer_list = []
    for key, shift in shifts.items():
        breaks = shift_breaks(secs, shift.break_earliest, shift.break_latest, shift.break_duration_s)
        home = optimizer.Location(shift.home_latitude, shift.home_longitude)
        engineer_list.append(
            optimizer.Engineer(
                id=key,
                start_location=home,
                end_location=home,
                shift_start=secs(shift.starts_at),
                shift_end=secs(shift.ends_at),
                skills=frozenset(skills_of.get(shift.engineer_id, ())),
                breaks=breaks,
                max_working_time=shift.max_work_s,
                available_from=None,
            )
        )

    visits = []
    orders: dict[str, Stop] = {}
    published: dict[str, list[tuple[int, int, str]]] = {}
    for row in rows:
        key = visit_id(row.id)
        orders[key] = Stop(row.id, row.status, row.engineer_id, row.scheduled_start, row.sequence)
        engineer = engineer_key(row.engineer_id) if row.engineer_id is not None else None
        start = secs(row.scheduled_start) if row.scheduled_start is not None else None
        visit = optimizer.Visit(
            id=key,
            location=optimizer.Location(row.latitude, row.longitude),
            service_duration=row.duration_s,
            windows=tuple(windows_of.get(row.id, ())),
            required_skills=frozenset(order_skills_of.get(row.id, ())),
            priority=PRIORITY[row.priority],
        )
        visit = day_visit(
            visit, status=row.status, engineer=engineer, start=start, pinned=row.pinned, on_day=shifts
        )
        if (place := published_place(row.status, engineer, start, shifts)) is not None:
            published.setdefault(place[0], []).append((place[1], row.sequence or 0, key))
        visits.append(visit)

    problem = optimizer.Problem(
        engineers=tuple(engineer_list),
        visits=tuple(visits),
        travel=optimizer.HaversineTravel(),
        options=optimizer.SolveOptions(),
        origin=origin,
    )
    return LiveDay(
        day=day,
        origin=origin,
        problem=problem,
        orders=orders,
        published={k: [v for *_, v in sorted(items)] for k, items in published.items()},
    )
