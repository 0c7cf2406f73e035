"""Jobs of the ``desk`` queue: assign a team's waiting tickets; the periodic run visits every team.

Each takes ids or plain values and opens its own sessions (one short transaction per ticket), so any
number of workers can run them at once (see :mod:`dispatch.routing.assign`).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from dispatch.routing import assign
from dispatch.tasks.runtime import current_factory, session_scope
from dispatch.tickets import service as tickets

QUEUE = "desk"
SWEEP_EVERY_S = 60
"""How often ``dispatch scheduler`` (or the in-process worker) queues :func:`assign_all`: agents who
came on shift or back get the tickets that waited."""

log = logging.getLogger(__name__)


def assign_team(team_id: int) -> int:
    """Assign the team's waiting tickets; returns how many got an agent."""
    outcomes = assign.assign_waiting(current_factory(), team_id)
    return sum(1 for o in outcomes if o.user_id is not None)


def assign_all() -> dict[int, int]:
    """Assign what waits in every team (the periodic run); returns assigned counts per team."""
    with session_scope() as session:
        teams = assign.teams_with_waiting(session)
    return {team_id: assign_team(team_id) for team_id in teams}


def close_resolved(after_hours: int) -> int:
    """Close tickets resolved more than ``after_hours`` ago; returns how many were closed."""
    with session_scope() as session:
        closed = tickets.close_resolved(session, older_than=timedelta(hours=after_hours))
    if closed:
        log.info("closed %d tickets resolved more than %d hours ago", closed, after_hours)
    return closed
