"""The bridge to the optimizer: a day's orders and shifts as an ``optimizer.Problem``, and back.

Time 0 of the problem is local midnight of the day in the planning time zone; visit ids are
``o<order id>`` and engineer ids ``e<engineer id>``, so a plan maps straight back to rows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

import optimizer
from dispatch.customers.models import CustomerTier
from dispatch.engineers.models import Engineer, Team
from dispatch.orders.models import Order, OrderStatus, OrderTimeWindow
from dispatch.orders.models import Priority as OrderPriority
from dispatch.shifts.models import Shift
from dispatch.surveys import service as surveys

PLANNABLE = frozenset({OrderStatus.NEW, OrderStatus.DECLINED, OrderStatus.SCHEDULED, OrderStatus.DISPATCHED})
"""Orders the optimizer may place anywhere (pinned ones stay with their engineer)."""
UNDER_WAY = frozenset({OrderStatus.ACCEPTED, OrderStatus.EN_ROUTE, OrderStatus.ON_SITE})
"""Orders an engineer has taken: the re-plan keeps them with that engineer."""
STARTED = frozenset({OrderStatus.ON_SITE, OrderStatus.COMPLETED, OrderStatus.INCOMPLETE})
"""Work started or done: kept exactly where and when it happened."""
PUBLISHED = frozenset({OrderStatus.DISPATCHED, *UNDER_WAY})
"""Orders that are on an engineer's published day."""

PRIORITY = {
    OrderPriority.LOW: optimizer.Priority.LOW,
    OrderPriority.NORMAL: optimizer.Priority.NORMAL,
    OrderPriority.HIGH: optimizer.Priority.HIGH,
    OrderPriority.URGENT: optimizer.Priority.URGENT,
}


TIER_RAISE = {CustomerTier.STANDARD: 0, CustomerTier.VIP: 1, CustomerTier.KEY_ACCOUNT: 1}
"""Levels a customer's tier raises their visits' priority in planning: on an over-full day a VIP's or
key account's visit is left out only after every standard visit of the same order priority."""


def visit_priority(order: Order) -> optimizer.Priority:
    """The optimizer's priority of an order: its own, raised by the customer's tier (urgent at most)."""
    raised = PRIORITY[order.priority] + TIER_RAISE.get(order.customer.tier, 0)
    return optimizer.Priority(min(int(optimizer.Priority.URGENT), raised))


def visit_id(order_id: int) -> str:
    """The optimizer's id of an order's visit."""
    return f"o{order_id}"


def engineer_key(engineer_id: int) -> str:
    """The optimizer's id of an engineer."""
    return f"e{engineer_id}"


def row_id(key: str) -> int:
    """The database id behind an optimizer id (``o12`` -> 12)."""
    return int(key[1:])


def shift_breaks(
    secs: Callable[[datetime], int],
    earliest: datetime | None,
    latest: datetime | None,
    duration_s: int | None,
) -> tuple[optimizer.Break, ...]:
    """A shift's lunch break as the optimizer takes it (none if the shift has none)."""
    if not (duration_s and earliest and latest):
        return ()
    start = secs(earliest)
    # A shift's break lies wholly inside [earliest, latest]; the optimizer's window is for its start.
    return (optimizer.Break(start, max(start, secs(latest) - duration_s), duration_s),)


def day_visit(
    visit: optimizer.Visit,
    *,
    status: OrderStatus,
    engineer: str | None,
    start: int | None,
    pinned: bool,
    on_day: Collection[str],
) -> optimizer.Visit:
    """An order's visit with what the live day holds fixed: started work where and when it happened,
    taken or pinned work with its engineer, published work with its engineer and start to move from."""
    if status in STARTED and engineer is not None and start is not None:
        visit = replace(visit, fixed_engineer=engineer, fixed_start=start)
    elif engineer in on_day and (status in UNDER_WAY | STARTED or pinned):
        visit = replace(visit, pinned_engineer=engineer)
    if status in PUBLISHED and engineer in on_day and start is not None:
        visit = replace(visit, previous_engineer=engineer, previous_start=start)
    return visit


def published_place(
    status: OrderStatus, engineer: str | None, start: int | None, on_day: Collection[str]
) -> tuple[str, int] | None:
    """(engineer, start) of an order on its engineer's day as published, None if it is not on one."""
    if engineer is None or engineer not in on_day or start is None or status is OrderStatus.NEW:
        return None
    return engineer, start


@dataclass
class DayProblem:
    """An optimizer problem for one day, with the rows it came from."""

    day: date
    origin: datetime
    problem: optimizer.Problem
    orders: dict[str, Order]
    engineers: dict[str, Engineer]
    shifts: dict[str, Shift]
    published: dict[str, list[str]] = field(default_factory=dict)
    """The day as published: engineer id -> visit ids in sequence."""
    previous: dict[str, tuple[int, datetime]] = field(default_factory=dict)
    """Visit id -> (engineer id, start) on the live day, even if that engineer is gone since."""

    def at(self, seconds: int) -> datetime:
        """The UTC instant of a problem time."""
        return self.origin + timedelta(seconds=seconds)

    def seconds(self, moment: datetime) -> int:
        """The problem time of an instant."""
        return int((moment - self.origin).total_seconds())


