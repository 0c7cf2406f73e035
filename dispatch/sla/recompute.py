"""Re-timing open clocks after their calendar changed (a holiday added, other hours).

Clock rows are a cache of the event log computed with the calendar; when the calendar changes the
cache is stale. :func:`request` marks the calendar in the session; after the commit the web app (or
the CLI) queues :func:`dispatch.sla.jobs.recompute_calendar`, which refreshes those tickets in batches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

KEY = "dispatch.sla.recompute"
log = logging.getLogger(__name__)


def request(session: Session, calendar_id: int) -> None:
    """Have the open clocks of the calendar re-timed once this transaction commits."""
    session.info.setdefault(KEY, set()).add(calendar_id)


def take(session: Session) -> set[int]:
    """The calendars asked for (and forget them)."""
    found: set[int] = session.info.pop(KEY, set())
    return found


def install(sessions: sessionmaker[Any], enqueue: Callable[[int], None]) -> None:
    """After each commit of these sessions, call ``enqueue(calendar_id)`` for every calendar asked for."""

    @event.listens_for(sessions, "after_commit")
    def _after_commit(session: Session) -> None:
        for calendar_id in sorted(take(session)):
            try:
                enqueue(calendar_id)
            except Exception:  # the change is committed; `dispatch sla rebuild --open` catches up
                log.warning("could not queue re-timing for calendar %s", calendar_id, exc_info=True)

    @event.listens_for(sessions, "after_rollback")
    def _after_rollback(session: Session) -> None:
        take(session)
