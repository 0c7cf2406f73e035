"""The greedy dispatcher: what a person does by hand, used as a baseline and as a fallback.

Visits are taken in order of their earliest window start; each goes to the nearest engineer
(from where that engineer currently is) who has the skills and can still make the window
without missing the end of the shift.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from optimizer.feasibility import RouteCursor, windows_of
from optimizer.model import Engineer, Visit
from optimizer.travel import IntMatrix


def greedy_routes(
    engineers: Sequence[Engineer],
    visits: Sequence[Visit],
    allowed: Sequence[Sequence[int]],
    dist: IntMatrix,
    dur: IntMatrix,
    visit_loc: Sequence[int],
    start_loc: Sequence[int],
    end_loc: Sequence[int | None],
) -> list[list[int]]:
    """Return visit indices per engineer, built by nearest-feasible-engineer dispatch."""
    cursors = [RouteCursor(e) for e in engineers]
    where = list(start_loc)
    routes: list[list[int]] = [[] for _ in engineers]
    order = sorted(
        (k for k in range(len(visits)) if allowed[k]),
        key=lambda k: (0 if visits[k].is_fixed else 1, windows_of(visits[k])[0][0], k),
    )
    where_arr = np.asarray(where, dtype=np.int64)
    allowed_arr = [np.asarray(sorted(a), dtype=np.int64) for a in allowed]
    for k in order:
        loc = visit_loc[k]
        ok = allowed_arr[k]
        # Nearest first (ties by engineer index: a stable sort of the index-ordered list).
        cands = ok[np.argsort(dist[where_arr[ok], loc], kind="stable")]
        for e in (int(x) for x in cands):
            dep = cursors[e].after(visits[k], int(dur[where[e], loc]))
            if dep is None:
                continue
            home = 0 if end_loc[e] is None else int(dur[loc, end_loc[e]])
            if not cursors[e].fits(dep, home):
                continue
            cursors[e].push(visits[k], dep)
            routes[e].append(k)
            where[e] = loc
            where_arr[e] = loc
            break
    return routes


def route_distance(
    route: Sequence[int],
    visit_loc: Sequence[int],
    start: int,
    end: int | None,
    dist: IntMatrix,
) -> int:
    """Metres driven along a route of visit indices."""
    if not route:
        return 0
    path = [start, *(visit_loc[k] for k in route)]
    if end is not None:
        path.append(end)
    idx = np.asarray(path, dtype=np.int64)
    return int(dist[idx[:-1], idx[1:]].sum())
