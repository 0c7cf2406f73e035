"""Booking query: which candidate windows can a new visit take in a plan, and at what cost.

Pure Python/numpy over the plan's own legs: no search, nothing in the plan moves. For each window
the cheapest feasible insertion (least extra distance) over all qualified engineers is returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from optimizer.feasibility import INF, advance, end_arrival, prefix_states, schedule_route
from optimizer.model import Engineer, Location, Problem, Visit
from optimizer.plan import Plan, Route


@dataclass(frozen=True, slots=True)
class InsertionOption:
    """A candidate window; when feasible, the cheapest place to put the visit and its extra cost."""

    window: tuple[int, int]
    feasible: bool
    engineer_id: str | None = None
    position: int | None = None
    start: int | None = None
    extra_distance: int | None = None
    extra_travel_time: int | None = None


@dataclass
class _RouteView:
    engineer: Engineer
    visits: list[Visit]
    locs: list[Location]  # start, stops..., end (or None appended separately)
    end: Location | None
    leg_dur: list[int]  # len(visits) + 1
    leg_dist: list[int]
    states: list[list[int]]
    load: int


def _views(problem: Problem, plan: Plan) -> list[_RouteView]:
    by_visit = {v.id: v for v in problem.visits}
    routes: dict[str, Route] = {r.engineer_id: r for r in plan.routes}
    out = []
    for e in problem.engineers:
        r = routes.get(e.id)
        stops = r.stops if r is not None else ()
        visits = [by_visit[s.visit_id] for s in stops]
        leg_dur = [s.travel_time for s in stops] + [r.end_travel_time if r and stops else 0]
        leg_dist = [s.travel_distance for s in stops] + [r.end_travel_distance if r and stops else 0]
        locs = [e.start_location, *(v.location for v in visits)]
        out.append(
            _RouteView(
                engineer=e,
                visits=visits,
                locs=locs,
                end=e.end_location,
                leg_dur=leg_dur,
                leg_dist=leg_dist,
                states=prefix_states(e, visits, leg_dur),
                load=sum(v.demand for v in visits),
            )
        )
    return out


def insertion_options(
    problem: Problem,
    plan: Plan,
    visit: Visit,
    *,
    windows: Sequence[tuple[int, int]] | None = None,
) -> tuple[InsertionOption, ...]:
    """For each candidate window (default: the visit's own), the cheapest feasible insertion."""
    cands = list(windows if windows is not None else visit.windows)
    views = [
        rv
        for rv in _views(problem, plan)
        if visit.required_skills <= rv.engineer.skills
        and (visit.pinned_engineer is None or visit.pinned_engineer == rv.engineer.id)
        and (rv.engineer.capacity is None or rv.load + visit.demand <= rv.engineer.capacity)
    ]
    # Travel between the new place and every place on the candidate routes, in two calls.
    places: list[Location] = []
    for rv in views:
        places.extend(rv.locs)
        if rv.end is not None:
            places.append(rv.end)
    to_new = problem.travel.matrix(places, [visit.location]) if places else None
    from_new = problem.travel.matrix([visit.location], places) if places else None
    moves: list[tuple[int, int, int, int, int, int]] = []  # detour, view, pos, t_in, t_out, dtime
    offset = 0
    for vi, rv in enumerate(views):
        n = len(rv.visits)
        assert to_new is not None
        assert from_new is not None
        d_in = to_new.distances[offset : offset + n + 1, 0]
        t_in = to_new.durations[offset : offset + n + 1, 0]
        if rv.end is not None:
            d_out = from_new.distances[0, offset + 1 : offset + n + 2]
            t_out = from_new.durations[0, offset + 1 : offset + n + 2]
        else:
            d_out = np.concatenate([from_new.distances[0, offset + 1 : offset + n + 1], [0]])
            t_out = np.concatenate([from_new.durations[0, offset + 1 : offset + n + 1], [0]])
        offset += n + 1 + (1 if rv.end is not None else 0)
        old_d = np.asarray(rv.leg_dist, dtype=np.int64)
        old_t = np.asarray(rv.leg_dur, dtype=np.int64)
        if rv.end is None:
            old_d[n], old_t[n] = 0, 0
        detour = d_in + d_out - old_d
        dtime = t_in + t_out - old_t
        for p in range(n + 1):
            moves.append((int(detour[p]), vi, p, int(t_in[p]), int(t_out[p]), int(dtime[p])))
    moves.sort()
    out = []
    for w in cands:
        probe = replace(visit, windows=(w,))
        found = None
        for extra_d, vi, p, tin, tout, extra_t in moves:
            start = _try(views[vi], probe, p, tin, tout)
            if start is not None:
                found = InsertionOption(
                    window=w,
                    feasible=True,
                    engineer_id=views[vi].engineer.id,
                    position=p,
                    start=start,
                    extra_distance=extra_d,
                    extra_travel_time=extra_t,
                )
                break
        out.append(found or InsertionOption(window=w, feasible=False))
    return tuple(out)


def _try(rv: _RouteView, visit: Visit, p: int, t_in: int, t_out: int) -> int | None:
    """Service start of ``visit`` inserted before stop ``p`` of the route, or None if infeasible."""
    e = rv.engineer
    dep = rv.states[p]
    if dep[0] >= INF and all(d >= INF for d in dep):
        return None
    nxt = advance(e, dep, visit, t_in)
    if nxt is None:
        return None
    start = min(nxt) - visit.service_duration  # earliest over break states
    if e.max_working_time is not None:
        visits = [*rv.visits[:p], visit, *rv.visits[p:]]
        legs = [*rv.leg_dur[:p], t_in, t_out, *rv.leg_dur[p + 1 :]]
        sched = schedule_route(e, visits, legs, compact=False)
        return None if sched is None else sched.stops[p].start
    n = len(rv.visits)
    dep = nxt
    for q in range(p, n):
        travel = t_out if q == p else rv.leg_dur[q]
        step = advance(e, dep, rv.visits[q], travel)
        if step is None:
            return None
        dep = step
        if all(a <= b for a, b in zip(dep, rv.states[q + 1], strict=True)):
            return start  # no later than before from here on: the rest still fits
    home = t_out if p == n else rv.leg_dur[n]
    return start if end_arrival(e, dep, home) <= e.shift_end else None
