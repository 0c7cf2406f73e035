"""Ticket changes tell the customer and the agent (subscribed to the event log on import)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dispatch.events import service as events
from dispatch.events.models import Event

WATCHED = frozenset({"message_added", "status_changed", "assigned"})


def _on_ticket_event(session: Session, event: Event) -> None:
    if event.action not in WATCHED or event.ticket_id is None:
        return
    from dispatch.notifications import desk
    from dispatch.tickets.models import Ticket

    ticket = session.get(Ticket, event.ticket_id)
    if ticket is None:
        return
    desk.on_ticket_event(
        session,
        ticket=ticket,
        action=event.action,
        payload=event.payload or {},
        after=event.after or {},
        actor_user_id=event.actor_user_id,
    )


events.subscribe("ticket", _on_ticket_event)
