"""Assignment inside a team: round-robin, least-loaded or by skill, among agents on shift, not away
and under their capacity. Race-free with several workers at once:

- PostgreSQL: a waiting ticket is claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` (two workers
  never take the same ticket), the team row is locked (``FOR UPDATE``) for its round-robin pointer,
  and the chosen agent's row is locked and their load counted again before the ticket is theirs (an
  agent in two teams is never filled past capacity by two workers).
- SQLite: the transaction starts with a write to the team row, which takes the database's write lock.

Each ticket is assigned in its own short transaction (committed by :func:`assign_waiting`), so no
transaction ever holds two agents' rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case, select, update
from sqlalchemy.orm import Session, lazyload

from dispatch.access import SYSTEM
from dispatch.db import utcnow
from dispatch.routing import hours
from dispatch.routing.models import AssignmentStrategy, DeskAgent, DeskTeam, DeskTeamMember
from dispatch.routing.service import PRIORITY_WEIGHT, Load, loads
from dispatch.tickets import service as tickets
from dispatch.tickets import states
from dispatch.tickets.models import Ticket, TicketCategory
from dispatch.users.models import User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Candidate:
    """An agent who may take a ticket now, with their load."""

    user_id: int
    capacity: int
    load: Load
    skills: frozenset[str]


@dataclass(frozen=True)
class Outcome:
    """What happened to one claimed ticket."""

    ticket_id: int
    user_id: int | None
    reason: str


def waiting(team_id: int) -> tuple[ColumnElement[bool], ...]:
    """The conditions of a ticket waiting for an agent in the team."""
    return (
        Ticket.team_id == team_id,
        Ticket.assignee_id.is_(None),
        Ticket.status.in_(list(states.WORKING)),
        Ticket.merged_into_id.is_(None),
    )


_URGENCY = case({p.value: w for p, w in PRIORITY_WEIGHT.items()}, value=Ticket.priority, else_=2)


def candidates(session: Session, team: DeskTeam, now: datetime) -> list[Candidate]:
    """The team's agents who are active, not away, on shift now and under capacity, by user id."""
    rows = session.execute(
        select(DeskAgent)
        .join(DeskTeamMember, DeskTeamMember.user_id == DeskAgent.user_id)
        .join(User, User.id == DeskAgent.user_id)
        .where(DeskTeamMember.team_id == team.id, User.active.is_(True), DeskAgent.away.is_(False))
        .order_by(DeskAgent.user_id)
    ).scalars()
    present = [a for a in rows if hours.on_shift(a.working_hours, a.time_zone, now)]
    load = loads(session, [a.user_id for a in present])
    return [
        Candidate(a.user_id, a.capacity, load[a.user_id], frozenset(a.skills or []))
        for a in present
        if load[a.user_id].count < a.capacity
    ]


def _after_pointer(found: list[Candidate], pointer: int | None) -> list[Candidate]:
    """Candidates in round-robin order: the first after the pointer, wrapping round."""
    ordered = sorted(found, key=lambda c: c.user_id)
    if pointer is None:
        return ordered
    later = [c for c in ordered if c.user_id > pointer]
    return later + [c for c in ordered if c.user_id <= pointer]


def choose(
    strategy: AssignmentStrategy, found: list[Candidate], pointer: int | None, needs: frozenset[str]
) -> Candidate | None:
    """The agent the strategy picks (None: nobody, or the team assigns by hand)."""
    if strategy is AssignmentStrategy.MANUAL or not found:
        return None
    ring = _after_pointer(found, pointer)
    if strategy is AssignmentStrategy.ROUND_ROBIN:
        return ring[0]
    if strategy is AssignmentStrategy.SKILLS:
        ring = [c for c in ring if needs <= c.skills]
    if not ring:
        return None
    rank = {c.user_id: i for i, c in enumerate(ring)}
    return min(ring, key=lambda c: (c.load.weighted, rank[c.user_id]))


def skills_needed(session: Session, ticket: Ticket) -> frozenset[str]:
    """The skills of the ticket's category (what the ``skills`` strategy asks of an agent)."""
    category = session.get(TicketCategory, ticket.category_id) if ticket.category_id else None
    return frozenset(category.skills or []) if category is not None else frozenset()


