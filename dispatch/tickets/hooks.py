"""What tickets do when something happens elsewhere (subscribed to the event log on import)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dispatch.events import service as events
from dispatch.events.models import Event


def _on_order_event(session: Session, event: Event) -> None:
    if event.action == "mark_incomplete":
        from dispatch.tickets import flows

        flows.on_incomplete_visit(session, event)


events.subscribe("order", _on_order_event)
