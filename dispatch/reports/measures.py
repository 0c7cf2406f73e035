"""The built-in figures: for one local day, what the desk, the clocks, the visits and the plans did.

Each day function reads only the rows of its day (by the indexed time columns) except the backlog,
which counts the tickets open at the day's end. Business times come from the SLA clock rows and the
business calendars exactly as the desk shows them (:func:`dispatch.sla.clocks.view`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from dispatch.calendars import business
from dispatch.calendars import service as calendars
from dispatch.events.models import Event
from dispatch.i18n import _
from dispatch.kb.models import SelfService
from dispatch.orders.models import Order
from dispatch.planning.models import Plan, PlanRoute, PlanStatus, PlanStop
from dispatch.reports.figures import Audience, Day, Figure, Measure, Reading, register
from dispatch.sla import clocks
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


def volume(session: Session, day: Day) -> list[Measure]:
    """Tickets created in the day, by channel and category."""
    stmt = select(Ticket.channel, Ticket.category_id).where(
        Ticket.created_at >= day.start, Ticket.created_at < day.end
    )
    pairs: list[tuple[str, object]] = []
    for channel, category_id in session.execute(stmt):
        pairs += [(ALL, ALL), ("channel", channel), ("category", category_id)]
    return list(_counted(pairs, (ALL, "channel", "category")))


def _stopped_clocks(
    session: Session, start: datetime, end: datetime, kinds: Iterable[ClockKind]
) -> Iterator[tuple[SlaClock, int | None, int]]:
    """Clocks that stopped in the day, with the ticket's team and the business seconds they used."""
    stmt = (
        select(SlaClock, Ticket.team_id)
        .join(Ticket, Ticket.id == SlaClock.ticket_id)
        .where(SlaClock.stopped_at >= start, SlaClock.stopped_at < end, SlaClock.kind.in_(list(kinds)))
        .order_by(SlaClock.id)
    )
    known: dict[int, business.Calendar] = {}
    for clock, team_id in session.execute(stmt):
        if clock.calendar_id not in known:
            known[clock.calendar_id] = calendars.business_calendar(session, clock.calendar_id)
        seen = clocks.view(clock, known[clock.calendar_id], end)
        yield clock, team_id, seen.business_seconds_used


def _durations(session: Session, start: datetime, end: datetime, kind: ClockKind) -> list[Measure]:
    samples: dict[tuple[str, str], list[int]] = defaultdict(list)
    for _clock, team_id, used in _stopped_clocks(session, start, end, [kind]):
        samples[(ALL, ALL)].append(used)
        samples[("desk_team", _key(team_id))].append(used)
    return [Measure(d, k, len(v), sum(v), sorted(v)) for (d, k), v in sorted(samples.items())]


def first_response(session: Session, day: Day) -> list[Measure]:
    """Business seconds to the first public reply, of the first-response clocks that stopped in the day."""
    return _durations(session, day.start, day.end, ClockKind.FIRST_RESPONSE)


def resolution(session: Session, day: Day) -> list[Measure]:
    """Business seconds to resolution (pauses left out), of the resolution clocks that stopped in the day."""
    return _durations(session, day.start, day.end, ClockKind.RESOLUTION)


def _compliance(session: Session, start: datetime, end: datetime, *, ola: bool) -> list[Measure]:
    kinds = (
        [ClockKind.OLA] if ola else [ClockKind.FIRST_RESPONSE, ClockKind.NEXT_RESPONSE, ClockKind.RESOLUTION]
    )
    items = []
    for clock, team_id, used in _stopped_clocks(session, start, end, kinds):
        met = clock.breached_at is None and used <= clock.target_s
        items.append(({"desk_team": clock.team_id if ola else team_id}, 1, int(met)))
    return pooled(items, ("desk_team",))


def sla_met(session: Session, day: Day) -> list[Measure]:
    """Of the SLA clocks that stopped in the day, how many within target, by the ticket's team."""
    return _compliance(session, day.start, day.end, ola=False)


def ola_met(session: Session, day: Day) -> list[Measure]:
    """Of the teams' own (OLA) clocks that stopped in the day, how many within target, by that team."""
    return _compliance(session, day.start, day.end, ola=True)


