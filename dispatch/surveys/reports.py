"""Satisfaction in the reports: answers of the day, and how many were satisfied (4 or 5).

CSAT is the share of answers that scored 4 or 5 (the usual definition: the mean of a 1-5 scale
hides a rising number of 1s behind 5s). Ticket surveys count for the desk team that resolved the
ticket, visit surveys for the engineer who did the visit. Registered through
``dispatch.reports.figures.EXTENSIONS``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.i18n import _
from dispatch.reports.figures import Audience, Day, Figure, Measure, Reading, register
from dispatch.reports.measures import pooled
from dispatch.surveys.models import Survey, SurveySubject

SATISFIED = 4
"""A score at or above this counts as satisfied."""


def _csat(session: Session, day: Day, subject: SurveySubject, dimension: str) -> list[Measure]:
    column = Survey.team_id if subject is SurveySubject.TICKET else Survey.engineer_id
    stmt = select(column, Survey.score).where(
        Survey.subject == subject,
        Survey.answered_at >= day.start,
        Survey.answered_at < day.end,
        Survey.score.is_not(None),
    )
    items = [({dimension: key}, 1, int((score or 0) >= SATISFIED)) for key, score in session.execute(stmt)]
    return pooled(items, (dimension,))


def desk_csat(session: Session, day: Day) -> list[Measure]:
    """Ticket surveys answered in the day (count) and those scoring 4-5 (total), by desk team."""
    return _csat(session, day, SurveySubject.TICKET, "desk_team")


def visit_csat(session: Session, day: Day) -> list[Measure]:
    """Visit surveys answered in the day (count) and those scoring 4-5 (total), by engineer."""
    return _csat(session, day, SurveySubject.VISIT, "engineer")


register(
    Figure(
        "csat",
        _("Satisfied customers (4-5) of tickets rated"),
        "share",
        Reading.RATE,
        ("all", "desk_team"),
        Audience.DESK,
        desk_csat,
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
        visit_csat,
    )
)
