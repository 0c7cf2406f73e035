"""Work that spans tickets and orders: a visit booked from a ticket, orders linked to tickets, an
unfinished visit opening a ticket, a duplicate merged into another, and the customer's profile.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dispatch.access import SYSTEM, Actor
from dispatch.booking import service as booking
from dispatch.booking.slots import Policy
from dispatch.customers import service as customers
from dispatch.customers.models import Customer
from dispatch.errors import Conflict, Invalid
from dispatch.events.models import Event
from dispatch.i18n import _
from dispatch.orders import service as orders
from dispatch.orders.models import Order
from dispatch.orders.service import Window
from dispatch.orders.states import FINAL
from dispatch.routing import wake
from dispatch.sites.geocoding import Geocoder
from dispatch.sites.models import Site
from dispatch.surveys import service as surveys
from dispatch.tickets import conversation, states
from dispatch.tickets import service as tickets
from dispatch.tickets.models import (
    MessageKind,
    Ticket,
    TicketAttachment,
    TicketChannel,
    TicketKind,
    TicketMessage,
    TicketOrder,
    TicketStatus,
)


def link_order(
    session: Session, *, actor: Actor, ticket_id: int, order_id: int, created: bool = False
) -> Ticket:
    """Link an order of the ticket's customer to the ticket (its events join the ticket's timeline)."""
    ticket = tickets.get_or_raise(session, actor=actor, ticket_id=ticket_id)
    tickets.require_staff(
        actor, _("Your role (%(role)s) may not link orders to tickets (allowed: %(allowed)s).")
    )
    order = orders.get(session, actor=actor, order_id=order_id)
    if order is None or order.customer_id != ticket.customer_id:
        raise Invalid(
            _("order %(id)s is not one of this customer's orders", id=order_id),
            errors={"order_id": ["not an order of the ticket's customer"]},
        )
    if order.id in ticket.order_ids:
        return ticket
    _link(session, actor=actor, ticket=ticket, order=order, created=created)
    return ticket


def _link(session: Session, *, actor: Actor, ticket: Ticket, order: Order, created: bool) -> None:
    ticket.order_links.append(TicketOrder(order_id=order.id, created_from_ticket=created))
    with tickets.recording(session, actor=actor, ticket=ticket, action="order_linked") as payload:
        payload.update({"order_id": order.id, "number": order.number, "created": created})


def create_visit(
    session: Session,
    *,
    actor: Actor,
    ticket_id: int,
    service_type_id: int,
    window: Window,
    policy: Policy,
    geocoder: Geocoder | None,
    default_time_zone: str,
    site_id: int | None = None,
    description: str | None = None,
) -> Order:
    """Book an on-site visit for the ticket's customer in an offered window and link it to the ticket.

    The window is one the slot offer gives (``GET /api/v1/slots``); the booking puts it on the
    route that keeps it, exactly as a booking from the customer pages (409 with the free windows if
    it has gone).
    """
    ticket = tickets.get_or_raise(session, actor=actor, ticket_id=ticket_id)
    tickets.require_staff(
        actor, _("Your role (%(role)s) may not book visits from tickets (allowed: %(allowed)s).")
    )
    if ticket.status is TicketStatus.CLOSED:
        raise Conflict(
            _("ticket %(number)s is closed: open a new ticket and mention this one", number=ticket.number),
            errors={"current_status": ticket.status.value},
        )
    site = site_id if site_id is not None else ticket.site_id
    if site is None:
        raise Invalid(
            _("say at which of the customer's sites the visit is"), errors={"site_id": ["required"]}
        )
    found = session.get(Site, site)
    if found is None or found.customer_id != ticket.customer_id:
        raise Invalid(
            _("site %(id)s is not one of this customer's sites", id=site),
            errors={"site_id": ["not a site of the ticket's customer"]},
        )
    order, _link_row = booking.book(
        session,
        actor=actor,
        service_type_id=service_type_id,
        window=window,
        policy=policy,
        geocoder=geocoder,
        default_time_zone=default_time_zone,
        customer_id=ticket.customer_id,
        site_id=site,
        description=(description or "").strip() or f"{ticket.number}: {ticket.subject}",
    )
    _link(session, actor=actor, ticket=ticket, order=order, created=True)
    return order


def linked_orders(session: Session, ticket: Ticket) -> list[Order]:
    """The ticket's orders (for its list of visits with their status)."""
    if not ticket.order_ids:
        return []
    return list(session.scalars(select(Order).where(Order.id.in_(ticket.order_ids)).order_by(Order.id)))


