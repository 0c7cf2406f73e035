"""The built-in figures: for each local day, what the desk, the clocks, the visits and the plans did.

Each figure reads the rows of its days (by the indexed time columns) in one or a few statements and
sorts them into days, except the backlog, which counts the tickets open at each day's end. Business times come from the SLA clock rows and the
business calendars exactly as the desk shows them (:func:`dispatch.sla.clocks.view`).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dispatch.calendars import business
from dispatch.calendars import service as calendars
from dispatch.events.models import Event
from dispatch.i18n import LazyText, _
from dispatch.kb.models import SelfService
from dispatch.orders.models import Order
from dispatch.planning.models import Plan, PlanRoute, PlanStatus, PlanStop
from dispatch.reports.figures import Audience, Days, DaysFunction, Figure, Measure, Reading, one_day, register
from dispatch.sla.models import ClockKind, SlaClock
from dispatch.tickets.models import Ticket

ALL = "all"
NONE = "none"
FOLLOW_UP_DAYS = 14
"""A visit is fixed the first time when no other visit to the same site is booked within this many days."""
ON_TIME_GRACE_S = 15 * 60
"""An engineer who checks in at most this long after the planned start is on time."""


def _key(value: object) -> str:
    if value is None:
        return NONE
    return str(getattr(value, "value", value))


def _counted(rows: Iterable[tuple[str, object]], dimensions: tuple[str, ...]) -> Iterator[Measure]:
    """Count rows of ``(dimension, value)`` pairs (the caller gives ``("all", "all")`` once per row)."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for dimension, value in rows:
        counts[(dimension, _key(value))] += 1
    for (dimension, key), n in sorted(counts.items()):
        if dimension in dimensions:
            yield Measure(dimension, key, n)


def pooled(
    items: Iterable[tuple[Mapping[str, object], int, int]], dimensions: tuple[str, ...]
) -> list[Measure]:
    """``(keys by dimension, counted, met-or-value)`` -> one row per dimension value and ``all``
    (figures of other parts use it too: ``dispatch/surveys/reports.py``, ``dispatch/complaints/reports.py``)."""
    count: dict[tuple[str, str], int] = defaultdict(int)
    total: dict[tuple[str, str], int] = defaultdict(int)
    for keys, n, value in items:
        for dimension in (ALL, *dimensions):
            slot = (dimension, ALL if dimension == ALL else _key(keys.get(dimension)))
            count[slot] += n
            total[slot] += value
    return [Measure(d, k, count[(d, k)], total[(d, k)]) for d, k in sorted(count)]


# --- tickets -----------------------------------------------------------------------------------
#
# Each figure is a days function (see :class:`dispatch.reports.figures.Days`): it reads the rows of
# all its days in one or a few statements and sorts them into days; the figure's day function is the
# same function called for one day, so a backfill and a rebuild of one day give the same rows.


def volume(session: Session, days: Days) -> dict[date, list[Measure]]:
    """Tickets created in the day, by channel and category."""
    stmt = select(Ticket.created_at, Ticket.channel, Ticket.category_id).where(
        Ticket.created_at >= days.start, Ticket.created_at < days.end
    )
    pairs: dict[date, list[tuple[str, object]]] = defaultdict(list)
    for created, channel, category_id in session.execute(stmt):
        day = days.of(created)
        if day is not None:
            pairs[day] += [(ALL, ALL), ("channel", channel), ("category", category_id)]
    return {day: list(_counted(p, (ALL, "channel", "category"))) for day, p in pairs.items()}


@dataclass(frozen=True)
class _Stopped:
    """A clock that stopped in the days: its day, the ticket's team and the business seconds it used."""

    day: date
    kind: ClockKind
    team_id: int | None
    """The clock's own team (OLA clocks)."""
    ticket_team_id: int | None
    target_s: int
    breached: bool
    used_s: int


