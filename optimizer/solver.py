"""solve(): problem -> travel matrix -> pre-checks -> OR-Tools (whole day or by parts) -> timed plan."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from optimizer import _ortools, _pyvrp
from optimizer.arrays import RoutingInput
from optimizer.baseline import greedy_routes
from optimizer.decompose import part_size_for, solve_large
from optimizer.explain import explain_stop
from optimizer.model import Problem
from optimizer.notes import ENGLISH, Note, english
from optimizer.plan import BreakSlot, Plan, Reason, Route, SolveStats, Stop, Unassigned
from optimizer.prepared import (
    FIXED_PENALTY,
    PENALTY_CAP,
    RESERVE,
    Prepared,
    fit_route,
    penalties,
    prepare,
    routing_input,
    schedule,
    score,
)
from optimizer.repair import repair_left_out

__all__ = [
    "FIXED_PENALTY",
    "PENALTY_CAP",
    "RESERVE",
    "Prepared",
    "build_plan",
    "evaluate",
    "fit_route",
    "greedy_start",
    "prepare",
    "release_workers",
    "routing_input",
    "score",
    "solve",
]

LARGE = 300
"""Whole-day searches from this many visits on start from the greedy dispatcher's plan and leave
breaks out of the OR-Tools model (with break intervals, OR-Tools 9.15 rejected every start on the
1,000-visit demo city). Only used when ``configs`` are named; by default such days are
decomposed (``SolveOptions.decompose_from``) and every part models its breaks."""


def default_configs(n_visits: int, workers: int, warm: bool) -> list[str]:
    """Which searches to run: with two workers, two flavours of ruin and recreate."""
    prefix = "warm" if warm or n_visits >= LARGE else "pci"
    return [f"{prefix}-lns", f"{prefix}-lns-small"][: min(2, max(1, workers))]


def solve(
    problem: Problem,
    *,
    time_limit_s: float = 10.0,
    seed: int = 0,
    configs: Sequence[str] | None = None,
    initial_routes: Mapping[str, Sequence[str]] | None = None,
    on_progress: ProgressHook | None = None,
) -> Plan:
    """Plan the day: every visit is on a route or listed as unassigned with its reason.

    ``on_progress(elapsed_s, metres, placed)`` is called whenever a better plan is known (the
    greedy start, the search's improvements at most twice a second, each round of a large day,
    and the final plan): metres driven and visits on routes, since a plan that places fewer
    visits can drive less.
    """
    t0 = time.monotonic()
    prep = prepare(problem)
    return _solve_prepared(prep, t0, time_limit_s, seed, configs, initial_routes, on_progress)


ProgressHook = Callable[[float, int, int], None]
"""Called with (seconds since the start, metres driven, visits placed) of the best plan known."""


def evaluate(problem: Problem, routes: Mapping[str, Sequence[str]]) -> Plan:
    """Time the given routes as they stand, no search: a published day and the promises it holds.

    Visits that no longer fit their route (a window now out of reach) and visits on no route are
    listed as unassigned with the reason.
    """
    prep = prepare(problem)
    index = problem.visit_index()
    seqs = [
        [index[v] for v in routes.get(e.id, ()) if v in index and index[v] not in prep.rejected]
        for e in problem.engineers
    ]
    return build_plan(prep, seqs, SolveStats(solver="as-planned"))


def release_workers() -> None:
    """Stop the process that runs the second search (it is kept between solves to start faster)."""
    _ortools.close_pool()
    _pyvrp.close_pool()


def routes_distance(prep: Prepared, routes: Sequence[Sequence[int]]) -> int:
    """Metres driven by routes given as visit indices per engineer (the trip to the end included)."""
    return sum(sum(prep.legs(e, r)[1]) for e, r in enumerate(routes) if r)


def _solve_prepared(
    prep: Prepared,
    t0: float,
    time_limit_s: float,
    seed: int,
    configs: Sequence[str] | None,
    initial_routes: Mapping[str, Sequence[str]] | None,
    on_progress: ProgressHook | None = None,
) -> Plan:
    problem = prep.problem
    opts = problem.options
    modelled = [k for k in range(len(problem.visits)) if k not in prep.rejected]
    workers = max(1, opts.workers)
    routes: list[list[int]] | None = None
    stats = SolveStats(solver="none", workers=workers)
    gate = ProgressGate(prep, t0, on_progress)
    warm = _warm_start(problem, modelled, initial_routes)
    end = t0 + time_limit_s
    planned = bool(modelled and problem.engineers)
    use_pyvrp = planned and configs is None and opts.engine != "ortools"
    inp = routing_input(prep, modelled) if use_pyvrp else None
    why_not = None if inp is None else _pyvrp.unsupported(inp)
    greedy: list[list[int]] | None = None
    if planned and (on_progress is not None or len(modelled) >= LARGE):
        greedy = greedy_start(prep, modelled, as_visits=True)
        if len(modelled) >= LARGE and (inp is None or why_not is not None):
            # For OR-Tools' parts (PyVRP has a complete plan in well under a second): the greedy
            # dispatcher's plan, what it left out put back where it fits, a complete plan within
            # a second or two, and the floor the search must beat.
            greedy, _ = repair_left_out(
                prep, greedy, modelled, time.monotonic() + min(1.0, 0.05 * time_limit_s)
            )
        gate.offer(greedy)
    if inp is not None and why_not is None:
        search_end = end - finish_s(len(modelled), time_limit_s, repair_share=0.02)
        breaks = any(e.breaks for e in problem.engineers)
        pyvrp_end = t0 + POLISH_FROM * (search_end - t0) if breaks else search_end
        routes, stats = _solve_pyvrp(prep, inp, modelled, pyvrp_end, seed, warm, gate)
        if breaks and routes is not None and search_end - time.monotonic() > 0.3:
            routes, stats = _polish(prep, modelled, routes, stats, t0, search_end, seed, gate)
    elif planned and configs is None and len(modelled) >= opts.decompose_from:
        deadline = end - finish_s(len(modelled), time_limit_s)
        initial = None if warm is None else [[modelled[i] for i in r] for r in warm]
        routes, progress = solve_large(
            prep,
            modelled,
            t0=t0,
            deadline=deadline,
            seed=seed,
            workers=workers,
            part_size=part_size_for(len(modelled), workers, opts.part_size),
            initial=initial,
            on_round=gate.offer,
        )
        stats = SolveStats(
            solver=f"ortools:parts({progress.rounds} rounds, {progress.parts_improved}/{progress.parts_tried} improved)",
            first_solution_s=None if progress.first_plan_s is None else round(progress.first_plan_s, 3),
            workers=workers,
        )
    elif planned:
        deadline = end - finish_s(len(modelled), time_limit_s)

        def improved(found: list[list[int]]) -> None:
            gate.offer([[modelled[i] for i in r] for r in found])

        routes, stats = _solve_whole(prep, modelled, t0, deadline, seed, configs, warm, improved)
    if routes is None:
        routes = greedy if greedy is not None else greedy_start(prep, modelled, as_visits=True)
        stats = replace(stats, solver="greedy-fallback")
    routes = [fit_route(prep, e, _qualified_only(prep, e, r))[0] for e, r in enumerate(routes)]
    routes, tried = repair_left_out(prep, routes, modelled, end - build_s(len(modelled)))
    plan = build_plan(prep, routes, stats, tried)
    if len(modelled) >= LARGE and stats.solver != "greedy-fallback":
        # Never worse than what the greedy dispatcher does with the real breaks.
        baseline = build_plan(
            prep,
            greedy if greedy is not None else greedy_start(prep, modelled, as_visits=True),
            replace(stats, solver="greedy (better than the search)"),
        )
        if plan_cost(prep, baseline, modelled) < plan_cost(prep, plan, modelled):
            plan = baseline
    if gate.best is not None and gate.better_than(gate.best, gate.figures(plan)):
        # Never worse than a plan already reported (the greedy start, an earlier best).
        plan = build_plan(
            prep, gate.best_routes, replace(stats, solver=f"{stats.solver}, kept an earlier plan")
        )
    if gate.first_s is not None:
        stats = replace(stats, first_solution_s=round(gate.first_s, 3))
    seconds = round(time.monotonic() - t0, 3)
    gate.final(plan)
    return replace(plan, stats=replace(plan.stats, seconds=seconds, first_solution_s=stats.first_solution_s))


POLISH_FROM = 0.6
"""On a day with breaks, the share of the time PyVRP searches (it cannot place breaks); the rest
goes to OR-Tools, which models them, starting from PyVRP's plan re-timed and repaired."""


