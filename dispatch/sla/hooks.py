"""Where the clocks hook into the desk: every ticket event (subscribed to the event log on import).

The ticket services record an event for each change: ``created``, ``routed``, ``updated``,
``status_changed``, ``message_added``, ``transferred`` / ``escalated`` / ``taken_back``, ``merged_*``.
After each, the ticket's policy is reviewed (on opening, routing and edits) and its clock rows are
brought in line with its log, in the same transaction. A calendar's change re-times the open clocks
that count in it, in the ``sla`` queue after the commit.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from dispatch.calendars import service as calendars
from dispatch.events import service as events
from dispatch.events.models import Event
from dispatch.sla import clocks, policies, recompute
from dispatch.tickets.models import Ticket

POLICY_EVENTS = frozenset({"created", "routed", "updated"})


def on_ticket_event(session: Session, event: Event) -> None:
    """Review the policy if need be, then refresh the ticket's clocks."""
    if event.action.startswith("sla."):
        return  # the clocks' own events (policy applied, warnings, breaches) are handled where made
    ticket = session.get(Ticket, event.ticket_id or event.entity_id)
    if ticket is None:
        return
    if event.action in POLICY_EVENTS:
        policies.review(session, ticket, event)
    if ticket.sla_match is not None:
        clocks.refresh(session, ticket.id)


def _calendar_in_use(session: Session, calendar_id: int) -> str | None:
    from sqlalchemy import select

    from dispatch.i18n import _
    from dispatch.sla.models import SlaClock, SlaPolicy

    name = session.scalar(select(SlaPolicy.name).where(SlaPolicy.calendar_id == calendar_id).limit(1))
    if name is not None:
        return str(_("SLA policy %(name)s counts its targets in this calendar", name=name))
    running = session.scalar(
        select(SlaClock.id).where(SlaClock.calendar_id == calendar_id, SlaClock.stopped_at.is_(None)).limit(1)
    )
    if running is not None:
        return str(_("open tickets are still timed in this calendar"))
    return None


events.subscribe("ticket", on_ticket_event)
calendars.on_change(recompute.request)
calendars.refuse_delete_when(_calendar_in_use)