def _timed_clocks(session: Session, days: Days) -> list[_Stopped]:
    """Every clock that stopped in the days, timed: read once for the four clock figures of a build
    (they share the span). Columns, not clock objects: a year holds a quarter of a million clocks."""
    found: list[_Stopped] | None = days.memo.get("clocks")
    if found is not None:
        return found
    stmt = (
        select(
            SlaClock.kind,
            SlaClock.team_id,
            Ticket.team_id,
            SlaClock.calendar_id,
            SlaClock.started_at,
            SlaClock.stopped_at,
            SlaClock.paused_s,
            SlaClock.target_s,
            SlaClock.breached_at,
        )
        .join(Ticket, Ticket.id == SlaClock.ticket_id)
        .where(SlaClock.stopped_at >= days.start, SlaClock.stopped_at < days.end)
        .order_by(SlaClock.id)
    )
    known: dict[int, business.Calendar] = {}
    found = []
    for (
        kind,
        team_id,
        ticket_team_id,
        calendar_id,
        started,
        stopped,
        paused_s,
        target_s,
        breached,
    ) in session.execute(stmt):
        day = days.of(stopped) if stopped is not None else None
        if stopped is None or day is None:
            continue
        if calendar_id not in known:
            known[calendar_id] = calendars.business_calendar(session, calendar_id)
        # what :func:`dispatch.sla.clocks.view` counts for a stopped clock: start to stop, less pauses
        used = business.elapsed(known[calendar_id], started, max(stopped, started)) - paused_s
        found.append(_Stopped(day, kind, team_id, ticket_team_id, target_s, breached is not None, used))
    days.memo["clocks"] = found
    return found


def _stopped_clocks(session: Session, days: Days, kinds: Iterable[ClockKind]) -> Iterator[_Stopped]:
    """The clocks of these kinds that stopped in the days (see :func:`_timed_clocks`)."""
    wanted = set(kinds)
    return (clock for clock in _timed_clocks(session, days) if clock.kind in wanted)


def _durations(session: Session, days: Days, kind: ClockKind) -> dict[date, list[Measure]]:
    samples: dict[date, dict[tuple[str, str], list[int]]] = defaultdict(lambda: defaultdict(list))
    for clock in _stopped_clocks(session, days, [kind]):
        samples[clock.day][(ALL, ALL)].append(clock.used_s)
        samples[clock.day][("desk_team", _key(clock.ticket_team_id))].append(clock.used_s)
    return {
        day: [Measure(d, k, len(v), sum(v), sorted(v)) for (d, k), v in sorted(by_key.items())]
        for day, by_key in samples.items()
    }


def first_response(session: Session, days: Days) -> dict[date, list[Measure]]:
    """Business seconds to the first public reply, of the first-response clocks that stopped in the day."""
    return _durations(session, days, ClockKind.FIRST_RESPONSE)


def resolution(session: Session, days: Days) -> dict[date, list[Measure]]:
    """Business seconds to resolution (pauses left out), of the resolution clocks that stopped in the day."""
    return _durations(session, days, ClockKind.RESOLUTION)


def _pooled_by_day(
    items: Iterable[tuple[date, Mapping[str, object], int, int]], dimensions: tuple[str, ...]
) -> dict[date, list[Measure]]:
    by_day: dict[date, list[tuple[Mapping[str, object], int, int]]] = defaultdict(list)
    for day, keys, n, value in items:
        by_day[day].append((keys, n, value))
    return {day: pooled(rows, dimensions) for day, rows in by_day.items()}


def _compliance(session: Session, days: Days, *, ola: bool) -> dict[date, list[Measure]]:
    kinds = (
        [ClockKind.OLA] if ola else [ClockKind.FIRST_RESPONSE, ClockKind.NEXT_RESPONSE, ClockKind.RESOLUTION]
    )
    items = []
    for clock in _stopped_clocks(session, days, kinds):
        met = not clock.breached and clock.used_s <= clock.target_s
        items.append((clock.day, {"desk_team": clock.team_id if ola else clock.ticket_team_id}, 1, int(met)))
    return _pooled_by_day(items, ("desk_team",))


def sla_met(session: Session, days: Days) -> dict[date, list[Measure]]:
    """Of the SLA clocks that stopped in the day, how many within target, by the ticket's team."""
    return _compliance(session, days, ola=False)


def ola_met(session: Session, days: Days) -> dict[date, list[Measure]]:
    """Of the teams' own (OLA) clocks that stopped in the day, how many within target, by that team."""
    return _compliance(session, days, ola=True)


