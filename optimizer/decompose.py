"""Large days by decomposition: solve geographic parts of the day, then re-cut and improve.

1. Cut: visits are clustered by place (``cluster.py``); each cluster receives engineers in
   proportion to its work, kind by kind (skills, hours), nearest homes first.
2. Build: every part is an ordinary routing problem of about ``part_size`` visits, small enough
   for OR-Tools to model the breaks; parts are solved two at a time on two workers.
3. Improve: in rounds, the day is cut again with another seed, now along whole routes (each
   route goes to the cluster holding most of its visits, idle engineers to the nearest parts,
   left-out visits to a part with an engineer who may do them); each part is searched from the
   current routes and kept only if it got better. Borders move from round to round, so visits
   near a border are re-planned with both sides' engineers.

Every route is checked with the exact timing of ``feasibility.py`` before it is kept, the parts'
order and results are merged in part order, and all cuts are seeded: same input and seed, same
parts.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from optimizer import _ortools
from optimizer.cluster import allocate_engineers, cluster_points, medoid_of, settle_visits, visit_distances
from optimizer.prepared import Prepared, fit_route, routing_input, score

PART_SIZE = 120
"""Visits per part when not set: on the 1,000- and 2,000-visit demo city at 30 s, parts of 120-160
ended 32-35 % below the greedy travel, parts of 200 only 29 % (fewer search steps per part)."""
TWO_PARTS_UP_TO = 400
"""Up to this many visits (and two workers) the day is cut in two, one part per core: the 400-visit
city ended 36 % below greedy so, against 32 % with four parts of 100."""
BUILD_CONFIGS = ("pci-lns", "pci-lns-small")
"""Searches that build the first plan of each part (alternating, so both flavours run at once)."""
IMPROVE_CONFIGS = ("warm-lns", "warm-lns-small")
"""Searches that improve a part from its current routes."""
BREAKS_UP_TO = 250
"""Parts up to this many visits model breaks in OR-Tools (above, the timing step places them)."""


@dataclass(frozen=True)
class Part:
    """Some engineers and the visits they plan among themselves (indices into the problem)."""

    engineers: list[int]
    visits: list[int]


@dataclass
class Progress:
    """What the decomposed search did: for the plan's stats and the benchmark."""

    first_plan_s: float | None = None
    rounds: int = 0
    parts_improved: int = 0
    parts_tried: int = 0


def part_size_for(n_visits: int, workers: int, requested: int | None) -> int:
    """Visits per part: as requested, else two parts on small days with two workers, else 120."""
    if requested is not None:
        return max(1, requested)
    if workers > 1 and n_visits <= TWO_PARTS_UP_TO:
        return math.ceil(n_visits / 2)
    return PART_SIZE


def sub_prepared(prep: Prepared, part: Part) -> Prepared:
    """The part as a problem of its own (sharing the full travel matrix)."""
    problem = prep.problem
    pos = {e: i for i, e in enumerate(part.engineers)}
    sub = replace(
        problem,
        engineers=tuple(problem.engineers[e] for e in part.engineers),
        visits=tuple(problem.visits[k] for k in part.visits),
    )
    return Prepared(
        problem=sub,
        dist=prep.dist,
        dur=prep.dur,
        visit_loc=[prep.visit_loc[k] for k in part.visits],
        start_loc=[prep.start_loc[e] for e in part.engineers],
        end_loc=[prep.end_loc[e] for e in part.engineers],
        allowed=[[pos[e] for e in prep.allowed[k] if e in pos] for k in part.visits],
        rejected={},
    )


def solve_large(
    prep: Prepared,
    modelled: list[int],
    *,
    t0: float,
    deadline: float,
    seed: int,
    workers: int,
    part_size: int,
    initial: list[list[int]] | None = None,
    on_round: Callable[[list[list[int]]], None] | None = None,
) -> tuple[list[list[int]], Progress]:
    """Routes (visit indices per engineer) for a large day, by parts; always returns routes."""
    m = len(prep.problem.engineers)
    progress = Progress()
    rng = np.random.default_rng(seed)
    if initial is not None:
        routes = [_fit(prep, e, list(r)) for e, r in enumerate(initial)]
        progress.first_plan_s = time.monotonic() - t0
    else:
        parts = first_cut(prep, modelled, part_size, rng)
        slots = math.ceil(len(parts) / (2 if workers > 1 else 1))
        left = deadline - time.monotonic()
        budget = max(0.05, min(4.0, max(0.3, 0.2 * left / max(1, slots)), left / max(1, slots)))
        routes = [[] for _ in range(m)]
        results = _solve_parts(prep, parts, budget, workers, seed, warm=None)
        for part, new in zip(parts, results, strict=True):
            if new is not None:
                for i, e in enumerate(part.engineers):
                    routes[e] = new[i]
        progress.first_plan_s = time.monotonic() - t0
    if on_round is not None:
        on_round(routes)
    while deadline - time.monotonic() >= 0.4:
        parts = recut(prep, modelled, routes, part_size, rng)
        left = deadline - time.monotonic()
        slots = math.ceil(len(parts) / (2 if workers > 1 else 1))
        budget = min(6.0, left / max(1, slots), max(1.0, left / (2 * max(1, slots))))
        if budget < 0.4:
            break
        progress.rounds += 1
        current = [[routes[e] for e in p.engineers] for p in parts]
        results = _solve_parts(prep, parts, budget, workers, seed + progress.rounds, warm=current)
        for part, old, new in zip(parts, current, results, strict=True):
            progress.parts_tried += 1
            if new is None:
                continue
            sub = sub_prepared(prep, part)
            local = {k: i for i, k in enumerate(part.visits)}
            inp = routing_input(sub, list(range(len(part.visits))), reserve_breaks=True)
            before = score(inp, [[local[k] for k in r] for r in old])
            after = score(inp, [[local[k] for k in r] for r in new])
            if after < before:
                progress.parts_improved += 1
                for i, e in enumerate(part.engineers):
                    routes[e] = new[i]
        if on_round is not None:
            on_round(routes)
    return routes, progress


