"""Which time windows a new visit can still take: candidates from the policy, checked on the live plan.

The live plan is the engineers' day as it stands (orders with an engineer and a scheduled start),
timed by :func:`optimizer.evaluate`. Each candidate window is checked with
:func:`optimizer.insertion_options`: can an engineer with the skills reach the place inside the
window without breaking any other promise on their route? Nothing in the plan moves.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import optimizer
from dispatch.booking.day import LiveDay, load_live_day
from dispatch.catalog.models import ServiceType
from dispatch.config import Settings
from dispatch.engineers.models import Engineer
from dispatch.errors import Invalid
from dispatch.i18n import _
from dispatch.orders.models import Order, OrderTimeWindow
from dispatch.planning.problem import day_origin, row_id, visit_id
from dispatch.shifts.models import Shift
from dispatch.sites.models import Site

PROBE = "booking-probe"
"""The optimizer id of the visit being booked (it has no order yet)."""


@dataclass(frozen=True)
class Policy:
    """What customers may book: window length, opening hours, lead time, horizon, change deadline."""

    window_hours: int = 2
    day_start_hour: int = 8
    day_end_hour: int = 18
    lead_hours: int = 2
    days_ahead: int = 28
    change_hours: int = 24

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        """The policy configured with ``DISPATCH_BOOKING_*``."""
        return cls(
            window_hours=settings.booking_window_hours,
            day_start_hour=settings.booking_day_start_hour,
            day_end_hour=settings.booking_day_end_hour,
            lead_hours=settings.booking_lead_hours,
            days_ahead=settings.booking_days_ahead,
            change_hours=settings.booking_change_hours,
        )


@dataclass(frozen=True)
class Slot:
    """A bookable window and where it would go: the engineer, the expected start, the extra driving."""

    starts_at: datetime
    ends_at: datetime
    time_zone: str
    engineer_id: int
    position: int
    expected_start: datetime
    extra_distance_m: int
    extra_travel_s: int
    rank: int = 0

    @property
    def local_starts_at(self) -> datetime:
        """The window's start in the place's time zone."""
        return self.starts_at.astimezone(ZoneInfo(self.time_zone))

    @property
    def local_ends_at(self) -> datetime:
        """The window's end in the place's time zone."""
        return self.ends_at.astimezone(ZoneInfo(self.time_zone))

    def as_dict(self) -> dict[str, Any]:
        """The slot as plain JSON values (for error payloads)."""
        return {
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "local_starts_at": self.local_starts_at.isoformat(),
            "local_ends_at": self.local_ends_at.isoformat(),
            "rank": self.rank,
        }


def candidate_windows(
    day: date, *, time_zone: str, policy: Policy, now: datetime
) -> list[tuple[datetime, datetime]]:
    """The policy's windows on a local day that start far enough ahead, as UTC pairs."""
    zone = ZoneInfo(time_zone)
    out = []
    hour = policy.day_start_hour
    earliest = now + timedelta(hours=policy.lead_hours)
    while hour + policy.window_hours <= policy.day_end_hour:
        start = datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)
        end = datetime.combine(day, time(hour + policy.window_hours), tzinfo=zone).astimezone(UTC)
        if start >= earliest:
            out.append((start, end))
        hour += policy.window_hours
    return out


def check_day(day: date, *, time_zone: str, policy: Policy, now: datetime) -> None:
    """Raise :class:`Invalid` unless ``day`` lies between today and the booking horizon."""
    today = now.astimezone(ZoneInfo(time_zone)).date()
    if day < today:
        raise Invalid(_("%(day)s is in the past", day=day.isoformat()), errors={"day": ["in the past"]})
    if day > today + timedelta(days=policy.days_ahead):
        raise Invalid(
            _(
                "bookings open %(days_ahead)s days ahead; %(day)s is further away",
                days_ahead=policy.days_ahead,
                day=day.isoformat(),
            ),
            errors={"day": [f"at most {policy.days_ahead} days ahead"]},
        )