def backlog(session: Session, days: Days) -> dict[date, list[Measure]]:
    """Tickets open at the end of the day (created before it, not yet resolved or closed), by team."""
    first_end = days.days[0].end
    stmt = select(Ticket.team_id, Ticket.created_at, Ticket.resolved_at, Ticket.closed_at).where(
        Ticket.created_at < days.end,
        Ticket.merged_into_id.is_(None),
        or_(Ticket.resolved_at.is_(None), Ticket.resolved_at >= first_end),
        or_(Ticket.closed_at.is_(None), Ticket.closed_at >= first_end),
    )
    ends = [d.end for d in days.days]
    # open at a day's end t when created < t and neither resolved nor closed before t: the days from
    # the first whose end is after the creation to the last whose end is not after the leaving
    change: dict[int | None, list[int]] = defaultdict(lambda: [0] * (len(ends) + 1))
    for team_id, created, resolved, closed in session.execute(stmt):
        left = min((t for t in (resolved, closed) if t is not None), default=None)
        since = bisect_right(ends, created)
        until = len(ends) if left is None else bisect_right(ends, left)
        if since < until:
            change[team_id][since] += 1
            change[team_id][until] -= 1
    level = dict.fromkeys(change, 0)
    out = {}
    for n, day in enumerate(days.days):
        rows = []
        for team_id, steps in change.items():
            level[team_id] += steps[n]
            if level[team_id]:
                rows.append(({"desk_team": team_id}, level[team_id], 0))
        out[day.day] = pooled(rows, ("desk_team",)) or [Measure(ALL, ALL, 0)]  # an empty desk is a level too
    return out


def reopens(session: Session, days: Days) -> dict[date, list[Measure]]:
    """Tickets resolved in the day (count) and tickets reopened in the day (total): the reopen rate."""
    stmt = select(Event.at, Event.after).where(
        Event.at >= days.start,
        Event.at < days.end,
        Event.entity_type == "ticket",
        Event.action == "status_changed",
    )
    resolved: dict[date, int] = defaultdict(int)
    reopened: dict[date, int] = defaultdict(int)
    for moment, after in session.execute(stmt):
        day = days.of(moment)
        status = after.get("status") if after else None
        if day is not None and isinstance(status, str):
            resolved[day] += status == "resolved"
            reopened[day] += status == "reopened"
    return {
        day: [Measure(ALL, ALL, resolved[day], reopened[day])]
        for day in sorted({*resolved, *reopened})
        if resolved[day] or reopened[day]
    }


def self_service(session: Session, days: Days) -> dict[date, list[Measure]]:
    """Questions answered by an article (total) of all questions: tickets created plus answers without one."""
    asked: dict[date, int] = defaultdict(int)
    answered: dict[date, int] = defaultdict(int)
    created = select(Ticket.created_at).where(Ticket.created_at >= days.start, Ticket.created_at < days.end)
    for moment in session.scalars(created):
        day = days.of(moment)
        if day is not None:
            asked[day] += 1
    stmt = select(SelfService.created_at, SelfService.ticket_id).where(
        SelfService.created_at >= days.start, SelfService.created_at < days.end
    )
    for moment, ticket_id in session.execute(stmt):
        day = days.of(moment)
        if day is not None:
            answered[day] += 1
            asked[day] += ticket_id is None
    return {day: [Measure(ALL, ALL, asked[day], answered[day])] for day in sorted(asked) if asked[day]}


# --- visits and plans --------------------------------------------------------------------------


def _first_in(moments: list[datetime], start: datetime, end: datetime) -> datetime | None:
    """The first of sorted moments in ``[start, end)``."""
    n = bisect_left(moments, start)
    return moments[n] if n < len(moments) and moments[n] < end else None


