"""When Redis is down (never there, or killed mid-way) plans never stick in ``queued``, logout works,
and ``/healthz`` says which dependency is down."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from api import create_app
from dispatch.db import utcnow
from dispatch.planning.models import Plan
from tests.servers import free_port

DAY = (utcnow() + timedelta(days=1)).date().isoformat()


def _app(app_settings, redis_url: str, **extra):
    return create_app(
        {**app_settings, "redis_url": redis_url, "queue_prefix": f"t-{uuid.uuid4().hex[:8]}:", **extra}
    )


@pytest.fixture
def no_redis(app_settings, clean_db):
    """The app with a Redis URL where nothing listens."""
    app = _app(app_settings, f"redis://127.0.0.1:{free_port()}/0")
    yield app
    app.extensions["dispatch.db"].engine.dispose()


def _health_becomes(client, status: int, timeout_s: float = 5.0):
    """/healthz once it answers ``status`` (its answer is reused for a second)."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = client.get("/healthz")
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def test_a_plan_that_cannot_be_queued_is_failed_with_the_reason_and_the_day_stays_free(no_redis, world):
    client = no_redis.test_client()
    headers = world.h("dispatcher")
    response = client.post("/api/v1/plans", json={"day": DAY, "time_limit_s": 2}, headers=headers)
    assert response.status_code == 503
    body = response.json
    plan_id = body["errors"]["plan_id"]
    assert body["message"].startswith(
        f"plan {plan_id} was not started because the job queue (Redis) cannot be reached"
    )
    assert "marked failed" in body["message"]
    plan = client.get(f"/api/v1/plans/{plan_id}", headers=headers).json
    assert plan["status"] == "failed"
    assert "could not be queued" in plan["message"]
    again = client.post("/api/v1/plans", json={"day": DAY, "time_limit_s": 2}, headers=headers)
    assert again.status_code == 503  # not 409: the first one does not block the day


def test_logout_and_cancel_work_while_the_queue_is_down(no_redis, world, app):
    client = no_redis.test_client()
    revoked = client.post("/api/v1/auth/revoke", headers=world.h("agent"))
    assert revoked.status_code == 200
    assert client.get("/api/v1/auth/me", headers=world.h("agent")).status_code == 401
    with app.extensions["dispatch.db"].sessions.begin() as session:
        session.execute(
            update(Plan).where(Plan.id == world.ids["plan"]).values(status="queued", job_id="plan-1")
        )
    cancelled = client.delete(f"/api/v1/plans/{world.ids['plan']}", headers=world.h("dispatcher"))
    assert cancelled.status_code == 200
    assert cancelled.json["status"] == "cancelled"


def test_health_names_the_dependency_that_is_down(no_redis, client):
    response = no_redis.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {
        "status": "unavailable",
        "database": "ok",
        "queue": "unavailable: ConnectionError",
    }
    assert client.get("/healthz").json == {"status": "ok", "database": "ok", "queue": "ok"}


def test_health_reports_a_database_that_is_gone(app_settings, tmp_path):
    broken = create_app({**app_settings, "database_url": f"sqlite:///{tmp_path}/missing/folder/db.sqlite"})
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unavailable: OperationalError"
    assert response.json["queue"] == "ok"


@pytest.mark.redis
def test_redis_killed_while_a_plan_waits_then_back(app_settings, own_redis, world, app):
    served = _app(app_settings, own_redis.url, plan_queued_timeout_s=300)
    client, headers = served.test_client(), world.h("dispatcher")
    assert _health_becomes(client, 200).json["queue"] == "ok"
    asked = client.post("/api/v1/plans", json={"day": DAY, "time_limit_s": 2}, headers=headers)
    assert asked.status_code == 202  # queued on Redis; no worker runs in this test
    plan_id = asked.json["id"]

    own_redis.stop()  # the queue, and the job waiting in it, are gone
    down = _health_becomes(client, 503)
    assert (down.status_code, down.json["queue"]) == (503, "unavailable: ConnectionError")
    assert client.get(f"/api/v1/plans/{plan_id}", headers=headers).json["status"] == "queued"
    # No worker takes it within the configured time (moved back here rather than waited for).
    with app.extensions["dispatch.db"].sessions.begin() as session:
        session.execute(
            update(Plan).where(Plan.id == plan_id).values(created_at=utcnow() - timedelta(seconds=301))
        )
    plan = client.get(f"/api/v1/plans/{plan_id}", headers=headers).json
    assert plan["status"] == "failed"
    assert plan["message"].startswith("no worker took this plan within 300 s")
    assert (
        client.post("/api/v1/plans", json={"day": DAY, "time_limit_s": 2}, headers=headers).status_code == 503
    )
    assert client.post("/api/v1/auth/revoke", headers=world.h("agent")).status_code == 200

    own_redis.start()
    assert _health_becomes(client, 200).json == {"status": "ok", "database": "ok", "queue": "ok"}
    again = client.post("/api/v1/plans", json={"day": DAY, "time_limit_s": 2}, headers=headers)
    assert again.status_code == 202
    served.extensions["dispatch.db"].engine.dispose()


def test_a_queued_plan_no_worker_takes_is_reported_failed_and_a_late_worker_skips_it(app, client, world):
    from dispatch.planning import jobs
    from dispatch.tasks import runtime

    limit = app.config["DISPATCH"].plan_queued_timeout_s
    with app.extensions["dispatch.db"].sessions.begin() as session:
        session.execute(
            update(Plan)
            .where(Plan.id == world.ids["plan"])
            .values(status="queued", created_at=utcnow() - timedelta(seconds=limit + 1))
        )
    listed = client.get("/api/v1/plans", headers=world.h("dispatcher")).json
    assert [(p["id"], p["status"]) for p in listed] == [(world.ids["plan"], "failed")]
    with runtime.bound(app.extensions["dispatch.db"].engine):
        assert jobs.run_plan(world.ids["plan"]) == "skipped"
