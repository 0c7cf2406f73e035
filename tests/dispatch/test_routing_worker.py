"""Assignment runs on a real RQ worker process taking jobs from the ``desk`` queue on Redis."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest

from dispatch.db import make_session_factory
from dispatch.routing import jobs
from dispatch.tasks.queue import RQQueue
from dispatch.tickets.models import Ticket
from tests.conftest import repo_root
from tests.desk_factories import build_desk, open_ticket
from tests.dispatch.test_queue import cli_env, redis_url  # noqa: F401 - the fixture

pytestmark = pytest.mark.redis


def test_a_worker_process_assigns_the_tickets_a_change_asked_for(app, world, database_url, redis_url):  # noqa: F811
    sessions = make_session_factory(app.extensions["dispatch.db"].engine)
    with sessions() as session:
        desk = build_desk(session, world)
        ids = [open_ticket(session, world.ids["c1"], team_id=desk.ids["first"]).id for _ in range(3)]
        session.commit()
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    RQQueue(redis_url, prefix=prefix).enqueue(jobs.assign_team, desk.ids["first"], queue_name=jobs.QUEUE)
    done = subprocess.run(
        [sys.executable, "-m", "dispatch.cli", "worker", "--queue", "desk", "--burst"],
        env=cli_env(database_url, redis_url, prefix),
        cwd=repo_root(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    with sessions() as session:
        assignees = [session.get(Ticket, i).assignee_id for i in ids]
    assert None not in assignees
    assert len(set(assignees)) == 3