def first_time_fix(session: Session, days: Days) -> dict[date, list[Measure]]:
    """Visits completed in the day (count) with no other visit to the site booked within
    :data:`FOLLOW_UP_DAYS` after (total), by engineer."""
    stmt = (
        select(Event.entity_id, Event.at, Order.engineer_id, Order.site_id)
        .join(Order, Order.id == Event.entity_id)
        .where(
            Event.at >= days.start,
            Event.at < days.end,
            Event.entity_type == "order",
            Event.action == "complete",
        )
    )
    done: dict[tuple[date, int], tuple[datetime, int | None, int]] = {}
    for order_id, moment, engineer_id, site_id in session.execute(stmt):
        day = days.of(moment)
        if day is None:
            continue
        seen = done.get((day, order_id))
        if seen is None or moment < seen[0]:  # the first completion of the order in its day
            done[(day, order_id)] = (moment, engineer_id, site_id)
    if not done:
        return {}
    later: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    booked = select(Order.site_id, Order.created_at, Order.id).where(
        Order.created_at > days.start, Order.created_at <= days.end + timedelta(days=FOLLOW_UP_DAYS)
    )
    for site_id, created, order_id in session.execute(booked):
        later[site_id].append((created, order_id))
    when = {site_id: sorted(bookings) for site_id, bookings in later.items()}
    moments = {site_id: [created for created, _id in bookings] for site_id, bookings in when.items()}
    items = []
    for (day, order_id), (moment, engineer_id, site_id) in sorted(done.items()):
        until = moment + timedelta(days=FOLLOW_UP_DAYS)
        bookings, at = when.get(site_id, []), moments.get(site_id, [])
        after, up_to = bisect_right(at, moment), bisect_right(at, until)
        follow_up = any(other != order_id for _created, other in bookings[after:up_to])
        items.append((day, {"engineer": engineer_id}, 1, int(not follow_up)))
    return _pooled_by_day(items, ("engineer",))


@dataclass(frozen=True)
class _Stop:
    order_id: int
    starts_at: datetime
    departs_at: datetime


@dataclass(frozen=True)
class _Route:
    engineer_id: int
    departs_at: datetime
    returns_at: datetime
    travel_time_s: int
    travel_distance_m: int
    stops: list[_Stop]


def _published_routes(session: Session, days: Days) -> dict[date, list[_Route]]:
    """The routes of each day's published plans (the last published plan of each team and region)."""
    plans = session.execute(
        select(Plan.id, Plan.day, Plan.team_id, Plan.region)
        .where(
            Plan.status == PlanStatus.PUBLISHED,
            Plan.day >= days.days[0].day,
            Plan.day <= days.days[-1].day,
        )
        .order_by(Plan.published_at, Plan.id)
    )
    latest: dict[tuple[date, int | None, str], int] = {}
    for plan_id, day, team_id, region in plans:
        latest[(day, team_id, region)] = plan_id
    if not latest:
        return {}
    day_of = {plan_id: day for (day, _team, _region), plan_id in latest.items()}
    routes = list(
        session.execute(
            select(
                PlanRoute.id,
                PlanRoute.plan_id,
                PlanRoute.engineer_id,
                PlanRoute.departs_at,
                PlanRoute.returns_at,
                PlanRoute.travel_time_s,
                PlanRoute.travel_distance_m,
            )
            .where(PlanRoute.plan_id.in_(list(day_of)))
            .order_by(PlanRoute.id)
        )
    )
    stops: dict[int, list[_Stop]] = defaultdict(list)
    stmt = (
        select(PlanStop.route_id, PlanStop.order_id, PlanStop.starts_at, PlanStop.departs_at)
        .join(PlanRoute, PlanRoute.id == PlanStop.route_id)
        .where(PlanRoute.plan_id.in_(list(day_of)))
        .order_by(PlanStop.route_id, PlanStop.sequence)
    )
    for route_id, order_id, starts_at, departs_at in session.execute(stmt):
        stops[route_id].append(_Stop(order_id, starts_at, departs_at))
    out: dict[date, list[_Route]] = defaultdict(list)
    for r in routes:
        out[day_of[r[1]]].append(_Route(r[2], r[3], r[4], r[5], r[6], stops[r[0]]))
    return out


def travel_time(session: Session, days: Days) -> dict[date, list[Measure]]:
    """Planned travel seconds of the day's published routes (count: routes), by engineer."""
    return {
        day: pooled([({"engineer": r.engineer_id}, 1, r.travel_time_s) for r in routes], ("engineer",))
        for day, routes in _published_routes(session, days).items()
    }


def travel_distance(session: Session, days: Days) -> dict[date, list[Measure]]:
    """Planned travel metres of the day's published routes (count: routes), by engineer."""
    return {
        day: pooled([({"engineer": r.engineer_id}, 1, r.travel_distance_m) for r in routes], ("engineer",))
        for day, routes in _published_routes(session, days).items()
    }


def utilisation(session: Session, days: Days) -> dict[date, list[Measure]]:
    """Planned time on site (total) of the routes' working time, leaving to coming back (count)."""
    out = {}
    for day, routes in _published_routes(session, days).items():
        items = []
        for route in routes:
            span = int((route.returns_at - route.departs_at).total_seconds())
            on_site = sum(int((stop.departs_at - stop.starts_at).total_seconds()) for stop in route.stops)
            items.append(({"engineer": route.engineer_id}, max(span, 0), on_site))
        out[day] = pooled(items, ("engineer",))
    return out