def _polish(
    prep: Prepared,
    modelled: list[int],
    routes: list[list[int]],
    stats: SolveStats,
    t0: float,
    deadline: float,
    seed: int,
    gate: ProgressGate,
) -> tuple[list[list[int]], SolveStats]:
    """Improve a plan with OR-Tools' break-aware search from its exactly re-timed routes."""
    fitted = [fit_route(prep, e, _qualified_only(prep, e, r))[0] for e, r in enumerate(routes)]
    fitted, _ = repair_left_out(prep, fitted, modelled, deadline)
    gate.offer(fitted)
    pos = {k: i for i, k in enumerate(modelled)}
    opts = prep.problem.options
    if len(modelled) >= opts.decompose_from:
        better, progress = solve_large(
            prep,
            modelled,
            t0=t0,
            deadline=deadline,
            seed=seed,
            workers=max(1, opts.workers),
            part_size=part_size_for(len(modelled), max(1, opts.workers), opts.part_size),
            initial=fitted,
            on_round=gate.offer,
        )
        how = f"{progress.rounds} rounds of parts"
    else:

        def improved(found: list[list[int]]) -> None:
            gate.offer([[modelled[i] for i in r] for r in found])

        warm = [[pos[k] for k in r] for r in fitted]
        found, _ = _solve_whole(prep, modelled, t0, deadline, seed, None, warm, improved)
        better, how = (found or fitted), "whole day"
    inp = routing_input(prep, modelled)
    before = score(inp, [[pos[k] for k in r] for r in fitted])
    after = score(inp, [[pos[k] for k in r] for r in better])
    if after >= before:
        return fitted, replace(stats, solver=f"{stats.solver} + ortools breaks ({how}, no gain)")
    return better, replace(stats, solver=f"{stats.solver} + ortools breaks ({how})", objective=after)