def _fit(prep: Prepared, e: int, seq: list[int]) -> list[int]:
    kept, _ = fit_route(prep, e, seq)
    return kept


def _solve_parts(
    prep: Prepared,
    parts: Sequence[Part],
    budget: float,
    workers: int,
    seed: int,
    warm: Sequence[Sequence[Sequence[int]]] | None,
) -> list[list[list[int]] | None]:
    """Search every part; routes per part (per engineer, full visit indices) that fit exactly."""
    tasks: list[_ortools.Task] = []
    subs: list[Prepared] = []
    for i, part in enumerate(parts):
        sub = sub_prepared(prep, part)
        subs.append(sub)
        inp = routing_input(
            sub, list(range(len(part.visits))), reserve_breaks=len(part.visits) > BREAKS_UP_TO
        )
        names = IMPROVE_CONFIGS if warm is not None else BUILD_CONFIGS
        name = names[i % len(names)]
        start = None
        if warm is not None:
            local = {k: j for j, k in enumerate(part.visits)}
            start = [[local[k] for k in r] for r in warm[i]]
        tasks.append(_ortools.Task(inp, replace(_ortools.CONFIGS[name], seed=seed + i), budget, start))
    out: list[list[list[int]] | None] = []
    for part, sub, result in zip(parts, subs, _ortools.solve_tasks(tasks, workers), strict=True):
        if result is None:
            out.append(None)
            continue
        out.append([[part.visits[k] for k in _fit(sub, i, r)] for i, r in enumerate(result.routes)])
    return out


def first_cut(prep: Prepared, modelled: list[int], part_size: int, rng: np.random.Generator) -> list[Part]:
    """Cluster the visits by place and give each cluster its engineers."""
    clusters = [
        [modelled[i] for i in c] for c in cluster_points(visit_distances(prep, modelled), part_size, rng)
    ]
    crews = allocate_engineers(prep, clusters)
    clusters = settle_visits(prep, clusters, crews)
    return [Part(crew, vs) for crew, vs in zip(crews, clusters, strict=True) if crew]


def recut(
    prep: Prepared,
    modelled: list[int],
    routes: list[list[int]],
    part_size: int,
    rng: np.random.Generator,
) -> list[Part]:
    """Cut the day along whole routes around fresh clusters of the visits."""
    m = len(prep.problem.engineers)
    clusters = [
        [modelled[i] for i in c] for c in cluster_points(visit_distances(prep, modelled), part_size, rng)
    ]
    g = len(clusters)
    label = {k: c for c, members in enumerate(clusters) for k in members}
    crews: list[list[int]] = [[] for _ in range(g)]
    idle: list[int] = []
    for e in range(m):
        if routes[e]:
            votes = np.bincount([label[k] for k in routes[e]], minlength=g)
            crews[int(np.argmax(votes))].append(e)
        else:
            idle.append(e)
    centre = [medoid_of(prep, c) for c in clusters]
    quota = math.ceil(len(idle) / max(1, g))
    pairs = sorted((int(prep.dur[prep.start_loc[e], centre[c]]), e, c) for e in idle for c in range(g))
    placed: set[int] = set()
    taken = [0] * g
    for _, e, c in pairs:
        if e in placed or taken[c] >= quota:
            continue
        placed.add(e)
        taken[c] += 1
        crews[c].append(e)
    served = {k for r in routes for k in r}
    visits: list[list[int]] = [[k for e in crew for k in routes[e]] for crew in crews]
    crew_sets = [set(c) for c in crews]
    for k in modelled:
        if k in served:
            continue
        ok = set(prep.allowed[k])
        options = [c for c in range(g) if crew_sets[c] & ok]
        if not options:
            continue
        home = label[k]
        loc = prep.visit_loc[k]
        best = home if home in options else min(options, key=lambda c: (int(prep.dist[loc, centre[c]]), c))
        visits[best].append(k)
    return [Part(sorted(crew), vs) for crew, vs in zip(crews, visits, strict=True) if crew and vs]