def on_time(session: Session, days: Days) -> dict[date, list[Measure]]:
    """Planned stops of the day the engineer checked in at (count), and of those, how many at most
    :data:`ON_TIME_GRACE_S` after the planned start (total), by engineer."""
    planned = _published_routes(session, days)
    if not planned:
        return {}
    # a check-in counts from the day before to the day after the stop's day (late syncs, night work)
    window = timedelta(days=1)
    stmt = select(Event.entity_id, Event.at).where(
        Event.at >= days.start - window,
        Event.at < days.end + window,
        Event.entity_type == "order",
        Event.action == "check_in",
    )
    arrivals: dict[int, list[datetime]] = defaultdict(list)
    for order_id, moment in session.execute(stmt):
        arrivals[int(order_id)].append(moment)
    for moments in arrivals.values():
        moments.sort()
    bounds = {d.day: d for d in days.days}
    out = {}
    for day, routes in planned.items():
        stops = {stop.order_id: (route.engineer_id, stop) for route in routes for stop in route.stops}
        start, end = bounds[day].start - window, bounds[day].end + window
        items = []
        for order_id, (engineer_id, stop) in sorted(stops.items()):
            at = _first_in(arrivals.get(order_id, []), start, end)
            if at is not None:
                late = (at - stop.starts_at).total_seconds() > ON_TIME_GRACE_S
                items.append(({"engineer": engineer_id}, 1, int(not late)))
        out[day] = pooled(items, ("engineer",))
    return out


DESK, FIELD = Audience.DESK, Audience.FIELD


def _built_in(
    name: str,
    title: LazyText,
    unit: str,
    reading: Reading,
    dimensions: tuple[str, ...],
    audience: Audience,
    days: DaysFunction,
) -> Figure:
    return Figure(name, title, unit, reading, dimensions, audience, one_day(days), compute_days=days)


BUILT_IN = [
    _built_in(
        "volume", _("Tickets created"), "tickets", Reading.COUNT, (ALL, "channel", "category"), DESK, volume
    ),
    _built_in(
        "first_response",
        _("First response time (business hours)"),
        "seconds",
        Reading.DURATION,
        (ALL, "desk_team"),
        DESK,
        first_response,
    ),
    _built_in(
        "resolution",
        _("Resolution time (business hours)"),
        "seconds",
        Reading.DURATION,
        (ALL, "desk_team"),
        DESK,
        resolution,
    ),
    _built_in("sla", _("SLA met"), "share", Reading.RATE, (ALL, "desk_team"), DESK, sla_met),
    _built_in(
        "ola", _("OLA met (teams' own targets)"), "share", Reading.RATE, (ALL, "desk_team"), DESK, ola_met
    ),
    _built_in(
        "backlog",
        _("Open tickets at the end of the day"),
        "tickets",
        Reading.LAST,
        (ALL, "desk_team"),
        DESK,
        backlog,
    ),
    _built_in("reopen_rate", _("Reopened of resolved"), "share", Reading.RATE, (ALL,), DESK, reopens),
    _built_in("self_service", _("Answered by an article"), "share", Reading.RATE, (ALL,), DESK, self_service),
    _built_in(
        "first_time_fix",
        _("Fixed on the first visit"),
        "share",
        Reading.RATE,
        (ALL, "engineer"),
        FIELD,
        first_time_fix,
    ),
    _built_in(
        "travel_time", _("Planned travel time"), "seconds", Reading.SUM, (ALL, "engineer"), FIELD, travel_time
    ),
    _built_in(
        "travel_distance",
        _("Planned travel distance"),
        "metres",
        Reading.SUM,
        (ALL, "engineer"),
        FIELD,
        travel_distance,
    ),
    _built_in("on_time", _("Arrived on time"), "share", Reading.RATE, (ALL, "engineer"), FIELD, on_time),
    _built_in(
        "utilisation",
        _("Planned time on site of working time"),
        "share",
        Reading.RATE,
        (ALL, "engineer"),
        FIELD,
        utilisation,
    ),
]
for _figure in BUILT_IN:
    register(_figure)