def build_s(n_visits: int) -> float:
    """Seconds kept at the end to time and explain the plan (measured at 1,000 visits under load)."""
    return 0.05 + 0.0008 * n_visits


def finish_s(n_visits: int, time_limit_s: float, repair_share: float | None = None) -> float:
    """Seconds kept after the search: the repair's share (by default 10 % of the time from 300
    visits on, where OR-Tools' parts leave more out; else 2 %), then the timing and the notes."""
    share = repair_share if repair_share is not None else (0.1 if n_visits >= LARGE else 0.02)
    return max(0.1, share * time_limit_s) + build_s(n_visits)


def _qualified_only(prep: Prepared, e: int, route: Sequence[int]) -> list[int]:
    """The route without visits this engineer may not do (an engine's plan is not trusted)."""
    return [k for k in route if e in prep.allowed[k]]


def _solve_pyvrp(
    prep: Prepared,
    inp: RoutingInput,
    modelled: list[int],
    deadline: float,
    seed: int,
    warm: list[list[int]] | None,
    gate: ProgressGate,
) -> tuple[list[list[int]] | None, SolveStats]:
    """The whole day in PyVRP (one search, or two with two workers); breaks are placed after."""
    workers = max(1, prep.problem.options.workers)

    def improved(found: list[list[int]]) -> None:
        gate.offer([[modelled[i] for i in r] for r in found])

    result = _pyvrp.solve(
        inp,
        deadline,
        seed=seed,
        workers=workers,
        initial_routes=warm,
        # Reports cost the search time (each is re-timed): only when someone listens.
        on_improve=improved if gate.hook is not None else None,
        score=lambda rs: score(inp, rs),
    )
    if result is None:
        return None, SolveStats(solver="pyvrp: no feasible plan", workers=workers)
    first = (
        None if result.first_solution_s is None else gate.since_start(result.first_solution_s, result.seconds)
    )
    stats = SolveStats(
        solver=result.config,
        first_solution_s=None if first is None else round(first, 3),
        objective=score(inp, result.routes),
        workers=workers,
    )
    return [[modelled[i] for i in r] for r in result.routes], stats


REPAIR_REPORTS_UP_TO = 400
"""Up to this many visits, a reported plan that lost visits to the exact re-timing is repaired
first (a few milliseconds); above, it is reported as it stands."""


