"""Complaints react to ticket events (subscribed to the event log on import).

A complaint ticket moving to resolved or closed is refused unless its complaint record names a
root cause and a responsible party: the handler runs inside the status change's transaction and
raises, so the change is rolled back with the request. Closing a resolved ticket by itself
(``via="auto_close"``) is let through: resolving was where the rule was checked, and a complaint
resolved before complaints had records must not stop the housekeeping job closing the others.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from dispatch.events import service as events
from dispatch.events.models import Event

FINISHED = frozenset({"resolved", "closed"})


def _on_ticket_event(session: Session, event: Event) -> None:
    if event.action != "status_changed" or (event.after or {}).get("status") not in FINISHED:
        return
    if (event.payload or {}).get("via") == "auto_close":
        return
    from dispatch.complaints import service
    from dispatch.tickets.models import Ticket

    ticket = session.get(Ticket, event.entity_id)
    if ticket is None:
        return

    service.check_can_finish(session, ticket)


events.subscribe("ticket", _on_ticket_event)
