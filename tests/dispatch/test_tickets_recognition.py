"""Customers recognised on every channel by email, phone (in any format) or external id; an unknown
sender becomes a contact flagged for review, never a silent merge."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dispatch.access import SYSTEM
from dispatch.customers import recognition
from dispatch.customers import service as customers
from dispatch.customers.models import Customer
from dispatch.customers.recognition import Sender
from dispatch.db import make_session_factory
from dispatch.errors import Conflict, Invalid
from dispatch.tickets import service as tickets
from dispatch.tickets.models import TicketChannel, TicketKind


@pytest.fixture
def session(app, world):
    s = make_session_factory(app.extensions["dispatch.db"].engine)()
    yield s
    s.rollback()
    s.close()


def _recognise(session, **sender):
    return recognition.recognise(session, actor=SYSTEM, sender=Sender(**sender), channel="email")


def test_a_phone_number_said_another_way_finds_the_same_customer(session, world):
    # The world's customers were stored as "+44 161 496 0000" -> "+441614960000"; both share it.
    grace = customers.create(session, actor=SYSTEM, name="Grace Lee", phone="0161 496 0123")
    for spoken in ("+44 161 496 0123", "0044 161 4960123", "(0161) 496-0123", "01614960123"):
        found = _recognise(session, phone=spoken)
        assert (found.customer.id, found.matched_by, found.needs_review) == (grace.id, "phone", False), spoken


def test_email_and_external_id_find_the_customer_or_their_contact(session, world):
    ada = customers.create(
        session,
        actor=SYSTEM,
        name="Ada Mills",
        email="ada@example.com",
        external_id="CRM-7",
        contacts=[{"name": "Tom Tenant", "email": "tom@example.com", "phone": "07700 900555"}],
    )
    assert _recognise(session, email="ADA@example.com ").customer.id == ada.id
    by_contact = _recognise(session, email="tom@example.com")
    assert by_contact.customer.id == ada.id
    assert by_contact.contact.name == "Tom Tenant"
    assert _recognise(session, external_id="CRM-7", email="other@example.com").matched_by == "external_id"
    assert _recognise(session, phone="+447700900555").contact.name == "Tom Tenant"
    with pytest.raises(Invalid):
        _recognise(session, name="Nobody")


def test_an_unknown_sender_is_a_new_contact_for_review_and_an_agent_links_it(session, world):
    before = session.scalars(select(Customer.id)).all()
    new = tickets.NewTicket(
        kind=TicketKind.INQUIRY,
        subject="Do you service Vaillant boilers?",
        body="Hi, do you?",
        channel=TicketChannel.EMAIL,
        sender=Sender(email="stranger@example.org", name="Sam Stranger"),
    )
    ticket = tickets.create(session, actor=SYSTEM, new=new)
    assert ticket.customer_id not in before
    queue = recognition.review_queue(session, actor=world.actors["agent"])
    assert [c.email for c in queue.items] == ["stranger@example.org"]
    contact = queue.items[0]
    assert ticket.contact_id == contact.id
    # A second mail from the same address is the same (still unconfirmed) customer, not another one.
    again = _recognise(session, email="stranger@example.org")
    assert again.customer.id == ticket.customer_id
    assert not again.needs_review
    provisional = ticket.customer_id
    recognition.link_to(
        session, actor=world.actors["agent"], contact_id=contact.id, customer_id=world.ids["c1"]
    )
    session.expire_all()
    assert tickets.get_or_raise(session, actor=SYSTEM, ticket_id=ticket.id).customer_id == world.ids["c1"]
    assert session.get(Customer, provisional) is None  # nothing else hung on it
    assert recognition.review_queue(session, actor=world.actors["agent"]).items == []
    with pytest.raises(Conflict):
        recognition.confirm_new(session, actor=world.actors["agent"], contact_id=contact.id)


def test_a_number_several_customers_share_is_not_guessed(session, world):
    # c1 and c2 of the world both have +44 161 496 0000.
    found = _recognise(session, phone="0161 496 0000", name="Caller")
    assert found.matched_by == "new"
    assert found.needs_review
    assert found.candidates == sorted([world.ids["c1"], world.ids["c2"]])
    recognition.confirm_new(session, actor=world.actors["agent"], contact_id=found.contact.id)
    assert not found.contact.needs_review
