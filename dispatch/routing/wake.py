"""Ask for assignment to run again after the change commits (a ticket waits for an agent, an agent
has room again). Services call :func:`request`; the web app enqueues the ``desk`` job once the
request's transaction has committed (:func:`install`); a job calls :func:`take` after its own commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

KEY = "dispatch.routing.wake"
log = logging.getLogger(__name__)


def request(session: Session, team_id: int | None) -> None:
    """Have the team's waiting tickets assigned once this transaction commits."""
    if team_id is not None:
        session.info.setdefault(KEY, set()).add(team_id)


def take(session: Session) -> set[int]:
    """The teams asked for (and forget them)."""
    teams: set[int] = session.info.pop(KEY, set())
    return teams


def install(sessions: sessionmaker[Any], enqueue: Callable[[int], None]) -> None:
    """After each commit of these sessions, call ``enqueue(team_id)`` for every team asked for.

    A failure to enqueue (the queue is down) is logged and does not undo the committed change: the
    scheduler's periodic run assigns what waits.
    """

    @event.listens_for(sessions, "after_commit")
    def _after_commit(session: Session) -> None:
        for team_id in sorted(take(session)):
            try:
                enqueue(team_id)
            except Exception:  # the change is committed; the periodic run will catch up
                log.warning("could not queue assignment for desk team %s", team_id, exc_info=True)

    @event.listens_for(sessions, "after_rollback")
    def _after_rollback(session: Session) -> None:
        take(session)
