"""Jobs run on the in-process worker by default and on real RQ workers over Redis in production."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq.job import Job
from sqlalchemy import func, select

from dispatch.db import utcnow
from dispatch.tasks import jobs
from dispatch.tasks.queue import InProcessQueue, RQQueue
from dispatch.users import service as users
from dispatch.users.models import RevokedToken
from tests.conftest import TEST_SECRET, missing_service, repo_root


@pytest.fixture
def redis_url():
    url = os.environ.get("DISPATCH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        Redis.from_url(url, socket_connect_timeout=1).ping()
    except RedisConnectionError:
        missing_service(f"Redis at {url}")
    return url


def cli_env(database_url: str, redis_url: str, prefix: str) -> dict[str, str]:
    """The environment of a `dispatch` command on the test database and Redis, under a queue prefix."""
    return {
        **os.environ,
        "DISPATCH_ENV": "test",
        "DISPATCH_DATABASE_URL": database_url,
        "DISPATCH_REDIS_URL": redis_url,
        "DISPATCH_QUEUE_PREFIX": prefix,
        "DISPATCH_SECRET_KEY": TEST_SECRET,
    }


def _revocations(db_session, *, expired: int, live: int, user_id: int) -> None:
    now = utcnow()
    for i in range(expired):
        users.revoke_token(
            db_session,
            jti=f"old-{i}",
            user_id=user_id,
            token_type="access",
            expires_at=now - timedelta(minutes=1),
        )
    for i in range(live):
        users.revoke_token(
            db_session,
            jti=f"new-{i}",
            user_id=user_id,
            token_type="access",
            expires_at=now + timedelta(hours=1),
        )
    db_session.commit()


def _remaining(db_session) -> list[str]:
    db_session.expire_all()
    return sorted(db_session.scalars(select(RevokedToken.jti)))


def test_in_process_worker_runs_the_job_in_the_background(app, world, db_session, client):
    _revocations(db_session, expired=3, live=1, user_id=world.ids["user_admin"])
    queue = app.extensions["dispatch.queue"]
    assert isinstance(queue, InProcessQueue)
    job_id = queue.enqueue(jobs.purge_expired_revocations, queue_name="maintenance")
    assert queue.wait(job_id) == "finished"
    assert _remaining(db_session) == ["new-0"]


def test_in_process_worker_survives_a_failing_job(engine):
    queue = InProcessQueue(engine)

    def boom() -> None:
        raise RuntimeError("disk full")

    failed = queue.enqueue(boom, queue_name="maintenance")
    ok = queue.enqueue(lambda: None, queue_name="maintenance")
    assert queue.wait(failed) == "failed"
    assert queue.wait(ok) == "finished"


def test_revoking_a_token_queues_nothing_and_housekeeping_forgets_expired_ones(
    app, world, client, db_session
):
    _revocations(db_session, expired=2, live=0, user_id=world.ids["user_admin"])
    response = client.post("/api/v1/auth/revoke", headers=world.h("agent"))
    assert response.status_code == 200
    queue = app.extensions["dispatch.queue"]
    assert queue.status("purge-expired-revocations") is None  # logout works with the queue down
    job_id = queue.enqueue(jobs.housekeeping, queue_name="maintenance")
    assert queue.wait(job_id) == "finished"
    assert _remaining(db_session) == [response.json["jti"]]


@pytest.mark.redis
def test_rq_worker_process_runs_jobs_from_redis(redis_url, database_url, world, db_session):
    _revocations(db_session, expired=4, live=2, user_id=world.ids["user_admin"])
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    queue = RQQueue(redis_url, prefix=prefix)
    job_id = queue.enqueue(jobs.purge_expired_revocations, queue_name="maintenance", timeout_s=60)
    env = cli_env(database_url, redis_url, prefix)
    done = subprocess.run(
        [sys.executable, "-m", "dispatch.cli", "worker", "--burst", "--queue", "maintenance"],
        env=env,
        cwd=repo_root(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"queues: {prefix}maintenance" in done.stdout
    job = Job.fetch(job_id, connection=queue.connection)
    assert job.get_status() == "finished"
    assert job.return_value() == 4
    assert _remaining(db_session) == ["new-0", "new-1"]
    assert db_session.scalar(select(func.count()).select_from(RevokedToken)) == 2


def test_worker_command_needs_redis(database_url):
    env = {
        **os.environ,
        "DISPATCH_ENV": "test",
        "DISPATCH_DATABASE_URL": database_url,
        "DISPATCH_SECRET_KEY": TEST_SECRET,
    }
    env.pop("DISPATCH_REDIS_URL", None)
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "dispatch.cli", "worker", "--burst"],
        env=env,
        cwd=repo_root(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "set DISPATCH_REDIS_URL" in done.stderr


def test_housekeeping_forgets_old_keys_and_off_shift_positions_and_keeps_the_rest(app, world, db_session):
    from dispatch.idempotency.models import IdempotencyKey
    from dispatch.positions.models import EngineerPosition

    now = utcnow()
    _revocations(db_session, expired=2, live=1, user_id=world.ids["user_admin"])
    for key, age in (("old", timedelta(days=8)), ("fresh", timedelta(hours=1))):
        db_session.add(
            IdempotencyKey(
                user_id=world.ids["user_engineer"],
                key=key,
                method="POST",
                path="/x",
                fingerprint="f",
                status=200,
                headers={},
                body="{}",
                created_at=now - age,
            )
        )
    # e1 and e2 have shifts tomorrow, not now: their positions are no longer kept.
    db_session.add(
        EngineerPosition(
            engineer_id=world.ids["e1"], latitude=53.4, longitude=-2.2, recorded_at=now, received_at=now
        )
    )
    db_session.commit()
    queue = InProcessQueue(db_session.get_bind())
    job_id = queue.enqueue(jobs.housekeeping, queue_name="maintenance")
    assert queue.wait(job_id) == "finished"
    db_session.expire_all()
    assert sorted(db_session.scalars(select(IdempotencyKey.key))) == ["fresh"]
    assert db_session.scalar(select(func.count()).select_from(EngineerPosition)) == 0
    assert _remaining(db_session) == ["new-0"]


def test_the_embedded_worker_repeats_a_job(engine):
    queue = InProcessQueue(engine)
    ran: list[int] = []
    queue.repeat(lambda: ran.append(1), every_s=0.05, queue_name="maintenance")
    import time

    deadline = time.monotonic() + 5
    while len(ran) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    queue.stop()
    assert len(ran) >= 3


@pytest.mark.redis
def test_scheduler_once_queues_housekeeping_for_the_workers(redis_url, database_url):
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    env = cli_env(database_url, redis_url, prefix)
    done = subprocess.run(
        [sys.executable, "-m", "dispatch.cli", "scheduler", "--once"],
        env=env,
        cwd=repo_root(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert f"on {prefix}maintenance" in done.stdout
    from rq import Queue

    queued = Queue(f"{prefix}maintenance", connection=Redis.from_url(redis_url)).jobs
    assert [j.func_name for j in queued] == ["dispatch.tasks.jobs.housekeeping"]
    desk = Queue(f"{prefix}desk", connection=Redis.from_url(redis_url)).jobs
    assert sorted(j.func_name for j in desk) == [
        "dispatch.routing.jobs.assign_all",
        "dispatch.routing.jobs.close_resolved",
    ]
    sla = Queue(f"{prefix}sla", connection=Redis.from_url(redis_url)).jobs
    assert [j.func_name for j in sla] == ["dispatch.sla.jobs.scan_clocks"]
    reports = Queue(f"{prefix}reports", connection=Redis.from_url(redis_url)).jobs
    assert [j.func_name for j in reports] == ["dispatch.reports.jobs.nightly"]
    for job in queued + desk + sla + reports:
        job.delete()
