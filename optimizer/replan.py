"""reoptimize(): re-plan during the day from a published plan, the live positions and the time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from optimizer.feasibility import closing
from optimizer.model import Engineer, Location, Problem, Visit
from optimizer.notes import Note, english
from optimizer.plan import BreakSlot, Move, Plan, Route, Stop
from optimizer.solver import ProgressHook, solve


def reoptimize(
    problem: Problem,
    previous: Plan,
    *,
    now: int,
    positions: Mapping[str, Location] | None = None,
    time_limit_s: float = 10.0,
    seed: int = 0,
    move_tolerance_s: int = 900,
    on_progress: ProgressHook | None = None,
) -> Plan:
    """Re-plan during the day from ``previous``: done and started work stays, the rest may move.

    Visits with ``fixed_start`` at or before ``now`` are kept exactly as recorded; each engineer
    restarts from its live position (``positions``) or from where that work ends. Stops of
    ``previous`` become the published state: moving one to another engineer costs
    ``options.move_penalty``. ``Plan.moved`` lists published visits whose engineer changed or
    whose start moved by more than ``move_tolerance_s``.
    """
    positions = positions or {}
    published = {s.visit_id: (r.engineer_id, s.start) for r in previous.routes for s in r.stops}
    prev_route = {r.engineer_id: r for r in previous.routes}
    done: dict[str, list[Visit]] = {e.id: [] for e in problem.engineers}
    open_visits: list[Visit] = []
    for v in problem.visits:
        if v.fixed_engineer is not None and v.fixed_start is not None and v.fixed_start <= now:
            done[v.fixed_engineer].append(v)
            continue
        pub = published.get(v.id)
        if pub is not None and v.previous_engineer is None:
            v = replace(v, previous_engineer=pub[0], previous_start=pub[1])
        open_visits.append(v)
    engineers = [
        _restart(e, sorted(done[e.id], key=lambda v: v.fixed_start or 0), now, positions, prev_route)
        for e in problem.engineers
    ]
    sub = replace(problem, engineers=tuple(engineers), visits=tuple(open_visits))
    warm = {
        r.engineer_id: [s.visit_id for s in r.stops if s.visit_id in {v.id for v in open_visits}]
        for r in previous.routes
    }
    plan = solve(sub, time_limit_s=time_limit_s, seed=seed, initial_routes=warm, on_progress=on_progress)
    routes = []
    for r, e, live in zip(plan.routes, problem.engineers, engineers, strict=True):
        history = sorted(done[e.id], key=lambda v: v.fixed_start or 0)
        kept = tuple(_kept_stop(v, prev_route.get(e.id)) for v in history)
        prev = prev_route.get(e.id)
        taken = tuple(b for b in prev.breaks if b.start < now) if prev is not None else ()
        if kept and not r.stops:
            r = _home_from(live, problem, r)
        if kept:
            began = min(r.departure, kept[0].arrival - kept[0].travel_time)
            r = replace(r, stops=kept + r.stops, departure=began)
        if r.stops and taken:
            r = replace(r, breaks=taken + r.breaks)
        routes.append(r)
    moved = []
    new_at = {s.visit_id: (r.engineer_id, s.start) for r in routes for s in r.stops}
    for vid, (eng, start) in published.items():
        now_at = new_at.get(vid)
        if now_at is None:
            if any(v.id == vid for v in open_visits):
                moved.append(Move(vid, eng, None, start, None))
        elif now_at[0] != eng or abs(now_at[1] - start) > move_tolerance_s:
            moved.append(Move(vid, eng, now_at[0], start, now_at[1]))
    return replace(plan, routes=tuple(routes), moved=tuple(moved))


def _home_from(live: Engineer, problem: Problem, route: Route) -> Route:
    """After the last started visit: the trip to the end, with the breaks still due."""
    end = live.end_location
    home = problem.travel.matrix([live.start_location], [end]) if end is not None else None
    t_home = 0 if home is None else int(home.durations[0, 0])
    d_home = 0 if home is None else int(home.distances[0, 0])
    timing = closing(live, t_home)
    # If the breaks no longer fit before the shift ends, the record shows the trip alone.
    slots = () if timing is None else tuple(BreakSlot(a, b) for a, b in timing.breaks)
    return replace(
        route,
        departure=live.ready_at if timing is None else timing.departure,
        breaks=slots,
        end_arrival=live.ready_at + t_home if timing is None else timing.end_arrival,
        end_travel_time=t_home,
        end_travel_distance=d_home,
    )


def _restart(
    e: Engineer,
    done: list[Visit],
    now: int,
    positions: Mapping[str, Location],
    prev_route: Mapping[str, Route],
) -> Engineer:
    """The engineer as available from now: at the live position, after any started work."""
    start, ready = e.start_location, max(e.ready_at, now)
    if done:
        last = done[-1]
        assert last.fixed_start is not None
        start = last.location
        ready = max(ready, last.fixed_start + last.service_duration)
    if e.id in positions and not (done and done[-1].fixed_start is not None and ready > now):
        start = positions[e.id]
    route = prev_route.get(e.id)
    taken = [s.start for s in route.breaks if s.start < now] if route is not None else []
    breaks = tuple(
        replace(b, earliest_start=max(b.earliest_start, ready))
        for b in e.breaks
        if b.latest_start >= ready and not any(b.earliest_start <= t <= b.latest_start for t in taken)
    )
    max_work = e.max_working_time
    if max_work is not None:
        began = route.departure if route is not None and route.stops else e.ready_at
        max_work = max(0, max_work - max(0, ready - began))
    return replace(
        e,
        start_location=start,
        available_from=min(ready, e.shift_end),
        breaks=breaks,
        max_working_time=max_work,
    )


FIXED = Note.of("fixed")


def _kept_stop(v: Visit, route: Route | None) -> Stop:
    """A stop for work already started or done, copied from the record."""
    assert v.fixed_start is not None
    old = next((s for s in route.stops if s.visit_id == v.id), None) if route else None
    return Stop(
        visit_id=v.id,
        arrival=old.arrival if old else v.fixed_start,
        wait=v.fixed_start - (old.arrival if old else v.fixed_start),
        start=v.fixed_start,
        departure=v.fixed_start + v.service_duration,
        travel_time=old.travel_time if old else 0,
        travel_distance=old.travel_distance if old else 0,
        why=english(FIXED),
        fixed=True,
        notes=(FIXED,),
    )
