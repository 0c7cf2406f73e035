"""How a process sends: the settings the sender uses and how a committed outbox row reaches the queue.

The web app and the in-process worker install themselves for their engine; ``dispatch worker``
installs one for the whole process. After every commit of any session, the rows that session wrote
are enqueued through the wiring of its engine; without one (a command run by hand) they wait in the
outbox for the sweeper.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from dispatch.config import Settings
from dispatch.notifications import outbox

log = logging.getLogger(__name__)

QUEUE = "notifications"


@dataclass(frozen=True)
class Wiring:
    """The settings senders read (SMTP, links, secrets) and how to queue one outbox row."""

    settings: Settings
    enqueue: Callable[[int], None] | None = None


_by_engine: weakref.WeakKeyDictionary[Engine, Wiring] = weakref.WeakKeyDictionary()
_process: list[Wiring] = []


def install(engine: Engine | None, wiring: Wiring) -> None:
    """Use ``wiring`` for sessions bound to ``engine`` (None: every session of this process)."""
    if engine is None:
        _process[:] = [wiring]
    else:
        _by_engine[engine] = wiring


def for_engine(engine: Engine | None) -> Wiring | None:
    """The wiring of ``engine``, else the process's, else None."""
    if engine is not None and engine in _by_engine:
        return _by_engine[engine]
    return _process[0] if _process else None


def for_session(session: Session) -> Wiring:
    """The wiring of the session's engine; :class:`RuntimeError` if this process has none."""
    bind = session.get_bind()
    found = for_engine(bind if isinstance(bind, Engine) else bind.engine)
    if found is None:
        raise RuntimeError(
            "notifications are not wired in this process: start them through `dispatch worker`"
        )
    return found


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    ids = outbox.take_pending(session)
    if not ids:
        return
    bind = session.bind
    wiring = for_engine(bind if isinstance(bind, Engine) else None)
    if wiring is None or wiring.enqueue is None:
        return  # the sweeper sends them
    for notification_id in ids:
        try:
            wiring.enqueue(notification_id)
        except Exception:  # the change is committed and the row is in the outbox: the sweeper sends it
            log.warning(
                "could not queue notification %s; the sweeper will send it", notification_id, exc_info=True
            )


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    outbox.take_pending(session)
