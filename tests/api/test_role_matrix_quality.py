"""Quality review in the role matrix: leads (admins, dispatchers, agents who lead a desk team) sample,
score and edit the rubric; agents read their own reviews and scores."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.api.test_role_matrix import DENIED, HIDDEN, NEW, OK, ROLES, Row, check_cell

WEEK = "2026-11-23"
STAFF_ONLY = (OK, OK, OK, DENIED, DENIED)
LEADS_ONLY = (OK, OK, DENIED, DENIED, DENIED)

QUALITY_ROWS: list[Row] = [
    Row("GET", "/quality/rubric", STAFF_ONLY),
    Row(
        "POST",
        "/quality/rubric",
        (NEW, NEW, DENIED, DENIED, DENIED),
        lambda w: {"name": "Polite", "weight": 2},
    ),
    Row("PATCH", "/quality/rubric/{item}", LEADS_ONLY, lambda w: {"weight": 3}),
    Row(
        "POST",
        "/quality/samples",
        (NEW, NEW, DENIED, DENIED, DENIED),
        lambda w: {"week": WEEK, "per_agent": 2},
    ),
    Row("GET", "/quality/reviews", STAFF_ONLY),
    Row("GET", "/quality/reviews/{rev_agent}", STAFF_ONLY),
    Row("GET", "/quality/reviews/{rev_other}", (OK, OK, HIDDEN, DENIED, DENIED)),
    Row(
        "POST",
        "/quality/reviews/{rev_agent}/score",
        LEADS_ONLY,
        lambda w: {"marks": [{"item_id": w.ids["item"], "passed": True}]},
    ),
    Row("GET", "/quality/scores", STAFF_ONLY),
]

CELLS = [
    pytest.param(row, role, row.expected[i], id=f"{row.method} {row.path} {i}:{role}")
    for row in QUALITY_ROWS
    for i, role in enumerate(ROLES)
]


@pytest.fixture
def quality_world(app, world):
    """A rubric item and two sampled tickets: one the agent user worked, one the dispatcher user did."""
    from sqlalchemy import update

    from dispatch.access import SYSTEM
    from dispatch.quality import service as quality
    from dispatch.tickets.models import Ticket, TicketStatus
    from tests.desk_factories import open_ticket

    with app.extensions["dispatch.db"].sessions() as session:
        item = quality.create_item(session, actor=SYSTEM, name="Solves the problem", weight=3)
        ids = {}
        for name, user in (("rev_agent", "user_agent"), ("rev_other", "user_dispatcher")):
            ticket = open_ticket(session, world.ids["c1"], f"Closed by {user}")
            session.flush()
            session.execute(
                update(Ticket)
                .where(Ticket.id == ticket.id)
                .values(
                    status=TicketStatus.CLOSED,
                    assignee_id=world.ids[user],
                    closed_at=datetime(2026, 11, 24, 10, tzinfo=UTC),
                )
            )
            ids[name] = ticket.id
        reviews = quality.sample(session, actor=SYSTEM, week=datetime(2026, 11, 23).date(), per_agent=1)
        by_ticket = {r.ticket_id: r.id for r in reviews}
        session.commit()
        world.ids.update(item=item.id, **{name: by_ticket[tid] for name, tid in ids.items()})
    app.extensions["dispatch.queue"].wait_idle()
    return world


@pytest.mark.parametrize(("row", "role", "status"), CELLS)
def test_quality_role_gets_exactly_the_expected_status(client, quality_world, row, role, status):
    check_cell(client, quality_world, row, role, status)
