"""Quality review through the services: the week's sample (random per agent, plus every low-scored
ticket a source names), the weighted score with critical items, who sees which review, and the
scores per agent and week."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import update

from dispatch.access import SYSTEM, Actor, Role
from dispatch.db import make_session_factory
from dispatch.errors import Forbidden, Invalid, NotFound
from dispatch.quality import service as quality
from dispatch.quality import sources
from dispatch.quality.models import ReviewStatus, SampleSource
from dispatch.tickets.models import Ticket, TicketStatus
from tests.desk_factories import build_desk, open_ticket

WEEK = date(2026, 11, 23)  # a Monday


@pytest.fixture
def desk(app, world):
    session = make_session_factory(app.extensions["dispatch.db"].engine)()
    built = build_desk(session, world, agents=2)
    session.commit()
    yield session, world, built
    session.rollback()
    session.close()


def _closed(session, customer_id, agent_id, day, n):
    """``n`` tickets worked by ``agent_id`` and closed on ``day``."""
    ids = []
    for i in range(n):
        ticket = open_ticket(session, customer_id, f"Question {agent_id}-{i}")
        ids.append(ticket.id)
    session.flush()
    closed_at = datetime.combine(day, time(15), tzinfo=UTC)
    session.execute(
        update(Ticket)
        .where(Ticket.id.in_(ids))
        .values(status=TicketStatus.CLOSED, assignee_id=agent_id, owner_id=agent_id, closed_at=closed_at)
    )
    session.expire_all()
    return ids


def test_the_weeks_sample_draws_n_per_agent_and_every_low_scored_ticket(desk):
    session, world, d = desk
    a1, a2 = d.ids["a1"], d.ids["a2"]
    first = _closed(session, world.ids["c1"], a1, WEEK + timedelta(days=2), 5)
    second = _closed(session, world.ids["c1"], a2, WEEK + timedelta(days=6), 2)
    _closed(session, world.ids["c1"], a1, WEEK + timedelta(days=7), 3)  # next week: not drawn
    lead = world.actors["agent"]  # leads the first line

    def low(_session, start, end):
        return [first[4]] if start.date() == WEEK else []

    sources.register(low)
    try:
        with pytest.raises(Forbidden):
            quality.sample(session, actor=Actor(role=Role.AGENT, user_id=a1), week=WEEK, per_agent=3)
        picked = quality.sample(
            session, actor=lead, week=WEEK + timedelta(days=3), per_agent=3, rng=random.Random(7)
        )
    finally:
        sources.unregister(low)
    by_source = {(r.agent_id, r.source) for r in picked}
    assert {r.week for r in picked} == {WEEK}
    assert [r.ticket_id for r in picked if r.source is SampleSource.LOW_SCORE] == [first[4]]
    assert sum(1 for r in picked if (r.agent_id, r.source) == (a1, SampleSource.RANDOM)) == 3
    assert {r.ticket_id for r in picked if r.agent_id == a2} == set(second)  # fewer than N: all of them
    assert (a2, SampleSource.LOW_SCORE) not in by_source
    # Sampling again tops up to N per agent: nothing more to draw this week.
    assert quality.sample(session, actor=lead, week=WEEK, per_agent=3) == []
    assert len(quality.sample(session, actor=lead, week=WEEK, per_agent=4)) == 1


def test_a_review_is_scored_by_weight_and_a_failed_critical_item_makes_it_zero(desk):
    session, world, d = desk
    lead = world.actors["agent"]
    greeting = quality.create_item(
        session, actor=lead, name="Greets the customer by name", weight=1, position=1
    )
    solved = quality.create_item(session, actor=lead, name="Solves the problem", weight=3, position=2)
    privacy = quality.create_item(
        session,
        actor=lead,
        name="Checks identity before account details",
        weight=1,
        critical=True,
        position=3,
    )
    tickets = _closed(session, world.ids["c1"], d.ids["a1"], WEEK, 2)
    _closed(session, world.ids["c1"], world.ids["user_agent"], WEEK, 1)
    reviews = quality.sample(session, actor=world.actors["dispatcher"], week=WEEK, per_agent=5)
    mine = [r for r in reviews if r.agent_id == d.ids["a1"]]
    assert sorted(r.ticket_id for r in mine) == tickets

    marks = [quality.Mark(greeting.id, False), quality.Mark(solved.id, True), quality.Mark(privacy.id, True)]
    scored = quality.score(session, actor=lead, review_id=mine[0].id, marks=marks, comment="Good fix")
    assert (scored.score, scored.critical_failed, scored.status) == (80, False, ReviewStatus.SCORED)
    assert [r["name"] for r in scored.results] == [greeting.name, solved.name, privacy.name]
    marks[2] = quality.Mark(privacy.id, False, "Read out the address to a caller")
    assert quality.score(session, actor=lead, review_id=mine[1].id, marks=marks).score == 0

    with pytest.raises(Invalid) as bad:
        quality.score(session, actor=lead, review_id=mine[0].id, marks=marks[:2])
    assert bad.value.errors == {"marks": {"missing_item_ids": [privacy.id], "unknown_item_ids": []}}
    own = next(r for r in reviews if r.agent_id == world.ids["user_agent"])
    with pytest.raises(Forbidden):  # a lead's own work is scored by someone else
        quality.score(session, actor=lead, review_id=own.id, marks=marks)

    # The agent sees their own reviews only; the lead sees all.
    agent = Actor(role=Role.AGENT, user_id=d.ids["a1"])
    assert {r.agent_id for r in quality.list_reviews(session, actor=agent)} == {d.ids["a1"]}
    with pytest.raises(NotFound):
        quality.get_or_raise(session, actor=agent, review_id=own.id)
    assert len(quality.list_reviews(session, actor=lead)) == 3
    with pytest.raises(Forbidden):
        quality.list_reviews(session, actor=world.actors["engineer"])

    # Scores per agent and week: the average of the scored reviews.
    quality.score(
        session,
        actor=SYSTEM,
        review_id=own.id,
        marks=[quality.Mark(i.id, True) for i in (greeting, solved, privacy)],
    )
    later = _closed(session, world.ids["c1"], d.ids["a1"], WEEK + timedelta(days=7), 1)
    nxt = quality.sample(session, actor=lead, week=WEEK + timedelta(days=7), per_agent=1)
    assert [r.ticket_id for r in nxt] == later
    quality.score(
        session,
        actor=lead,
        review_id=nxt[0].id,
        marks=[quality.Mark(i.id, True) for i in (greeting, solved, privacy)],
    )
    weeks = quality.scores_by_week(session, actor=lead, until=WEEK + timedelta(days=7))
    assert [(w.agent_id, w.week, w.reviews, w.average, w.critical_failures) for w in weeks] == [
        (d.ids["a1"], WEEK, 2, 40.0, 1),
        (d.ids["a1"], WEEK + timedelta(days=7), 1, 100.0, 0),
        (world.ids["user_agent"], WEEK, 1, 100.0, 0),
    ]
    assert {
        w.agent_id for w in quality.scores_by_week(session, actor=agent, until=WEEK + timedelta(days=7))
    } == {d.ids["a1"]}


def test_a_ticket_the_customer_rated_low_is_always_in_the_sample(desk):
    from dispatch.surveys.models import Survey, SurveySubject

    session, world, d = desk
    rated = _closed(session, world.ids["c1"], d.ids["a1"], WEEK + timedelta(days=1), 3)
    asked = datetime.combine(WEEK, time(9), tzinfo=UTC)
    for ticket_id, score in zip(rated, (1, 3, None), strict=True):
        session.add(
            Survey(
                subject=SurveySubject.TICKET,
                ticket_id=ticket_id,
                customer_id=world.ids["c1"],
                expires_at=asked + timedelta(days=30),
                answered_at=asked if score else None,
                score=score,
            )
        )
    session.flush()
    picked = quality.sample(session, actor=world.actors["agent"], week=WEEK, per_agent=0)
    assert [(r.ticket_id, r.source) for r in picked] == [(rated[0], SampleSource.LOW_SCORE)]