class PlanCache:
    """Timed live plans of recent days, reused while nothing that shapes them has changed.

    Only slot queries use it; a booking always times the day afresh under the day's lock, so a
    stale plan can at worst offer a window that the booking then refuses (409 with fresh slots).

    What invalidates an entry is :func:`fingerprint`, read afresh from the database on every query
    (so it holds across workers): the count, last ``updated_at`` and summed version, engineer,
    sequence and scheduled starts of the orders with a window on the day; the count and last
    ``updated_at`` of the day's shifts, of all engineers and of sites. A booking, a cancel, a
    reschedule, a published plan or re-plan, a dispatcher's assignment, a shift edit and an
    engineer's edit each move one of them (order versions move even for windows and skills;
    an engineer's skill change touches the row). ``tests/dispatch/test_slot_cache.py`` checks
    each. Entries also expire after ``max_age_s``, in case a change slips past the fingerprint (a
    bulk UPDATE that touches none of the columns it reads).
    """

    def __init__(self, size: int = 16, max_age_s: float = 60.0) -> None:
        self._size = size
        self._max_age_s = max_age_s
        self._items: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], LiveDay, optimizer.Plan]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def get(
        self, key: tuple[Any, ...], fingerprint: tuple[Any, ...]
    ) -> tuple[LiveDay, optimizer.Plan] | None:
        """The cached plan for ``key`` if it was made from the same ``fingerprint``."""
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0][1:] != fingerprint:
                return None
            if monotonic() - item[0][0] > self._max_age_s:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return item[1], item[2]

    def put(
        self, key: tuple[Any, ...], fingerprint: tuple[Any, ...], day: LiveDay, plan: optimizer.Plan
    ) -> None:
        """Remember a plan (the least recently used one goes when full)."""
        with self._lock:
            self._items[key] = ((monotonic(), *fingerprint), day, plan)
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


PLANS = PlanCache()


def fingerprint(session: Session, *, day: date, time_zone: str) -> tuple[Any, ...]:
    """What the day's live plan is made of, in a few aggregate queries: any change changes it."""
    origin = day_origin(day, time_zone)
    on_day = select(OrderTimeWindow.order_id).where(
        OrderTimeWindow.starts_at >= origin, OrderTimeWindow.starts_at < origin + timedelta(days=1)
    )
    orders_row = session.execute(
        select(
            func.count(Order.id),
            func.max(Order.updated_at),
            func.sum(Order.version),
            func.sum(Order.engineer_id),
            func.sum(Order.sequence),
            func.count(Order.scheduled_start),
            func.min(Order.scheduled_start),
            func.max(Order.scheduled_start),
        ).where(Order.id.in_(on_day))
    ).one()
    shifts_row = session.execute(
        select(func.count(Shift.id), func.max(Shift.updated_at)).where(Shift.day == day)
    ).one()
    engineers_row = session.execute(select(func.count(Engineer.id), func.max(Engineer.updated_at))).one()
    sites_row = session.execute(select(func.max(Site.updated_at))).one()
    return (*orders_row, *shifts_row, *engineers_row, *sites_row)


def live_plan(
    session: Session,
    *,
    day: date,
    time_zone: str,
    leave_out: int | None = None,
    skills: frozenset[str] | None = None,
    cached: bool = False,
) -> tuple[LiveDay, optimizer.Plan]:
    """The day's routes as they stand, timed; ``leave_out`` takes one order off its route first.

    With ``skills``, only the routes of engineers who have them are kept and timed: a visit
    needing those skills can go nowhere else, and timing fewer routes is quicker. With
    ``cached``, a plan timed earlier from the same data is reused (see :class:`PlanCache`).
    """
    cache_key: tuple[Any, ...] = (str(session.get_bind().engine.url), day, time_zone, leave_out, skills)
    stamp: tuple[Any, ...] = ()
    if cached:
        stamp = fingerprint(session, day=day, time_zone=time_zone)
        hit = PLANS.get(cache_key, stamp)
        if hit is not None:
            return hit
    loaded = load_live_day(session, day=day, time_zone=time_zone)
    routes = loaded.published
    if leave_out is not None:
        key = visit_id(leave_out)
        routes = {e: [v for v in visits if v != key] for e, visits in routes.items()}
        loaded.published = routes
    if skills is not None:
        loaded.problem, loaded.published = qualified_only(loaded.problem, routes, skills)
    plan = optimizer.evaluate(loaded.problem, loaded.published)
    if cached:
        PLANS.put(cache_key, stamp, loaded, plan)
    return loaded, plan


