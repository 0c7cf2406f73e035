"""Big days planned by parts on several RQ workers: split, solve the regions in parallel, stitch.

The plan job (the coordinator) cuts a day with more than ``PART_VISITS`` visits into regions
(``optimizer.regions.split``), puts each region's problem in Redis and queues one part job per
region on its own queue, so any ``dispatch worker`` on any machine sharing Redis can take one.
While they run, the coordinator solves a region itself, and takes back any part job no worker has
started yet (a day still gets planned with a single worker). A part job keeps a heartbeat key
alive while it works; a part whose job failed, was stopped, or whose heartbeat stopped (its
worker was killed or lost its machine) is queued again for the time left. When every region is
back, or the regions' share of the time is up, ``optimizer.regions.stitch`` joins the routes
and re-plans across the borders with the rest of the time.

Problems and plans travel through Redis as pickles under keys named by the run (RQ itself
pickles job arguments the same way); they expire after an hour.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import pickle
import signal
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, cast

import optimizer
from optimizer import regions

log = logging.getLogger(__name__)

PART_VISITS = 1500
"""Days with more visits than this are planned by parts (about this many visits per region)."""
STITCH_SHARE = 0.3
"""Share of the time limit kept for stitching the regions and re-planning across their borders."""
HEARTBEAT_S = 1.0
"""How often a part job says it is alive."""
LOST_AFTER_S = 6.0
"""A started part whose heartbeat is this old is taken to be lost with its worker."""
KEEP_S = 3600
"""How long problems and plans stay in Redis."""
MAX_ATTEMPTS = 3
"""How many times one region is queued before the stitch does without it."""


def key(run: str, index: int, what: str) -> str:
    """The Redis key of one region's ``problem``, ``plan`` or ``alive`` heartbeat."""
    return f"dispatch:plan-part:{run}:{index}:{what}"


def solve_part(run: str, index: int, budget_s: float, until_epoch: float) -> str:
    """RQ job: solve one region of a run for ``budget_s`` (never past ``until_epoch``, wall clock)."""
    from rq import get_current_job

    job = get_current_job()
    assert job is not None, "solve_part runs in an RQ worker"
    redis = job.connection
    raw = redis.get(key(run, index, "problem"))
    if raw is None:
        return "gone"
    if redis.exists(key(run, index, "plan")):
        return "done already"
    problem: optimizer.Problem = pickle.loads(cast(bytes, raw))
    beating = _heartbeat(redis, key(run, index, "alive"), job.id)
    try:
        plan = optimizer.solve(problem, time_limit_s=max(0.5, min(budget_s, until_epoch - time.time())))
        redis.set(key(run, index, "plan"), pickle.dumps(plan), ex=KEEP_S)
    finally:
        _stop(beating)
        optimizer.release_workers()
    return "solved"


def _heartbeat(redis: Any, name: str, value: str) -> int:
    """Keep ``name`` alive from a small child process while this process lives; its pid.

    A process of its own, not a thread: a search that holds the GIL for seconds (OR-Tools' first
    solution on a big region) would starve a thread, and its silence would read as a lost worker.
    The child stops when its parent is gone (killed, machine lost), and the key expires.
    """
    given = redis.connection_pool.connection_kwargs
    kwargs = {k: given[k] for k in ("host", "port", "db", "username", "password") if k in given}
    if "path" in given:
        kwargs["unix_socket_path"] = given["path"]
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    try:  # the child: its own connection, nothing else of the parent's
        from redis import Redis

        mine = Redis(**kwargs)
        while os.getppid() == parent:
            mine.set(name, value, px=int(LOST_AFTER_S * 1000))
            time.sleep(HEARTBEAT_S)
    finally:
        os._exit(0)


