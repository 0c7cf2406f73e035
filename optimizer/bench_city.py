"""The demo-city benchmarks: our plan against the greedy dispatcher, and booking query latency."""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

from optimizer.baseline import route_distance
from optimizer.datasets.cities import generate
from optimizer.datasets.city import City
from optimizer.insertion import insertion_options
from optimizer.model import Break, Engineer, Location, Priority, Problem, SolveOptions, Visit
from optimizer.plan import Plan, SolveStats
from optimizer.prepared import fit_route
from optimizer.repair import repair_left_out
from optimizer.solver import build_plan, greedy_start, prepare, solve
from optimizer.travel import HaversineTravel


def city_problem(city: City, options: SolveOptions | None = None) -> Problem:
    """The city's day as a Problem: engineers from home, orders at their sites.

    The city's lunch rule "between break_earliest_s and break_latest_s" is read strictly: the
    break starts no earlier than the first and ends no later than the second.
    """
    shifts = {s.engineer_ref: s for s in city.shifts}
    engineers = []
    for e in city.engineers:
        s = shifts.get(e.ref)
        if s is None:
            continue
        home = Location(e.home.lat, e.home.lon)
        latest = max(s.break_earliest_s, s.break_latest_s - s.break_duration_s)
        engineers.append(
            Engineer(
                id=e.ref,
                start_location=home,
                end_location=home,
                shift_start=s.start_s,
                shift_end=s.end_s,
                skills=frozenset(e.skills),
                breaks=(Break(s.break_earliest_s, latest, s.break_duration_s),) if s.break_duration_s else (),
            )
        )
    sites = {s.ref: s for s in city.sites}
    visits = tuple(
        Visit(
            id=o.ref,
            location=Location(sites[o.site_ref].point.lat, sites[o.site_ref].point.lon),
            service_duration=o.duration_s,
            windows=o.windows,
            required_skills=frozenset(o.skills),
            priority=Priority.parse(o.priority),
        )
        for o in city.orders
    )
    return Problem(
        engineers=tuple(engineers),
        visits=visits,
        travel=HaversineTravel(),
        options=options or SolveOptions(),
        origin=city.at(0),
    )


def greedy_plan_figures(problem: Problem) -> tuple[int, int, int, float]:
    """Greedy dispatcher: (metres driven, visits assigned, feasible visits, seconds)."""
    t0 = time.monotonic()
    prep = prepare(problem)
    modelled = [k for k in range(len(problem.visits)) if k not in prep.rejected]
    routes = greedy_start(prep, modelled, as_visits=True)
    metres = sum(
        route_distance(r, prep.visit_loc, prep.start_loc[e], prep.end_loc[e], prep.dist)
        for e, r in enumerate(routes)
    )
    feasible = len(problem.visits) - len(prep.rejected)
    return metres, sum(len(r) for r in routes), feasible, time.monotonic() - t0


def city_bench(args: argparse.Namespace) -> int:
    """Plan the city at each size; print a Markdown table against the greedy dispatcher."""
    print(
        "| visits | engineers | feasible | first plan s | final plan s | ours assigned % "
        "| greedy assigned % | ours km | greedy km | travel vs greedy | km per visit, ours / greedy |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in [int(s) for s in args.sizes.split(",")]:
        city = generate(args.city, orders=size, seed=args.seed)
        problem = city_problem(city, SolveOptions(workers=args.workers))
        g_metres, g_assigned, feasible, _ = greedy_plan_figures(problem)
        plan = solve(problem, time_limit_s=args.time_limit, seed=0)
        ours_pct = 100.0 * plan.assigned / max(1, feasible)
        greedy_pct = 100.0 * g_assigned / max(1, feasible)
        delta = 100.0 * (plan.travel_distance - g_metres) / max(1, g_metres)
        first = plan.stats.first_solution_s
        print(
            f"| {size} | {len(problem.engineers)} | {feasible} | "
            f"{'-' if first is None else f'{first:.1f}'} | {plan.stats.seconds:.1f} | "
            f"{ours_pct:.1f} | {greedy_pct:.1f} | {plan.travel_distance / 1000:.1f} | "
            f"{g_metres / 1000:.1f} | {delta:+.1f} % | "
            f"{plan.travel_distance / 1000 / max(1, plan.assigned):.2f} / "
            f"{g_metres / 1000 / max(1, g_assigned):.2f} |",
            flush=True,
        )
    return 0


def insertion_bench(args: argparse.Namespace) -> int:
    """Plan a day of ``--visits`` visits, then time booking queries for new visits."""
    city = generate(args.city, orders=args.visits + args.queries, seed=args.seed)
    full = city_problem(city)
    planned = replace(full, visits=full.visits[: args.visits])
    plan = solve(planned, time_limit_s=args.time_limit, seed=0)
    windows = [(h * 3600, (h + 2) * 3600) for h in (8, 10, 12, 14, 16)]
    timings: list[float] = []
    feasible = 0
    for new in full.visits[args.visits :]:
        t0 = time.perf_counter()
        options = insertion_options(planned, plan, replace(new, windows=()), windows=windows)
        timings.append(time.perf_counter() - t0)
        feasible += sum(o.feasible for o in options)
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(0.95 * len(timings)))]
    print(
        f"{plan.assigned} planned visits on {plan.engineers_used} routes; {len(timings)} queries "
        f"x {len(windows)} windows: p50 {1000 * statistics.median(timings):.0f} ms, "
        f"p95 {1000 * p95:.0f} ms, max {1000 * timings[-1]:.0f} ms; "
        f"{feasible} of {len(timings) * len(windows)} windows feasible"
    )
    return 0