def day_origin(day: date, tz: str) -> datetime:
    """Local midnight of ``day`` in ``tz``, as a UTC instant."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def teams_for(session: Session, *, team_id: int | None, region: str | None) -> list[int] | None:
    """The teams a plan covers (None: every team, and engineers and orders of no team)."""
    if team_id is not None:
        return [team_id]
    if region:
        return list(session.scalars(select(Team.id).where(Team.region == region)))
    return None


def load_day(
    session: Session,
    *,
    day: date,
    time_zone: str,
    team_ids: Collection[int] | None = None,
    positions: Mapping[int, tuple[float, float]] | None = None,
    now: datetime | None = None,
    options: optimizer.SolveOptions | None = None,
    travel: optimizer.TravelProvider | None = None,
) -> DayProblem:
    """Read the day's shifts and orders into a problem.

    Orders qualify if one of their windows starts that day (local time) and they are not
    cancelled or declined-and-reassigned elsewhere. Work on site or done stays fixed at its
    scheduled start; accepted and en-route work stays with its engineer (pinned); published
    work carries its engineer and start as ``previous_*`` so moving it costs something.
    ``positions`` (engineer id -> (lat, lon)) with ``now`` restart each engineer from there.
    """
    origin = day_origin(day, time_zone)
    end = origin + timedelta(days=1)
    shift_stmt = (
        select(Shift)
        .join(Engineer, Shift.engineer_id == Engineer.id)
        .where(Shift.day == day, Engineer.active.is_(True))
        .order_by(Engineer.id)
    )
    if team_ids is not None:
        shift_stmt = shift_stmt.where(Engineer.team_id.in_(team_ids))
    shifts = {engineer_key(s.engineer_id): s for s in session.scalars(shift_stmt)}
    engineers = {key: s.engineer for key, s in shifts.items()}

    window_orders = select(OrderTimeWindow.order_id).where(
        OrderTimeWindow.starts_at >= origin, OrderTimeWindow.starts_at < end
    )
    order_stmt = (
        select(Order)
        .where(
            Order.id.in_(window_orders),
            Order.status.in_(PLANNABLE | UNDER_WAY | STARTED),
        )
        .order_by(Order.id)
    )
    if team_ids is not None:
        order_stmt = order_stmt.where(
            or_(
                Order.team_id.in_(team_ids),
                Order.engineer_id.in_([row_id(k) for k in engineers]),
                Order.team_id.is_(None) & Order.engineer_id.is_(None),
            )
        )
    orders: dict[str, Order] = {}
    for order in session.scalars(order_stmt).unique():
        engineer = engineer_key(order.engineer_id) if order.engineer_id is not None else None
        if order.status in UNDER_WAY | STARTED and engineer not in engineers:
            continue  # someone else's day (another team, or no shift): not ours to plan
        orders[visit_id(order.id)] = order

    def secs(moment: datetime) -> int:
        return int((moment - origin).total_seconds())

    now_s = secs(now) if now is not None else None
    engineer_list = []
    for key, shift in shifts.items():
        e = engineers[key]
        home = optimizer.Location(e.home_latitude, e.home_longitude)
        breaks = shift_breaks(secs, shift.break_earliest, shift.break_latest, shift.break_duration_s)
        leaves_from = home
        available = None
        if positions and now_s is not None and e.id in positions:
            lat, lon = positions[e.id]
            leaves_from, available = optimizer.Location(lat, lon), now_s
        elif now_s is not None:
            available = now_s
        engineer_list.append(
            optimizer.Engineer(
                id=key,
                start_location=leaves_from,
                end_location=home,
                shift_start=secs(shift.starts_at),
                shift_end=secs(shift.ends_at),
                skills=frozenset(s.code for s in e.skills),
                breaks=breaks,
                max_working_time=e.max_work_s,
                available_from=available,
            )
        )

    disliked = surveys.disliked_engineers(session, customer_ids={o.customer_id for o in orders.values()})
    visits = []
    published: dict[str, list[tuple[int, int, str]]] = {}
    previous: dict[str, tuple[int, datetime]] = {}
    for key, order in orders.items():
        engineer = engineer_key(order.engineer_id) if order.engineer_id is not None else None
        start = secs(order.scheduled_start) if order.scheduled_start is not None else None
        windows = tuple(
            (secs(w.starts_at), secs(w.ends_at)) for w in order.time_windows if origin <= w.starts_at < end
        )
        visit = optimizer.Visit(
            id=key,
            location=optimizer.Location(order.site.latitude, order.site.longitude),
            service_duration=order.duration_s,
            windows=windows,
            required_skills=frozenset(s.code for s in order.skills),
            priority=visit_priority(order),
            avoid_engineers=frozenset(
                engineer_key(e) for e in disliked.get(order.customer_id, ()) if engineer_key(e) in engineers
            ),
        )
        visit = day_visit(
            visit, status=order.status, engineer=engineer, start=start, pinned=order.pinned, on_day=engineers
        )
        if order.engineer_id is not None and order.scheduled_start is not None:
            previous[key] = (order.engineer_id, order.scheduled_start)
        if (place := published_place(order.status, engineer, start, engineers)) is not None:
            published.setdefault(place[0], []).append((place[1], order.sequence or 0, key))
        visits.append(visit)

    problem = optimizer.Problem(
        engineers=tuple(engineer_list),
        visits=tuple(visits),
        travel=travel or optimizer.HaversineTravel(),
        options=options or optimizer.SolveOptions(),
        origin=origin,
    )
    return DayProblem(
        day=day,
        origin=origin,
        problem=problem,
        orders=orders,
        engineers=engineers,
        shifts=shifts,
        published={k: [v for *_, v in sorted(items)] for k, items in published.items()},
        previous=previous,
    )
