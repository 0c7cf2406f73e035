"""Quality review: leads sample closed tickets (N at random per agent and week, plus every
low-scored one a source names), score them on the weighted rubric (a failed critical item makes the
score 0); agents read their own reviews and their scores per week.

Leads are admins, dispatchers and agents who lead a desk team (:mod:`dispatch.routing.leads`).
The agent a review judges is the ticket's assignee when it closed, else its owner of record.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from dispatch.access import STAFF, Actor, Role, require_role
from dispatch.db import utcnow
from dispatch.errors import Forbidden, Invalid, NotFound
from dispatch.events import service as events
from dispatch.i18n import _
from dispatch.quality import sources
from dispatch.quality.models import QualityReview, ReviewStatus, RubricItem, SampleSource
from dispatch.routing import leads
from dispatch.tickets.models import Ticket, TicketStatus
from dispatch.users.models import User

MAX_PER_AGENT = 50
_RUBRIC_EDITORS = _(
    "Only admins and team leads (dispatchers, and agents who lead a desk team) may edit the quality rubric."
)
_ITEM_VIEW = events.fields("name", "weight", "critical", "active", "position")


def monday(day: date) -> date:
    """The Monday of the week ``day`` is in."""
    return day - timedelta(days=day.weekday())


def _week_bounds(week: date) -> tuple[datetime, datetime]:
    start = datetime.combine(monday(week), time(), tzinfo=UTC)
    return start, start + timedelta(days=7)


# --- the rubric --------------------------------------------------------------------------------


def list_items(session: Session, *, actor: Actor, include_inactive: bool = False) -> list[RubricItem]:
    """The rubric in its order (staff read it: agents know what they are judged on; the retired
    items, which only the rubric's editors need, leads)."""
    require_role(
        actor, STAFF, to=_("Your role (%(role)s) may not read the quality rubric (allowed: %(allowed)s).")
    )
    if include_inactive:
        leads.require_lead(session, actor, to=_RUBRIC_EDITORS)
    stmt = select(RubricItem).order_by(RubricItem.position, RubricItem.id)
    if not include_inactive:
        stmt = stmt.where(RubricItem.active.is_(True))
    return list(session.scalars(stmt))


def _name_free(session: Session, name: str, item_id: int | None) -> str:
    text = name.strip()
    if not text or len(text) > 200:
        raise Invalid(_("give the rubric item a name (1 to 200 characters)"), errors={"name": ["required"]})
    clash = session.scalar(
        select(RubricItem.id).where(RubricItem.name == text, RubricItem.id != (item_id or 0))
    )
    if clash is not None:
        raise Invalid(
            _("there is already a rubric item %(name)s", name=text),
            errors={"name": [f"used by item {clash}"]},
        )
    return text


def _weight(value: Any) -> int:
    weight = int(value)
    if not 1 <= weight <= 100:
        raise Invalid(_("a rubric item weighs 1 to 100"), errors={"weight": ["1 to 100"]})
    return weight


def create_item(
    session: Session,
    *,
    actor: Actor,
    name: str,
    weight: int = 1,
    critical: bool = False,
    description: str = "",
    position: int = 0,
) -> RubricItem:
    """Add a rubric item (leads)."""
    leads.require_lead(
        session,
        actor,
        to=_(
            "Only admins and team leads (dispatchers, and agents who lead a desk team) may edit the quality rubric."
        ),
    )
    item = RubricItem(
        name=_name_free(session, name, None),
        weight=_weight(weight),
        critical=critical,
        description=description.strip(),
        position=position,
    )
    session.add(item)
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="rubric_item",
        entity_id=item.id,
        action="created",
        after=_ITEM_VIEW(item),
    )
    return item


def update_item(session: Session, *, actor: Actor, item_id: int, changes: Mapping[str, Any]) -> RubricItem:
    """Rename, reweigh, mark critical or retire a rubric item (leads); scored reviews keep their copy."""
    leads.require_lead(
        session,
        actor,
        to=_(
            "Only admins and team leads (dispatchers, and agents who lead a desk team) may edit the quality rubric."
        ),
    )
    item = session.get(RubricItem, item_id)
    if item is None:
        raise NotFound(_("rubric item %(id)s not found", id=item_id))
    with events.recording(session, actor=actor, entity=item, entity_type="rubric_item", view=_ITEM_VIEW):
        if "name" in changes:
            item.name = _name_free(session, changes["name"], item.id)
        if "weight" in changes:
            item.weight = _weight(changes["weight"])
        for name in ("critical", "active", "position"):
            if name in changes:
                setattr(item, name, changes[name])
        if "description" in changes:
            item.description = str(changes["description"]).strip()
    return item


