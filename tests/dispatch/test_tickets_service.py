"""Tickets through the services: opening, the conversation and its SLA marks, status, auto-close,
owner of record through transfers, merging duplicates, visits booked from tickets, unfinished visits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dispatch.access import SYSTEM
from dispatch.booking.slots import Policy
from dispatch.config import Settings
from dispatch.db import make_session_factory, utcnow
from dispatch.errors import Conflict, Forbidden, Invalid
from dispatch.events.models import Event
from dispatch.orders import actions
from dispatch.orders import service as orders
from dispatch.orders.service import Window
from dispatch.routing import transfers
from dispatch.tickets import conversation, flows
from dispatch.tickets import service as tickets
from dispatch.tickets.models import MessageKind, TicketChannel, TicketKind, TicketMessage, TicketStatus
from tests.desk_factories import build_desk, open_ticket
from tests.factories import advance, make_order


@pytest.fixture
def desk(app, world):
    session = make_session_factory(app.extensions["dispatch.db"].engine)()
    built = build_desk(session, world)
    session.commit()
    yield session, world, built
    session.rollback()
    session.close()


def _actions(session, ticket_id):
    return list(session.scalars(select(Event.action).where(Event.ticket_id == ticket_id).order_by(Event.id)))


def test_an_agent_reply_is_the_first_response_notes_and_automatic_mails_are_not(desk):
    session, world, _d = desk
    agent = world.actors["agent"]
    ticket = open_ticket(session, world.ids["c1"])
    first = ticket.messages[0]
    assert ticket.awaiting_message_id == first.id
    assert ticket.first_response_at is None
    conversation.add_message(
        session, actor=agent, ticket_id=ticket.id, kind=MessageKind.INTERNAL_NOTE, body="Check F28 code"
    )
    conversation.add_message(
        session,
        actor=SYSTEM,
        ticket_id=ticket.id,
        kind=MessageKind.PUBLIC_REPLY,
        body="We got your message",
        automatic=True,
    )
    assert ticket.first_response_at is None
    assert ticket.awaiting_message_id == first.id
    assert ticket.status is TicketStatus.NEW
    reply = conversation.add_message(
        session,
        actor=agent,
        ticket_id=ticket.id,
        kind=MessageKind.PUBLIC_REPLY,
        body="Is the pressure below 1 bar?",
    )
    assert ticket.first_response_at == reply.created_at
    assert ticket.awaiting_message_id is None
    assert ticket.status is TicketStatus.OPEN
    customer = world.actors["customer"]
    later = conversation.add_message(
        session, actor=customer, ticket_id=ticket.id, kind=MessageKind.PUBLIC_REPLY, body="Yes, 0.5"
    )
    assert ticket.awaiting_message_id == later.id
    assert ticket.awaiting_since == later.created_at
    assert ticket.first_response_at == reply.created_at  # the first response stays the first
    shown = conversation.messages_of(session, actor=customer, ticket_id=ticket.id)
    assert [m.body for m in shown] == [
        "The boiler shows F28 since this morning.",
        "We got your message",
        "Is the pressure below 1 bar?",
        "Yes, 0.5",
    ]
    assert "message_added" in _actions(session, ticket.id)


def test_a_customer_reply_reopens_a_resolved_ticket_and_a_closed_one_takes_no_more(desk):
    session, world, _d = desk
    agent, customer = world.actors["agent"], world.actors["customer"]
    ticket = open_ticket(session, world.ids["c1"])
    tickets.change_status(
        session,
        actor=agent,
        ticket_id=ticket.id,
        expected_version=ticket.version,
        status=TicketStatus.PENDING,
    )
    conversation.add_message(
        session, actor=customer, ticket_id=ticket.id, kind=MessageKind.PUBLIC_REPLY, body="Here it is"
    )
    assert ticket.status is TicketStatus.OPEN
    tickets.change_status(
        session, actor=agent, ticket_id=ticket.id, expected_version=None, status=TicketStatus.RESOLVED
    )
    assert ticket.resolved_at is not None
    conversation.add_message(
        session, actor=customer, ticket_id=ticket.id, kind=MessageKind.PUBLIC_REPLY, body="Broken again"
    )
    assert ticket.status is TicketStatus.REOPENED
    assert ticket.resolved_at is None
    tickets.change_status(
        session, actor=agent, ticket_id=ticket.id, expected_version=None, status=TicketStatus.RESOLVED
    )
    tickets.change_status(
        session, actor=agent, ticket_id=ticket.id, expected_version=None, status=TicketStatus.CLOSED
    )
    with pytest.raises(Conflict, match="closed"):
        conversation.add_message(
            session, actor=customer, ticket_id=ticket.id, kind=MessageKind.PUBLIC_REPLY, body="Hello?"
        )
    with pytest.raises(Forbidden):
        conversation.add_message(
            session, actor=customer, ticket_id=ticket.id, kind=MessageKind.INTERNAL_NOTE, body="x"
        )


def test_resolved_tickets_close_themselves_after_the_configured_time(desk):
    session, world, _d = desk
    old, fresh = open_ticket(session, world.ids["c1"]), open_ticket(session, world.ids["c2"])
    for t in (old, fresh):
        tickets.change_status(
            session, actor=SYSTEM, ticket_id=t.id, expected_version=None, status=TicketStatus.RESOLVED
        )
    old.resolved_at = utcnow() - timedelta(hours=73)
    session.flush()
    assert tickets.close_resolved(session, older_than=timedelta(hours=72)) == 1
    assert old.status is TicketStatus.CLOSED
    assert fresh.status is TicketStatus.RESOLVED
    assert Settings().ticket_auto_close_hours == 72


def test_the_owner_of_record_stays_through_transfers_unless_moved_on_purpose(desk):
    session, world, d = desk
    agent = world.actors["agent"]
    ticket = open_ticket(session, world.ids["c1"], team_id=d.ids["first"])
    tickets.assign(session, actor=agent, ticket_id=ticket.id, expected_version=None, assignee_id=d.ids["a1"])
    assert ticket.owner_id == d.ids["a1"]
    transfers.escalate(
        session, actor=agent, ticket_id=ticket.id, expected_version=None, reason="needs a gas expert"
    )
    assert (ticket.team_id, ticket.previous_team_id, ticket.assignee_id) == (
        d.ids["second"],
        d.ids["first"],
        None,
    )
    tickets.assign(
        session, actor=agent, ticket_id=ticket.id, expected_version=None, assignee_id=d.ids["expert"]
    )
    assert ticket.owner_id == d.ids["a1"]  # first-asked-owns-it
    escalated = session.scalar(select(Event).where(Event.ticket_id == ticket.id, Event.action == "escalated"))
    assert escalated.payload["from_tier"] == "first_line"
    assert escalated.payload["to_tier"] == "second_line"
    assert escalated.payload["lead_ids"] == [d.ids["lead"]]
    assert escalated.payload["reason"] == "needs a gas expert"
    with pytest.raises(Conflict, match="no next tier"):
        transfers.escalate(session, actor=agent, ticket_id=ticket.id, expected_version=None, reason="again")
    # The first line's owner takes it back, to themself.
    owner = tickets.Actor(role=agent.role, user_id=d.ids["a1"])
    transfers.take_back(
        session, actor=owner, ticket_id=ticket.id, expected_version=None, reason="customer called me"
    )
    assert (ticket.team_id, ticket.assignee_id, ticket.owner_id) == (d.ids["first"], d.ids["a1"], d.ids["a1"])
    transfers.transfer(
        session,
        actor=agent,
        ticket_id=ticket.id,
        expected_version=None,
        team_id=d.ids["second"],
        reason="handing over for good",
        owner_id=d.ids["lead"],
    )
    assert ticket.owner_id == d.ids["lead"]
    with pytest.raises(Invalid):
        transfers.transfer(
            session,
            actor=agent,
            ticket_id=ticket.id,
            expected_version=None,
            team_id=d.ids["first"],
            reason=" ",
        )


def test_a_duplicate_is_merged_messages_move_and_both_timelines_say_so(desk):
    session, world, _d = desk
    agent = world.actors["agent"]
    original = open_ticket(session, world.ids["c1"], subject="Boiler broken")
    conversation.add_message(
        session, actor=agent, ticket_id=original.id, kind=MessageKind.PUBLIC_REPLY, body="On it"
    )
    duplicate = open_ticket(
        session, world.ids["c1"], subject="Boiler still broken", order_ids=[world.ids["o_new"]]
    )
    flows.merge(
        session,
        actor=agent,
        ticket_id=duplicate.id,
        expected_version=duplicate.version,
        into_ticket_id=original.id,
    )
    session.expire_all()
    original = tickets.get_or_raise(session, actor=agent, ticket_id=original.id)
    duplicate = tickets.get_or_raise(session, actor=agent, ticket_id=duplicate.id)
    assert duplicate.status is TicketStatus.CLOSED
    assert duplicate.merged_into_id == original.id
    bodies = [m.body for m in conversation.messages_of(session, actor=agent, ticket_id=original.id)]
    assert bodies.count("The boiler shows F28 since this morning.") == 2
    assert "On it" in bodies
    moved = session.scalars(
        select(TicketMessage).where(TicketMessage.moved_from_ticket_id == duplicate.id)
    ).all()
    assert len(moved) == 1
    assert world.ids["o_new"] in original.order_ids
    # The duplicate's message came after the reply: the original now waits on it.
    assert original.awaiting_message_id == moved[0].id
    assert "merged_from" in _actions(session, original.id)
    assert "merged_into" in _actions(session, duplicate.id)
    with pytest.raises(Conflict):
        flows.merge(
            session, actor=agent, ticket_id=duplicate.id, expected_version=None, into_ticket_id=original.id
        )
    other = open_ticket(session, world.ids["c2"])
    with pytest.raises(Conflict, match="different customers"):
        flows.merge(
            session, actor=agent, ticket_id=other.id, expected_version=None, into_ticket_id=original.id
        )


def test_a_ticket_books_a_visit_in_an_offered_window_and_shows_its_life(desk, app):
    session, world, _d = desk
    agent = world.actors["agent"]
    ticket = open_ticket(session, world.ids["c1"], site_id=world.ids["s1"], kind=TicketKind.VISIT_REQUEST)
    settings = app.config["DISPATCH"]
    policy = Policy.from_settings(settings)
    from dispatch.booking import service as booking

    day = world_day = (utcnow() + timedelta(days=1)).date()
    place = booking.Place(53.4330, -2.2290, "Europe/London")
    slots = booking.find_slots(
        session,
        actor=agent,
        service_type_id=world.ids["boiler-service"],
        day=world_day,
        place=place,
        policy=policy,
    )
    assert slots, f"no slot offered on {day}"
    order = flows.create_visit(
        session,
        actor=agent,
        ticket_id=ticket.id,
        service_type_id=world.ids["boiler-service"],
        window=Window(slots[0].starts_at, slots[0].ends_at),
        policy=policy,
        geocoder=None,
        default_time_zone="Europe/London",
    )
    assert order.id in ticket.order_ids
    assert order.engineer_id is not None
    assert ticket.order_links[0].created_from_ticket
    timeline = tickets.timeline(session, actor=agent, ticket_id=ticket.id)
    assert {"created", "order_linked"} <= {e.action for e in timeline}
    assert any(e.order_id == order.id and e.action == "assign" for e in timeline)  # the order's own life
    with pytest.raises(Invalid, match="offer"):
        flows.create_visit(
            session,
            actor=agent,
            ticket_id=ticket.id,
            service_type_id=world.ids["boiler-service"],
            window=Window(slots[0].starts_at + timedelta(minutes=7), slots[0].ends_at),
            policy=policy,
            geocoder=None,
            default_time_zone="Europe/London",
        )


def test_an_unfinished_visit_opens_a_ticket_or_notes_it_on_the_one_about_that_order(desk):
    session, world, _d = desk
    order = orders.get_or_raise(session, actor=SYSTEM, order_id=world.ids["o_site"])
    actions.field_action(
        session,
        actor=SYSTEM,
        order_id=order.id,
        expected_version=order.version,
        action="mark_incomplete",
        reason="part on back order",
    )
    opened = flows.tickets_of_order(session, order.id)
    assert len(opened) == 1
    ticket = opened[0]
    assert ticket.kind is TicketKind.VISIT_REQUEST
    assert ticket.channel is TicketChannel.ENGINEER_APP
    assert ticket.customer_id == world.ids["c1"]
    assert "part on back order" in ticket.messages[0].body
    # Our own report, not the customer's words: an internal note, nothing the desk owes an answer to.
    assert ticket.messages[0].kind is MessageKind.INTERNAL_NOTE
    assert ticket.awaiting_message_id is None
    assert conversation.messages_of(session, actor=world.actors["customer"], ticket_id=ticket.id) == []
    # A second unfinished visit linked to the same ticket adds a note instead of another ticket.
    again = advance(
        session,
        make_order(session, world.ids["c1"], world.ids["s1"], world.ids["boiler-service"]),
        world.ids["e1"],
        "on_site",
    )
    flows.link_order(session, actor=SYSTEM, ticket_id=ticket.id, order_id=again.id)
    actions.field_action(
        session,
        actor=SYSTEM,
        order_id=again.id,
        expected_version=again.version,
        action="mark_incomplete",
        reason="no access",
    )
    assert flows.tickets_of_order(session, again.id) == [ticket]
    shown = conversation.messages_of(session, actor=SYSTEM, ticket_id=ticket.id)
    notes = [m for m in shown if m.kind is MessageKind.INTERNAL_NOTE]
    assert len(notes) == 2  # the report that opened it, and the second visit's
    assert "no access" in notes[1].body


def test_a_customer_complains_about_their_visit_and_cannot_about_someone_elses(desk):
    session, world, _d = desk
    customer = world.actors["customer"]
    new = tickets.NewTicket(
        kind=TicketKind.COMPLAINT,
        subject="Engineer was late",
        body="Two hours late, no call.",
        order_ids=[world.ids["o_disp"]],
    )
    ticket = tickets.create(session, actor=customer, new=new)
    assert ticket.kind is TicketKind.COMPLAINT
    assert ticket.order_ids == [world.ids["o_disp"]]
    assert ticket.channel is TicketChannel.PORTAL
    assert ticket.site_id == world.ids["s1"]
    other = tickets.NewTicket(
        kind=TicketKind.COMPLAINT, subject="x", body="y", order_ids=[world.ids["o_other"]]
    )
    with pytest.raises(Invalid):
        tickets.create(session, actor=customer, new=other)
    assert session.scalar(select(func.count()).select_from(TicketMessage)) == 1
