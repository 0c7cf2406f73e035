"""Two answers racing for one survey (two tabs, a double tap that reached two workers): one wins."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch.access import SYSTEM
from dispatch.customers import service as customers
from dispatch.db import make_session_factory, utcnow
from dispatch.errors import Conflict
from dispatch.surveys import service as surveys
from dispatch.surveys.models import Survey, SurveySubject
from tests.factories import make_catalog, make_order, make_site


def test_the_second_of_two_racing_answers_is_told_it_was_already_answered(db_session, clean_db):
    ids = make_catalog(db_session)
    customer = customers.create(db_session, actor=SYSTEM, name="Grace Hall", email="grace@example.com").id
    order = make_order(
        db_session, customer, make_site(db_session, customer, "1 Oak Road", 53.4, -2.2), ids["boiler-service"]
    )
    survey = Survey(
        subject=SurveySubject.VISIT,
        order_id=order.id,
        customer_id=customer,
        expires_at=utcnow() + timedelta(days=30),
    )
    db_session.add(survey)
    db_session.commit()

    slow = db_session
    assert not surveys.by_token(slow, token=survey.token).answered  # this tab read it first...
    fast = make_session_factory(clean_db)()
    try:
        surveys.answer(fast, token=survey.token, score=5, comment="first")  # ...the other answered
        fast.commit()
    finally:
        fast.close()
    with pytest.raises(Conflict):
        surveys.answer(slow, token=survey.token, score=1, comment="second")
    slow.rollback()
    stored = slow.get(Survey, survey.id, populate_existing=True)
    assert stored is not None
    assert (stored.score, stored.comment, stored.review_ticket_id) == (5, "first", None)
