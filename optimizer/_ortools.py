"""The OR-Tools adapter: the only module that imports ortools.

Input is plain arrays (``RoutingInput``); output is the visit order per engineer. Node numbering:
visits ``0..n-1`` (permuted by the seed), then the depot nodes. Engineers sharing a start or end
place share its node: distinct nodes per engineer split them into vehicle classes, which costs
the local search dearly (C101 went from 0 % to 3 % above best known in a test).
"""

from __future__ import annotations

import atexit
import concurrent.futures
import itertools
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from optimizer.arrays import RoutingInput

FSS = routing_enums_pb2.FirstSolutionStrategy
LSM = routing_enums_pb2.LocalSearchMetaheuristic


# Operators that only shuffle which visits are performed, or run costly insertion LNS: on the
# Solomon subset at 5 s, switching them off took the mean gap from 5.3 % to 4.1 %.
LEAN_OFF = (
    "use_make_inactive",
    "use_make_chain_inactive",
    "use_swap_active",
    "use_swap_active_chain",
    "use_shortest_path_swap_active",
    "use_global_cheapest_insertion_path_lns",
    "use_local_cheapest_insertion_path_lns",
    "use_relocate_path_global_cheapest_insertion_insert_unperformed",
    "use_global_cheapest_insertion_visit_types_lns",
    "use_local_cheapest_insertion_visit_types_lns",
)
# ... and these two, on top, took it to 3.7 %.
EXTRA_ON = ("use_cross_exchange", "use_relocate_neighbors")
# Inside the ruin-and-recreate loop the descent runs hundreds of times: these operators were
# not worth their time there (Solomon R105/R107/C204 at 10 s: 2.9 % -> 2.1 %).
LNS_OFF = (
    *LEAN_OFF,
    "use_lin_kernighan",
    "use_exchange_subtrip",
    "use_relocate_subtrip",
    "use_relocate_expensive_chain",
    "use_exchange_pair",
    "use_relocate_pair",
    "use_light_relocate_pair",
    "use_cross_exchange",
    "use_tsp_opt",
)
# A second, lighter flavour (small ruins, even fewer operators): about as good on average but
# good on other instances, so the two make a useful pair when both cores search.
LNS_SMALL_OFF = (*LNS_OFF, "use_two_opt", "use_shortest_path_two_opt", "use_or_opt")
BOOL_TRUE, BOOL_FALSE = 3, 2  # ortools.util.OptionalBoolean


@dataclass(frozen=True)
class SearchConfig:
    """One way to search: a first solution (or the warm start) and a metaheuristic."""

    name: str = "pci-gls"
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    gls_lambda: float = 0.1
    operators_on: tuple[str, ...] = EXTRA_ON
    operators_off: tuple[str, ...] = LEAN_OFF
    warm_start: bool = False
    """Start from the given initial routes (previous plan, or the greedy dispatcher's)."""
    lns: bool = False
    """Instead of the metaheuristic: ruin and recreate around OR-Tools' local search."""
    ruin: tuple[int, int] = (8, 20)
    """How many visits one ruin removes (uniform in this range)."""
    temperature: float = 0.01
    """Starting annealing temperature, as a share of the first plan's travel cost."""
    seed: int = 0


CONFIGS: dict[str, SearchConfig] = {
    "pci-gls": SearchConfig(),
    "sav-gls": SearchConfig(name="sav-gls", first_solution="SAVINGS"),
    "lci-gls": SearchConfig(name="lci-gls", first_solution="LOCAL_CHEAPEST_INSERTION"),
    "warm-gls": SearchConfig(name="warm-gls", warm_start=True),
    "pci-lns": SearchConfig(name="pci-lns", metaheuristic="GREEDY_DESCENT", operators_off=LNS_OFF, lns=True),
    "pci-lns-small": SearchConfig(
        name="pci-lns-small",
        metaheuristic="GREEDY_DESCENT",
        operators_off=LNS_SMALL_OFF,
        lns=True,
        ruin=(3, 8),
    ),
    "warm-lns-small": SearchConfig(
        name="warm-lns-small",
        metaheuristic="GREEDY_DESCENT",
        operators_off=LNS_SMALL_OFF,
        lns=True,
        ruin=(3, 8),
        warm_start=True,
    ),
    "warm-lns": SearchConfig(
        name="warm-lns",
        metaheuristic="GREEDY_DESCENT",
        operators_off=LNS_OFF,
        lns=True,
        warm_start=True,
    ),
}


