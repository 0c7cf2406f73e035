"""Which queue the app enqueues on: RQ when REDIS_URL is set, else the in-process worker."""

from __future__ import annotations

import functools

from flask import Flask, current_app

from api.database import Database
from dispatch.config import Settings
from dispatch.reports import jobs as report_jobs
from dispatch.routing import jobs as desk_jobs
from dispatch.sla import jobs as sla_jobs
from dispatch.tasks.jobs import HOUSEKEEPING_EVERY_S, housekeeping
from dispatch.tasks.queue import InProcessQueue, JobQueue, RQQueue


def init_app(app: Flask, settings: Settings) -> None:
    """Attach the job queue; the in-process worker shares the app's database engine."""
    job_queue: JobQueue
    if settings.redis_url:
        job_queue = RQQueue(settings.redis_url, prefix=settings.queue_prefix)
    else:
        database: Database = app.extensions["dispatch.db"]
        in_process = InProcessQueue(database.engine)
        if settings.env != "test":  # tests run their jobs by hand
            # No `dispatch scheduler` without Redis: the embedded worker queues housekeeping itself.
            in_process.repeat(housekeeping, every_s=HOUSEKEEPING_EVERY_S, queue_name="maintenance")
            in_process.repeat(
                desk_jobs.assign_all, every_s=desk_jobs.SWEEP_EVERY_S, queue_name=desk_jobs.QUEUE
            )
            in_process.repeat(sla_jobs.scan_clocks, every_s=sla_jobs.SCAN_EVERY_S, queue_name=sla_jobs.QUEUE)
            in_process.repeat(
                functools.partial(desk_jobs.close_resolved, settings.ticket_auto_close_hours),
                every_s=HOUSEKEEPING_EVERY_S,
                queue_name=desk_jobs.QUEUE,
            )
            in_process.repeat(
                functools.partial(report_jobs.nightly, settings.default_time_zone),
                every_s=report_jobs.NIGHTLY_EVERY_S,
                queue_name=report_jobs.QUEUE,
            )
        job_queue = in_process
    app.extensions["dispatch.queue"] = job_queue


def jobs() -> JobQueue:
    """The current app's job queue."""
    job_queue: JobQueue = current_app.extensions["dispatch.queue"]
    return job_queue