def _lock_team(session: Session, team_id: int) -> DeskTeam | None:
    if session.get_bind().dialect.name == "sqlite":
        # The first statement writes: the transaction takes SQLite's write lock before reading.
        session.execute(
            update(DeskTeam)
            .where(DeskTeam.id == team_id)
            .values(last_assigned_user_id=DeskTeam.last_assigned_user_id)
        )
    team: DeskTeam | None = session.scalar(
        select(DeskTeam)
        .where(DeskTeam.id == team_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return team


def _claim(session: Session, team_id: int, skip: set[int]) -> Ticket | None:
    stmt = (
        select(Ticket)
        .where(*waiting(team_id))
        .order_by(_URGENCY.desc(), Ticket.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=Ticket)
        .options(lazyload("*"))  # the row alone: no joins under the lock
        .execution_options(populate_existing=True)
    )
    if skip:
        stmt = stmt.where(Ticket.id.not_in(sorted(skip)))
    ticket: Ticket | None = session.scalar(stmt)
    return ticket


def _still_has_room(session: Session, user_id: int) -> bool:
    agent = session.scalar(
        select(DeskAgent)
        .where(DeskAgent.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if agent is None or agent.away:
        return False
    return loads(session, [user_id])[user_id].count < agent.capacity


def assign_one(
    session: Session, team_id: int, *, skip: set[int], now: datetime | None = None
) -> Outcome | None:
    """Claim the team's most urgent waiting ticket and give it to the agent the strategy picks.

    Returns None when nothing waits (outside ``skip``); the caller commits after each call.
    """
    now = now or utcnow()
    sqlite = session.get_bind().dialect.name == "sqlite"
    team = _lock_team(session, team_id) if sqlite else None
    ticket = _claim(session, team_id, skip)
    if ticket is None:
        return None
    if team is None:
        team = _lock_team(session, team_id)
    if team is None or not team.active:
        return Outcome(ticket.id, None, "team inactive")
    found = candidates(session, team, now)
    needs = skills_needed(session, ticket) if team.strategy is AssignmentStrategy.SKILLS else frozenset()
    while True:
        pick = choose(team.strategy, found, team.last_assigned_user_id, needs)
        if pick is None:
            reason = (
                "manual"
                if team.strategy is AssignmentStrategy.MANUAL
                else ("no agent with the skills" if found and needs else "no agent available")
            )
            return Outcome(ticket.id, None, reason)
        if _still_has_room(session, pick.user_id):
            break
        found = [c for c in found if c.user_id != pick.user_id]
    tickets.give_to(
        session,
        actor=SYSTEM,
        ticket=ticket,
        user_id=pick.user_id,
        by="routing",
        payload={
            "strategy": team.strategy.value,
            "team_id": team.id,
            "load": pick.load.count,
            "capacity": pick.capacity,
        },
    )
    team.last_assigned_user_id = pick.user_id
    session.flush()
    return Outcome(ticket.id, pick.user_id, "assigned")


def assign_waiting(
    sessions: Callable[[], Session], team_id: int, *, limit: int = 10_000, now: datetime | None = None
) -> list[Outcome]:
    """Assign the team's waiting tickets one transaction at a time, until none waits or nobody can take one."""
    done: list[Outcome] = []
    skip: set[int] = set()
    while len(done) < limit:
        with sessions() as session:
            try:
                outcome = assign_one(session, team_id, skip=skip, now=now)
                session.commit()
            except BaseException:
                session.rollback()
                raise
        if outcome is None:
            break
        done.append(outcome)
        if outcome.user_id is None:
            if outcome.reason != "no agent with the skills":
                break  # nobody in the team can take any ticket now: the next wake-up tries again
            skip.add(outcome.ticket_id)
    assigned = sum(1 for o in done if o.user_id is not None)
    if done:
        log.info("desk team %s: %d assigned, %d left waiting", team_id, assigned, len(done) - assigned)
    return done


def teams_with_waiting(session: Session) -> list[int]:
    """Teams that have tickets waiting for an agent (the periodic run visits these)."""
    rows = session.scalars(
        select(Ticket.team_id)
        .where(
            Ticket.team_id.is_not(None),
            Ticket.assignee_id.is_(None),
            Ticket.status.in_(list(states.WORKING)),
            Ticket.merged_into_id.is_(None),
        )
        .distinct()
    )
    return sorted(int(t) for t in rows if t is not None)
