"""The day as it stands: what the console shows when no plan is being prepared.

Every order on an engineer's day (an engineer and a scheduled start: published, booked onto a route
since, or moved by hand) is timed on its route as it stands with :func:`optimizer.evaluate`, the same
reading the booking service checks new visits against. Orders with no engineer wait for a plan; an
order whose route can no longer keep its promise is listed with the reason. Nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import optimizer
from dispatch.access import PLANNERS, Actor, require_role
from dispatch.engineers.models import Engineer
from dispatch.i18n import _
from dispatch.orders.models import Order
from dispatch.planning import wording
from dispatch.planning.models import Plan, PlanStatus
from dispatch.planning.problem import load_day, row_id


@dataclass(frozen=True)
class LiveStop:
    """A visit on an engineer's route as the day stands."""

    order: Order
    sequence: int
    arrives_at: datetime
    starts_at: datetime
    departs_at: datetime
    travel_time_s: int
    travel_distance_m: int
    fixed: bool
    since_published: bool
    """Not on this engineer's route in the day's published plan (booked or moved since)."""

    @property
    def order_id(self) -> int:
        """The order's id."""
        return self.order.id


@dataclass(frozen=True)
class LiveRoute:
    """One engineer's day as it stands."""

    engineer: Engineer
    departs_at: datetime
    returns_at: datetime
    travel_distance_m: int
    travel_time_s: int
    breaks: list[list[str]]
    stops: list[LiveStop]

    @property
    def engineer_id(self) -> int:
        """The engineer's id."""
        return self.engineer.id


@dataclass(frozen=True)
class Waiting:
    """An order of the day that is on no route: waiting for a plan, or no longer kept by its route."""

    order: Order
    reason: str
    detail: object
    """Why, in the reader's language when shown."""

    @property
    def order_id(self) -> int:
        """The order's id."""
        return self.order.id


@dataclass(frozen=True)
class LiveDay:
    """The routes of a day as they stand, what waits, and the day's latest published plan."""

    day: date
    time_zone: str
    published_plan: Plan | None
    routes: list[LiveRoute] = field(default_factory=list)
    waiting: list[Waiting] = field(default_factory=list)


def live_day(session: Session, *, actor: Actor, day: date, time_zone: str) -> LiveDay:
    """The day's routes as they stand, timed, with the orders waiting for a plan (dispatchers, admins)."""
    require_role(
        actor, PLANNERS, to=_("Your role (%(role)s) may not read the day's routes (allowed: %(allowed)s).")
    )
    loaded = load_day(session, day=day, time_zone=time_zone)
    timed = optimizer.evaluate(loaded.problem, loaded.published)
    published = session.scalar(
        select(Plan)
        .where(Plan.day == day, Plan.status == PlanStatus.PUBLISHED)
        .order_by(Plan.published_at.desc(), Plan.id.desc())
        .limit(1)
    )
    planned = (
        {(stop.order_id, route.engineer_id) for route in published.routes for stop in route.stops}
        if published is not None
        else set()
    )
    out = LiveDay(day=day, time_zone=time_zone, published_plan=published)
    for route in timed.routes:
        if not route.stops:
            continue
        engineer = loaded.engineers[route.engineer_id]
        out.routes.append(
            LiveRoute(
                engineer=engineer,
                departs_at=loaded.at(route.departure),
                returns_at=loaded.at(route.end_arrival),
                travel_distance_m=route.travel_distance,
                travel_time_s=route.travel_time,
                breaks=[[loaded.at(b.start).isoformat(), loaded.at(b.end).isoformat()] for b in route.breaks],
                stops=[
                    LiveStop(
                        order=loaded.orders[stop.visit_id],
                        sequence=k,
                        arrives_at=loaded.at(stop.arrival),
                        starts_at=loaded.at(stop.start),
                        departs_at=loaded.at(stop.departure),
                        travel_time_s=stop.travel_time,
                        travel_distance_m=stop.travel_distance,
                        fixed=stop.fixed,
                        since_published=published is not None
                        and (row_id(stop.visit_id), engineer.id) not in planned,
                    )
                    for k, stop in enumerate(route.stops)
                ],
            )
        )
    left_out = {u.order_id: u for u in published.unassigned} if published is not None else {}
    for left in timed.unassigned:
        order = loaded.orders[left.visit_id]
        plan_said = left_out.get(order.id)
        if order.engineer_id is not None:
            out.waiting.append(
                Waiting(order, left.reason.value, wording.shown(wording.stored(left.note), left.detail))
            )
        elif plan_said is not None:  # the published plan left it out: say why it did
            out.waiting.append(Waiting(order, plan_said.reason, plan_said.detail_text))
        else:
            out.waiting.append(Waiting(order, "waiting", _("not on anyone's day yet: plan the day")))
    return out