def tickets_of_order(session: Session, order_id: int) -> list[Ticket]:
    """The tickets an order is linked to, oldest first."""
    stmt = (
        select(Ticket)
        .join(TicketOrder, TicketOrder.ticket_id == Ticket.id)
        .where(TicketOrder.order_id == order_id)
    )
    return list(session.scalars(stmt.order_by(Ticket.id)))


def on_incomplete_visit(session: Session, event: Event) -> Ticket | None:
    """An engineer left a visit unfinished: note it on the open ticket about that order, or open one.

    Runs inside the order's transaction (subscribed to the order's ``mark_incomplete`` event).
    """
    if event.action != "mark_incomplete" or event.order_id is None:
        return None
    order = session.get(Order, event.order_id)
    if order is None:
        return None
    reason = (event.payload or {}).get("reason") or ""
    note = _("Visit %(number)s was not finished: %(reason)s", number=order.number, reason=reason)
    for ticket in tickets_of_order(session, order.id):
        if ticket.status is TicketStatus.CLOSED or ticket.merged_into_id is not None:
            continue
        conversation.add_message(
            session,
            actor=SYSTEM,
            ticket_id=ticket.id,
            kind=MessageKind.INTERNAL_NOTE,
            body=str(note),
            channel=TicketChannel.ENGINEER_APP,
        )
        if ticket.status is TicketStatus.RESOLVED:
            tickets.set_status(session, actor=SYSTEM, ticket=ticket, action="reopen", via="incomplete_visit")
        return ticket
    new = tickets.NewTicket(
        kind=TicketKind.VISIT_REQUEST,
        subject=str(_("Follow-up needed for visit %(number)s", number=order.number)),
        body=str(note),
        channel=TicketChannel.ENGINEER_APP,
        customer_id=order.customer_id,
        site_id=order.site_id,
        order_ids=[order.id],
        from_customer=False,
        extra={"opened_by": "incomplete_visit"},
    )
    return tickets.create(session, actor=SYSTEM, new=new)


