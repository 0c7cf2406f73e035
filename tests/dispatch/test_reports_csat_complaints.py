"""The surveys' and complaints' report figures against a small hand-computed day (Tuesday 10 November
2026, London = UTC then): CSAT per desk team and per engineer, complaint attribution by root cause and
by who was responsible."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from dispatch.access import Actor, Role
from dispatch.complaints.models import Complaint, Responsible, RootCause
from dispatch.db import make_session_factory
from dispatch.reports import service
from dispatch.routing.models import DeskTeam
from dispatch.surveys.models import Survey, SurveySubject
from dispatch.tickets.models import Ticket, TicketChannel, TicketKind
from tests.conftest import _truncate
from tests.dispatch.test_reports import stored_rows
from tests.factories import make_catalog, make_customer, make_engineer, make_order, make_site

D = date(2026, 11, 10)
AGENT = Actor(role=Role.AGENT, user_id=2)
DISPATCHER = Actor(role=Role.DISPATCHER, user_id=1)


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def _ticket(session: Session, customer_id: int, kind: TicketKind, **kw: Any) -> Ticket:
    ticket = Ticket(
        kind=kind,
        channel=TicketChannel.EMAIL,
        subject="Late",
        customer_id=customer_id,
        created_at=at(9, 9),
        **kw,
    )
    session.add(ticket)
    session.flush()
    return ticket


def _build(session: Session) -> dict[str, int]:
    x, y = DeskTeam(code="x", name="First line"), DeskTeam(code="y", name="Second line")
    late, rude = RootCause(name="Late arrival"), RootCause(name="Rude on the phone")
    session.add_all([x, y, late, rude])
    session.flush()
    cust = make_customer(session, "Ada Lane", "ada@example.com")
    e1 = make_engineer(session, "Freya Jones", [])
    e2 = make_engineer(session, "Leo Smith", [])
    catalog = make_catalog(session)
    site = make_site(session, cust, "12 Mauldeth Road, Withington", 53.4330, -2.2290)
    asked = at(9, 12)

    def survey(subject: SurveySubject, score: int | None, answered: datetime | None, **about: Any) -> None:
        if subject is SurveySubject.TICKET:
            about["ticket_id"] = _ticket(session, cust, TicketKind.INQUIRY).id
        else:
            about["order_id"] = make_order(session, cust, site, catalog["boiler-service"]).id
        session.add(
            Survey(
                subject=subject,
                customer_id=cust,
                expires_at=asked + timedelta(days=30),
                answered_at=answered,
                score=score,
                **about,
            )
        )

    # Tickets rated on the 10th: first line 5 and 2 (1 of 2 satisfied), second line 4 (1 of 1).
    survey(SurveySubject.TICKET, 5, at(10, 9), team_id=x.id)
    survey(SurveySubject.TICKET, 2, at(10, 11), team_id=x.id)
    survey(SurveySubject.TICKET, 4, at(10, 15), team_id=y.id)
    survey(SurveySubject.TICKET, 1, at(11, 9), team_id=y.id)  # the next day
    survey(SurveySubject.TICKET, None, None, team_id=y.id)  # never answered
    # Visits rated on the 10th: Freya 4 and 3 (1 of 2), Leo 1 (0 of 1).
    survey(SurveySubject.VISIT, 4, at(10, 10), engineer_id=e1)
    survey(SurveySubject.VISIT, 3, at(10, 12), engineer_id=e1)
    survey(SurveySubject.VISIT, 1, at(10, 16), engineer_id=e2)
    session.flush()
    # Complaints resolved on the 10th: two late arrivals (an engineer, a department), one rude call
    # (a partner); one resolved the next day and one still open do not count on the 10th.
    for cause, who, resolved in [
        (late, Responsible.ENGINEER, at(10, 10)),
        (late, Responsible.DEPARTMENT, at(10, 14)),
        (rude, Responsible.PARTNER, at(10, 17)),
        (rude, Responsible.PARTNER, at(11, 10)),
        (None, None, None),
    ]:
        ticket = _ticket(session, cust, TicketKind.COMPLAINT, resolved_at=resolved)
        session.add(
            Complaint(ticket_id=ticket.id, customer_id=cust, cause_id=cause and cause.id, responsible=who)
        )
    session.flush()
    return {"x": x.id, "y": y.id, "e1": e1, "e2": e2, "late": late.id, "rude": rude.id}


@pytest.fixture(scope="module")
def built(engine: Any) -> Iterator[tuple[Session, dict[str, int]]]:
    session = make_session_factory(engine)()
    try:
        ids = _build(session)
        session.commit()
        for day in service.days(date(2026, 11, 9), date(2026, 11, 11)):
            service.build_day(
                session, day, time_zone="Europe/London", only=("csat", "csat_visits", "complaints")
            )
        session.commit()
        yield session, ids
    finally:
        session.close()
        _truncate(engine)


def test_the_days_built_at_once_have_the_rows_of_each_day_built_alone(built):
    session, _ids = built
    first, last = date(2026, 11, 9), date(2026, 11, 11)
    only = ("csat", "csat_visits", "complaints")
    day_by_day = stored_rows(session, first, last)
    assert {row[0] for row in day_by_day} == set(only)
    assert service.build_days(session, first, last, time_zone="Europe/London", only=only) == len(day_by_day)
    session.commit()
    assert stored_rows(session, first, last) == day_by_day


def _points(
    session: Session, name: str, group: str, actor: Actor = DISPATCHER, last: date = D
) -> dict[str, Any]:
    series = service.read(session, actor=actor, name=name, first=D, last=last, group=group)
    return {p.key: (p.count, p.value) for p in series.points if p.period == D}


def test_csat_is_the_share_of_answers_scoring_4_or_5_per_team_and_engineer(built):
    session, ids = built
    assert _points(session, "csat", "all", actor=AGENT)["all"] == (3, 0.6667)
    assert _points(session, "csat", "desk_team", actor=AGENT) == {
        str(ids["x"]): (2, 0.5),
        str(ids["y"]): (1, 1.0),
    }
    assert _points(session, "csat_visits", "engineer") == {
        str(ids["e1"]): (2, 0.5),
        str(ids["e2"]): (1, 0.0),
    }


def test_complaints_are_attributed_by_root_cause_and_responsibility_on_the_day_they_are_resolved(built):
    session, ids = built
    assert _points(session, "complaints", "all", actor=AGENT)["all"] == (3, 3)
    assert _points(session, "complaints", "root_cause") == {
        str(ids["late"]): (2, 2),
        str(ids["rude"]): (1, 1),
    }
    assert _points(session, "complaints", "responsible") == {
        "department": (1, 1),
        "engineer": (1, 1),
        "partner": (1, 1),
    }
