"""What the desk's changes tell people: customers get the agents' public replies (as real email
replies, threaded) and the news that their ticket is resolved; agents hear of tickets assigned to
them, customers' replies, and clocks about to breach.

The ticket functions run from the event log (:mod:`dispatch.notifications.hooks`), inside the
transaction of the change; :func:`clock_warning` is the seam the SLA scan calls.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.notifications import recipients
from dispatch.notifications.outbox import Recipient, notify
from dispatch.routing.models import DeskAgent
from dispatch.tickets.models import AuthorType, MessageKind, Ticket, TicketMessage


def _context(ticket: Ticket) -> dict[str, Any]:
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "customer": ticket.customer.name,
        "priority": ticket.priority.value,
        "status": ticket.status.value,
    }


def _customer(session: Session, ticket: Ticket) -> list[Recipient]:
    found = recipients.customer(session, ticket.customer_id, contact_id=ticket.contact_id)
    return [found] if found else []


def _last_message_id_from_customer(session: Session, ticket: Ticket) -> str | None:
    found = session.scalar(
        select(TicketMessage.external_id)
        .where(
            TicketMessage.ticket_id == ticket.id,
            TicketMessage.author_type == AuthorType.CUSTOMER,
            TicketMessage.external_id.is_not(None),
        )
        .order_by(TicketMessage.id.desc())
        .limit(1)
    )
    return found if found and found.startswith("<") else None


def public_reply(session: Session, *, ticket: Ticket, message: TicketMessage) -> None:
    """An agent answered in public: send the answer to the customer as an email reply."""
    agent = message.author.full_name if message.author is not None else ""
    context = _context(ticket) | {
        "body": message.body,
        "agent": agent,
        "reply_marker": True,
        "in_reply_to": _last_message_id_from_customer(session, ticket),
        "message_id": message.id,
    }
    notify(
        session,
        event="ticket.replied",
        recipients=_customer(session, ticket),
        context=context,
        ticket_id=ticket.id,
    )


def resolved(session: Session, *, ticket: Ticket) -> None:
    """The ticket was resolved: tell the customer (a reply opens it again), with the rating link."""
    from dispatch.surveys import service as surveys

    survey = surveys.for_ticket(session, ticket=ticket)
    notify(
        session,
        event="ticket.resolved",
        recipients=_customer(session, ticket),
        context=_context(ticket) | ({"survey_token": survey.token} if survey is not None else {}),
        ticket_id=ticket.id,
    )


def assigned(session: Session, *, ticket: Ticket, user_id: int, by_user_id: int | None) -> None:
    """A ticket was given to an agent (by the routing or by someone else): tell them."""
    if user_id == by_user_id:
        return  # they took it themselves
    found = recipients.user(session, user_id)
    notify(
        session,
        event="ticket.assigned",
        recipients=[found] if found else [],
        context=_context(ticket),
        ticket_id=ticket.id,
    )


def customer_replied(session: Session, *, ticket: Ticket, message: TicketMessage) -> None:
    """The customer wrote again: tell the agent who has the ticket (else its owner of record)."""
    found = recipients.user(session, ticket.assignee_id or ticket.owner_id)
    context = _context(ticket) | {"body": message.body, "message_id": message.id}
    notify(
        session,
        event="ticket.customer_replied",
        recipients=[found] if found else [],
        context=context,
        ticket_id=ticket.id,
    )


def clock_warning(
    session: Session,
    *,
    ticket: Ticket,
    clock: str,
    due_at: datetime,
    user_ids: list[int] | None = None,
    breached: bool = False,
) -> None:
    """A clock of the ticket is about to breach (or has breached): tell its agent, else the owner of
    record, or the users given (the team's leads when the policy escalates to them).

    ``clock`` is ``first_response``, ``next_response`` or ``resolution`` (or an OLA clock); the SLA
    scan calls this once per warning or breach, in the transaction that records it.
    """
    wanted = user_ids if user_ids is not None else [ticket.assignee_id or ticket.owner_id]
    for user_id in dict.fromkeys(u for u in wanted if u is not None):
        found = recipients.user(session, user_id)
        agent = session.get(DeskAgent, user_id)
        context = _context(ticket) | {
            "clock": clock,
            "due_at": due_at,
            "time_zone": agent.time_zone if agent is not None else "UTC",
        }
        notify(
            session,
            event="sla.breached" if breached else "sla.warning",
            recipients=[found] if found else [],
            context=context,
            ticket_id=ticket.id,
        )


def on_ticket_event(
    session: Session,
    *,
    ticket: Ticket,
    action: str,
    payload: dict[str, Any],
    after: dict[str, Any],
    actor_user_id: int | None,
) -> None:
    """Turn one ticket event into the notifications it calls for."""
    if action == "message_added" and payload.get("kind") == MessageKind.PUBLIC_REPLY.value:
        message = session.get(TicketMessage, payload.get("message_id"))
        if message is None or message.automatic:
            return
        if payload.get("author_type") == AuthorType.AGENT.value:
            public_reply(session, ticket=ticket, message=message)
        elif payload.get("author_type") == AuthorType.CUSTOMER.value:
            customer_replied(session, ticket=ticket, message=message)
    elif action == "status_changed" and after.get("status") == "resolved":
        resolved(session, ticket=ticket)
    elif action == "assigned" and after.get("assignee_id") is not None:
        assigned(session, ticket=ticket, user_id=int(after["assignee_id"]), by_user_id=actor_user_id)