def merge(
    session: Session, *, actor: Actor, ticket_id: int, expected_version: int | None, into_ticket_id: int
) -> Ticket:
    """Merge a duplicate into another ticket of the same customer: its messages, images and orders move
    there, the duplicate is closed pointing at it, and both timelines say so. Returns the duplicate."""
    duplicate = tickets.get_or_raise(session, actor=actor, ticket_id=ticket_id)
    tickets.require_staff(actor, _("Your role (%(role)s) may not merge tickets (allowed: %(allowed)s)."))
    tickets.check_version(duplicate, expected_version)
    target = tickets.get_or_raise(session, actor=actor, ticket_id=into_ticket_id)
    if target.id == duplicate.id:
        raise Invalid(
            _("a ticket cannot be merged into itself"), errors={"into_ticket_id": ["the same ticket"]}
        )
    if target.customer_id != duplicate.customer_id:
        raise Conflict(
            _(
                "tickets %(a)s and %(b)s belong to different customers: they are not duplicates",
                a=duplicate.number,
                b=target.number,
            ),
            errors={"into_ticket_id": ["another customer's ticket"]},
        )
    if target.status is TicketStatus.CLOSED:
        raise Conflict(
            _("ticket %(number)s is closed: merge into an open ticket", number=target.number),
            errors={"into_ticket_id": ["closed"]},
        )
    states.transition("merge", duplicate.status)  # a closed duplicate cannot be merged again
    moved = list(session.scalars(select(TicketMessage.id).where(TicketMessage.ticket_id == duplicate.id)))
    session.execute(
        update(TicketMessage)
        .where(TicketMessage.ticket_id == duplicate.id)
        .values(ticket_id=target.id, moved_from_ticket_id=duplicate.id)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(TicketAttachment)
        .where(TicketAttachment.ticket_id == duplicate.id)
        .values(ticket_id=target.id)
        .execution_options(synchronize_session=False)
    )
    new_orders = [oid for oid in duplicate.order_ids if oid not in target.order_ids]
    for order_id in new_orders:
        target.order_links.append(TicketOrder(order_id=order_id))
    session.expire_all()
    duplicate = tickets.get_or_raise(session, actor=actor, ticket_id=ticket_id)
    target = tickets.get_or_raise(session, actor=actor, ticket_id=into_ticket_id)
    with tickets.recording(session, actor=actor, ticket=target, action="merged_from") as payload:
        conversation.recompute_marks(session, target)
        payload.update(
            {
                "ticket_id": duplicate.id,
                "number": duplicate.number,
                "messages": moved,
                "order_ids": new_orders,
            }
        )
    if target.status is TicketStatus.RESOLVED:
        tickets.set_status(session, actor=actor, ticket=target, action="reopen", via="merge")
    with tickets.recording(session, actor=actor, ticket=duplicate, action="merged_into") as payload:
        duplicate.merged_into_id = target.id
        duplicate.status = states.transition("merge", duplicate.status)
        conversation.recompute_marks(session, duplicate)
        payload.update({"ticket_id": target.id, "number": target.number, "messages": moved})
    wake.request(session, duplicate.team_id)
    return duplicate


@dataclass
class Profile:
    """What the agent sees beside a ticket: who the customer is and their history with us."""

    customer: Customer
    sites: list[Site]
    open_orders: list[Order]
    past_orders: list[Order]
    open_tickets: list[Ticket]
    past_tickets: list[Ticket]
    satisfaction: surveys.Satisfaction | None = None
    """Recent satisfaction: the average score of the last 90 days and the last answers (None: never rated)."""
    contacts_to_review: int = 0
    review_contact_ids: list[int] | None = None
    """The customer's contacts made for senders nobody was matched to, waiting for an agent."""


RECENT = 10


def profile(session: Session, *, actor: Actor, customer_id: int) -> Profile:
    """The customer's profile for the desk: tier, sites, open and past orders and tickets, recent
    satisfaction (staff)."""
    tickets.require_staff(
        actor, _("Your role (%(role)s) may not read customer profiles (allowed: %(allowed)s).")
    )
    customer = customers.get_or_raise(session, actor=actor, customer_id=customer_id)
    sites = list(session.scalars(select(Site).where(Site.customer_id == customer.id).order_by(Site.id)))
    by_customer = select(Order).where(Order.customer_id == customer.id)
    open_orders = list(
        session.scalars(
            by_customer.where(Order.status.not_in(list(FINAL))).order_by(Order.id.desc()).limit(RECENT)
        )
    )
    past_orders = list(
        session.scalars(
            by_customer.where(Order.status.in_(list(FINAL))).order_by(Order.id.desc()).limit(RECENT)
        )
    )
    mine = select(Ticket).where(Ticket.customer_id == customer.id)
    open_tickets = list(
        session.scalars(
            mine.where(Ticket.status.in_(list(states.WORKING))).order_by(Ticket.id.desc()).limit(RECENT)
        )
    )
    past_tickets = list(
        session.scalars(
            mine.where(Ticket.status.in_(list(states.DONE))).order_by(Ticket.id.desc()).limit(RECENT)
        )
    )
    return Profile(
        customer=customer,
        sites=sites,
        open_orders=open_orders,
        past_orders=past_orders,
        open_tickets=open_tickets,
        past_tickets=past_tickets,
        satisfaction=surveys.customer_satisfaction(session, customer_id=customer.id),
        contacts_to_review=sum(1 for c in customer.contacts if c.needs_review),
        review_contact_ids=[c.id for c in customer.contacts if c.needs_review],
    )
