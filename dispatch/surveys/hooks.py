"""Surveys are made when a visit is completed or a ticket resolved (event subscribers), so they wait
on the customer's pages even when no email can reach them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dispatch.events import service as events
from dispatch.events.models import Event


def _on_order_event(session: Session, event: Event) -> None:
    if event.action != "complete" or event.order_id is None:
        return
    from dispatch.orders.models import Order, OrderStatus
    from dispatch.surveys import service

    order = session.get(Order, event.order_id)
    if order is not None and order.status is OrderStatus.COMPLETED:
        service.for_visit(session, order=order)


def _on_ticket_event(session: Session, event: Event) -> None:
    if event.action != "status_changed" or event.ticket_id is None:
        return
    if (event.after or {}).get("status") != "resolved":
        return
    from dispatch.surveys import service
    from dispatch.tickets.models import Ticket

    ticket = session.get(Ticket, event.ticket_id)
    if ticket is not None:
        service.for_ticket(session, ticket=ticket)


events.subscribe("order", _on_order_event)
events.subscribe("ticket", _on_ticket_event)
