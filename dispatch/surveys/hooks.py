"""Surveys are made when a visit is completed or a ticket resolved (event subscribers), so they wait
on the customer's pages even when no email can reach them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from dispatch.events import service as events
from dispatch.events.models import Event
from dispatch.quality import sources as quality_sources


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


def _low_scored(session: Session, start: datetime, end: datetime) -> list[int]:
    from dispatch.surveys import service

    return service.low_scored_tickets(session, start, end)


events.subscribe("order", _on_order_event)
events.subscribe("ticket", _on_ticket_event)
quality_sources.register(_low_scored)  # the quality review samples every low-rated ticket
