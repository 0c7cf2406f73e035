"""Notifications and mail wired to the app: committed outbox rows go to the ``notifications`` queue;
without Redis the in-process worker also sweeps the outbox and fetches mail on a timer."""

from __future__ import annotations

from flask import Flask

from api.database import Database
from dispatch.config import Settings
from dispatch.notifications import jobs, wiring
from dispatch.notifications.delivery import SWEEP_EVERY_S
from dispatch.tasks.queue import InProcessQueue, JobQueue

DELIVERY_TIMEOUT_S = 300


def init_app(app: Flask, settings: Settings) -> None:
    """Install the app's wiring for its engine, and the embedded timers (not in tests)."""
    database: Database = app.extensions["dispatch.db"]
    job_queue: JobQueue = app.extensions["dispatch.queue"]

    def enqueue(notification_id: int) -> None:
        job_queue.enqueue(jobs.deliver, notification_id, queue_name=jobs.QUEUE, timeout_s=DELIVERY_TIMEOUT_S)

    wiring.install(database.engine, wiring.Wiring(settings=settings, enqueue=enqueue))
    if isinstance(job_queue, InProcessQueue) and settings.env != "test":
        job_queue.repeat(jobs.sweep, every_s=SWEEP_EVERY_S, queue_name=jobs.QUEUE)
        if settings.imap_host:
            from dispatch.mail import jobs as mail_jobs

            job_queue.repeat(mail_jobs.fetch, every_s=settings.mail_fetch_every_s, queue_name=mail_jobs.QUEUE)
