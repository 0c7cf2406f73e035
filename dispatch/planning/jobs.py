"""The plan job: read the day, solve it, write every route in one transaction.

Runs on the ``planning`` queue (RQ, or the in-process worker). While the optimizer works, a
heartbeat thread records progress (and notices a cancel) in short transactions of its own; the
routes are written only at the end, all at once, so a worker that dies leaves nothing half-written
(:func:`dispatch.planning.service.reap_stale` reports such a plan as failed).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

import optimizer
from dispatch.db import utcnow
from dispatch.planning import parts, wording
from dispatch.planning import problem as bridge
from dispatch.planning.models import Plan, PlanKind, PlanRoute, PlanStatus, PlanStop, PlanUnassigned
from dispatch.positions import service as positions
from dispatch.tasks.runtime import current_factory, in_forked_job, session_scope

log = logging.getLogger(__name__)

HEARTBEAT_S = 2.0
JOB_TIMEOUT_MARGIN_S = 120
"""Besides the time limit: reading the day and writing the routes."""


def job_timeout_s(time_limit_s: int) -> int:
    """How long the queue lets a plan job run before it is killed."""
    return time_limit_s + JOB_TIMEOUT_MARGIN_S


def run_plan(plan_id: int) -> str:
    """Compute plan ``plan_id`` (idempotent: a plan already finished or cancelled is left alone)."""
    with session_scope() as session:
        plan = session.get(Plan, plan_id)
        if plan is None or plan.status not in (PlanStatus.QUEUED, PlanStatus.RUNNING):
            return "skipped"
        plan.status = PlanStatus.RUNNING
        plan.attempts += 1
        plan.started_at = plan.heartbeat_at = utcnow()
        plan.message = ""
    try:
        return _compute(plan_id)
    except Exception as exc:
        log.exception("plan %s failed", plan_id)
        _finish_failed(plan_id, f"the optimizer failed: {type(exc).__name__}: {exc}")
        raise
    finally:
        # An RQ worker runs each job in a forked process that ends without running exit hooks:
        # the optimizer's helper process must not outlive it. (The in-process worker keeps it.)
        if in_forked_job():
            optimizer.release_workers()


def _compute(plan_id: int) -> str:
    with session_scope() as session:
        plan = session.get(Plan, plan_id)
        assert plan is not None
        kind, time_limit_s = plan.kind, plan.time_limit_s
        team_ids = bridge.teams_for(session, team_id=plan.team_id, region=plan.region or None)
        day = bridge.load_day(
            session,
            day=plan.day,
            time_zone=plan.time_zone,
            team_ids=team_ids,
            options=optimizer.SolveOptions(workers=min(2, os.cpu_count() or 1)),
        )
        versions = {str(o.id): o.version for o in day.orders.values()}
        live = latest_positions(session, [e.id for e in day.engineers.values()])
        computed_at = utcnow()
        session.expunge_all()
    log.info("plan %s: %d visits, %d engineers", plan_id, len(day.problem.visits), len(day.problem.engineers))

    with heartbeat(plan_id) as report:
        if kind is PlanKind.REPLAN:
            previous = optimizer.evaluate(day.problem, day.published)
            now = utcnow()
            result = optimizer.reoptimize(
                day.problem,
                previous,
                now=day.seconds(now),
                positions={
                    bridge.engineer_key(e): optimizer.Location(lat, lon) for e, (lat, lon) in live.items()
                },
                time_limit_s=time_limit_s,
                on_progress=report,
            )
        else:
            result = parts.solve_day(day.problem, time_limit_s=time_limit_s, on_progress=report)

    with session_scope() as session:
        plan = session.get(Plan, plan_id, with_for_update=True)
        assert plan is not None
        if plan.status is not PlanStatus.RUNNING:
            log.info("plan %s is %s: its result is discarded", plan_id, plan.status.value)
            return plan.status.value
        write_result(plan, day, result)
        plan.basis = {"versions": versions}
        plan.computed_at = computed_at
        plan.status = PlanStatus.READY
        plan.finished_at = utcnow()
        plan.best_distance_m = result.travel_distance
        plan.best_assigned = result.assigned
    return "ready"


def write_result(plan: Plan, day: bridge.DayProblem, result: optimizer.Plan) -> None:
    """Turn the optimizer's plan into route, stop and left-out rows of ``plan``."""

    def prev(visit_id: str) -> tuple[int | None, datetime | None]:
        return day.previous.get(visit_id, (None, None))

    plan.routes = []
    for route in result.routes:
        if not route.stops:
            continue
        stops = []
        for k, stop in enumerate(route.stops):
            prev_engineer, prev_start = prev(stop.visit_id)
            stops.append(
                PlanStop(
                    order_id=bridge.row_id(stop.visit_id),
                    sequence=k,
                    arrives_at=day.at(stop.arrival),
                    starts_at=day.at(stop.start),
                    departs_at=day.at(stop.departure),
                    travel_time_s=stop.travel_time,
                    travel_distance_m=stop.travel_distance,
                    why=stop.why,
                    why_notes=wording.stored(stop.notes),
                    fixed=stop.fixed,
                    previous_engineer_id=prev_engineer,
                    previous_start=prev_start,
                )
            )
        plan.routes.append(
            PlanRoute(
                engineer_id=bridge.row_id(route.engineer_id),
                departs_at=day.at(route.departure),
                returns_at=day.at(route.end_arrival),
                travel_distance_m=route.travel_distance,
                travel_time_s=route.travel_time,
                breaks={
                    "breaks": [[day.at(b.start).isoformat(), day.at(b.end).isoformat()] for b in route.breaks]
                },
                stops=stops,
            )
        )
    plan.unassigned = [
        PlanUnassigned(
            order_id=bridge.row_id(u.visit_id),
            reason=u.reason.value,
            detail=u.detail,
            detail_note=wording.stored(u.note),
            previous_engineer_id=prev(u.visit_id)[0],
        )
        for u in result.unassigned
    ]
    plan.totals = {
        "orders": len(day.problem.visits),
        "assigned": result.assigned,
        "unassigned": len(result.unassigned),
        "engineers": len(day.problem.engineers),
        "engineers_used": result.engineers_used,
        "travel_distance_m": result.travel_distance,
        "travel_time_s": result.travel_time,
        "moved": len(result.moved),
        "solve_seconds": result.stats.seconds,
    }
    plan.solver = result.stats.solver[:200]