def backlog(session: Session, day: Day) -> list[Measure]:
    """Tickets open at the end of the day (created before it, not yet resolved or closed), by team."""
    still_open = and_(
        Ticket.created_at < day.end,
        Ticket.merged_into_id.is_(None),
        or_(Ticket.resolved_at.is_(None), Ticket.resolved_at >= day.end),
        or_(Ticket.closed_at.is_(None), Ticket.closed_at >= day.end),
    )
    stmt = select(Ticket.team_id, func.count()).where(still_open).group_by(Ticket.team_id)
    rows = [({"desk_team": team_id}, int(n), 0) for team_id, n in session.execute(stmt)]
    return pooled(rows, ("desk_team",)) or [Measure(ALL, ALL, 0)]  # an empty desk is a level too


def _status_changes(session: Session, start: datetime, end: datetime) -> Iterator[str]:
    stmt = select(Event.after).where(
        Event.at >= start, Event.at < end, Event.entity_type == "ticket", Event.action == "status_changed"
    )
    for after in session.scalars(stmt):
        if after and isinstance(after.get("status"), str):
            yield after["status"]


def reopens(session: Session, day: Day) -> list[Measure]:
    """Tickets resolved in the day (count) and tickets reopened in the day (total): the reopen rate."""
    resolved = reopened = 0
    for status in _status_changes(session, day.start, day.end):
        resolved += status == "resolved"
        reopened += status == "reopened"
    return [Measure(ALL, ALL, resolved, reopened)] if resolved or reopened else []


def self_service(session: Session, day: Day) -> list[Measure]:
    """Questions answered by an article (total) of all questions: tickets created plus answers without one."""
    created = session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.created_at >= day.start, Ticket.created_at < day.end)
    )
    stmt = select(SelfService.ticket_id).where(
        SelfService.created_at >= day.start, SelfService.created_at < day.end
    )
    answered = list(session.scalars(stmt))
    asked = int(created or 0) + sum(1 for ticket_id in answered if ticket_id is None)
    return [Measure(ALL, ALL, asked, len(answered))] if asked else []


# --- visits and plans --------------------------------------------------------------------------


def _order_events(session: Session, start: datetime, end: datetime, action: str) -> dict[int, datetime]:
    """The first time each order had ``action`` in the window."""
    stmt = (
        select(Event.entity_id, func.min(Event.at))
        .where(Event.at >= start, Event.at < end, Event.entity_type == "order", Event.action == action)
        .group_by(Event.entity_id)
    )
    return {int(order_id): at for order_id, at in session.execute(stmt)}


def first_time_fix(session: Session, day: Day) -> list[Measure]:
    """Visits completed in the day (count) with no other visit to the site booked within
    :data:`FOLLOW_UP_DAYS` after (total), by engineer."""
    done = _order_events(session, day.start, day.end, "complete")
    if not done:
        return []
    visits = list(
        session.execute(select(Order.id, Order.engineer_id, Order.site_id).where(Order.id.in_(list(done))))
    )
    later: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    stmt = select(Order.site_id, Order.id, Order.created_at).where(
        Order.site_id.in_({site_id for _id, _engineer, site_id in visits}),
        Order.created_at > day.start,
        Order.created_at <= day.end + timedelta(days=FOLLOW_UP_DAYS),
    )
    for site_id, order_id, created in session.execute(stmt):
        later[site_id].append((order_id, created))
    items = []
    for order_id, engineer_id, site_id in visits:
        at, until = done[order_id], done[order_id] + timedelta(days=FOLLOW_UP_DAYS)
        follow_up = any(other != order_id and at < created <= until for other, created in later[site_id])
        items.append(({"engineer": engineer_id}, 1, int(not follow_up)))
    return pooled(items, ("engineer",))


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


def _published_routes(session: Session, day: Day) -> list[_Route]:
    """The routes of the day's published plans (the last published plan of each team and region)."""
    plans = session.execute(
        select(Plan.id, Plan.team_id, Plan.region)
        .where(Plan.status == PlanStatus.PUBLISHED, Plan.day == day.day)
        .order_by(Plan.published_at, Plan.id)
    )
    latest: dict[tuple[int | None, str], int] = {}
    for plan_id, team_id, region in plans:
        latest[(team_id, region)] = plan_id
    if not latest:
        return []
    routes = list(
        session.execute(
            select(
                PlanRoute.id,
                PlanRoute.engineer_id,
                PlanRoute.departs_at,
                PlanRoute.returns_at,
                PlanRoute.travel_time_s,
                PlanRoute.travel_distance_m,
            )
            .where(PlanRoute.plan_id.in_(list(latest.values())))
            .order_by(PlanRoute.id)
        )
    )
    stops: dict[int, list[_Stop]] = defaultdict(list)
    stmt = (
        select(PlanStop.route_id, PlanStop.order_id, PlanStop.starts_at, PlanStop.departs_at)
        .where(PlanStop.route_id.in_([r[0] for r in routes]))
        .order_by(PlanStop.route_id, PlanStop.sequence)
    )
    for route_id, order_id, starts_at, departs_at in session.execute(stmt):
        stops[route_id].append(_Stop(order_id, starts_at, departs_at))
    return [_Route(r[1], r[2], r[3], r[4], r[5], stops[r[0]]) for r in routes]


