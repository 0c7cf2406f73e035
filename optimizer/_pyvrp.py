"""The PyVRP adapter: the only module that imports pyvrp.

PyVRP (an iterated local search over a compiled core) models most of a field day natively:

- every engineer is a vehicle type of its own (engineers alike in every respect share one, which
  PyVRP's search handles far better than many types of one vehicle each), with its start and end
  depot, shift (``tw_early``/``tw_late``), maximum working time (``shift_duration``), capacity
  and the cost of using it (``fixed_cost``);
- a visit is a client with its service time and window; a visit with several windows is one
  client per window in a mutually exclusive group (exactly one of them is served);
- priorities are prizes: leaving a visit out forgoes its drop penalty (fixed work is required);
- skills, pins and fixed work restrict which engineer may serve a visit: engineers with the same
  restrictions share a routing profile whose arcs into the visits they may not do are
  prohibitive (in time and cost), so those assignments are never feasible.

Breaks are not modelled (PyVRP has none): each shift is shortened by a share of its break time
and the caller re-times every route exactly, repairing what does not fit. The move penalty of a
re-plan is not modelled either; ``unsupported`` says when the OR-Tools adapter must be used.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np
from pyvrp import (
    Client,
    ClientGroup,
    Depot,
    IteratedLocalSearch,
    IteratedLocalSearchParams,
    Location,
    PenaltyManager,
    ProblemData,
    RandomNumberGenerator,
    Route,
    Solution,
    VehicleType,
)
from pyvrp.IteratedLocalSearch import IteratedLocalSearchCallbacks
from pyvrp.PenaltyManager import PenaltyParams
from pyvrp.search import OPERATORS, LocalSearch, PerturbationManager, PerturbationParams, compute_neighbours

from optimizer.arrays import IntMatrix, RoutingInput

BREAK_RESERVE = 0.0
"""Share of an engineer's break time taken off the shift, since PyVRP cannot place breaks (0: none;
on the 200-visit demo city at 8 s, 0.5 and 1.0 placed fewer visits once re-timed, 199 and 196 of
200, against 200 with 0: the exact re-timing, the repair and the OR-Tools polish place breaks)."""
UNBOUNDED = 2**63 - 1
"""PyVRP's own "no limit" for a shift's duration."""
PROHIBITIVE = 10**9
"""Travel time and cost into a visit that a profile's engineers may not do."""
MAX_CELLS = 60_000_000
"""Profiles x places^2 above which the restrictions are too many to model by profiles."""
MAX_TYPES = 50
"""Above this many distinct engineers (home, hours, skills) the OR-Tools pipeline plans the day:
on the 1,000-visit demo city (200 engineers, each a vehicle type of their own) PyVRP's search at
20 s ended at 3,116 km, the OR-Tools parts at 30 s at 2,028 km; at 200 visits (40 types) the two
were level (743 and 745 km at 10 s)."""
HELPER_EARLY_S = 0.5
"""At most this much before the deadline the helper process's search stops."""
WAIT_S = 0.05
"""How long past the deadline a search's answer is waited for."""
REPORT_EVERY_S = 0.5
"""At most this often the search reports a better plan."""

Improved = Callable[[list[list[int]]], None]
"""Told the routes (visit indices per engineer) each time the search finds a better plan."""


def unsupported(inp: RoutingInput) -> str | None:
    """Why this model needs the other engine (None: PyVRP models it)."""
    if inp.move_cost is not None:
        return "per-engineer costs (moved published work, engineers a customer rated 1-2)"
    if len(inp.windows) == 0 or len(inp.ready) == 0:
        return "nothing to plan"
    size = inp.cost.shape[0]
    banned, profile = _profiles(inp)
    if len(banned) * size * size > MAX_CELLS:
        return "too many skill profiles"
    if len(_vehicle_kinds(inp, profile, [0] * len(inp.ready))) > MAX_TYPES:
        return "too many kinds of engineer"
    return None


def _profiles(inp: RoutingInput) -> tuple[list[frozenset[int]], list[int]]:
    """Distinct sets of visits engineers may not do, and each engineer's profile number."""
    m, n = len(inp.ready), len(inp.windows)
    qualified = inp.qualified if inp.qualified is not None else inp.allowed
    may = np.ones((m, n), dtype=bool)
    for k, ok in enumerate(qualified):
        if ok is not None:
            may[:, k] = False
            may[ok, k] = True
    keys: dict[bytes, int] = {np.ones(n, dtype=bool).tobytes(): 0}  # profile 0, unrestricted
    banned: list[frozenset[int]] = [frozenset()]
    profile: list[int] = []
    for e in range(m):
        row = may[e].tobytes()
        if row not in keys:
            keys[row] = len(keys)
            banned.append(frozenset(int(k) for k in np.flatnonzero(~may[e])))
        profile.append(keys[row])
    return banned, profile