def qualified_only(
    problem: optimizer.Problem, routes: dict[str, list[str]], skills: frozenset[str]
) -> tuple[optimizer.Problem, dict[str, list[str]]]:
    """The engineers who have ``skills``, with the visits on their routes and nothing else."""
    engineers = tuple(e for e in problem.engineers if skills <= e.skills)
    kept = {e.id for e in engineers}
    by_id = {v.id: v for v in problem.visits}

    def belongs(visit_key: str, engineer: str) -> bool:
        v = by_id.get(visit_key)
        return v is not None and {v.pinned_engineer, v.fixed_engineer} <= {None, engineer}

    routes = {e: [v for v in visits if belongs(v, e)] for e, visits in routes.items() if e in kept}
    visits = tuple(by_id[v] for visits in routes.values() for v in visits)
    return replace(problem, engineers=engineers, visits=visits), routes


def probe_visit(service_type: ServiceType, latitude: float, longitude: float) -> optimizer.Visit:
    """The visit a booking of this service type at this place would add."""
    return optimizer.Visit(
        id=PROBE,
        location=optimizer.Location(latitude, longitude),
        service_duration=service_type.default_duration_s,
        required_skills=frozenset(s.code for s in service_type.skills),
    )


def rank(slots: Sequence[Slot]) -> list[Slot]:
    """Least extra driving first (kind to the routes and the planet), then the earliest window."""
    ordered = sorted(slots, key=lambda s: (s.extra_distance_m, s.starts_at))
    return [replace(s, rank=i + 1) for i, s in enumerate(ordered)]


def find(
    session: Session,
    *,
    service_type: ServiceType,
    latitude: float,
    longitude: float,
    day: date,
    time_zone: str,
    policy: Policy,
    now: datetime,
    leave_out: int | None = None,
) -> list[Slot]:
    """The feasible windows for a new visit on ``day``, ranked (see :func:`rank`)."""
    return check(
        session,
        service_type=service_type,
        latitude=latitude,
        longitude=longitude,
        day=day,
        time_zone=time_zone,
        policy=policy,
        now=now,
        leave_out=leave_out,
        cached=True,
    ).slots


@dataclass
class Check:
    """The feasible windows, and the live plan they were checked against."""

    slots: list[Slot]
    day: LiveDay | None = None
    plan: optimizer.Plan | None = None


def check(
    session: Session,
    *,
    service_type: ServiceType,
    latitude: float,
    longitude: float,
    day: date,
    time_zone: str,
    policy: Policy,
    now: datetime,
    leave_out: int | None = None,
    cached: bool = False,
) -> Check:
    """Check every candidate window of ``day`` on the live plan (see :func:`find`)."""
    check_day(day, time_zone=time_zone, policy=policy, now=now)
    windows = candidate_windows(day, time_zone=time_zone, policy=policy, now=now)
    if not windows:
        return Check([])
    visit = probe_visit(service_type, latitude, longitude)
    loaded, plan = live_plan(
        session,
        day=day,
        time_zone=time_zone,
        leave_out=leave_out,
        skills=visit.required_skills,
        cached=cached,
    )
    options = optimizer.insertion_options(
        loaded.problem,
        plan,
        visit,
        windows=[(loaded.seconds(a), loaded.seconds(b)) for a, b in windows],
    )
    found = []
    for (starts_at, ends_at), option in zip(windows, options, strict=True):
        if not option.feasible or option.engineer_id is None or option.start is None:
            continue
        found.append(
            Slot(
                starts_at=starts_at,
                ends_at=ends_at,
                time_zone=time_zone,
                engineer_id=row_id(option.engineer_id),
                position=option.position or 0,
                expected_start=loaded.at(option.start),
                extra_distance_m=option.extra_distance or 0,
                extra_travel_s=option.extra_travel_time or 0,
            )
        )
    return Check(rank(found), loaded, plan)