POSITION_FRESH_S = 30 * 60
"""A position older than this says little about where the engineer is now: not used."""


def latest_positions(session: Session, engineer_ids: list[int]) -> dict[int, tuple[float, float]]:
    """Engineers' recent positions (lat, lon), for re-planning from where they are."""
    fresh = utcnow() - timedelta(seconds=POSITION_FRESH_S)
    return {
        engineer_id: (p.latitude, p.longitude)
        for engineer_id, p in positions.latest(session, engineer_ids=engineer_ids).items()
        if p.recorded_at >= fresh
    }


@contextmanager
def heartbeat(plan_id: int) -> Iterator[Callable[[float, int, int], None]]:
    """Record progress and liveness every few seconds while the block runs."""
    best: list[tuple[int, int]] = []
    stop = threading.Event()
    factory = current_factory()

    def beat() -> None:
        with session_scope(factory) as session:
            plan = session.get(Plan, plan_id)
            if plan is not None and plan.status is PlanStatus.RUNNING:
                plan.heartbeat_at = utcnow()
                if best:
                    plan.best_distance_m, plan.best_assigned = best[-1]

    def loop() -> None:
        while not stop.wait(HEARTBEAT_S):
            try:
                beat()
            except Exception:  # a missed beat is not worth failing the plan for
                log.warning("plan %s: heartbeat failed", plan_id, exc_info=True)

    def report(_elapsed: float, distance: int, placed: int) -> None:
        best.append((distance, placed))

    thread = threading.Thread(target=loop, name=f"plan-{plan_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield report
    finally:
        stop.set()
        thread.join()


def _finish_failed(plan_id: int, message: str) -> None:
    with session_scope() as session:
        plan = session.get(Plan, plan_id)
        if plan is not None and plan.status is PlanStatus.RUNNING:
            plan.status = PlanStatus.FAILED
            plan.finished_at = utcnow()
            plan.message = message[:2000]
