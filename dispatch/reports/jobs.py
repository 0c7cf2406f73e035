"""Jobs of the ``reports`` queue: the nightly build of the daily rows, and a rebuild of a range.

A range is built a month at a time, each month in its own transaction (read in a few statements for
all its days), so a long range makes progress and a re-run replaces its rows (idempotent).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dispatch.db import utcnow
from dispatch.reports import service
from dispatch.tasks.runtime import session_scope

QUEUE = "reports"
NIGHTLY_CRON = "20 1 * * *"
"""When ``dispatch scheduler`` queues :func:`nightly` (01:20 UTC every day)."""
NIGHTLY_EVERY_S = 6 * 3600
"""How often the in-process worker (no Redis) queues :func:`nightly`."""
CHUNK_DAYS = 31
"""The days built in one transaction (a year's backfill is twelve of them)."""
REFRESH_DAYS = 15
"""The nightly job rebuilds this many days up to yesterday: first-time fixes are only known after
:data:`dispatch.reports.measures.FOLLOW_UP_DAYS`, and late events (offline phones) change recent days."""

log = logging.getLogger(__name__)


def build_range(first: str, last: str, time_zone: str) -> int:
    """Rebuild the rows of every day from ``first`` to ``last`` (ISO dates); returns how many rows."""
    written = 0
    every = service.days(date.fromisoformat(first), date.fromisoformat(last))
    for start in range(0, len(every), CHUNK_DAYS):
        chunk = every[start : start + CHUNK_DAYS]
        with session_scope() as session:
            written += service.build_days(session, chunk[0], chunk[-1], time_zone=time_zone)
    log.info("report rows of %s to %s rebuilt: %d rows", first, last, written)
    return written


def nightly(time_zone: str, now: str | None = None) -> int:
    """Rebuild the last :data:`REFRESH_DAYS` local days up to yesterday."""
    moment = datetime.fromisoformat(now) if now else utcnow()
    yesterday = moment.astimezone(ZoneInfo(time_zone)).date() - timedelta(days=1)
    first = yesterday - timedelta(days=REFRESH_DAYS - 1)
    return build_range(first.isoformat(), yesterday.isoformat(), time_zone)
