"""Short "why this engineer" notes for each stop of a plan."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from optimizer.prepared import Prepared


def clock(seconds: int) -> str:
    """Format seconds from the origin as HH:MM (days beyond the first add +Nd)."""
    days, rest = divmod(int(seconds), 86_400)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}"
    return f"{text}+{days}d" if days else text


def explain_stop(prep: Prepared, engineer: int, route: Sequence[int], position: int) -> str:
    """One sentence on why this visit sits with this engineer at this point of the route."""
    problem = prep.problem
    k = route[position]
    visit = problem.visits[k]
    eng = problem.engineers[engineer]
    if visit.is_fixed:
        return "already started or done: kept as recorded"
    if visit.pinned_engineer == eng.id:
        return "pinned to this engineer by the dispatcher"
    parts: list[str] = []
    if eng.id in visit.avoid_engineers:
        parts.append("the customer rated this engineer 1-2 before; no other engineer fitted")
    elif visit.avoid_engineers:
        parts.append("kept away from an engineer the customer rated 1-2")
    if visit.previous_engineer == eng.id:
        parts.append("kept on the published route")
    n_ok, n_all = len(prep.allowed[k]), len(problem.engineers)
    if visit.required_skills:
        skills = ", ".join(sorted(visit.required_skills))
        parts.append(f"{n_ok} of {n_all} engineers can do it ({skills})")
    here = prep.visit_loc[k]
    prev = prep.start_loc[engineer] if position == 0 else prep.visit_loc[route[position - 1]]
    if position + 1 < len(route):
        nxt: int | None = prep.visit_loc[route[position + 1]]
    else:
        nxt = prep.end_loc[engineer]
    leg = int(prep.dist[prev, here])
    detour = leg + (int(prep.dist[here, nxt]) - int(prep.dist[prev, nxt]) if nxt is not None else 0)
    where = "from the start" if position == 0 else "from the previous stop"
    parts.append(f"{leg / 1000:.1f} km {where}, adds {max(0, detour) / 1000:.1f} km to the route")
    # Is any other allowed engineer's start closer? Then clustering, not proximity, decided.
    nearest = None
    if prep.allowed[k]:
        ok = np.asarray(prep.allowed[k], dtype=np.int64)
        starts = np.asarray(prep.start_loc, dtype=np.int64)[ok]
        nearest = int(ok[int(np.argmin(prep.dist[starts, here]))])  # first of the nearest, as min()
    if nearest == engineer:
        parts.append("nearest qualified engineer")
    if visit.windows:
        a, b = visit.windows[0] if len(visit.windows) == 1 else min(visit.windows)
        parts.append(f"window {clock(a)}-{clock(b)}")
    return "; ".join(parts)