class ProgressGate:
    """Reports only plans better than every plan reported before: placed visits never fall, and
    the distance never rises unless more visits are placed. Every reported plan is exactly timed
    (``fit_route``), and the best one is kept so the final plan is never worse than a report."""

    def __init__(self, prep: Prepared, t0: float, hook: ProgressHook | None) -> None:
        self.prep, self.t0, self.hook = prep, t0, hook
        self.best: tuple[int, int] | None = None
        self.best_routes: list[list[int]] = []
        self.first_s: float | None = None

    @staticmethod
    def better_than(a: tuple[int, int], b: tuple[int, int]) -> bool:
        """(placed, metres) ``a`` is better than ``b``: more placed, or as many and less driving."""
        return a[0] > b[0] or (a[0] == b[0] and a[1] < b[1])

    def figures(self, plan: Plan) -> tuple[int, int]:
        """(placed, metres) of a plan."""
        return plan.assigned, plan.travel_distance

    def since_start(self, at_s: float, took_s: float) -> float:
        """A search's own time ``at_s`` (of ``took_s`` in all, ending now) as seconds since t0."""
        return time.monotonic() - self.t0 - took_s + at_s

    def offer(self, routes: Sequence[Sequence[int]]) -> None:
        """A plan found by the search (visit indices per engineer), reported if it is better."""
        fitted = [fit_route(self.prep, e, _qualified_only(self.prep, e, r))[0] for e, r in enumerate(routes)]
        modelled = len(self.prep.problem.visits) - len(self.prep.rejected)
        if sum(map(len, fitted)) < modelled <= REPAIR_REPORTS_UP_TO:
            # What the re-timing took off (a break in the way) goes back where it fits: a report
            # is a plan a dispatcher could publish.
            todo = [k for k in range(len(self.prep.problem.visits)) if k not in self.prep.rejected]
            fitted, _ = repair_left_out(self.prep, fitted, todo, time.monotonic() + 0.05)
        figures = (sum(map(len, fitted)), routes_distance(self.prep, fitted))
        if self.first_s is None and figures[0] == len(self.prep.problem.visits) - len(self.prep.rejected):
            self.first_s = time.monotonic() - self.t0
        if self.best is not None and not self.better_than(figures, self.best):
            return
        self.best, self.best_routes = figures, fitted
        if self.hook is not None:
            self.hook(time.monotonic() - self.t0, figures[1], figures[0])

    def final(self, plan: Plan) -> None:
        """Report the plan returned (never worse than the reports before it)."""
        if self.hook is not None:
            self.hook(time.monotonic() - self.t0, plan.travel_distance, plan.assigned)


def _solve_whole(
    prep: Prepared,
    modelled: list[int],
    t0: float,
    deadline: float,
    seed: int,
    configs: Sequence[str] | None,
    warm: list[list[int]] | None,
    on_improve: _ortools.Improved | None = None,
) -> tuple[list[list[int]] | None, SolveStats]:
    """One OR-Tools model of the whole day (one or two searches in parallel)."""
    workers = max(1, prep.problem.options.workers)
    names = list(configs or default_configs(len(modelled), workers, warm is not None))
    cfgs = [replace(_ortools.CONFIGS[name], seed=seed + i) for i, name in enumerate(names)]
    reserve = len(modelled) >= LARGE
    inp = routing_input(prep, modelled, reserve_breaks=reserve)
    if warm is None and any(c.warm_start for c in cfgs):
        warm = greedy_start(prep, modelled, reserve_breaks=reserve)
    ready_s = time.monotonic() - t0  # the warm start, if any, is a plan from here on
    budget = max(0.1, deadline - time.monotonic())
    result = _ortools.solve_routing(inp, cfgs, budget, warm, on_improve)
    if warm is not None and (result is None or score(inp, warm) < result.objective):
        # The search lost its warm start (it can reject a start our own checks accept):
        # never return anything worse than the plan we started from.
        elapsed = time.monotonic() - t0
        result = _ortools.RoutingResult(warm, score(inp, warm), elapsed, ready_s, "warm-start")
    if result is None:
        return None, SolveStats(solver="none", workers=len(cfgs))
    first_s = (
        None
        if result.first_solution_s is None
        else result.first_solution_s + (time.monotonic() - t0 - result.seconds)
    )
    stats = SolveStats(
        solver=f"ortools:{result.config}",
        first_solution_s=None if first_s is None else round(first_s, 3),
        objective=result.objective,
        workers=len(cfgs),
    )
    return [[modelled[i] for i in r] for r in result.routes], stats


