"""Every report figure against a small hand-computed data set (Tuesday 10 November 2026, London).

The office calendar works 08:30-12:00 and 13:00-18:00 on weekdays (London is on UTC in November),
so business seconds can be counted by hand; the numbers in the comments are those counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.access import SYSTEM, Actor, Role
from dispatch.db import make_session_factory
from dispatch.errors import Forbidden, Invalid, NotFound
from dispatch.events.models import Event
from dispatch.kb.models import Article, SelfService, SelfServiceSource, Visibility
from dispatch.planning.models import Plan, PlanRoute, PlanStatus, PlanStop
from dispatch.reports import service
from dispatch.reports.models import DailyAggregate
from dispatch.reports.service import Every
from dispatch.routing.models import DeskTeam
from dispatch.sla.models import ClockKind, SlaClock
from dispatch.tickets.models import Ticket, TicketCategory, TicketChannel, TicketKind
from tests.conftest import _truncate
from tests.factories import make_catalog, make_customer, make_engineer, make_order, make_site
from tests.sla_factories import office_calendar

TZ = "Europe/London"
D = date(2026, 11, 10)
DISPATCHER = Actor(role=Role.DISPATCHER, user_id=1)
AGENT = Actor(role=Role.AGENT, user_id=2)
H = 3600


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of November 2026 (UTC, which is London time then)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def _ticket(session: Session, customer_id: int, channel: str, created: datetime, **kw: Any) -> Ticket:
    ticket = Ticket(
        kind=TicketKind.FAULT,
        channel=TicketChannel(channel),
        subject="No hot water",
        customer_id=customer_id,
        created_at=created,
        **kw,
    )
    session.add(ticket)
    session.flush()
    return ticket


def _clock(
    session: Session,
    ticket: Ticket,
    kind: ClockKind,
    cal: int,
    target: int,
    a: datetime,
    b: datetime | None,
    **kw: Any,
) -> None:
    key = f"{kind.value}:{kw.get('team_id', '')}"
    session.add(
        SlaClock(
            ticket_id=ticket.id,
            key=key,
            kind=kind,
            policy_id=1,
            calendar_id=cal,
            target_s=target,
            started_at=a,
            stopped_at=b,
            **kw,
        )
    )


def _event(session: Session, entity: str, entity_id: int, action: str, when: datetime, **after: Any) -> None:
    session.add(
        Event(
            actor_role="agent",
            entity_type=entity,
            entity_id=entity_id,
            action=action,
            at=when,
            ticket_id=entity_id if entity == "ticket" else None,
            order_id=entity_id if entity == "order" else None,
            after=after or None,
        )
    )


def _build(session: Session) -> dict[str, int]:
    cal = office_calendar(session)
    x, y = DeskTeam(code="x", name="First line"), DeskTeam(code="y", name="Second line")
    a, b = TicketCategory(name="Boilers"), TicketCategory(name="Radiators")
    session.add_all([x, y, a, b])
    session.flush()
    cust = make_customer(session, "Ada Lane", "ada@example.com")
    # T1: email, Boilers, first line. First reply after 1 h (met), resolved after 4 business hours.
    t1 = _ticket(session, cust, "email", at(10, 9), category_id=a.id, team_id=x.id, resolved_at=at(10, 14))
    _clock(session, t1, ClockKind.FIRST_RESPONSE, cal, H, at(10, 9), at(10, 10))
    _clock(session, t1, ClockKind.RESOLUTION, cal, 8 * H, at(10, 9), at(10, 14))  # 3 h + 1 h = 14400
    _clock(session, t1, ClockKind.OLA, cal, 1800, at(10, 9), at(10, 9, 30), team_id=x.id)  # 1800: met
    # T2: phone, Boilers, first line, still open. First reply at 14:00: 30 min + 1 h = 5400 (breached).
    t2 = _ticket(session, cust, "phone", at(10, 11, 30), category_id=a.id, team_id=x.id)
    _clock(
        session, t2, ClockKind.FIRST_RESPONSE, cal, H, at(10, 11, 30), at(10, 14), breached_at=at(10, 13, 30)
    )
    _clock(session, t2, ClockKind.OLA, cal, 1800, at(10, 11, 30), at(10, 13, 15), team_id=y.id)  # 2700: late
    # T3: email, Radiators, second line, created 17:00; answered next day 09:00 (1 h + 30 min = 5400),
    # resolved next day 10:00 after a 30 min pause (1 h + 1.5 h - 0.5 h = 7200).
    t3 = _ticket(session, cust, "email", at(10, 17), category_id=b.id, team_id=y.id, resolved_at=at(11, 10))
    _clock(session, t3, ClockKind.FIRST_RESPONSE, cal, H, at(10, 17), at(11, 9))
    _clock(session, t3, ClockKind.RESOLUTION, cal, 8 * H, at(10, 17), at(11, 10), paused_s=1800)
    # T4: created Monday 10:00, second line, resolved Tuesday 12:30: 7 h + 3.5 h = 37800 (over 8 h).
    t4 = _ticket(session, cust, "email", at(9, 10), team_id=y.id, resolved_at=at(10, 12, 30))
    _clock(session, t4, ClockKind.RESOLUTION, cal, 8 * H, at(9, 10), at(10, 12, 30))
    # T5: contact form, Radiators, first line: resolved 15:00, reopened 16:00, resolved again 16:30.
    t5 = _ticket(
        session, cust, "web_form", at(10, 10), category_id=b.id, team_id=x.id, resolved_at=at(10, 16, 30)
    )
    for ticket, status, when in [
        (t1, "resolved", at(10, 14)),
        (t4, "resolved", at(10, 12, 30)),
        (t5, "resolved", at(10, 15)),
        (t5, "reopened", at(10, 16)),
        (t5, "resolved", at(10, 16, 30)),
        (t3, "resolved", at(11, 10)),
    ]:
        _event(session, "ticket", ticket.id, "status_changed", when, status=status)
    # Self-service on Tuesday: T5 closed by an article, and one customer who did not send a ticket.
    article = Article(visibility=Visibility.PUBLIC)
    session.add(article)
    session.flush()
    session.add_all(
        [
            SelfService(
                article_id=article.id,
                source=SelfServiceSource.AGENT,
                ticket_id=t5.id,
                created_at=at(10, 16, 30),
            ),
            SelfService(
                article_id=article.id, source=SelfServiceSource.CUSTOMER, visitor="v1", created_at=at(10, 12)
            ),
        ]
    )
    # Visits: E1 completes O1 (site 1) and O2 (site 2) on Tuesday; O3 is booked for site 2 on
    # Friday (a follow-up of O2) and completed by E2 the Saturday after.
    ids = make_catalog(session)
    s1 = make_site(session, cust, "1 Oak Grove, Sale", 53.42, -2.32)
    s2 = make_site(session, cust, "2 Elm Road, Sale", 53.43, -2.31)
    e1 = make_engineer(session, "Sam Patel", ["gas"])
    e2 = make_engineer(session, "Jo Chen", ["gas"])
    o1, o2, o3, o4 = (make_order(session, cust, s, ids["boiler-service"]) for s in (s1, s2, s2, s1))
    for order, created in ((o1, at(5, 9)), (o2, at(5, 9)), (o3, at(13, 9)), (o4, at(8, 9))):
        order.created_at = created
    o1.engineer_id = o2.engineer_id = e1
    o3.engineer_id = o4.engineer_id = e2
    _event(session, "order", o1.id, "complete", at(10, 11))
    _event(session, "order", o2.id, "complete", at(10, 12))
    _event(session, "order", o3.id, "complete", at(14, 12))
    # Tuesday's published plan (an earlier published one is superseded): E1 08:00-16:00 with O1
    # (10:00-11:00, checked in 10:10: on time) and O2 (11:30-12:00, checked in 11:50: late); E2
    # 09:00-13:00 with O4 (10:00-11:00, never checked in).
    old = Plan(day=D, time_zone=TZ, status=PlanStatus.PUBLISHED, time_limit_s=5, published_at=at(9, 17))
    plan = Plan(day=D, time_zone=TZ, status=PlanStatus.PUBLISHED, time_limit_s=5, published_at=at(9, 18))
    session.add_all([old, plan])
    session.flush()
    session.add(
        PlanRoute(
            plan_id=old.id,
            engineer_id=e2,
            departs_at=at(10, 8),
            returns_at=at(10, 9),
            travel_distance_m=99999,
            travel_time_s=99999,
        )
    )
    r1 = PlanRoute(
        plan_id=plan.id,
        engineer_id=e1,
        departs_at=at(10, 8),
        returns_at=at(10, 16),
        travel_distance_m=30000,
        travel_time_s=3600,
    )
    r2 = PlanRoute(
        plan_id=plan.id,
        engineer_id=e2,
        departs_at=at(10, 9),
        returns_at=at(10, 13),
        travel_distance_m=12000,
        travel_time_s=1800,
    )
    session.add_all([r1, r2])
    session.flush()
    for route, order, seq, starts, departs in (
        (r1, o1, 1, at(10, 10), at(10, 11)),
        (r1, o2, 2, at(10, 11, 30), at(10, 12)),
        (r2, o4, 1, at(10, 10), at(10, 11)),
    ):
        session.add(
            PlanStop(
                route_id=route.id,
                order_id=order.id,
                sequence=seq,
                arrives_at=starts,
                starts_at=starts,
                departs_at=departs,
                travel_time_s=600,
                travel_distance_m=5000,
            )
        )
    _event(session, "order", o1.id, "check_in", at(10, 10, 10))
    _event(session, "order", o2.id, "check_in", at(10, 11, 50))
    session.flush()
    return {"x": x.id, "y": y.id, "a": a.id, "b": b.id, "e1": e1, "e2": e2}


@pytest.fixture(scope="module")
def built(engine: Any) -> Iterator[tuple[Session, dict[str, int]]]:
    """The data set, with the rows of 8 to 14 November built (the job's code path, twice: idempotent)."""
    session = make_session_factory(engine)()
    try:
        ids = _build(session)
        session.commit()
        for _run in range(2):
            for day in service.days(date(2026, 11, 8), date(2026, 11, 14)):
                service.build_day(session, day, time_zone=TZ)
            session.commit()
        yield session, ids
    finally:
        session.close()
        _truncate(engine)


def _points(
    session: Session, name: str, group: str = "all", first: date = D, last: date = D, every: Every = Every.DAY
) -> dict[str, Any]:
    series = service.read(
        session, actor=DISPATCHER, name=name, first=first, last=last, group=group, every=every
    )
    return {p.key: p for p in series.points}


def test_ticket_volume_by_channel_category_and_week(built):
    session, ids = built
    assert _points(session, "volume")["all"].value == 4
    assert {k: p.value for k, p in _points(session, "volume", "channel").items()} == {
        "email": 2,
        "phone": 1,
        "web_form": 1,
    }
    assert {k: p.value for k, p in _points(session, "volume", "category").items()} == {
        str(ids["a"]): 2,
        str(ids["b"]): 2,
    }
    week = service.read(
        session,
        actor=DISPATCHER,
        name="volume",
        first=date(2026, 11, 9),
        last=date(2026, 11, 15),
        every=Every.WEEK,
    )
    assert [(p.period, p.value) for p in week.points] == [(date(2026, 11, 9), 5)]
    # the rows were built twice: the second run replaced the first
    rows = session.scalar(
        select(func.count())
        .select_from(DailyAggregate)
        .where(DailyAggregate.figure == "volume", DailyAggregate.day == D)
    )
    assert rows == 1 + 3 + 2


def test_response_and_resolution_times_in_business_hours(built):
    session, ids = built
    first = _points(session, "first_response")["all"]
    assert (first.count, first.value, first.p90) == (2, 3600, 5400)
    both_days = _points(session, "first_response", last=date(2026, 11, 11), every=Every.WEEK)["all"]
    assert (both_days.count, both_days.value, both_days.p90) == (3, 5400, 5400)
    by_team = _points(session, "first_response", "desk_team")
    assert (by_team[str(ids["x"])].value, by_team[str(ids["x"])].p90) == (3600, 5400)
    resolved = _points(session, "resolution")["all"]
    assert (resolved.count, resolved.value, resolved.p90) == (2, 14400, 37800)
    assert (
        _points(session, "resolution", first=date(2026, 11, 11), last=date(2026, 11, 11))["all"].value == 7200
    )


def test_sla_and_ola_compliance_per_team(built):
    session, ids = built
    sla = _points(session, "sla", "desk_team")
    assert (sla[str(ids["x"])].total, sla[str(ids["x"])].count) == (2, 3)
    assert (sla[str(ids["y"])].value, sla[str(ids["y"])].count) == (0.0, 1)
    assert _points(session, "sla")["all"].value == 0.5
    ola = _points(session, "ola", "desk_team")
    assert (ola[str(ids["x"])].value, ola[str(ids["y"])].value) == (1.0, 0.0)


def test_backlog_reopen_and_self_service(built):
    session, _ids = built
    assert _points(session, "backlog", first=date(2026, 11, 9), last=date(2026, 11, 9))["all"].value == 1
    assert _points(session, "backlog")["all"].value == 2  # T2 and T3 at Tuesday's end
    week = _points(session, "backlog", first=date(2026, 11, 9), last=date(2026, 11, 11), every=Every.WEEK)
    assert week["all"].value == 1  # a level: the last day's (T2), not a sum
    assert _points(session, "backlog", first=date(2026, 11, 8), last=date(2026, 11, 8))["all"].value == 0
    reopen = _points(session, "reopen_rate")["all"]
    assert (reopen.total, reopen.count, reopen.value) == (1, 4, 0.25)
    served = _points(session, "self_service")["all"]
    assert (served.total, served.count, served.value) == (2, 5, 0.4)


def test_first_time_fix_travel_on_time_and_utilisation(built):
    session, ids = built
    e1, e2 = str(ids["e1"]), str(ids["e2"])
    fix = _points(session, "first_time_fix", "engineer")
    assert (fix[e1].total, fix[e1].count) == (1, 2)  # O2 needed O3 at the same site within 14 days
    assert (
        _points(session, "first_time_fix", first=date(2026, 11, 14), last=date(2026, 11, 14))["all"].value
        == 1.0
    )
    travel = _points(session, "travel_time", "engineer")
    assert (travel[e1].value, travel[e2].value) == (3600, 1800)  # the superseded plan does not count
    assert _points(session, "travel_distance")["all"].value == 42000
    on_time = _points(session, "on_time", "engineer")
    assert (on_time[e1].total, on_time[e1].count) == (1, 2)
    assert e2 not in on_time
    use = _points(session, "utilisation", "engineer")
    assert (use[e1].value, use[e2].value) == (0.1875, 0.25)
    assert _points(session, "utilisation")["all"].value == round(9000 / 43200, 4)


def stored_rows(session: Session, first: date, last: date) -> list[tuple[Any, ...]]:
    """Every daily row of the days, as comparable tuples."""
    stmt = select(
        DailyAggregate.figure,
        DailyAggregate.day,
        DailyAggregate.dimension,
        DailyAggregate.key,
        DailyAggregate.count,
        DailyAggregate.total,
        DailyAggregate.samples,
    ).where(DailyAggregate.day >= first, DailyAggregate.day <= last)
    return sorted((*row[:6], tuple(row[6]) if row[6] is not None else None) for row in session.execute(stmt))


def test_a_week_built_at_once_has_the_rows_of_its_days_built_one_by_one(built):
    session, _ids = built
    first, last = date(2026, 11, 8), date(2026, 11, 14)
    day_by_day = stored_rows(session, first, last)
    figures = {row[0] for row in day_by_day}
    assert len(figures) == 13  # every built-in figure had rows in the week (the other parts' have no data)
    assert {row[1] for row in day_by_day if row[0] == "backlog"} == set(service.days(first, last))
    written = service.build_days(session, first, last, time_zone=TZ)
    session.commit()
    assert stored_rows(session, first, last) == day_by_day
    assert written == len(day_by_day)
    # a middle day rebuilt alone leaves its neighbours alone and gives the same rows again
    service.build_day(session, D, time_zone=TZ)
    session.commit()
    assert stored_rows(session, first, last) == day_by_day


def test_who_may_read_what_and_bad_ranges(built, monkeypatch):
    session, _ids = built
    names = [f.name for f in service.visible(AGENT)]
    assert "volume" in names
    assert "first_time_fix" not in names
    assert service.read(session, actor=AGENT, name="sla", first=D, last=D).points
    with pytest.raises(Forbidden):
        service.read(session, actor=AGENT, name="travel_time", first=D, last=D)
    with pytest.raises(Forbidden):
        service.visible(Actor(role=Role.ENGINEER, user_id=3, engineer_id=1))
    with pytest.raises(NotFound):
        service.read(session, actor=SYSTEM, name="nothing", first=D, last=D)
    with pytest.raises(Invalid, match="grouped"):
        service.read(session, actor=SYSTEM, name="volume", first=D, last=D, group="engineer")
    with pytest.raises(Invalid, match="at most"):
        service.read(session, actor=SYSTEM, name="volume", first=date(2025, 1, 1), last=D)
    with pytest.raises(Invalid, match="before"):
        service.read(session, actor=SYSTEM, name="volume", first=D, last=date(2026, 11, 1))
    monkeypatch.setattr(service, "MAX_POINTS", 2)
    with pytest.raises(Invalid, match="3 points, more than 2"):
        service.read(session, actor=SYSTEM, name="volume", first=D, last=D, group="channel")


def test_local_days_and_the_nightly_range():
    shanghai = service.local_day(date(2026, 11, 10), "Asia/Shanghai")
    assert (shanghai.start, shanghai.end) == (at(9, 16), at(10, 16))
    spring = service.local_day(date(2026, 3, 29), "Europe/London")  # the clocks go forward: 23 hours
    assert (spring.end - spring.start).total_seconds() == 23 * H


def test_a_moment_falls_in_its_local_day_across_the_clock_change():
    from dispatch.reports.figures import Days

    span = Days([service.local_day(d, TZ) for d in service.days(date(2026, 3, 28), date(2026, 3, 30))])
    assert span.of(datetime(2026, 3, 28, 0, tzinfo=UTC)) == date(2026, 3, 28)  # midnight starts the day
    assert span.of(datetime(2026, 3, 28, 23, 59, tzinfo=UTC)) == date(2026, 3, 28)
    assert span.of(datetime(2026, 3, 29, 23, 30, tzinfo=UTC)) == date(2026, 3, 30)  # 00:30 BST
    assert span.of(datetime(2026, 3, 27, 23, 59, tzinfo=UTC)) is None
    assert span.of(datetime(2026, 3, 30, 23, 0, tzinfo=UTC)) is None  # 31 March, midnight BST
