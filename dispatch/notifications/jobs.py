"""Jobs of the ``notifications`` queue: send one outbox row, or sweep what is due.

They take ids, open their own sessions, and are safe to run twice (a row is claimed before it is
sent, so a second copy of the job finds nothing to do).
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from dispatch.config import Settings
from dispatch.notifications import delivery, wiring
from dispatch.tasks.runtime import current_factory

QUEUE = wiring.QUEUE
log = logging.getLogger(__name__)


def _settings_and_sessions() -> tuple[Settings, sessionmaker[Session]]:
    factory = current_factory()
    with factory() as session:
        found = wiring.for_session(session)
    return found.settings, factory


def deliver(notification_id: int) -> str:
    """Send one outbox row now if it is due; returns what happened."""
    settings, factory = _settings_and_sessions()
    outcome = delivery.deliver(factory, settings, notification_id)
    return "not due or already taken" if outcome is None else f"{outcome.status.value}: {outcome.detail}"


def sweep() -> dict[str, int]:
    """Send every due row: retries whose time has come and rows whose enqueue was lost."""
    settings, factory = _settings_and_sessions()
    counts = delivery.sweep(factory, settings)
    if any(counts.values()):
        log.info("notification sweep: %s", counts)
    return counts