def _vehicle_kinds(
    inp: RoutingInput, profile: list[int], reserve: list[int]
) -> dict[tuple[int, ...], list[int]]:
    """Engineers alike in every respect the model sees, grouped (one PyVRP vehicle type each)."""
    n = len(inp.windows)
    kinds: dict[tuple[int, ...], list[int]] = {}
    for e in range(len(inp.ready)):
        span = inp.max_span[e]
        key = (
            inp.starts[e] - n,
            inp.ends[e] - n,
            inp.ready[e],
            max(inp.ready[e], inp.shift_end[e] - reserve[e]),
            -1 if span is None else max(0, span - reserve[e]),
            -1 if inp.capacity[e] is None else int(inp.capacity[e] or 0),
            profile[e],
        )
        kinds.setdefault(key, []).append(e)
    return kinds


@dataclass(frozen=True)
class Model:
    """The PyVRP instance and how to read its solutions back into visits and engineers."""

    data: ProblemData
    client_visit: list[int]  # per PyVRP client: our visit index
    type_engineers: list[list[int]]  # per vehicle type: our engineers, in order
    visit_clients: list[list[int]]  # per visit: its clients (one per window)


def build(inp: RoutingInput, *, required: bool = False, break_reserve: float | None = None) -> Model:
    """Translate the routing arrays into a PyVRP ``ProblemData``.

    ``required``: every visit must be served (no prizes); ``break_reserve``: the share of break
    time taken off each shift (default ``BREAK_RESERVE``).
    """
    n = len(inp.windows)
    size = inp.cost.shape[0]
    service = np.zeros(size, dtype=np.int64)
    service[:n] = inp.service
    travel = inp.transit - service[:, None]
    locations = [Location(0.0, 0.0) for _ in range(size)]
    depots = [Depot(location=node) for node in range(n, size)]
    loaded = any(inp.demand) and any(c is not None for c in inp.capacity)
    clients: list[Client] = []
    groups: list[ClientGroup] = []
    client_visit: list[int] = []
    visit_clients: list[list[int]] = []
    for k in range(n):
        prize = None if required else inp.penalty[k]
        must = prize is None
        wins = inp.windows[k]
        ids: list[int] = []
        group = None
        if len(wins) > 1:
            group = len(groups)
            groups.append(ClientGroup(required=must))
        for a, b in wins:
            ids.append(len(clients))
            if group is not None:
                groups[group].add_client(len(clients))
            clients.append(
                Client(
                    location=k,
                    delivery=[inp.demand[k]] if loaded else [],
                    service_duration=int(inp.service[k]),
                    tw_early=int(a),
                    tw_late=int(b),
                    prize=0 if prize is None else int(prize),
                    required=must and group is None,
                    group=group,
                )
            )
            client_visit.append(k)
        visit_clients.append(ids)
    banned, profile = _profiles(inp)
    dist_mats: list[IntMatrix] = []
    dur_mats: list[IntMatrix] = []
    for cut in banned:
        dist = np.ascontiguousarray(inp.cost, dtype=np.int64)
        dur = np.ascontiguousarray(travel, dtype=np.int64)
        if cut:
            cols = np.fromiter(cut, dtype=np.int64)
            dist = dist.copy()
            dur = dur.copy()
            dist[:, cols] = PROHIBITIVE
            dur[:, cols] = PROHIBITIVE
            dist[cols, cols] = 0
            dur[cols, cols] = 0
        dist_mats.append(dist)
        dur_mats.append(dur)
    share = BREAK_RESERVE if break_reserve is None else break_reserve
    reserve = [int(share * sum(d for _, _, d in bs)) for bs in inp.breaks]
    kinds = _vehicle_kinds(inp, profile, reserve)
    total_demand = sum(inp.demand)
    vehicle_types = []
    for (start, end, ready, late, span, cap, prof), members in kinds.items():
        vehicle_types.append(
            VehicleType(
                num_available=len(members),
                capacity=[total_demand if cap < 0 else cap] if loaded else [],
                start_depot=start,
                end_depot=end,
                fixed_cost=inp.fixed_cost,
                tw_early=ready,
                tw_late=late,
                profile=prof,
                shift_duration=UNBOUNDED if span < 0 else span,
            )
        )
    data = ProblemData(
        locations=locations,
        clients=clients,
        depots=depots,
        vehicle_types=vehicle_types,
        distance_matrices=dist_mats,  # type: ignore[arg-type]
        duration_matrices=dur_mats,  # type: ignore[arg-type]
        groups=groups,
    )
    return Model(data, client_visit, list(kinds.values()), visit_clients)


