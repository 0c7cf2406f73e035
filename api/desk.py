"""The desk's background work, wired to the app: assignment is queued once a change has committed."""

from __future__ import annotations

from flask import Flask

from api.database import Database
from dispatch.routing import jobs, wake
from dispatch.tasks.queue import JobQueue


def init_app(app: Flask) -> None:
    """After each commit that asked for it, queue ``assign_team`` on the ``desk`` queue."""
    database: Database = app.extensions["dispatch.db"]

    def enqueue(team_id: int) -> None:
        job_queue: JobQueue = app.extensions["dispatch.queue"]
        job_queue.enqueue(jobs.assign_team, team_id, queue_name=jobs.QUEUE, timeout_s=300)

    wake.install(database.sessions, enqueue)