@dataclass
class RoutingResult:
    """Visit order per engineer (visit indices), with how and when it was found."""

    routes: list[list[int]]
    objective: int
    seconds: float
    first_solution_s: float | None
    config: str
    dropped: list[int] = field(default_factory=list)
    iterations: int = 0
    """Ruin-and-recreate steps taken (0 for the metaheuristic configs)."""


def _model(
    inp: RoutingInput, perm: npt.NDArray[np.int64]
) -> tuple[pywrapcp.RoutingIndexManager, pywrapcp.RoutingModel, object]:
    n, m = len(inp.windows), len(inp.ready)
    size = inp.cost.shape[0]
    order = np.concatenate([perm, np.arange(n, size)])
    cost = inp.cost[np.ix_(order, order)]
    transit = inp.transit[np.ix_(order, order)]
    manager = pywrapcp.RoutingIndexManager(size, m, inp.starts, inp.ends)
    routing = pywrapcp.RoutingModel(manager)
    cost_cb = routing.RegisterTransitMatrix(cost.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(cost_cb)
    if inp.fixed_cost:
        routing.SetFixedCostOfAllVehicles(inp.fixed_cost)
    time_cb = routing.RegisterTransitMatrix(transit.tolist())
    horizon = inp.horizon
    routing.AddDimension(time_cb, horizon, horizon, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    for v in range(m):
        time_dim.CumulVar(routing.Start(v)).SetRange(inp.ready[v], inp.shift_end[v])
        time_dim.CumulVar(routing.End(v)).SetRange(inp.ready[v], inp.shift_end[v])
        if inp.max_span[v] is not None:
            time_dim.SetSpanUpperBoundForVehicle(inp.max_span[v], v)
    for node in range(n):
        k = int(perm[node])
        index = manager.NodeToIndex(node)
        wins = inp.windows[k]
        cumul = time_dim.CumulVar(index)
        cumul.SetRange(wins[0][0], wins[-1][1])
        for (_, b), (a, _) in itertools.pairwise(wins):
            if a > b + 1:
                cumul.RemoveInterval(b + 1, a - 1)
        allowed = inp.allowed[k]
        if allowed is not None:
            routing.VehicleVar(index).SetValues([-1, *allowed])
        pen = inp.penalty[k]
        if pen is not None:
            routing.AddDisjunction([index], pen)
    if any(inp.breaks):
        visit_transit = [0] * routing.Size()
        for index in range(routing.Size()):
            node = manager.IndexToNode(index)
            visit_transit[index] = inp.service[int(perm[node])] if node < n else 0
        solver = routing.solver()
        for v in range(m):
            if inp.breaks[v]:
                intervals = [
                    solver.FixedDurationIntervalVar(e, lat, d, False, f"break {v}.{i}")
                    for i, (e, lat, d) in enumerate(inp.breaks[v])
                ]
                time_dim.SetBreakIntervalsOfVehicle(intervals, v, visit_transit)
    if any(d for d in inp.demand) and any(c is not None for c in inp.capacity):
        demand = [inp.demand[int(perm[node])] for node in range(n)] + [0] * (size - n)
        load_cb = routing.RegisterUnaryTransitVector(demand)
        caps = [c if c is not None else sum(inp.demand) for c in inp.capacity]
        routing.AddDimensionWithVehicleCapacity(load_cb, 0, caps, True, "load")
    if inp.move_cost is not None:
        callbacks = []
        for v in range(m):
            vec = [inp.move_cost[v][int(perm[node])] for node in range(n)] + [0] * (size - n)
            callbacks.append(routing.RegisterUnaryTransitVector(vec))
        cap = sum(max(row) for row in inp.move_cost) + 1
        routing.AddDimensionWithVehicleTransitAndCapacity(callbacks, 0, [cap] * m, True, "moves")
        routing.GetDimensionOrDie("moves").SetSpanCostCoefficientForAllVehicles(1)
    return manager, routing, time_dim


def _params(cfg: SearchConfig, time_limit_s: float) -> object:
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(FSS, cfg.first_solution)
    params.local_search_metaheuristic = getattr(LSM, cfg.metaheuristic)
    params.guided_local_search_lambda_coefficient = cfg.gls_lambda
    for op in cfg.operators_on:
        setattr(params.local_search_operators, op, BOOL_TRUE)
    for op in cfg.operators_off:
        setattr(params.local_search_operators, op, BOOL_FALSE)
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    return params


Improved = Callable[[list[list[int]]], None]
"""Told the routes (model visit numbers per vehicle) each time the search finds a better plan."""


def run_search(
    inp: RoutingInput,
    cfg: SearchConfig,
    time_limit_s: float,
    initial_routes: list[list[int]] | None = None,
    on_improve: Improved | None = None,
    until: float | None = None,
) -> RoutingResult | None:
    """Build the model, search for ``time_limit_s`` and return the best routes found (or None).

    ``until``: an absolute ``time.monotonic()`` instant to stop at instead (the clock is the same
    in every process, so a helper process that started late does not finish late).
    """
    t0 = time.monotonic()
    if until is not None:
        time_limit_s = max(0.05, until - t0)
    n = len(inp.windows)
    rng = np.random.default_rng(cfg.seed)
    perm = np.arange(n, dtype=np.int64) if cfg.seed == 0 else rng.permutation(n).astype(np.int64)
    node_of = np.empty(n, dtype=np.int64)
    node_of[perm] = np.arange(n, dtype=np.int64)
    manager, routing, _ = _model(inp, perm)
    first: list[float] = []

    def on_solution() -> None:
        if not first:
            first.append(time.monotonic() - t0)

    routing.AddAtSolutionCallback(on_solution)
    remaining = time_limit_s - (time.monotonic() - t0)
    params = _params(cfg, max(0.05, remaining))
    solution = None
    if initial_routes and cfg.warm_start:
        routing.CloseModelWithParameters(params)
        start = routing.ReadAssignmentFromRoutes(
            [[manager.NodeToIndex(int(node_of[k])) for k in r] for r in initial_routes], True
        )
        if start is not None:
            solution = routing.SolveFromAssignmentWithParameters(start, params)
    if solution is None:
        solution = routing.SolveWithParameters(params)  # a no-op re-close if already closed
    if solution is None:
        return None
    objective = int(solution.ObjectiveValue())
    nodes = _routes(routing, manager, solution, len(inp.ready))
    report = None
    if on_improve is not None:
        hook = on_improve

        def report(found: list[list[int]]) -> None:
            hook([[int(perm[node]) for node in r] for r in found])

        report(nodes)
    steps = 0
    if cfg.lns:
        deadline = t0 + time_limit_s
        nodes, objective, steps = _ruin_and_recreate(
            inp, perm, manager, routing, nodes, objective, cfg, deadline, report
        )
    routes = [[int(perm[node]) for node in r] for r in nodes]
    served = {k for r in routes for k in r}
    return RoutingResult(
        routes=routes,
        objective=objective,
        seconds=time.monotonic() - t0,
        first_solution_s=first[0] if first else None,
        config=cfg.name,
        dropped=[k for k in range(n) if k not in served],
        iterations=steps,
    )


def _routes(
    routing: pywrapcp.RoutingModel, manager: pywrapcp.RoutingIndexManager, solution: object, m: int
) -> list[list[int]]:
    """Visit nodes per vehicle, in order."""
    out: list[list[int]] = []
    for v in range(m):
        seq: list[int] = []
        index = solution.Value(routing.NextVar(routing.Start(v)))  # type: ignore[attr-defined]
        while not routing.IsEnd(index):
            seq.append(manager.IndexToNode(index))
            index = solution.Value(routing.NextVar(index))  # type: ignore[attr-defined]
        out.append(seq)
    return out


def _ruin_and_recreate(
    inp: RoutingInput,
    perm: npt.NDArray[np.int64],
    manager: pywrapcp.RoutingIndexManager,
    routing: pywrapcp.RoutingModel,
    current: list[list[int]],
    cost: int,
    cfg: SearchConfig,
    deadline: float,
    report: Improved | None = None,
) -> tuple[list[list[int]], int, int]:
    """Remove a few related visits, let the local search put them back; anneal; keep the best.

    Removal is either the k visits nearest a random one, or short strings cut from the routes
    passing near it (as in SISR). The local search reinserts them (make-active) and repairs.
    """
    n = len(inp.windows)
    if n < 3:
        return current, cost, 0
    rng = np.random.default_rng(cfg.seed + 1)
    sym = inp.cost[:n, :n][np.ix_(perm, perm)]
    near = np.argsort(sym + sym.T, axis=1, kind="stable")
    best, best_cost = current, cost
    start = time.monotonic()
    span = max(1e-3, deadline - start)
    travel = sum(int(sym[a, b]) for r in current for a, b in itertools.pairwise(r))
    temp0 = cfg.temperature * max(1, travel)
    steps = 0
    reported = start
    while (now := time.monotonic()) < deadline - 0.02:
        steps += 1
        seed = int(rng.integers(n))
        k = int(rng.integers(cfg.ruin[0], cfg.ruin[1] + 1))
        removed = (
            _strings(current, near[seed], k, rng) if rng.random() < 0.5 else {int(x) for x in near[seed][:k]}
        )
        partial = [[manager.NodeToIndex(c) for c in r if c not in removed] for r in current]
        start_from = routing.ReadAssignmentFromRoutes(partial, True)
        if start_from is None:
            continue
        params = _params(replace(cfg, lns=False), max(0.02, deadline - now))
        solution = routing.SolveFromAssignmentWithParameters(start_from, params)
        if solution is None:
            continue
        new_cost = int(solution.ObjectiveValue())
        temp = temp0 * max(0.0, 1.0 - (now - start) / span)
        delta = new_cost - cost
        if delta < 0 or (temp > 0 and rng.random() < np.exp(-delta / temp)):
            current = _routes(routing, manager, solution, len(inp.ready))
            cost = new_cost
            if cost < best_cost:
                best, best_cost = current, cost
                if report is not None and now - reported >= REPORT_EVERY_S:
                    report(best)
                    reported = now
    if report is not None:
        report(best)
    return best, best_cost, steps


def _strings(
    routes: list[list[int]], order: npt.NDArray[np.int64], k: int, rng: np.random.Generator
) -> set[int]:
    """Cut strings of up to 10 visits from routes met in ``order`` until k visits are out."""
    where = {c: (ri, pos) for ri, r in enumerate(routes) for pos, c in enumerate(r)}
    removed: set[int] = set()
    touched: set[int] = set()
    for c in order:
        hit = where.get(int(c))
        if hit is None or hit[0] in touched:
            continue
        ri, pos = hit
        touched.add(ri)
        r = routes[ri]
        length = int(rng.integers(1, min(len(r), 10) + 1))
        first = max(0, min(pos - int(rng.integers(length)), len(r) - length))
        removed.update(r[first : first + length])
        if len(removed) >= k:
            break
    return removed


_POOL: concurrent.futures.ProcessPoolExecutor | None = None


def _pool() -> concurrent.futures.ProcessPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = concurrent.futures.ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn")
        )
        atexit.register(close_pool)  # joined at exit: a helper stops at its deadline anyway
    return _POOL


def close_pool() -> None:
    """Stop the helper process of parallel searches (a forked job runner must, before it exits)."""
    global _POOL
    if _POOL is not None:
        _POOL.shutdown(wait=True, cancel_futures=True)
        _POOL = None


WAIT_S = 0.1
"""How long past its deadline the helper's answer is waited for (it stops at the deadline too)."""

SHARE_ROUNDS = 1
"""With two searches: how many times they stop, and both go on from the better plan."""


REPORT_EVERY_S = 0.5
"""At most this often a search in this process reports a better plan."""


def solve_routing(
    inp: RoutingInput,
    configs: list[SearchConfig],
    time_limit_s: float,
    initial_routes: list[list[int]] | None = None,
    on_improve: Improved | None = None,
) -> RoutingResult | None:
    """Run the first config here and the second (if any) in another process; keep the best.

    With two configs the time is cut into ``SHARE_ROUNDS`` rounds: after each, both searches
    restart from the better plan (each with its own flavour and a fresh seed).
    """
    t0 = time.monotonic()
    rounds = SHARE_ROUNDS if len(configs) > 1 else 1
    best: RoutingResult | None = None
    first: list[float] = []
    start = initial_routes
    for r in range(rounds):
        left = time_limit_s - (time.monotonic() - t0)
        share = left / (rounds - r)
        cfgs = configs
        if r > 0 and start is not None:
            cfgs = [replace(c, warm_start=True, seed=c.seed + 101 * r) for c in configs]
        found = _one_round(inp, cfgs, share, start, on_improve)
        offset = time.monotonic() - t0 - share
        first.extend(f.first_solution_s + offset for f in found if f.first_solution_s is not None and r == 0)
        for f in found:
            if best is None or (f.objective, f.config) < (best.objective, best.config):
                best = f
        if best is not None:
            start = best.routes
    if best is None:
        return None
    return replace(best, first_solution_s=min(first) if first else None, seconds=time.monotonic() - t0)


def _one_round(
    inp: RoutingInput,
    configs: list[SearchConfig],
    time_limit_s: float,
    initial_routes: list[list[int]] | None,
    on_improve: Improved | None = None,
) -> list[RoutingResult]:
    future = None
    until = time.monotonic() + time_limit_s
    if len(configs) > 1:
        future = _pool().submit(run_search, inp, configs[1], time_limit_s, initial_routes, None, until)
    results = [run_search(inp, configs[0], time_limit_s, initial_routes, on_improve, until)]
    if future is not None:
        try:
            results.append(future.result(timeout=max(0.0, until - time.monotonic()) + WAIT_S))
        except concurrent.futures.TimeoutError:
            future.cancel()  # late (a cold helper): not waited for
        except Exception:
            _reset_pool()
    return [r for r in results if r is not None]


@dataclass(frozen=True)
class Task:
    """One independent search: a model, how to search it, for how long, and where to start."""

    inp: RoutingInput
    config: SearchConfig
    time_limit_s: float
    initial_routes: list[list[int]] | None = None
    until: float | None = None


def _run_task(task: Task) -> RoutingResult | None:
    try:
        return run_search(task.inp, task.config, task.time_limit_s, task.initial_routes, None, task.until)
    except Exception:  # one part failing must not sink the others: the caller keeps its plan
        return None


def solve_tasks(tasks: list[Task], workers: int) -> list[RoutingResult | None]:
    """Run independent searches, two at a time with two workers (one here, one in the pool).

    Results come back in task order whatever finishes first, so the caller stays deterministic.
    """
    out: list[RoutingResult | None] = []
    step = 2 if workers > 1 else 1
    for i in range(0, len(tasks), step):
        future = None
        if step == 2 and i + 1 < len(tasks):
            other = tasks[i + 1]
            try:
                until = time.monotonic() + other.time_limit_s
                future = _pool().submit(_run_task, replace(other, until=until))
            except Exception:  # no second process to be had: run it here after this one
                _reset_pool()
        out.append(_run_task(tasks[i]))
        if future is not None:
            try:
                out.append(future.result(timeout=max(0.0, until - time.monotonic()) + WAIT_S))
            except concurrent.futures.TimeoutError:
                future.cancel()  # late (a cold helper): that part keeps its routes
                out.append(None)
            except Exception:
                _reset_pool()
                out.append(None)
        elif step == 2 and i + 1 < len(tasks):
            out.append(_run_task(tasks[i + 1]))
    return out


def _reset_pool() -> None:
    global _POOL
    if _POOL is not None:
        _POOL.shutdown(wait=False, cancel_futures=True)
    _POOL = None
