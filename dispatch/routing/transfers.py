"""Moving a ticket between teams and tiers: transfer (with a reason), escalation to the next tier, take-back.

Each move records the teams on both sides and the reason; the owner of record stays unless the move
names a new one on purpose. The receiving team's waiting tickets are assigned after the commit.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from dispatch.access import Actor
from dispatch.errors import Conflict, Invalid
from dispatch.i18n import _
from dispatch.routing import service as routing
from dispatch.routing import wake
from dispatch.routing.models import DeskTeam
from dispatch.statuses import status_word
from dispatch.tickets import service as tickets
from dispatch.tickets import states
from dispatch.tickets.models import Ticket


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text or len(text) > 2000:
        raise Invalid(_("say why the ticket moves (1 to 2,000 characters)"), errors={"reason": ["required"]})
    return text


def _movable(ticket: Ticket) -> None:
    if ticket.status in states.DONE:
        raise Conflict(
            _(
                "ticket %(number)s is %(status)s: reopen it before it moves to another team",
                number=ticket.number,
                status=status_word(ticket.status),
            ),
            errors={"current_status": ticket.status.value},
        )


def _move(
    session: Session,
    *,
    actor: Actor,
    ticket: Ticket,
    team: DeskTeam,
    action: str,
    reason: str,
    owner_id: int | None = None,
    assignee_id: int | None = None,
) -> Ticket:
    from_team = session.get(DeskTeam, ticket.team_id) if ticket.team_id is not None else None
    with tickets.recording(session, actor=actor, ticket=ticket, action=action) as payload:
        ticket.previous_team_id = ticket.team_id
        ticket.team_id = team.id
        ticket.assignee_id = assignee_id
        if owner_id is not None:
            ticket.owner_id = owner_id
        payload.update(
            {
                "reason": reason,
                "from_team_id": from_team.id if from_team else None,
                "from_tier": from_team.tier.value if from_team else None,
                "to_team_id": team.id,
                "to_tier": team.tier.value,
                "lead_ids": team.lead_ids,
            }
        )
    wake.request(session, team.id)
    if from_team is not None:
        wake.request(session, from_team.id)  # the agent who had it has room again
    return ticket


def transfer(
    session: Session,
    *,
    actor: Actor,
    ticket_id: int,
    expected_version: int | None,
    team_id: int,
    reason: str,
    owner_id: int | None = None,
) -> Ticket:
    """Hand the ticket to another team (any tier), saying why; ``owner_id`` moves the owner of record too."""
    ticket = tickets.get_or_raise(session, actor=actor, ticket_id=ticket_id)
    tickets.require_staff(actor, _("Your role (%(role)s) may not transfer tickets (allowed: %(allowed)s)."))
    tickets.check_version(ticket, expected_version)
    text = _reason(reason)
    _movable(ticket)
    team = routing.get_team_or_raise(session, actor=actor, team_id=team_id)
    if ticket.team_id == team.id:
        raise Conflict(
            _("ticket %(number)s is already with team %(team)s", number=ticket.number, team=team.name),
            errors={"team_id": ["the ticket's current team"]},
        )
    if owner_id is not None:
        tickets._agent_user(session, owner_id)
    return _move(
        session, actor=actor, ticket=ticket, team=team, action="transferred", reason=text, owner_id=owner_id
    )


def escalate(
    session: Session, *, actor: Actor, ticket_id: int, expected_version: int | None, reason: str
) -> Ticket:
    """Send the ticket to its team's next tier; the receiving team's leads are named in the event."""
    ticket = tickets.get_or_raise(session, actor=actor, ticket_id=ticket_id)
    tickets.require_staff(actor, _("Your role (%(role)s) may not escalate tickets (allowed: %(allowed)s)."))
    tickets.check_version(ticket, expected_version)
    text = _reason(reason)
    _movable(ticket)
    current = session.get(DeskTeam, ticket.team_id) if ticket.team_id is not None else None
    if current is None or current.escalates_to_id is None:
        raise Conflict(
            _(
                "ticket %(number)s has no next tier to go to: transfer it to a team instead",
                number=ticket.number,
            ),
            errors={"team_id": ["the team has no next tier" if current else "the ticket has no team"]},
        )
    team = routing.get_team_or_raise(session, actor=actor, team_id=current.escalates_to_id)
    return _move(session, actor=actor, ticket=ticket, team=team, action="escalated", reason=text)


def take_back(
    session: Session, *, actor: Actor, ticket_id: int, expected_version: int | None, reason: str
) -> Ticket:
    """The previous team takes the ticket back: its owner of record or a member of that team, to themself."""
    ticket = tickets.get_or_raise(session, actor=actor, ticket_id=ticket_id)
    tickets.require_staff(actor, _("Your role (%(role)s) may not take tickets back (allowed: %(allowed)s)."))
    tickets.check_version(ticket, expected_version)
    text = _reason(reason)
    _movable(ticket)
    back_to = ticket.previous_team_id
    mine = routing.team_ids_of(session, actor.user_id)
    is_owner = actor.user_id is not None and actor.user_id == ticket.owner_id
    if back_to is None and is_owner and mine:
        back_to = mine[0]
    if back_to is None or back_to == ticket.team_id:
        raise Conflict(
            _(
                "ticket %(number)s has not been moved on from another team: there is nothing to take back",
                number=ticket.number,
            ),
            errors={"team_id": ["no previous team"]},
        )
    if not is_owner and back_to not in mine:
        raise Conflict(
            _(
                "only the owner of record or a member of the previous team can take ticket %(number)s back",
                number=ticket.number,
            ),
            errors={"actor": ["not the owner of record nor in the previous team"]},
        )
    team = routing.get_team_or_raise(session, actor=actor, team_id=back_to)
    assignee = actor.user_id if actor.user_id is not None and team.id in mine else None
    return _move(
        session, actor=actor, ticket=ticket, team=team, action="taken_back", reason=text, assignee_id=assignee
    )
