"""Plans on real RQ workers over Redis: solved by `dispatch worker`, and nothing half-written when one dies."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from dispatch.demo import loader
from dispatch.planning.models import PlanRoute, PlanStop
from tests.conftest import repo_root
from tests.dispatch.test_queue import cli_env, redis_url  # noqa: F401 - the fixture
from tests.factories import demo_headers, load_demo_day

DAY = loader.next_working_day(datetime.now(ZoneInfo("Europe/London")).date())
pytestmark = pytest.mark.redis


@pytest.fixture
def rq_app(app_settings, redis_url, clean_db):  # noqa: F811 - the fixture
    """An app that enqueues on Redis under a prefix of its own, with a demo day loaded."""
    from api import create_app

    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    app = create_app(
        {**app_settings, "redis_url": redis_url, "queue_prefix": prefix, "plan_stale_after_s": 3}
    )
    load_demo_day(app, 60, DAY)
    app.config["test.headers"] = demo_headers(app.test_client())
    app.config["test.prefix"] = prefix
    yield app
    app.extensions["dispatch.db"].engine.dispose()


def worker(app, database_url, *args, **kwargs):
    env = cli_env(database_url, app.config["DISPATCH"].redis_url, app.config["test.prefix"])
    command = [sys.executable, "-m", "dispatch.cli", "worker", "--queue", "planning", *args]
    return subprocess.Popen(command, env=env, cwd=repo_root(), text=True, **kwargs)


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def rows(app, model, plan_id):
    session = app.extensions["dispatch.db"].sessions()
    try:
        stmt = select(func.count()).select_from(model)
        if model is PlanRoute:
            stmt = stmt.where(PlanRoute.plan_id == plan_id)
        else:
            stmt = stmt.join(PlanRoute).where(PlanRoute.plan_id == plan_id)
        return session.scalar(stmt)
    finally:
        session.close()


def test_a_worker_process_solves_the_plan_and_writes_its_routes(rq_app, database_url):
    client, headers = rq_app.test_client(), rq_app.config["test.headers"]
    asked = client.post("/api/v1/plans", json={"day": DAY.isoformat(), "time_limit_s": 3}, headers=headers)
    assert asked.status_code == 202
    assert client.get(asked.headers["Location"], headers=headers).json["status"] == "queued"
    done = worker(rq_app, database_url, "--burst", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, err = done.communicate(timeout=180)
    assert done.returncode == 0, err
    plan = client.get(asked.headers["Location"], headers=headers).json
    assert plan["status"] == "ready", plan["message"]
    assert plan["attempts"] == 1
    placed = sum(len(r["stops"]) for r in plan["routes"])
    assert placed + len(plan["unassigned"]) == 60
    assert rows(rq_app, PlanStop, plan["id"]) == placed


def test_a_worker_killed_mid_plan_leaves_nothing_written_and_the_plan_failed(rq_app, database_url):
    client, headers = rq_app.test_client(), rq_app.config["test.headers"]
    asked = client.post("/api/v1/plans", json={"day": DAY.isoformat(), "time_limit_s": 60}, headers=headers)
    location = asked.headers["Location"]
    proc = worker(rq_app, database_url, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while client.get(location, headers=headers).json["status"] != "running":
            assert time.monotonic() < deadline, "the worker never started the plan"
            time.sleep(0.2)
        time.sleep(1.5)  # well inside the 60 s search
    finally:
        # The worker, its work horse (RQ puts it in a session of its own) and everything below:
        # as when the machine dies.
        for pid in [proc.pid, *descendants(proc.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)
    plan = client.get(location, headers=headers).json
    assert plan["status"] == "running"
    assert plan["routes"] == []
    assert rows(rq_app, PlanRoute, plan["id"]) == 0
    # No heartbeat for longer than the stale limit: the plan is reported failed, with why.
    deadline = time.monotonic() + 20
    while plan["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.5)
        plan = client.get(location, headers=headers).json
    assert plan["status"] == "failed"
    assert "stopped" in plan["message"]
    assert "nothing was written" in plan["message"]
    assert rows(rq_app, PlanRoute, plan["id"]) == 0
    # The day can be planned again straight away.
    again = client.post("/api/v1/plans", json={"day": DAY.isoformat(), "time_limit_s": 2}, headers=headers)
    assert again.status_code == 202
    done = worker(rq_app, database_url, "--burst", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, err = done.communicate(timeout=180)
    assert done.returncode == 0, err
    assert client.get(again.headers["Location"], headers=headers).json["status"] == "ready"