def travel_time(session: Session, day: Day) -> list[Measure]:
    """Planned travel seconds of the day's published routes (count: routes), by engineer."""
    routes = _published_routes(session, day)
    return pooled([({"engineer": r.engineer_id}, 1, r.travel_time_s) for r in routes], ("engineer",))


def travel_distance(session: Session, day: Day) -> list[Measure]:
    """Planned travel metres of the day's published routes (count: routes), by engineer."""
    routes = _published_routes(session, day)
    return pooled([({"engineer": r.engineer_id}, 1, r.travel_distance_m) for r in routes], ("engineer",))


def utilisation(session: Session, day: Day) -> list[Measure]:
    """Planned time on site (total) of the routes' working time, leaving to coming back (count)."""
    items = []
    for route in _published_routes(session, day):
        span = int((route.returns_at - route.departs_at).total_seconds())
        on_site = sum(int((stop.departs_at - stop.starts_at).total_seconds()) for stop in route.stops)
        items.append(({"engineer": route.engineer_id}, max(span, 0), on_site))
    return pooled(items, ("engineer",))


def on_time(session: Session, day: Day) -> list[Measure]:
    """Planned stops of the day the engineer checked in at (count), and of those, how many at most
    :data:`ON_TIME_GRACE_S` after the planned start (total), by engineer."""
    routes = _published_routes(session, day)
    if not routes:
        return []
    stops = {stop.order_id: (route.engineer_id, stop) for route in routes for stop in route.stops}
    arrived = _order_events(session, day.start - timedelta(days=1), day.end + timedelta(days=1), "check_in")
    items = []
    for order_id, (engineer_id, stop) in sorted(stops.items()):
        at = arrived.get(order_id)
        if at is not None:
            late = (at - stop.starts_at).total_seconds() > ON_TIME_GRACE_S
            items.append(({"engineer": engineer_id}, 1, int(not late)))
    return pooled(items, ("engineer",))


DESK, FIELD = Audience.DESK, Audience.FIELD
BUILT_IN = [
    Figure(
        "volume", _("Tickets created"), "tickets", Reading.COUNT, (ALL, "channel", "category"), DESK, volume
    ),
    Figure(
        "first_response",
        _("First response time (business hours)"),
        "seconds",
        Reading.DURATION,
        (ALL, "desk_team"),
        DESK,
        first_response,
    ),
    Figure(
        "resolution",
        _("Resolution time (business hours)"),
        "seconds",
        Reading.DURATION,
        (ALL, "desk_team"),
        DESK,
        resolution,
    ),
    Figure("sla", _("SLA met"), "share", Reading.RATE, (ALL, "desk_team"), DESK, sla_met),
    Figure(
        "ola", _("OLA met (teams' own targets)"), "share", Reading.RATE, (ALL, "desk_team"), DESK, ola_met
    ),
    Figure(
        "backlog",
        _("Open tickets at the end of the day"),
        "tickets",
        Reading.LAST,
        (ALL, "desk_team"),
        DESK,
        backlog,
    ),
    Figure("reopen_rate", _("Reopened of resolved"), "share", Reading.RATE, (ALL,), DESK, reopens),
    Figure("self_service", _("Answered by an article"), "share", Reading.RATE, (ALL,), DESK, self_service),
    Figure(
        "first_time_fix",
        _("Fixed on the first visit"),
        "share",
        Reading.RATE,
        (ALL, "engineer"),
        FIELD,
        first_time_fix,
    ),
    Figure(
        "travel_time", _("Planned travel time"), "seconds", Reading.SUM, (ALL, "engineer"), FIELD, travel_time
    ),
    Figure(
        "travel_distance",
        _("Planned travel distance"),
        "metres",
        Reading.SUM,
        (ALL, "engineer"),
        FIELD,
        travel_distance,
    ),
    Figure("on_time", _("Arrived on time"), "share", Reading.RATE, (ALL, "engineer"), FIELD, on_time),
    Figure(
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
