"""A day too big for one worker: cut it into regions solved apart, then stitch them back.

``split`` cuts the day into geographic regions (k-medoids of the visits' places, engineers handed
out in proportion to each region's work, kind by kind, nearest homes first; a visit nobody in its
region may do moves to the nearest region where someone may; fixed and pinned visits follow
their engineer). Each region is an ordinary ``Problem``: any process, on any machine, can solve
it. ``stitch`` joins the regions' plans and re-plans the whole day from them for the time left:
the search starts from the joined routes and cuts the day again along whole routes around fresh
clusters, so the borders move and the visits near a border are re-planned with both sides'
engineers. Visits of a region whose plan never came back are simply not on the joined routes:
the search and the repair step place them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from optimizer.cluster import allocate_engineers, cluster_points, settle_visits, visit_distances
from optimizer.model import Problem
from optimizer.plan import Plan
from optimizer.prepared import prepare
from optimizer.solver import ProgressHook, solve


def split(problem: Problem, regions: int, *, seed: int = 0) -> list[Problem]:
    """The day as about ``regions`` regional problems (fewer if the day is small)."""
    prep = prepare(problem)
    modelled = [k for k in range(len(problem.visits)) if k not in prep.rejected]
    if regions <= 1 or len(modelled) < 2 or len(problem.engineers) < 2:
        return [problem]
    rng = np.random.default_rng(seed)
    target = math.ceil(len(modelled) / regions)
    clusters = [
        [modelled[i] for i in c] for c in cluster_points(visit_distances(prep, modelled), target, rng)
    ]
    crews = allocate_engineers(prep, clusters)
    clusters = settle_visits(prep, clusters, crews)
    out: list[Problem] = []
    placed: set[int] = set()
    for crew, members in zip(crews, clusters, strict=True):
        if not crew:
            continue
        placed.update(members)
        out.append(
            replace(
                problem,
                engineers=tuple(problem.engineers[e] for e in crew),
                visits=tuple(problem.visits[k] for k in members),
            )
        )
    rest = [problem.visits[k] for k in range(len(problem.visits)) if k not in placed]
    if rest and out:  # visits nobody can do, or no region took: the first region explains them
        first = out[0]
        ids = {e.id for e in first.engineers}
        keep = [v for v in rest if (v.pinned_engineer or v.fixed_engineer) in (None, *ids)]
        out[0] = replace(first, visits=(*first.visits, *keep))
    return out


def joined_routes(plans: Sequence[Plan]) -> dict[str, list[str]]:
    """Engineer id -> visit ids, from the regions' plans."""
    return {r.engineer_id: [s.visit_id for s in r.stops] for p in plans for r in p.routes if r.stops}


def stitch(
    problem: Problem,
    plans: Sequence[Plan],
    *,
    time_limit_s: float,
    seed: int = 0,
    on_progress: ProgressHook | None = None,
) -> Plan:
    """The whole day from the regions' plans, re-planned across the borders for ``time_limit_s``."""
    routes = joined_routes(plans)
    return solve(
        problem, time_limit_s=time_limit_s, seed=seed, initial_routes=routes, on_progress=on_progress
    )
