"""Jobs of the ``sla`` queue: the warning and breach scan (every minute), re-timing after a calendar
change. Each takes plain values, opens its own sessions and commits in batches."""

from __future__ import annotations

import logging

from dispatch.db import utcnow
from dispatch.sla import clocks, scan
from dispatch.tasks.runtime import session_scope

QUEUE = "sla"
SCAN_EVERY_S = 60
"""How often ``dispatch scheduler`` (or the in-process worker) queues :func:`scan_clocks`."""
BATCH = 200
MAX_BATCHES = 100

log = logging.getLogger(__name__)


def scan_clocks(batch: int = BATCH) -> dict[str, int]:
    """Raise every warning and breach that has come due; returns how many of each."""
    breaches = warnings = 0
    for _round in range(MAX_BATCHES):
        with session_scope() as session:
            result = scan.run(session, now=utcnow(), limit=batch)
        breaches += result.breaches
        warnings += result.warnings
        if result.breaches < batch and result.warnings < batch:
            break
    if breaches or warnings:
        log.info("SLA scan: %d breaches, %d warnings", breaches, warnings)
    return {"breaches": breaches, "warnings": warnings}


def recompute_calendar(calendar_id: int) -> int:
    """Re-time the open clocks counted in a calendar that changed; returns how many tickets."""
    done, after = 0, 0
    while True:
        with session_scope() as session:
            ids = clocks.tickets_on_calendar(session, calendar_id, after=after)
            for ticket_id in ids:
                clocks.refresh(session, ticket_id)
        if not ids:
            break
        done += len(ids)
        after = ids[-1]
    log.info("re-timed the clocks of %d tickets after calendar %d changed", done, calendar_id)
    return done
