"""The problem in index form: one travel matrix, pre-checked visits, and the adapter's arrays.

``prepare`` prices travel between all distinct places once and pre-checks every visit;
``routing_input`` turns any subset of the visits (all of them, or one part of a large day) into
the integer arrays the OR-Tools adapter takes; ``fit_route`` times a route exactly.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from optimizer.arrays import RoutingInput
from optimizer.feasibility import Schedule, schedule_route, windows_of
from optimizer.model import Location, Priority, Problem
from optimizer.notes import english
from optimizer.plan import Unassigned
from optimizer.precheck import Fleet, visit_reason
from optimizer.travel import IntMatrix

PENALTY_CAP = 10**13
RESERVE = 0.0
"""Share of the break time taken off the shift when breaks are left out of the model (1,000-visit
city at 20 s: 1.0 kept 874 visits, 0.5 883, 0 889 -- the timing step places the breaks)."""
FIXED_PENALTY = 10**14


@dataclass(frozen=True)
class Prepared:
    """The problem in index form: unique locations, their travel matrix, and who can do what."""

    problem: Problem
    dist: IntMatrix
    dur: IntMatrix
    visit_loc: list[int]
    start_loc: list[int]
    end_loc: list[int | None]
    allowed: list[list[int]]
    rejected: dict[int, Unassigned]

    def legs(self, engineer: int, route: Sequence[int]) -> tuple[list[int], list[int]]:
        """Travel seconds and metres of each leg of a route, the trip to the end included."""
        path = [self.start_loc[engineer], *(self.visit_loc[k] for k in route)]
        durs = [int(self.dur[a, b]) for a, b in itertools.pairwise(path)]
        dists = [int(self.dist[a, b]) for a, b in itertools.pairwise(path)]
        end = self.end_loc[engineer]
        durs.append(0 if end is None else int(self.dur[path[-1], end]))
        dists.append(0 if end is None else int(self.dist[path[-1], end]))
        return durs, dists


def prepare(problem: Problem) -> Prepared:
    """Price travel between all distinct places and pre-check every visit."""
    index: dict[Location, int] = {}

    def at(loc: Location) -> int:
        return index.setdefault(loc, len(index))

    visit_loc = [at(v.location) for v in problem.visits]
    start_loc = [at(e.start_location) for e in problem.engineers]
    end_loc = [None if e.end_location is None else at(e.end_location) for e in problem.engineers]
    locations = list(index)
    tm = problem.travel.matrix(locations)
    allowed: list[list[int]] = []
    rejected: dict[int, Unassigned] = {}
    starts = np.asarray(start_loc, dtype=np.int64)
    ends = np.asarray([0 if e is None else e for e in end_loc], dtype=np.int64)
    open_end = np.asarray([e is None for e in end_loc], dtype=bool)
    fleet = Fleet.of(problem.engineers)
    for k, v in enumerate(problem.visits):
        to = tm.durations[starts, visit_loc[k]]
        back = np.where(open_end, 0, tm.durations[visit_loc[k], ends])
        ok, reason, note = visit_reason(fleet, v, to, back)
        allowed.append(ok)
        if reason is not None:
            rejected[k] = Unassigned(v.id, reason, english(note), note)
    return Prepared(problem, tm.distances, tm.durations, visit_loc, start_loc, end_loc, allowed, rejected)


def penalties(problem: Problem, modelled: list[int], base: int) -> dict[Priority, int]:
    counts = dict.fromkeys(Priority, 0)
    for k in modelled:
        counts[problem.visits[k].priority] += 1
    pens: dict[Priority, int] = {}
    below = 0
    for p in sorted(Priority):
        pens[p] = min(PENALTY_CAP, base + below)
        below += counts[p] * pens[p]
    return pens


def engineer_cost(problem: Problem, k: int, engineer_id: str) -> int:
    """What giving visit k to this engineer costs beyond travel: moving published work, and an
    engineer the customer rated 1-2 (fixed work costs nothing: it is where it happened)."""
    visit, opts = problem.visits[k], problem.options
    if visit.is_fixed:
        return 0
    cost = opts.move_penalty if visit.previous_engineer not in (None, engineer_id) else 0
    if engineer_id in visit.avoid_engineers:
        cost += opts.avoid_penalty
    return cost


def routing_input(prep: Prepared, modelled: list[int], *, reserve_breaks: bool = False) -> RoutingInput:
    """Translate the modelled visits and all engineers into the adapter's integer arrays.

    With ``reserve_breaks`` the breaks are not modelled; each shift ends earlier by their length.
    """
    problem = prep.problem
    engineers, visits = problem.engineers, problem.visits
    opts = problem.options
    n, m = len(modelled), len(engineers)
    # Depot nodes: one per distinct start/end place, plus one "anywhere" end for open routes.
    depots: dict[int | None, int] = {}
    for loc in [*prep.start_loc, *prep.end_loc]:
        depots.setdefault(loc, n + len(depots))
    locs = [prep.visit_loc[k] for k in modelled] + [0 if d is None else d for d in depots]
    idx = np.asarray(locs, dtype=np.int64)
    dist = prep.dist[np.ix_(idx, idx)].copy()
    dur = prep.dur[np.ix_(idx, idx)].copy()
    if None in depots:
        dist[:, depots[None]] = 0
        dur[:, depots[None]] = 0
    service = np.asarray([visits[k].service_duration for k in modelled] + [0] * len(depots), np.int64)
    cost = dist
    if opts.cost_per_travel_hour:
        cost = dist + (dur * opts.cost_per_travel_hour) // 3600
    transit = dur + service[:, None]
    horizon = max(e.shift_end for e in engineers) + 1
    relevant = dist[:, :n].max() if n else 0
    avoiding = bool(opts.avoid_penalty) and any(visits[k].avoid_engineers for k in modelled)
    base = opts.drop_penalty or max(
        10_000,
        20 * int(relevant)
        + opts.vehicle_fixed_cost
        + opts.move_penalty
        + (2 * opts.avoid_penalty if avoiding else 0),
    )
    pens = penalties(problem, modelled, base)
    windows: list[tuple[tuple[int, int], ...]] = []
    penalty: list[int | None] = []
    allowed: list[list[int] | None] = []
    for k in modelled:
        visit = visits[k]
        wins = tuple((max(0, a), min(horizon, b)) for a, b in windows_of(visit) if b >= 0 and a <= horizon)
        windows.append(wins)
        penalty.append(FIXED_PENALTY if visit.is_fixed else pens[visit.priority])
        allowed.append(None if len(prep.allowed[k]) == m else prep.allowed[k])
    qualified = _qualified(problem, modelled)
    move_cost = None
    if (opts.move_penalty and any(visits[k].previous_engineer for k in modelled)) or avoiding:
        move_cost = [[engineer_cost(problem, k, e.id) for k in modelled] for e in engineers]
    return RoutingInput(
        cost=cost,
        transit=transit,
        starts=[depots[s] for s in prep.start_loc],
        ends=[depots[e] for e in prep.end_loc],
        windows=windows,
        allowed=allowed,
        penalty=penalty,
        demand=[visits[k].demand for k in modelled],
        capacity=[e.capacity for e in engineers],
        ready=[e.ready_at for e in engineers],
        shift_end=[
            e.shift_end - (int(RESERVE * sum(b.duration for b in e.breaks)) if reserve_breaks else 0)
            for e in engineers
        ],
        max_span=[e.max_working_time for e in engineers],
        breaks=[
            [] if reserve_breaks else [(b.earliest_start, b.latest_start, b.duration) for b in e.breaks]
            for e in engineers
        ],
        service=[visits[k].service_duration for k in modelled],
        move_cost=move_cost,
        fixed_cost=opts.vehicle_fixed_cost,
        horizon=horizon,
        qualified=qualified,
    )


def _qualified(problem: Problem, modelled: list[int]) -> list[list[int] | None]:
    """Per modelled visit: engineers with its skills, its pin and room for its demand (None: all)."""
    engineers = problem.engineers
    memo: dict[tuple[frozenset[str], str | None, int], list[int] | None] = {}
    out: list[list[int] | None] = []
    for k in modelled:
        v = problem.visits[k]
        key = (v.required_skills, v.fixed_engineer or v.pinned_engineer, v.demand)
        if key not in memo:
            ok = [
                e
                for e, eng in enumerate(engineers)
                if v.required_skills <= eng.skills
                and (key[1] is None or eng.id == key[1])
                and (eng.capacity is None or v.demand <= eng.capacity)
            ]
            memo[key] = None if len(ok) == len(engineers) else ok
        out.append(memo[key])
    return out


def score(inp: RoutingInput, routes: list[list[int]]) -> int:
    """The search's objective for some routes: arc costs, vehicle costs, drop penalties."""
    total = 0
    served: set[int] = set()
    for v, r in enumerate(routes):
        if not r:
            continue
        path = [inp.starts[v], *r, inp.ends[v]]
        total += int(inp.cost[path[:-1], path[1:]].sum()) + inp.fixed_cost
        served.update(r)
        if inp.move_cost is not None:
            total += sum(inp.move_cost[v][k] for k in r)
    total += sum(p or 0 for k, p in enumerate(inp.penalty) if k not in served)
    return total


def schedule(prep: Prepared, e_idx: int, seq: list[int], *, compact: bool = True) -> Schedule | None:
    """Exact timing of one engineer's route of visit indices (None if it does not fit)."""
    durs, _ = prep.legs(e_idx, seq)
    visits = [prep.problem.visits[k] for k in seq]
    return schedule_route(prep.problem.engineers[e_idx], visits, durs, compact=compact)


def fit_route(prep: Prepared, e_idx: int, seq: list[int]) -> tuple[list[int], list[int]]:
    """The route if it fits the exact timing, else the visits kept in order and those left out."""
    if schedule(prep, e_idx, seq, compact=False) is not None:
        return list(seq), []
    kept: list[int] = []
    dropped: list[int] = []
    for k in seq:
        if schedule(prep, e_idx, [*kept, k], compact=False) is not None:
            kept.append(k)
        else:
            dropped.append(k)
    return kept, dropped