# --- sampling ----------------------------------------------------------------------------------


def _agent_of(ticket: Ticket) -> int | None:
    return ticket.assignee_id or ticket.owner_id


def sample(
    session: Session,
    *,
    actor: Actor,
    week: date,
    per_agent: int,
    rng: random.Random | None = None,
) -> list[QualityReview]:
    """Pick the week's closed tickets to review: up to ``per_agent`` at random per agent (counting
    those picked before), plus every low-scored one a source names. Returns the new reviews."""
    leads.require_lead(
        session,
        actor,
        to=_(
            "Only admins and team leads (dispatchers, and agents who lead a desk team) may sample tickets for quality review."
        ),
    )
    if not 0 <= per_agent <= MAX_PER_AGENT:
        raise Invalid(
            _("sample 0 to %(n)s tickets per agent", n=MAX_PER_AGENT),
            errors={"per_agent": [f"0 to {MAX_PER_AGENT}"]},
        )
    start, end = _week_bounds(week)
    reviewed = select(QualityReview.ticket_id)
    closed = list(
        session.scalars(
            select(Ticket)
            .where(
                Ticket.status == TicketStatus.CLOSED,
                Ticket.closed_at >= start,
                Ticket.closed_at < end,
                Ticket.merged_into_id.is_(None),
                Ticket.id.not_in(reviewed),
            )
            .order_by(Ticket.id)
        )
    )
    low = sources.low_scored(session, start, end)
    already: dict[int, int] = dict(
        session.execute(
            select(QualityReview.agent_id, func.count())
            .where(QualityReview.week == start.date(), QualityReview.source == SampleSource.RANDOM)
            .group_by(QualityReview.agent_id)
        ).all()
    )
    picked: list[tuple[Ticket, SampleSource]] = []
    by_agent: dict[int, list[Ticket]] = {}
    for ticket in closed:
        agent_id = _agent_of(ticket)
        if agent_id is None:
            continue
        if ticket.id in low:
            picked.append((ticket, SampleSource.LOW_SCORE))
        else:
            by_agent.setdefault(agent_id, []).append(ticket)
    draw = rng or random.SystemRandom()
    for agent_id, pool in sorted(by_agent.items()):
        wanted = max(0, per_agent - already.get(agent_id, 0))
        picked += [(t, SampleSource.RANDOM) for t in draw.sample(pool, min(wanted, len(pool)))]
    reviews = []
    for ticket, source in picked:
        agent_id = _agent_of(ticket)
        assert agent_id is not None
        review = QualityReview(
            ticket_id=ticket.id,
            agent_id=agent_id,
            week=start.date(),
            source=source,
            status=ReviewStatus.TO_SCORE,
            sampled_by_id=actor.user_id,
            results=[],
            comment="",
        )
        session.add(review)
        reviews.append(review)
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="quality_sample",
        entity_id=0,
        action="sampled",
        payload={"week": start.date(), "per_agent": per_agent, "review_ids": [r.id for r in reviews]},
    )
    return sorted(reviews, key=lambda r: r.id)


# --- reading and scoring -----------------------------------------------------------------------


def may_lead(session: Session, actor: Actor) -> bool:
    """Whether the actor samples and scores reviews and reads everyone's (admins and team leads)."""
    return actor.role is Role.ADMIN or leads.is_lead(session, actor)


def _visible(session: Session, actor: Actor, stmt: Select[Any]) -> Select[Any]:
    require_role(
        actor, STAFF, to=_("Your role (%(role)s) may not read quality reviews (allowed: %(allowed)s).")
    )
    if may_lead(session, actor):
        return stmt
    return stmt.where(QualityReview.agent_id == (actor.user_id or 0))


def list_reviews(
    session: Session,
    *,
    actor: Actor,
    agent_id: int | None = None,
    week: date | None = None,
    status: ReviewStatus | None = None,
    limit: int = 100,
) -> list[QualityReview]:
    """Reviews newest first: leads see everyone's, an agent their own."""
    stmt = _visible(session, actor, select(QualityReview))
    if agent_id is not None:
        stmt = stmt.where(QualityReview.agent_id == agent_id)
    if week is not None:
        stmt = stmt.where(QualityReview.week == monday(week))
    if status is not None:
        stmt = stmt.where(QualityReview.status == status)
    return list(session.scalars(stmt.order_by(QualityReview.id.desc()).limit(limit)))


