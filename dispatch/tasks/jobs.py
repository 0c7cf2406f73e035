"""Jobs the worker runs. Each takes ids or plain values, opens its own session and is idempotent."""

from __future__ import annotations

import logging

from dispatch.tasks.runtime import session_scope
from dispatch.users import service as users

log = logging.getLogger(__name__)


def purge_expired_revocations() -> int:
    """Forget revoked tokens that have expired anyway; returns how many were removed."""
    with session_scope() as session:
        removed = users.purge_expired_revocations(session)
    log.info("purged %d expired token revocations", removed)
    return removed
