"""An independent checker of plans: recomputes travel and re-checks every hard constraint.

It shares no code with the solver's own schedule module on purpose: a plan passes only if its
stated times are consistent with the problem, whatever the solver believed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from optimizer import Plan, Problem, Route


def violations(problem: Problem, plan: Plan) -> list[str]:
    """Every broken hard constraint of ``plan`` for ``problem`` (empty list: the plan is valid)."""
    out: list[str] = []
    eng = {e.id: e for e in problem.engineers}
    vis = {v.id: v for v in problem.visits}
    routed = [s.visit_id for r in plan.routes for s in r.stops]
    dropped = [u.visit_id for u in plan.unassigned]
    if sorted(routed + dropped) != sorted(vis):
        out.append("visits not each exactly once in routes or unassigned")
    for r in plan.routes:
        e = eng.get(r.engineer_id)
        if e is None:
            out.append(f"unknown engineer {r.engineer_id}")
            continue
        if not r.stops:
            continue
        places = [e.start_location, *(vis[s.visit_id].location for s in r.stops)]
        if e.end_location is not None:
            places.append(e.end_location)
        tm = problem.travel.matrix(places)
        ready = e.ready_at
        if r.departure < ready:
            out.append(f"{e.id} leaves at {r.departure} before {ready}")
        events = [(r.departure, r.departure)]  # (start, end) of busy periods at places
        t = r.departure
        load = 0
        for i, s in enumerate(r.stops):
            v = vis[s.visit_id]
            load += v.demand
            if not v.required_skills <= e.skills:
                out.append(f"{v.id} needs skills {set(v.required_skills)} that {e.id} lacks")
            for pin in (v.pinned_engineer, v.fixed_engineer):
                if pin is not None and pin != e.id:
                    out.append(f"{v.id} belongs to {pin}, not {e.id}")
            if v.fixed_start is not None and s.start != v.fixed_start:
                out.append(f"fixed {v.id} moved from {v.fixed_start} to {s.start}")
            leg = int(tm.durations[i, i + 1])
            if s.travel_time != leg or s.travel_distance != int(tm.distances[i, i + 1]):
                out.append(f"{v.id}: leg travel stated wrongly")
            if s.start < t + leg:
                out.append(f"{v.id} starts at {s.start}, before {t} + travel {leg}")
            windows = v.windows or ((s.start, s.start),)
            if v.fixed_start is None and not any(a <= s.start <= b for a, b in windows):
                out.append(f"{v.id} starts at {s.start} outside {windows}")
            if s.departure != s.start + v.service_duration:
                out.append(f"{v.id} departure is not start + service")
            if not (s.arrival <= s.start and s.wait == s.start - s.arrival):
                out.append(f"{v.id} arrival/wait inconsistent")
            events.append((s.start, s.departure))
            t = s.departure
        end_leg = int(tm.durations[len(r.stops), len(r.stops) + 1]) if e.end_location else 0
        if r.end_arrival < t + end_leg:
            out.append(f"{e.id} reaches the end at {r.end_arrival} before {t} + {end_leg}")
        if r.end_arrival > e.shift_end:
            out.append(f"{e.id} ends at {r.end_arrival} after shift end {e.shift_end}")
        if e.capacity is not None and load > e.capacity:
            out.append(f"{e.id} carries {load} > {e.capacity}")
        if e.max_working_time is not None and r.end_arrival - r.departure > e.max_working_time:
            out.append(f"{e.id} works {r.end_arrival - r.departure} > {e.max_working_time}")
        out.extend(_check_breaks(problem, r, events, tm.durations, end_leg))
    return out


def _check_breaks(
    problem: Problem,
    route: Route,
    events: list[tuple[int, int]],
    durations: npt.NDArray[np.int64],
    end_leg: int,
) -> list[str]:
    e = next(x for x in problem.engineers if x.id == route.engineer_id)
    out: list[str] = []
    slots = sorted((b.start, b.end) for b in route.breaks)
    if len(slots) != len(e.breaks):
        return [f"{e.id} has {len(slots)} breaks, needs {len(e.breaks)}"]
    for b, (s, t) in zip(e.breaks, slots, strict=True):
        if not (b.earliest_start <= s <= b.latest_start and t - s == b.duration):
            out.append(f"{e.id} break {s}-{t} outside its rule {b}")
    # Breaks never overlap service, and each gap between services holds its travel + breaks.
    gaps = [(events[i][1], events[i + 1][0]) for i in range(len(events) - 1)]
    gaps.append((events[-1][1], route.end_arrival))
    for s, t in slots:
        if not any(a <= s and t <= b for a, b in gaps):
            out.append(f"{e.id} break {s}-{t} overlaps a visit or lies outside the route")
    for i, (a, b) in enumerate(gaps):
        travel = int(durations[i, i + 1]) if i < len(gaps) - 1 else end_leg
        inside = sum(t - s for s, t in slots if a <= s and t <= b)
        if b - a < travel + inside:
            out.append(f"{e.id}: gap {a}-{b} too short for travel {travel} + breaks {inside}")
    return out