def travel_bench(args: argparse.Namespace) -> int:
    """Time the haversine matrix for ``--places`` demo-city places against geopy pair by pair."""
    from geopy.distance import great_circle

    city = generate(args.city, orders=min(2000, 2 * args.places), seed=args.seed)
    places = [Location(s.point.lat, s.point.lon) for s in city.sites][: args.places]
    travel = HaversineTravel()
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        m = travel.matrix(places)
        runs.append(time.perf_counter() - t0)
    ours = statistics.median(runs)
    sample = places[: args.baseline_places]
    t0 = time.perf_counter()
    pairs = [[great_circle((a.lat, a.lon), (b.lat, b.lon)).m for b in sample] for a in sample]
    per_pair = (time.perf_counter() - t0) / (len(sample) ** 2)
    baseline = per_pair * len(places) ** 2
    n = len(sample)
    ours_sample = m.distances[:n, :n] / travel.detour_factor
    worst = max(abs(float(ours_sample[i][j]) - pairs[i][j]) for i in range(n) for j in range(n))
    print(
        f"{len(places)} x {len(places)} matrix: {1000 * ours:.0f} ms (median of 5); geopy great_circle "
        f"pair by pair: {1000 * per_pair * 1e6:.1f} ms per million pairs, so {baseline:.1f} s "
        f"for this matrix; ratio {baseline / ours:.0f}x; largest difference from geopy "
        f"{worst:.1f} m"
    )
    return 0


def peer_plan(problem: Problem, time_limit: float, seed: int = 0) -> Plan:
    """The peer's plan for a field day: PyVRP without breaks, then re-timed and repaired exactly.

    Routes it returns that break a break, a window or a shift lose the visits that no longer fit
    (``fit_route``), and those go back where they fit (``repair_left_out``), so the plan compared
    is one an engineer could really drive, never a broken one.
    """
    from optimizer.bench import peer_solve

    t0 = time.monotonic()
    prep = prepare(problem)
    modelled = [k for k in range(len(problem.visits)) if k not in prep.rejected]
    routes = peer_solve(problem, time_limit, seed, required=False)
    fitted = [fit_route(prep, e, [k for k in r if e in prep.allowed[k]])[0] for e, r in enumerate(routes)]
    fitted, tried = repair_left_out(prep, fitted, modelled, time.monotonic() + 0.1 * time_limit)
    plan = build_plan(prep, fitted, SolveStats(solver="pyvrp peer, re-timed and repaired"), tried)
    return replace(plan, stats=replace(plan.stats, seconds=time.monotonic() - t0))


def field_bench(args: argparse.Namespace) -> int:
    """Demo-city days (skills, lunch breaks, several windows, priorities) against the peer."""
    print(
        "| visits | engineers | ours placed | ours km | ours engineers | ours s "
        "| PyVRP placed | PyVRP km | PyVRP engineers | PyVRP s | km ours vs PyVRP |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in [int(s) for s in args.sizes.split(",")]:
        city = generate(args.city, orders=size, seed=args.seed)
        problem = city_problem(city, SolveOptions(workers=args.workers))
        ours = solve(problem, time_limit_s=args.time_limit, seed=0)
        peer = peer_plan(problem, args.time_limit)
        delta = 100.0 * (ours.travel_distance - peer.travel_distance) / max(1, peer.travel_distance)
        print(
            f"| {size} | {len(problem.engineers)} | {ours.assigned} | {ours.travel_distance / 1000:.1f} | "
            f"{ours.engineers_used} | {ours.stats.seconds:.1f} | {peer.assigned} | "
            f"{peer.travel_distance / 1000:.1f} | {peer.engineers_used} | {peer.stats.seconds:.1f} | {delta:+.1f} % |",
            flush=True,
        )
    return 0