def get_or_raise(session: Session, *, actor: Actor, review_id: int) -> QualityReview:
    """A review the actor may read (leads: any; an agent: their own), or :class:`NotFound`."""
    found: QualityReview | None = session.scalar(
        _visible(session, actor, select(QualityReview).where(QualityReview.id == review_id))
    )
    if found is None:
        raise NotFound(_("quality review %(id)s not found", id=review_id))
    return found


@dataclass(frozen=True)
class Mark:
    """A reviewer's verdict on one rubric item."""

    item_id: int
    passed: bool
    note: str = ""


def weighted_score(results: Sequence[Mapping[str, Any]]) -> tuple[int, bool]:
    """The review's score 0-100 (passed weight over total weight, rounded) and whether a critical
    item failed (then the score is 0)."""
    if any(r["critical"] and not r["passed"] for r in results):
        return 0, True
    total = sum(r["weight"] for r in results)
    passed = sum(r["weight"] for r in results if r["passed"])
    return (round(100 * passed / total) if total else 0), False


def score(
    session: Session, *, actor: Actor, review_id: int, marks: Sequence[Mark], comment: str = ""
) -> QualityReview:
    """Score a review on every active rubric item (leads; not their own work). Scoring again replaces it."""
    leads.require_lead(
        session,
        actor,
        to=_(
            "Only admins and team leads (dispatchers, and agents who lead a desk team) may score quality reviews."
        ),
    )
    review = get_or_raise(session, actor=actor, review_id=review_id)
    if review.agent_id == actor.user_id:
        raise Forbidden(_("your own work is reviewed by another lead"))
    items = {item.id: item for item in list_items(session, actor=actor)}
    if not items:
        raise Invalid(_("the rubric is empty: add its items first"), errors={"marks": ["no rubric items"]})
    given = [m.item_id for m in marks]
    unknown = sorted(set(given) - set(items))
    missing = sorted(set(items) - set(given))
    if unknown or missing or len(given) != len(set(given)):
        raise Invalid(
            _(
                "mark every rubric item once (missing: %(missing)s; unknown: %(unknown)s)",
                missing=", ".join(map(str, missing)) or "-",
                unknown=", ".join(map(str, unknown)) or "-",
            ),
            errors={"marks": {"missing_item_ids": missing, "unknown_item_ids": unknown}},
        )
    results = [
        {
            "item_id": m.item_id,
            "name": items[m.item_id].name,
            "weight": items[m.item_id].weight,
            "critical": items[m.item_id].critical,
            "passed": m.passed,
            "note": m.note.strip()[:2000],
        }
        for m in sorted(marks, key=lambda m: (items[m.item_id].position, m.item_id))
    ]
    value, critical_failed = weighted_score(results)
    review.results = results
    review.score = value
    review.critical_failed = critical_failed
    review.comment = comment.strip()[:5000]
    review.status = ReviewStatus.SCORED
    review.reviewer_id = actor.user_id
    review.scored_at = utcnow()
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="quality_review",
        entity_id=review.id,
        ticket_id=review.ticket_id,
        action="scored",
        payload={"score": value, "critical_failed": critical_failed},
    )
    return review


@dataclass(frozen=True)
class WeekScore:
    """An agent's scored reviews of one week."""

    agent_id: int
    agent_name: str
    week: date
    reviews: int
    average: float
    critical_failures: int


def scores_by_week(
    session: Session, *, actor: Actor, agent_id: int | None = None, weeks: int = 12, until: date | None = None
) -> list[WeekScore]:
    """Average review score per agent and week over the last ``weeks`` weeks (agents: their own)."""
    last = monday(until or utcnow().date())
    first = last - timedelta(weeks=weeks - 1)
    stmt = (
        select(
            QualityReview.agent_id,
            User.full_name,
            QualityReview.week,
            func.count(),
            func.avg(QualityReview.score),
            func.sum(case((QualityReview.critical_failed.is_(True), 1), else_=0)),
        )
        .join(User, User.id == QualityReview.agent_id)
        .where(
            QualityReview.status == ReviewStatus.SCORED,
            QualityReview.week >= first,
            QualityReview.week <= last,
        )
        .group_by(QualityReview.agent_id, User.full_name, QualityReview.week)
        .order_by(User.full_name, QualityReview.agent_id, QualityReview.week)
    )
    stmt = _visible(session, actor, stmt)
    if agent_id is not None:
        stmt = stmt.where(QualityReview.agent_id == agent_id)
    return [
        WeekScore(
            agent_id=row[0],
            agent_name=row[1],
            week=row[2],
            reviews=int(row[3]),
            average=round(float(row[4] or 0), 1),
            critical_failures=int(row[5] or 0),
        )
        for row in session.execute(stmt)
    ]
