"""Big days by parts on real RQ workers: regions solved in parallel, a lost worker's part queued again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
from redis import Redis
from rq import Queue, Worker

from dispatch.planning import parts
from optimizer import SolveOptions
from optimizer.bench_city import city_problem
from optimizer.datasets.city import generate_city
from tests.conftest import repo_root
from tests.dispatch.test_plan_worker import descendants
from tests.dispatch.test_queue import cli_env, redis_url  # noqa: F401 - the fixture

pytestmark = pytest.mark.redis


@pytest.fixture
def day():
    return city_problem(generate_city(orders=150, seed=3), SolveOptions(workers=1))


@pytest.fixture
def queue(redis_url, database_url):  # noqa: F811 - the fixture
    """A planning queue of its own, and a way to start `dispatch worker` processes on it."""
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    started: list[subprocess.Popen[str]] = []

    connection = Redis.from_url(redis_url)

    def start() -> subprocess.Popen[str]:
        env = cli_env(database_url, redis_url, prefix)
        command = [sys.executable, "-m", "dispatch.cli", "worker", "--queue", "planning"]
        proc = subprocess.Popen(command, env=env, cwd=repo_root(), text=True, stdout=subprocess.DEVNULL)
        started.append(proc)
        ready = time.monotonic() + 60
        while not Worker.all(queue=Queue(prefix + "planning", connection=connection)):
            assert time.monotonic() < ready, "the worker did not start"
            time.sleep(0.1)
        return proc

    yield connection, prefix + "planning", start
    for proc in started:
        for pid in descendants(proc.pid):
            os.kill(pid, signal.SIGKILL)
        proc.kill()
        proc.wait(timeout=30)


def placed_or_explained(problem, plan) -> set[str]:  # type: ignore[no-untyped-def]
    return {s.visit_id for r in plan.routes for s in r.stops} | {u.visit_id for u in plan.unassigned}


def test_a_day_by_regions_uses_the_other_worker_and_stitches_every_visit(day, queue) -> None:
    connection, name, start = queue
    start()
    report = parts.PartRun()
    plan = parts.solve_by_parts(
        day,
        part_time_s=3,
        stitch_time_s=2,
        connection=connection,
        queue_name=name,
        regions_count=3,
        run_report=report,
    )
    assert report.regions == 3
    assert report.solved_elsewhere >= 1  # the worker process took a region
    assert report.solved_here + report.solved_elsewhere == 3
    assert placed_or_explained(day, plan) == {v.id for v in day.visits}
    assert plan.assigned >= 0.9 * len(day.visits)


def test_a_worker_lost_mid_way_has_its_region_queued_again(day, queue) -> None:
    connection, name, start = queue
    worker = start()
    report = parts.PartRun()
    out: list[object] = []
    coordinator = threading.Thread(
        target=lambda: out.append(
            parts.solve_by_parts(
                day,
                part_time_s=4,
                stitch_time_s=2,
                connection=connection,
                queue_name=name,
                regions_count=3,
                run_report=report,
            )
        )
    )
    coordinator.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # wait for the worker to be busy with a region
        if report.run and any(connection.exists(parts.key(report.run, i, "alive")) for i in range(1, 3)):
            break
        time.sleep(0.05)
    else:
        pytest.fail("the worker never started a region")
    for pid in descendants(worker.pid):
        os.kill(pid, signal.SIGKILL)
    worker.kill()
    coordinator.join(timeout=60)
    (plan,) = out
    assert report.requeued >= 1, report.notes
    assert placed_or_explained(day, plan) == {v.id for v in day.visits}  # type: ignore[attr-defined]
    assert report.missing == 0  # the region came back: solved here once nobody else would