def routes_of(model: Model, solution: Solution, m: int) -> list[list[int]]:
    """Visit indices per engineer of a PyVRP solution."""
    out: list[list[int]] = [[] for _ in range(m)]
    used = [0] * len(model.type_engineers)
    for route in solution.routes():
        t = route.vehicle_type()
        e = model.type_engineers[t][used[t]]
        used[t] += 1
        out[e] = [model.client_visit[a.idx] for a in route.schedule() if a.is_client()]
    return out


def _solution(model: Model, inp: RoutingInput, routes: list[list[int]]) -> Solution | None:
    """A PyVRP solution from visit indices per engineer (first window's client of each)."""
    type_of = {e: t for t, members in enumerate(model.type_engineers) for e in members}
    pv = [
        Route(model.data, [model.visit_clients[k][0] for k in r], type_of[e])
        for e, r in enumerate(routes)
        if r
    ]
    try:
        return Solution(model.data, pv)
    except (ValueError, IndexError, RuntimeError):
        return None


@dataclass
class Result:
    """Routes per engineer (visit indices) and how they were found."""

    routes: list[list[int]]
    seconds: float
    first_solution_s: float | None
    iterations: int
    config: str


class _Deadline:
    """Stop at an absolute ``time.monotonic()`` instant (the same clock in every process)."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def __call__(self, best_cost: int) -> bool:
        return time.monotonic() >= self.deadline


class _Reporter(IteratedLocalSearchCallbacks):
    """Keeps the best feasible solution so far and tells the hook, at most every half second.

    It runs in the search's thread; ``cancel`` (from the caller's thread, under the same lock)
    stops it from calling the hook once the caller has moved on.
    """

    def __init__(self, model: Model, m: int, hook: Improved | None) -> None:
        self.model, self.m, self.hook = model, m, hook
        self.last = 0.0
        self.pending: Solution | None = None
        self.best: Solution | None = None
        self.lock = threading.Lock()
        self.cancelled = False

    def seen(self, solution: Solution) -> None:
        """Note a solution as the best so far (the start, or a new best of the search)."""
        if solution.is_feasible():
            self.best = solution
            self.pending = solution

    def on_best(self, best: Solution) -> None:
        self.seen(best)
        now = time.monotonic()
        if now - self.last >= REPORT_EVERY_S:
            self.flush(now)

    def flush(self, now: float) -> None:
        """Tell the hook about the best solution not yet told."""
        with self.lock:
            if self.hook is not None and self.pending is not None and not self.cancelled:
                self.hook(routes_of(self.model, self.pending, self.m))
                self.pending = None
                self.last = now

    def cancel(self) -> None:
        """The caller has moved on: no more calls of the hook."""
        with self.lock:
            self.cancelled = True


def search(
    inp: RoutingInput,
    deadline: float,
    seed: int = 0,
    initial_routes: list[list[int]] | None = None,
    on_improve: Improved | None = None,
    model: Model | None = None,
    required: bool = False,
    reporter: _Reporter | None = None,
) -> Result | None:
    """Search until the absolute ``deadline`` (``time.monotonic()``); the best feasible routes.

    ``required``: search as if every visit must be served (None if that proves infeasible).
    """
    t0 = time.monotonic()
    model = model or build(inp, required=required)
    data = model.data
    m = len(inp.ready)
    reporter = reporter or _Reporter(model, m, on_improve)
    reporter.model = model
    rng = RandomNumberGenerator(seed=seed)
    ls = LocalSearch(data, rng, compute_neighbours(data), PerturbationManager(PerturbationParams()))
    for op in OPERATORS:
        if op.supports(data):
            ls.add_operator(op(data))
    params = PenaltyParams()
    pm = PenaltyManager(params.midpoint_penalties(data), params)
    init = _solution(model, inp, initial_routes) if initial_routes else None
    if init is None:
        init = ls(Solution.make_random(data, rng), pm.max_cost_evaluator(), exhaustive=True)
    first = time.monotonic() - t0 if init.is_feasible() else None
    reporter.seen(init)
    reporter.flush(time.monotonic())
    ils = IteratedLocalSearch(data, pm, ls, init, IteratedLocalSearchParams(callbacks=reporter))
    result = ils.run(_Deadline(deadline), collect_stats=False)
    reporter.flush(time.monotonic())
    best = result.best
    if not best.is_feasible():
        return None
    return Result(
        routes=routes_of(model, best, m),
        seconds=time.monotonic() - t0,
        first_solution_s=first,
        iterations=result.num_iterations,
        config=f"pyvrp(seed {seed}{', all required' if required else ''})",
    )


def search_in_time(
    inp: RoutingInput,
    deadline: float,
    seed: int = 0,
    initial_routes: list[list[int]] | None = None,
    on_improve: Improved | None = None,
) -> Result | None:
    """``search`` in a thread of its own, given up on at the deadline if it is still busy.

    PyVRP's local search releases the GIL but cannot be interrupted, and on a large day its
    start (neighbourhoods, a first exhaustive descent) can outlast a short limit: the caller
    then gets the best solution the search had reached (or None), on time; the thread stops by
    itself at its next check of the deadline.
    """
    t0 = time.monotonic()
    reporter = _Reporter(cast(Model, None), len(inp.ready), on_improve)
    box: list[Result | None] = []

    def run() -> None:
        try:
            box.append(search(inp, deadline, seed, initial_routes, reporter=reporter))
        except Exception:  # reported as no result: the caller has its own plan
            box.append(None)

    worker = threading.Thread(target=run, name="pyvrp-search", daemon=True)
    worker.start()
    worker.join(timeout=max(0.0, deadline - time.monotonic()) + WAIT_S)
    if box:
        return box[0]
    reporter.cancel()
    best = reporter.best
    if best is None or reporter.model is None:
        return None
    return Result(
        routes=routes_of(reporter.model, best, len(inp.ready)),
        seconds=time.monotonic() - t0,
        first_solution_s=None,
        iterations=0,
        config=f"pyvrp(seed {seed}, stopped at the deadline)",
    )


def _search_task(
    inp: RoutingInput, deadline: float, seed: int, initial: list[list[int]] | None, required: bool
) -> Result | None:
    try:
        return search(inp, deadline, seed, initial, required=required)
    except Exception:  # the helper's failure must not sink the plan: the caller has its own
        return None


_POOL: concurrent.futures.ProcessPoolExecutor | None = None


def _pool() -> concurrent.futures.ProcessPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = concurrent.futures.ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn")
        )
    return _POOL


def close_pool() -> None:
    """Stop the helper process of parallel searches."""
    global _POOL
    if _POOL is not None:
        _POOL.shutdown(wait=True, cancel_futures=True)
        _POOL = None


def _reset_pool() -> None:
    global _POOL
    if _POOL is not None:
        _POOL.shutdown(wait=False, cancel_futures=True)
    _POOL = None


def solve(
    inp: RoutingInput,
    deadline: float,
    *,
    seed: int = 0,
    workers: int = 1,
    initial_routes: list[list[int]] | None = None,
    on_improve: Improved | None = None,
    score: Callable[[list[list[int]]], int] | None = None,
) -> Result | None:
    """One search here and, with two workers, a second one (another seed) in a helper process.

    The second search treats every visit as required: where the whole day fits, that search is
    usually the stronger (no optional-visit moves to try); where it does not, it finds nothing
    and the first search's plan stands. Both stop at ``deadline``, an absolute
    ``time.monotonic()`` instant, so the helper's start-up is paid out of its own search time;
    an answer that is not back by then is not waited for.
    """
    future = None
    if workers > 1:
        try:
            # The helper stops a little early: its answer must be pickled back in time, and its
            # search cannot be given up on mid-step as the thread here can.
            early = deadline - min(HELPER_EARLY_S, 0.05 * max(0.0, deadline - time.monotonic()))
            future = _pool().submit(_search_task, inp, early, seed + 1, initial_routes, True)
        except Exception:
            _reset_pool()
    here = search_in_time(inp, deadline, seed, initial_routes, on_improve)
    other = None
    if future is not None:
        try:
            other = future.result(timeout=max(0.0, deadline - time.monotonic()) + WAIT_S)
        except concurrent.futures.TimeoutError:
            future.cancel()
        except Exception:
            _reset_pool()
    results = [r for r in (here, other) if r is not None]
    if not results:
        return None
    if score is None or len(results) == 1:
        return results[0]
    return min(results, key=lambda r: (score(r.routes), r.config))


def reference(
    inp: RoutingInput, time_limit_s: float, *, seed: int = 0, required: bool = False
) -> list[list[int]]:
    """The benchmark's peer: PyVRP's own ``solve`` with its defaults, on the same integer arrays.

    Breaks are left out entirely (PyVRP has none); routes per engineer (visit indices), which the
    caller re-times and repairs like any other plan.
    """
    from pyvrp import solve as pyvrp_solve
    from pyvrp.stop import MaxRuntime

    model = build(inp, required=required, break_reserve=0.0)
    result = pyvrp_solve(model.data, MaxRuntime(time_limit_s), seed=seed, collect_stats=False)
    return routes_of(model, result.best, len(inp.ready))


__all__ = [
    "Model",
    "Result",
    "build",
    "close_pool",
    "reference",
    "routes_of",
    "search",
    "solve",
    "unsupported",
]
