"""Jobs the worker runs. Each takes ids or plain values, opens its own session and is idempotent."""

from __future__ import annotations

import logging
from datetime import timedelta

from dispatch.db import utcnow
from dispatch.idempotency import service as idempotency
from dispatch.positions import service as positions
from dispatch.tasks.runtime import session_scope
from dispatch.users import service as users

HOUSEKEEPING_EVERY_S = 15 * 60
"""How often ``dispatch scheduler`` (or the in-process worker) queues :func:`housekeeping`."""
KEEP_IDEMPOTENCY_KEYS = timedelta(days=7)
"""A phone retries for days at most; its answers are kept a week."""

log = logging.getLogger(__name__)


def purge_expired_revocations() -> int:
    """Forget revoked tokens that have expired anyway; returns how many were removed."""
    with session_scope() as session:
        removed = users.purge_expired_revocations(session)
    log.info("purged %d expired token revocations", removed)
    return removed


def housekeeping() -> dict[str, int]:
    """Forget what must not be kept: expired token revocations, week-old idempotency keys, and the
    positions of engineers no longer on shift (no track outside working hours)."""
    removed = {"revocations": purge_expired_revocations()}
    with session_scope() as session:
        removed["idempotency_keys"] = idempotency.purge(session, before=utcnow() - KEEP_IDEMPOTENCY_KEYS)
        removed["positions"] = positions.purge_off_shift(session)
    log.info("housekeeping removed %s", removed)
    return removed
