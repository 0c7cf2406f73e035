"""Surveys in the role matrix: staff read them; the link's endpoints answer anyone who has the token
(a wrong token is a 404 for everyone: tests/api/test_surveys.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dispatch.access import SYSTEM
from dispatch.orders import actions
from dispatch.surveys.models import Survey
from tests.api.test_role_matrix import DENIED, OK, ROLES, Row, check_cell

STAFF_READ = (OK, OK, OK, DENIED, DENIED)
ANYONE = (OK, OK, OK, OK, OK)
SURVEY_ROWS = [
    Row("GET", "/surveys", STAFF_READ),
    Row("GET", "/surveys/{sv1}", STAFF_READ),
    Row("GET", "/survey-links/{sv1_token}", ANYONE),
    Row("POST", "/survey-links/{sv1_token}", ANYONE, lambda w: {"score": 5, "comment": "Great"}),
]

READ_ROWS = [row for row in SURVEY_ROWS if row.method == "GET"]
ANSWER_CELLS = [
    pytest.param(row, role, row.expected[i], id=f"{row.method} {row.path} {i}:{role}")
    for row in SURVEY_ROWS
    if row.method != "GET"
    for i, role in enumerate(ROLES)
]


@pytest.fixture
def survey_world(app, world):
    """The world with the on-site visit completed, so it has a survey waiting for its answer."""
    with app.extensions["dispatch.db"].sessions() as session:
        actions.field_action(
            session, actor=SYSTEM, order_id=world.ids["o_site"], expected_version=None, action="complete"
        )
        session.commit()
        survey = session.scalar(select(Survey).where(Survey.order_id == world.ids["o_site"]))
        assert survey is not None
        world.ids.update(sv1=survey.id, sv1_token=survey.token)
    app.extensions["dispatch.queue"].wait_idle()
    return world


def test_survey_reads_give_each_role_exactly_the_expected_status(client, survey_world):
    # Reading changes nothing: every (row, role) cell of the GET rows shares one world.
    for row in READ_ROWS:
        for i, role in enumerate(ROLES):
            check_cell(client, survey_world, row, role, row.expected[i])


@pytest.mark.parametrize(("row", "role", "status"), ANSWER_CELLS)
def test_survey_answer_gives_each_role_exactly_the_expected_status(client, survey_world, row, role, status):
    check_cell(client, survey_world, row, role, status)
