"""What happens when a clock is about to breach or has breached: the stage is marked on the clock and
recorded as an event (``sla.warning`` / ``sla.breached``), then the policy's escalation actions run:
notify the team lead, raise the priority, move the ticket to another team.

The ticket's agent (else its owner of record) is told of every warning; ``notify_lead`` decides which
leads to tell when the policy escalates to them. Both write notification outbox rows in the same
transaction as the stage event, which also carries the request (payload ``notify``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from dispatch.access import SYSTEM
from dispatch.db import utcnow
from dispatch.errors import DomainError
from dispatch.events import service as events
from dispatch.i18n import _
from dispatch.orders.models import Priority
from dispatch.routing import transfers
from dispatch.routing.models import DeskTeam
from dispatch.sla.models import SlaClock, SlaPolicy
from dispatch.tickets import service as tickets
from dispatch.tickets import states
from dispatch.tickets.models import Ticket

EVENT = {"warning": "sla.warning", "breach": "sla.breached"}
COLUMN = {"warning": "warned_at", "breach": "breached_at"}
LADDER = (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)


def notify_lead(session: Session, *, ticket: Ticket, clock: SlaClock, stage: str) -> dict[str, Any]:
    """Who to tell that a clock of the ticket is about to breach or has breached, and what.

    The leads of the clock's team (an OLA clock) or of the ticket's team; with no lead, the owner of
    record. Returns the notification request, which the stage event carries as ``notify``.
    """
    team_id = clock.team_id or ticket.team_id
    team = session.get(DeskTeam, team_id) if team_id is not None else None
    leads = team.lead_ids if team is not None else []
    to = leads or ([ticket.owner_id] if ticket.owner_id is not None else [])
    return {
        "template": EVENT[stage],
        "to_user_ids": to,
        "as": "team_lead" if leads else ("owner_of_record" if to else "nobody"),
        "team_id": team_id,
        "ticket_id": ticket.id,
        "number": ticket.number,
        "assignee_id": ticket.assignee_id,
        "clock": clock.kind.value,
        "due_at": clock.due_at.isoformat() if clock.due_at else None,
    }


def _tell(session: Session, *, ticket: Ticket, clock: SlaClock, stage: str, leads: bool) -> None:
    """Write the notifications of a stage: the agent of every warning, the leads when asked."""
    from dispatch.notifications import desk as notices

    due = clock.due_at or utcnow()
    if stage == "warning":
        notices.clock_warning(session, ticket=ticket, clock=clock.kind.value, due_at=due)
    if leads:
        notice = notify_lead(session, ticket=ticket, clock=clock, stage=stage)
        notices.clock_warning(
            session,
            ticket=ticket,
            clock=clock.kind.value,
            due_at=due,
            user_ids=list(notice["to_user_ids"]),
            breached=stage == "breach",
        )


def _actions(policy: SlaPolicy | None, clock: SlaClock, stage: str) -> list[dict[str, Any]]:
    if policy is None:
        return []
    return [
        a
        for a in policy.escalations
        if a["on"] == stage and a.get("clock", "any") in ("any", clock.kind.value)
    ]


def raise_stage(
    session: Session,
    *,
    clock: SlaClock,
    stage: str,
    now: datetime,
    ticket: Ticket | None = None,
    policy: SlaPolicy | None = None,
) -> list[dict[str, Any]]:
    """Mark the warning or the breach on the clock (once), record it, run the policy's actions."""
    ticket = ticket or session.get(Ticket, clock.ticket_id)
    assert ticket is not None
    value = now if stage == "warning" else clock.due_at
    setattr(clock, COLUMN[stage], value)
    actions = _actions(policy or session.get(SlaPolicy, clock.policy_id), clock, stage)
    wants_notice = any(a["action"] == "notify_lead" for a in actions)
    events.record(
        session,
        actor=SYSTEM,
        entity_type="ticket",
        entity_id=ticket.id,
        ticket_id=ticket.id,
        action=EVENT[stage],
        payload={
            "clock": clock.key,
            "kind": clock.kind.value,
            "team_id": clock.team_id,
            "policy_id": clock.policy_id,
            "due_at": clock.due_at,
            COLUMN[stage]: value,
            "notify": notify_lead(session, ticket=ticket, clock=clock, stage=stage) if wants_notice else None,
            "actions": [a["action"] for a in actions],
        },
    )
    _tell(session, ticket=ticket, clock=clock, stage=stage, leads=wants_notice)
    outcomes = []
    for action in actions:
        if action["action"] == "raise_priority":
            outcomes.append(_raise_priority(session, ticket=ticket, clock=clock, stage=stage))
        elif action["action"] == "move_to_team":
            outcomes.append(
                _move(session, ticket=ticket, clock=clock, stage=stage, team_id=action["team_id"])
            )
    return outcomes


def _escalated(
    session: Session, ticket: Ticket, clock: SlaClock, stage: str, action: str, outcome: str
) -> None:
    events.record(
        session,
        actor=SYSTEM,
        entity_type="ticket",
        entity_id=ticket.id,
        ticket_id=ticket.id,
        action="sla.escalated",
        payload={"stage": stage, "clock": clock.key, "action": action, "outcome": outcome},
    )


def _raise_priority(session: Session, *, ticket: Ticket, clock: SlaClock, stage: str) -> dict[str, Any]:
    if ticket.status in states.DONE or ticket.priority is Priority.URGENT:
        outcome = "already urgent" if ticket.priority is Priority.URGENT else "ticket is done"
        _escalated(session, ticket, clock, stage, "raise_priority", outcome)
        return {"action": "raise_priority", "outcome": outcome}
    higher = LADDER[LADDER.index(ticket.priority) + 1]
    with tickets.recording(session, actor=SYSTEM, ticket=ticket, action="sla.escalated") as payload:
        ticket.priority = higher
        payload.update(
            {"stage": stage, "clock": clock.key, "action": "raise_priority", "outcome": higher.value}
        )
    return {"action": "raise_priority", "outcome": higher.value}


def _move(session: Session, *, ticket: Ticket, clock: SlaClock, stage: str, team_id: int) -> dict[str, Any]:
    text = (
        _(
            "The %(clock)s clock of ticket %(number)s is about to breach",
            clock=clock.kind.value,
            number=ticket.number,
        )
        if stage == "warning"
        else _(
            "The %(clock)s clock of ticket %(number)s has breached",
            clock=clock.kind.value,
            number=ticket.number,
        )
    )
    try:
        transfers.transfer(
            session,
            actor=SYSTEM,
            ticket_id=ticket.id,
            expected_version=None,
            team_id=team_id,
            reason=str(text),
        )
    except DomainError as exc:  # already with that team, or done: nothing to move
        _escalated(session, ticket, clock, stage, "move_to_team", f"skipped: {exc.message}")
        return {"action": "move_to_team", "outcome": "skipped"}
    return {"action": "move_to_team", "outcome": f"team {team_id}"}
