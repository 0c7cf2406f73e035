"""Complaints through the services: what resolving needs, compensation limits per role, repeat
complaints of a cause, the root-cause tree and the ticket's SLA breaches on the complaint."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from dispatch.access import SYSTEM, Actor, Role
from dispatch.complaints import causes
from dispatch.complaints import service as complaints
from dispatch.complaints.models import Complaint, RepeatBy, Responsible
from dispatch.db import make_session_factory, utcnow
from dispatch.errors import Conflict, Forbidden, Invalid
from dispatch.sla.models import ClockKind, SlaClock
from dispatch.tickets import service as tickets
from dispatch.tickets.models import Ticket, TicketKind, TicketStatus
from tests.desk_factories import build_desk, open_ticket

LIMITS = complaints.Limits(agent=5_000, lead=50_000, repeat_days=90)


@pytest.fixture
def desk(app, world):
    session = make_session_factory(app.extensions["dispatch.db"].engine)()
    built = build_desk(session, world)
    lead_cause = causes.create(session, actor=SYSTEM, name="Engineer")
    late = causes.create(session, actor=SYSTEM, name="Late arrival", parent_id=lead_cause.id)
    parts = causes.create(session, actor=SYSTEM, name="Wrong part")
    built.ids.update(engineer_cause=lead_cause.id, late=late.id, parts=parts.id)
    session.commit()
    yield session, world, built
    session.rollback()
    session.close()


def _complaint(session, customer_id, **kwargs):
    ticket = open_ticket(
        session, customer_id, "The engineer came three hours late", kind=TicketKind.COMPLAINT, **kwargs
    )
    session.commit()  # the refusals below roll back to here
    return ticket


def _fill(session, actor, ticket_id, **changes):
    return complaints.update(
        session, actor=actor, ticket_id=ticket_id, expected_version=None, changes=changes, limits=LIMITS
    )


def _status(session, actor, ticket, status):
    return tickets.change_status(
        session, actor=actor, ticket_id=ticket.id, expected_version=None, status=status
    )


def test_a_complaint_is_resolved_and_closed_only_with_root_cause_and_responsibility(desk):
    session, world, d = desk
    agent = world.actors["agent"]
    ticket = _complaint(session, world.ids["c1"], order_ids=[world.ids["o_disp"]])
    shown = complaints.describe(
        session,
        complaint=complaints.get_or_raise(session, actor=agent, ticket_id=ticket.id),
        your_limit=complaints.limit_of(session, agent, LIMITS),
    )
    assert shown["version"] == 0
    assert shown["order_id"] == world.ids["o_disp"]
    assert shown["missing_to_close"] == ["cause_id", "responsible"]
    with pytest.raises(Conflict) as refused:
        _status(session, agent, ticket, TicketStatus.RESOLVED)
    assert "root cause and a responsible party" in str(refused.value.message)
    assert set(refused.value.errors or {}) == {"cause_id", "responsible"}
    session.rollback()

    _fill(
        session,
        agent,
        ticket.id,
        cause_id=d.ids["late"],
        customer_wish="An apology and the call-out fee back",
    )
    session.commit()
    with pytest.raises(Conflict) as refused:
        _status(session, agent, ticket, TicketStatus.RESOLVED)
    assert set(refused.value.errors or {}) == {"responsible"}
    session.rollback()

    with pytest.raises(Invalid) as bad:  # an engineer is named, not only the kind of party
        _fill(session, agent, ticket.id, responsible=Responsible.ENGINEER)
    assert "responsible_engineer_id" in (bad.value.errors or {})
    session.rollback()
    record = _fill(
        session,
        agent,
        ticket.id,
        cause_id=d.ids["late"],
        responsible=Responsible.ENGINEER,
        responsible_engineer_id=world.ids["e1"],
        resolution="Apologised; refunded the call-out fee",
        compensation_minor=4_500,
        follow_up_outcome="satisfied",
        corrective_action="Route planning now keeps a 30 minute margin",
    )
    assert record.follow_up_by_id == world.ids["user_agent"]
    assert complaints.cause_path(session, record.cause_id) == ["Engineer", "Late arrival"]
    _status(session, agent, ticket, TicketStatus.RESOLVED)
    _status(session, agent, ticket, TicketStatus.CLOSED)
    session.commit()
    assert ticket.status is TicketStatus.CLOSED
    with pytest.raises(Conflict):  # a closed complaint keeps what it said
        _fill(session, agent, ticket.id, compensation_minor=100)
    session.rollback()

    fault = open_ticket(session, world.ids["c1"])  # other kinds resolve as before
    _status(session, agent, fault, TicketStatus.RESOLVED)
    with pytest.raises(Conflict, match="not a complaint"):
        _fill(session, agent, fault.id, grade="major")

    # A complaint resolved before it had a record does not stop the housekeeping closing the rest.
    legacy = _complaint(session, world.ids["c2"])
    session.execute(
        update(Ticket)
        .where(Ticket.id == legacy.id)
        .values(status=TicketStatus.RESOLVED, resolved_at=utcnow() - timedelta(days=5))
    )
    session.expire_all()
    assert tickets.close_resolved(session, older_than=timedelta(days=3)) == 1
    assert session.get(Ticket, legacy.id).status is TicketStatus.CLOSED


def test_compensation_is_limited_by_role_and_the_refusal_names_the_limit(desk):
    session, world, d = desk
    ticket = _complaint(session, world.ids["c1"])
    plain_agent = Actor(role=Role.AGENT, user_id=d.ids["a1"])
    lead = world.actors["agent"]  # leads the first line
    assert complaints.limit_of(session, plain_agent, LIMITS) == 5_000
    assert complaints.limit_of(session, lead, LIMITS) == 50_000
    assert complaints.limit_of(session, world.actors["dispatcher"], LIMITS) == 50_000
    assert complaints.limit_of(session, world.actors["admin"], LIMITS) is None

    assert _fill(session, plain_agent, ticket.id, compensation_minor=5_000).compensation_minor == 5_000
    session.commit()
    with pytest.raises(Forbidden) as refused:
        _fill(session, plain_agent, ticket.id, compensation_minor=5_001)
    assert "limit of 5000" in str(refused.value.message)
    assert (refused.value.errors or {})["limit_minor"] == 5_000
    session.rollback()
    assert (
        _fill(session, lead, ticket.id, compensation_minor=50_000).compensation_by_id
        == world.ids["user_agent"]
    )
    with pytest.raises(Forbidden):
        _fill(session, world.actors["dispatcher"], ticket.id, compensation_minor=50_001)
    session.rollback()
    assert (
        _fill(session, world.actors["admin"], ticket.id, compensation_minor=2_000_000).compensation_minor
        == 2_000_000
    )
    with pytest.raises(Forbidden):  # engineers and customers do not work complaints
        _fill(session, world.actors["engineer"], ticket.id, grade="major")


def test_repeat_complaints_of_a_cause_are_flagged_for_the_customer_and_for_the_engineer(desk):
    session, world, d = desk
    agent = world.actors["admin"]
    first = _complaint(session, world.ids["c1"])
    _fill(
        session,
        agent,
        first.id,
        cause_id=d.ids["late"],
        responsible="engineer",
        responsible_engineer_id=world.ids["e1"],
    )
    other_cause = _complaint(session, world.ids["c1"])
    assert _fill(session, agent, other_cause.id, cause_id=d.ids["parts"]).repeat_of_id is None
    again = _complaint(session, world.ids["c1"])
    record = _fill(session, agent, again.id, cause_id=d.ids["late"])
    assert (record.repeat_of_id, record.repeat_by) == (first.id, RepeatBy.CUSTOMER)
    elsewhere = _complaint(session, world.ids["c2"])
    record = _fill(
        session,
        agent,
        elsewhere.id,
        cause_id=d.ids["late"],
        responsible="engineer",
        responsible_engineer_id=world.ids["e1"],
    )
    assert (record.repeat_of_id, record.repeat_by) == (first.id, RepeatBy.ENGINEER)
    shown = complaints.describe(
        session, complaint=record, your_limit=complaints.limit_of(session, agent, LIMITS)
    )
    assert shown["repeat"] == {"ticket_id": first.id, "number": first.number, "by": RepeatBy.ENGINEER}
    flagged = complaints.list_complaints(session, actor=agent, repeat=True)
    assert [c.ticket_id for c in flagged] == [elsewhere.id, again.id]

    # Outside the window an old complaint is history, not a repeat.
    session.execute(
        update(Complaint)
        .where(Complaint.ticket_id == first.id)
        .values(created_at=utcnow() - timedelta(days=91))
    )
    session.expire_all()
    assert _fill(session, agent, again.id, grade="major").repeat_of_id is None


def test_the_root_cause_tree_refuses_loops_and_keeps_causes_in_use(desk):
    session, world, d = desk
    admin = world.actors["admin"]
    with pytest.raises(Invalid, match="under itself"):
        causes.update(
            session, actor=admin, cause_id=d.ids["engineer_cause"], changes={"parent_id": d.ids["late"]}
        )
    with pytest.raises(Forbidden):
        causes.create(session, actor=world.actors["agent"], name="Billing")
    with pytest.raises(Conflict):
        causes.create(session, actor=admin, name="Wrong part")
    ticket = _complaint(session, world.ids["c1"])
    _fill(session, admin, ticket.id, cause_id=d.ids["parts"])
    with pytest.raises(Conflict, match="retire it"):
        causes.delete(session, actor=admin, cause_id=d.ids["parts"])
    causes.update(session, actor=admin, cause_id=d.ids["parts"], changes={"active": False})
    assert [c.name for c in causes.list_causes(session, actor=admin)] == ["Engineer", "Late arrival"]
    with pytest.raises(Invalid, match="cannot be used"):
        _fill(session, admin, ticket.id, cause_id=d.ids["parts"])


def test_the_tickets_missed_sla_clocks_show_on_its_complaint(desk):
    session, world, _d = desk
    ticket = _complaint(session, world.ids["c1"])
    now = utcnow()
    session.add(
        SlaClock(
            ticket_id=ticket.id, key="first_response", kind=ClockKind.FIRST_RESPONSE, policy_id=1,
            calendar_id=1, target_s=3600, started_at=now - timedelta(hours=3), breached_at=now - timedelta(hours=2),
        )
    )  # fmt: skip
    session.flush()
    shown = complaints.describe(
        session,
        complaint=complaints.get_or_raise(session, actor=SYSTEM, ticket_id=ticket.id),
        your_limit=complaints.limit_of(session, SYSTEM, LIMITS),
    )
    assert [(b.kind, b.breached_at) for b in shown["sla_breaches"]] == [
        ("first_response", now - timedelta(hours=2))
    ]