def _stop(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


@dataclass
class PartRun:
    """What happened to the regions of one day: for the plan's message and the benchmark."""

    run: str = ""
    regions: int = 0
    solved_here: int = 0
    solved_elsewhere: int = 0
    requeued: int = 0
    missing: int = 0
    seconds_regions: float = 0.0
    seconds_stitch: float = 0.0
    notes: list[str] = field(default_factory=list)


@dataclass
class _Region:
    index: int
    job_id: str | None = None
    attempts: int = 0
    plan: optimizer.Plan | None = None
    heard_at: float | None = None
    here: bool = False


def solve_by_parts(
    problem: optimizer.Problem,
    *,
    part_time_s: float,
    stitch_time_s: float,
    connection: Any,
    queue_name: str,
    regions_count: int | None = None,
    on_progress: optimizer.ProgressHook | None = None,
    run_report: PartRun | None = None,
) -> optimizer.Plan:
    """Plan a big day by regions on the workers of ``queue_name`` (this process takes part too).

    Every region is searched for ``part_time_s`` by whoever takes it, then the stitch re-plans
    the whole day for ``stitch_time_s``. With as many workers as regions that takes about
    ``part_time_s + stitch_time_s``; with fewer, the regions wait their turn.
    """
    from rq import Queue

    t0 = time.monotonic()
    report = run_report or PartRun()
    count = regions_count or math.ceil(len(problem.visits) / PART_VISITS)
    # One core per region: the parallelism is across workers.
    subs = [replace(s, options=replace(s.options, workers=1)) for s in regions.split(problem, count)]
    report.regions = len(subs)
    run = uuid.uuid4().hex
    report.run = run
    # However few workers there are (and however loaded), the regions are done by then: one
    # turn each, one more for a region lost and queued again, and room for reading the problem.
    rounds = len(subs) + 1
    until = time.time() + rounds * (2 * part_time_s + 5.0)
    queue = Queue(queue_name, connection=connection)
    state = [_Region(i) for i in range(len(subs))]
    for i, sub in enumerate(subs):
        connection.set(key(run, i, "problem"), pickle.dumps(sub), ex=KEEP_S)

    def enqueue(region: _Region) -> None:
        region.attempts += 1
        region.heard_at = None
        job = queue.enqueue(
            solve_part,
            run,
            region.index,
            part_time_s,
            until,
            job_timeout=int(part_time_s) + 120,
            result_ttl=KEEP_S,
            failure_ttl=KEEP_S,
        )
        region.job_id = job.id

    for region in state[1:]:
        enqueue(region)

    local: list[threading.Thread] = []

    def solve_here(region: _Region) -> None:
        plan = optimizer.solve(subs[region.index], time_limit_s=part_time_s)
        connection.set(key(run, region.index, "plan"), pickle.dumps(plan), ex=KEEP_S)
        report.solved_here += 1

    def take_here(region: _Region) -> None:
        """Solve a region in this process, beside the watching (a thread: both engines release
        the GIL while they search)."""
        region.here = True
        region.job_id = None
        thread = threading.Thread(target=solve_here, args=(region,), name=f"part-{region.index}", daemon=True)
        local[:] = [thread]
        thread.start()

    take_here(state[0])
    while time.time() < until:
        waiting = [r for r in state if r.plan is None]
        if not waiting:
            break
        idle = not local[0].is_alive()
        for region in waiting:
            raw = connection.get(key(run, region.index, "plan"))
            if raw is not None:
                region.plan = pickle.loads(raw)
                if not region.here:
                    report.solved_elsewhere += 1
                continue
            if region.here:
                continue
            status_name = _status(connection, region.job_id)
            if status_name in ("queued", "deferred", "scheduled"):
                if idle:  # nobody took it yet and this process is free: do it here
                    _cancel(connection, region.job_id)
                    take_here(region)
                    idle = False
                continue
            now = time.monotonic()
            if connection.exists(key(run, region.index, "alive")):
                region.heard_at = now
                continue
            if status_name == "started":
                # Running, but is its worker still there? Silence for LOST_AFTER_S says no.
                region.heard_at = region.heard_at or now
                lost = now - region.heard_at > LOST_AFTER_S
            else:  # failed, stopped, cancelled, gone, or finished without a plan
                lost = True
            if lost and region.attempts < MAX_ATTEMPTS:
                report.requeued += 1
                report.notes.append(f"region {region.index}: {status_name or 'lost'}, queued again")
                log.warning("plan part %s of run %s was %s: queued again", region.index, run, status_name)
                enqueue(region)
        time.sleep(0.1)
    plans = [r.plan for r in state if r.plan is not None]
    report.missing = sum(1 for r in state if r.plan is None)
    report.seconds_regions = time.monotonic() - t0
    for region in state:
        if region.plan is None:
            _cancel(connection, region.job_id)
    t1 = time.monotonic()
    result = regions.stitch(problem, plans, time_limit_s=stitch_time_s, on_progress=on_progress)
    report.seconds_stitch = time.monotonic() - t1
    return result


def workers_on(connection: Any, queue_name: str) -> int:
    """How many RQ workers listen on the queue (this job's own worker included)."""
    from rq import Queue, Worker

    return len(Worker.all(queue=Queue(queue_name, connection=connection)))


def _status(connection: Any, job_id: str | None) -> str | None:
    """A part job's RQ status by name (None: no such job any more)."""
    from rq.job import Job

    if job_id is None:
        return None
    try:
        status = Job.fetch(job_id, connection=connection).get_status()
    except Exception:  # the job's record is gone: the caller treats it as lost
        return None
    return str(getattr(status, "value", status))


def _cancel(connection: Any, job_id: str | None) -> None:
    """Drop a part job nobody needs any more (it may already be gone)."""
    from rq.job import Job

    if job_id is None:
        return
    try:
        Job.fetch(job_id, connection=connection).cancel()
    except Exception:
        log.info("plan part job %s could not be cancelled", job_id)


def solve_day(
    problem: optimizer.Problem,
    *,
    time_limit_s: float,
    on_progress: optimizer.ProgressHook | None = None,
    current_job: Callable[[], Any] | None = None,
) -> optimizer.Plan:
    """The plan job's solve: by parts across the queue's workers for a big day, else in one piece."""
    job = None
    if len(problem.visits) > PART_VISITS:
        if current_job is None:
            from rq import get_current_job

            current_job = get_current_job
        job = current_job()
    if job is None:  # a normal day, or the in-process worker (no other workers to share with)
        return optimizer.solve(problem, time_limit_s=time_limit_s, on_progress=on_progress)
    count = math.ceil(len(problem.visits) / PART_VISITS)
    turns = math.ceil(count / max(1, workers_on(job.connection, job.origin)))
    return solve_by_parts(
        problem,
        part_time_s=(1 - STITCH_SHARE) * time_limit_s / turns,
        stitch_time_s=STITCH_SHARE * time_limit_s,
        connection=job.connection,
        queue_name=job.origin,
        regions_count=count,
        on_progress=on_progress,
    )
