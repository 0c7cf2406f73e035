"""Surveys: made when a visit is completed or a ticket resolved, answered once through their link.

The link reaches the customer in the email that tells them the visit is done or the ticket resolved
(:mod:`dispatch.notifications`), and on their own pages while it waits for an answer.

The answer is one conditional UPDATE (``answered_at IS NULL``), so a second submit, a double click
or two tabs racing each other leave exactly one answer; the loser is told it was already answered.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from dispatch.access import STAFF, Actor, require_role
from dispatch.db import utcnow
from dispatch.errors import Conflict, DomainError, Invalid, NotFound
from dispatch.i18n import _
from dispatch.listing import Page, paginate
from dispatch.orders.models import Order
from dispatch.surveys.models import Survey, SurveySubject
from dispatch.tickets.models import Ticket

VALID_DAYS = 30
"""How long a survey link can be answered."""
LOW_SCORE = 2
"""A score at or below this opens a review ticket for the team lead (and steers planning away)."""
MAX_COMMENT = 2000
REVIEW_TAG = "low_rating"
"""The tag of the review tickets low scores open (a lead's queue can filter on it)."""
RECENT_DAYS = 90
"""The engineer's average on the dispatcher's screen counts the answers of this many days."""


class Expired(DomainError):
    """The survey link is past its date (HTTP 410)."""

    status = 410


@dataclass(frozen=True)
class Rating:
    """An engineer's recent average score and how many answers it is made of."""

    average: float
    count: int


def _create(session: Session, survey: Survey) -> Survey:
    survey.expires_at = utcnow() + timedelta(days=VALID_DAYS)
    session.add(survey)
    session.flush()
    return survey


def for_visit(session: Session, *, order: Order) -> Survey:
    """The survey of a completed visit, made on first call (its link goes into the "done" email)."""
    found = session.scalar(select(Survey).where(Survey.order_id == order.id))
    if found is not None:
        return found
    survey = Survey(
        subject=SurveySubject.VISIT,
        order_id=order.id,
        customer_id=order.customer_id,
        engineer_id=order.engineer_id,
    )
    return _create(session, survey)


def for_ticket(session: Session, *, ticket: Ticket) -> Survey | None:
    """The survey of a resolved ticket, made on first call (its link goes into the "resolved" email);
    None for the review tickets that low scores open (nobody is asked to rate the review)."""
    if review_tag(ticket):
        return None
    found = session.scalar(select(Survey).where(Survey.ticket_id == ticket.id))
    if found is not None:
        return found
    survey = Survey(
        subject=SurveySubject.TICKET,
        ticket_id=ticket.id,
        customer_id=ticket.customer_id,
        team_id=ticket.team_id,
    )
    return _create(session, survey)


def review_tag(ticket: Ticket) -> bool:
    """Whether the ticket is the review of a low score."""
    return REVIEW_TAG in (ticket.tags or [])


def by_token(session: Session, *, token: str, now: datetime | None = None) -> Survey:
    """The survey a link opens: :class:`NotFound` for a wrong token, :class:`Expired` past its date."""
    if not token or len(token) > 64:
        raise NotFound(_("no survey is answered at this link"))
    survey = session.scalar(select(Survey).where(Survey.token == token))
    if survey is None:
        raise NotFound(_("no survey is answered at this link"))
    if not survey.answered and survey.expires_at <= (now or utcnow()):
        raise Expired(_("this survey link has expired"))
    return survey


def answer(
    session: Session, *, token: str, score: int, comment: str = "", now: datetime | None = None
) -> Survey:
    """Record the customer's one answer (1-5 and an optional comment); a low score opens a review.

    A survey that was already answered is a :class:`Conflict` and keeps its first answer.
    """
    survey = by_token(session, token=token, now=now)
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise Invalid(_("rate from 1 to 5"), errors={"score": ["a whole number from 1 to 5"]})
    text = (comment or "").strip()
    if len(text) > MAX_COMMENT or "\x00" in text:
        raise Invalid(
            _("the comment is too long (at most %(n)s characters)", n=MAX_COMMENT),
            errors={"comment": [f"at most {MAX_COMMENT} characters"]},
        )
    if survey.answered:
        raise _already(survey)
    moment = now or utcnow()
    result = session.execute(
        update(Survey)
        .where(Survey.id == survey.id, Survey.answered_at.is_(None))
        .values(answered_at=moment, score=score, comment=text)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        session.refresh(survey)
        raise _already(survey)
    session.refresh(survey)
    if score <= LOW_SCORE:
        from dispatch.surveys import review

        survey.review_ticket_id = review.open_review(session, survey=survey).id
        session.flush()
    return survey


def _already(survey: Survey) -> Conflict:
    return Conflict(_("this survey was already answered, thank you"), errors={"survey": ["already answered"]})


def _filtered(
    stmt: Select[tuple[Survey]],
    *,
    subject: SurveySubject | None,
    answered: bool | None,
    engineer_id: int | None,
    customer_id: int | None,
    max_score: int | None,
) -> Select[tuple[Survey]]:
    if subject is not None:
        stmt = stmt.where(Survey.subject == subject)
    if answered is not None:
        stmt = stmt.where(Survey.answered_at.is_not(None) if answered else Survey.answered_at.is_(None))
    if engineer_id is not None:
        stmt = stmt.where(Survey.engineer_id == engineer_id)
    if customer_id is not None:
        stmt = stmt.where(Survey.customer_id == customer_id)
    if max_score is not None:
        stmt = stmt.where(Survey.score <= max_score)
    return stmt


def list_surveys(
    session: Session,
    *,
    actor: Actor,
    subject: SurveySubject | None = None,
    answered: bool | None = None,
    engineer_id: int | None = None,
    customer_id: int | None = None,
    max_score: int | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[Survey]:
    """Surveys and their answers, newest first, with filters (staff)."""
    require_role(actor, STAFF, to=_("Your role (%(role)s) may not read surveys (allowed: %(allowed)s)."))
    stmt = _filtered(
        select(Survey),
        subject=subject,
        answered=answered,
        engineer_id=engineer_id,
        customer_id=customer_id,
        max_score=max_score,
    )
    return paginate(session, stmt.order_by(Survey.id.desc()), page=page, page_size=page_size)


def get_or_raise(session: Session, *, actor: Actor, survey_id: int) -> Survey:
    """One survey with its answer (staff), or :class:`NotFound`."""
    require_role(actor, STAFF, to=_("Your role (%(role)s) may not read surveys (allowed: %(allowed)s)."))
    found = session.get(Survey, survey_id)
    if found is None:
        raise NotFound(_("survey %(id)s not found", id=survey_id))
    return found


def open_for_customer(session: Session, *, customer_id: int, now: datetime | None = None) -> list[Survey]:
    """The customer's surveys still waiting for an answer (for their own pages), newest first."""
    stmt = (
        select(Survey)
        .where(
            Survey.customer_id == customer_id,
            Survey.answered_at.is_(None),
            Survey.expires_at > (now or utcnow()),
        )
        .order_by(Survey.id.desc())
        .limit(20)
    )
    return list(session.scalars(stmt))


def ratings(
    session: Session, *, engineer_ids: Collection[int], days: int = RECENT_DAYS, now: datetime | None = None
) -> dict[int, Rating]:
    """Each engineer's average visit score of the last ``days`` days, with the count (rated ones only)."""
    if not engineer_ids:
        return {}
    since = (now or utcnow()) - timedelta(days=days)
    stmt = (
        select(Survey.engineer_id, func.avg(Survey.score), func.count(Survey.id))
        .where(
            Survey.engineer_id.in_(list(engineer_ids)),
            Survey.answered_at.is_not(None),
            Survey.answered_at >= since,
        )
        .group_by(Survey.engineer_id)
    )
    return {
        int(eid): Rating(average=round(float(avg), 2), count=int(n))
        for eid, avg, n in session.execute(stmt)
        if eid is not None
    }


@dataclass(frozen=True)
class Satisfaction:
    """A customer's recent satisfaction, for the agent beside their ticket."""

    average: float | None
    """The average score of the answers of the last ``days`` days (None: no answer in that time)."""
    count: int
    days: int
    recent: list[Survey]
    """The last few answers, newest first, whatever their age."""


def customer_satisfaction(
    session: Session,
    *,
    customer_id: int,
    days: int = RECENT_DAYS,
    last: int = 5,
    now: datetime | None = None,
) -> Satisfaction | None:
    """The customer's average score of the last ``days`` days and their last answers (None: never rated)."""
    answered = select(Survey).where(Survey.customer_id == customer_id, Survey.answered_at.is_not(None))
    recent = list(session.scalars(answered.order_by(Survey.answered_at.desc(), Survey.id.desc()).limit(last)))
    if not recent:
        return None
    since = (now or utcnow()) - timedelta(days=days)
    avg, count = session.execute(
        select(func.avg(Survey.score), func.count(Survey.id)).where(
            Survey.customer_id == customer_id, Survey.answered_at >= since
        )
    ).one()
    return Satisfaction(
        average=round(float(avg), 2) if count else None, count=int(count), days=days, recent=recent
    )


def disliked_engineers(session: Session, *, customer_ids: Collection[int]) -> dict[int, set[int]]:
    """For each customer, the engineers they rated 1-2 after a visit (planning avoids them)."""
    if not customer_ids:
        return {}
    stmt = select(Survey.customer_id, Survey.engineer_id).where(
        Survey.customer_id.in_(list(customer_ids)),
        Survey.engineer_id.is_not(None),
        Survey.score <= LOW_SCORE,
    )
    found: dict[int, set[int]] = {}
    for customer_id, engineer_id in session.execute(stmt):
        if engineer_id is not None:
            found.setdefault(int(customer_id), set()).add(int(engineer_id))
    return found


def low_scored_tickets(session: Session, start: datetime, end: datetime) -> list[int]:
    """Tickets closed in ``[start, end)`` whose customer rated them ``LOW_SCORE`` or less: the quality
    review samples every one of them (``dispatch.quality.sources``)."""
    return list(
        session.scalars(
            select(Ticket.id)
            .join(Survey, Survey.ticket_id == Ticket.id)
            .where(Survey.score <= LOW_SCORE, Ticket.closed_at >= start, Ticket.closed_at < end)
        )
    )
