"""Satisfaction in the reports: answers of the day, and how many were satisfied (4 or 5).

CSAT is the share of answers that scored 4 or 5 (the usual definition: the mean of a 1-5 scale
hides a rising number of 1s behind 5s). Ticket surveys count for the desk team that resolved the
ticket, visit surveys for the engineer who did the visit. Registered through
``dispatch.reports.figures.EXTENSIONS``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.i18n import _
from dispatch.reports.figures import Audience, Days, Figure, Measure, Reading, one_day, register
from dispatch.reports.measures import pooled
from dispatch.surveys.models import Survey, SurveySubject

SATISFIED = 4
"""A score at or above this counts as satisfied."""


def _csat(session: Session, days: Days, subject: SurveySubject, dimension: str) -> dict[date, list[Measure]]:
    column = Survey.team_id if subject is SurveySubject.TICKET else Survey.engineer_id
    stmt = select(Survey.answered_at, column, Survey.score).where(
        Survey.subject == subject,
        Survey.answered_at >= days.start,
        Survey.answered_at < days.end,
        Survey.score.is_not(None),
    )
    items: dict[date, list[tuple[dict[str, object], int, int]]] = defaultdict(list)
    for answered_at, key, score in session.execute(stmt):
        day = days.of(answered_at) if answered_at else None
        if day is not None:
            items[day].append(({dimension: key}, 1, int((score or 0) >= SATISFIED)))
    return {day: pooled(rows, (dimension,)) for day, rows in items.items()}


def desk_csat(session: Session, days: Days) -> dict[date, list[Measure]]:
    """Ticket surveys answered in the day (count) and those scoring 4-5 (total), by desk team."""
    return _csat(session, days, SurveySubject.TICKET, "desk_team")


def visit_csat(session: Session, days: Days) -> dict[date, list[Measure]]:
    """Visit surveys answered in the day (count) and those scoring 4-5 (total), by engineer."""
    return _csat(session, days, SurveySubject.VISIT, "engineer")


register(
    Figure(
        "csat",
        _("Satisfied customers (4-5) of tickets rated"),
        "share",
        Reading.RATE,
        ("all", "desk_team"),
        Audience.DESK,
        one_day(desk_csat),
        compute_days=desk_csat,
    )
)
register(
    Figure(
        "csat_visits",
        _("Satisfied customers (4-5) of visits rated"),
        "share",
        Reading.RATE,
        ("all", "engineer"),
        Audience.FIELD,
        one_day(visit_csat),
        compute_days=visit_csat,
    )
)
