"""Complaints and their root-cause tree in the role matrix: staff work complaints, admins edit the tree."""

from __future__ import annotations

import pytest

from tests.api.test_role_matrix import DENIED, NEW, NO_CONTENT, OK, ROLES, Row, check_cell

STAFF_ONLY = (OK, OK, OK, DENIED, DENIED)
ADMIN_ONLY = (OK, DENIED, DENIED, DENIED, DENIED)

COMPLAINT_ROWS: list[Row] = [
    Row("GET", "/complaints", STAFF_ONLY),
    Row("GET", "/complaints/{cp1}", STAFF_ONLY),
    Row(
        "PATCH",
        "/complaints/{cp1}",
        STAFF_ONLY,
        lambda w: {"grade": "major", "cause_id": w.ids["late"]},
        True,
    ),
    Row("GET", "/complaint-causes", STAFF_ONLY),
    Row("POST", "/complaint-causes", (NEW, DENIED, DENIED, DENIED, DENIED), lambda w: {"name": "Billing"}),
    Row("GET", "/complaint-causes/{late}", STAFF_ONLY),
    Row("PATCH", "/complaint-causes/{late}", ADMIN_ONLY, lambda w: {"name": "Late arrival"}),
    Row("DELETE", "/complaint-causes/{unused_cause}", (NO_CONTENT, DENIED, DENIED, DENIED, DENIED)),
]

CELLS = [
    pytest.param(row, role, row.expected[i], id=f"{row.method} {row.path} {i}:{role}")
    for row in COMPLAINT_ROWS
    for i, role in enumerate(ROLES)
]


@pytest.fixture
def complaint_world(app, world):
    """The world with a complaint of the customer user about the engineer user's job, and two causes."""
    from dispatch.access import SYSTEM
    from dispatch.complaints import causes
    from dispatch.tickets.models import TicketKind
    from tests.desk_factories import open_ticket

    with app.extensions["dispatch.db"].sessions() as session:
        late = causes.create(session, actor=SYSTEM, name="Late")
        unused = causes.create(session, actor=SYSTEM, name="Unused")
        ticket = open_ticket(
            session, world.ids["c1"], "Late again", kind=TicketKind.COMPLAINT, order_ids=[world.ids["o_disp"]]
        )
        session.commit()
        world.ids.update(late=late.id, unused_cause=unused.id, cp1=ticket.id)
    app.extensions["dispatch.queue"].wait_idle()
    return world


@pytest.mark.parametrize(("row", "role", "status"), CELLS)
def test_complaint_role_gets_exactly_the_expected_status(client, complaint_world, row, role, status):
    check_cell(client, complaint_world, row, role, status)