def plan_cost(prep: Prepared, plan: Plan, modelled: list[int]) -> int:
    """A plan's objective in the search's terms: travel, engineers used, left-out penalties."""
    opts = prep.problem.options
    pens = penalties(prep.problem, modelled, opts.drop_penalty or 10_000_000)
    index = prep.problem.visit_index()
    left = sum(
        pens[prep.problem.visits[index[u.visit_id]].priority]
        for u in plan.unassigned
        if u.reason is Reason.DROPPED
    )
    return plan.travel_distance + opts.vehicle_fixed_cost * plan.engineers_used + left


def greedy_start(
    prep: Prepared, modelled: list[int], *, reserve_breaks: bool = False, as_visits: bool = False
) -> list[list[int]]:
    """The greedy dispatcher's routes over the modelled visits, in their numbering (or the problem's).

    The benchmarks' baseline, the search's warm start on large days, and the fallback plan.
    """
    pos = {k: i for i, k in enumerate(modelled)}
    allowed = [prep.allowed[k] if k in pos else [] for k in range(len(prep.problem.visits))]
    engineers = prep.problem.engineers
    if reserve_breaks:
        engineers = tuple(
            replace(e, breaks=(), shift_end=e.shift_end - int(RESERVE * sum(b.duration for b in e.breaks)))
            for e in engineers
        )
    routes = greedy_routes(
        engineers,
        prep.problem.visits,
        allowed,
        prep.dist,
        prep.dur,
        prep.visit_loc,
        prep.start_loc,
        prep.end_loc,
    )
    return routes if as_visits else [[pos[k] for k in r] for r in routes]


def _warm_start(
    problem: Problem, modelled: list[int], initial: Mapping[str, Sequence[str]] | None
) -> list[list[int]] | None:
    if not initial:
        return None
    pos = {problem.visits[k].id: i for i, k in enumerate(modelled)}
    return [[pos[v] for v in initial.get(e.id, ()) if v in pos] for e in problem.engineers]


NO_ROOM = ENGLISH["no_room"]
TIMING = Note.of("route_timing")


def build_plan(
    prep: Prepared, routes: list[list[int]], stats: SolveStats, tried: set[int] | None = None
) -> Plan:
    """Time every route with the independent schedule, repair anything that does not fit.

    ``tried``: left-out visits the repair step tried everywhere (their reason says so).
    """
    problem = prep.problem
    unassigned = dict(prep.rejected)
    out: list[Route] = []
    for e_idx in range(len(problem.engineers)):
        seq = list(routes[e_idx]) if e_idx < len(routes) else []
        route, dropped = timed_route(prep, e_idx, seq)
        out.append(route)
        for k in dropped:
            unassigned[k] = Unassigned(problem.visits[k].id, Reason.DROPPED, english(TIMING), TIMING)
    served = {s.visit_id for r in out for s in r.stops}
    for k, v in enumerate(problem.visits):
        if v.id not in served and k not in unassigned:
            note = Note.of("no_room" if tried and k in tried else "too_costly")
            unassigned[k] = Unassigned(v.id, Reason.DROPPED, english(note), note)
    ordered = tuple(unassigned[k] for k in sorted(unassigned))
    return Plan(routes=tuple(out), unassigned=ordered, stats=stats)


def timed_route(prep: Prepared, e_idx: int, seq: list[int]) -> tuple[Route, list[int]]:
    """One engineer's route, timed; visits that do not fit are left out and returned."""
    visits = prep.problem.visits
    seq, dropped = fit_route(prep, e_idx, seq)
    timing = schedule(prep, e_idx, seq)
    assert timing is not None  # fit_route keeps only what fits
    durs, dists = prep.legs(e_idx, seq)
    notes = [explain_stop(prep, e_idx, seq, i) for i in range(len(seq))]
    stops = tuple(
        Stop(
            visit_id=visits[k].id,
            arrival=t.arrival,
            wait=t.start - t.arrival,
            start=t.start,
            departure=t.departure,
            travel_time=durs[i],
            travel_distance=dists[i],
            why=english(notes[i]),
            notes=notes[i],
            fixed=visits[k].is_fixed,
        )
        for i, (k, t) in enumerate(zip(seq, timing.stops, strict=True))
    )
    route = Route(
        engineer_id=prep.problem.engineers[e_idx].id,
        departure=timing.departure,
        stops=stops,
        breaks=tuple(BreakSlot(a, b) for a, b in timing.breaks) if seq else (),
        end_arrival=timing.end_arrival if seq else timing.departure,
        end_travel_time=durs[-1] if seq else 0,
        end_travel_distance=dists[-1] if seq else 0,
    )
    return route, dropped
