"""Short "why this engineer" notes for each stop of a plan."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from optimizer.notes import Note

if TYPE_CHECKING:
    from optimizer.prepared import Prepared


def clock(seconds: int) -> str:
    """Format seconds from the origin as HH:MM (days beyond the first add +Nd)."""
    days, rest = divmod(int(seconds), 86_400)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}"
    return f"{text}+{days}d" if days else text


def explain_stop(prep: Prepared, engineer: int, route: Sequence[int], position: int) -> tuple[Note, ...]:
    """Why this visit sits with this engineer at this point of the route (see :mod:`optimizer.notes`)."""
    problem = prep.problem
    k = route[position]
    visit = problem.visits[k]
    eng = problem.engineers[engineer]
    if visit.is_fixed:
        return (Note.of("fixed"),)
    if visit.pinned_engineer == eng.id:
        return (Note.of("pinned"),)
    parts: list[Note] = []
    if eng.id in visit.avoid_engineers:
        parts.append(Note.of("avoided_but_only_one"))
    elif visit.avoid_engineers:
        parts.append(Note.of("kept_away"))
    if visit.previous_engineer == eng.id:
        parts.append(Note.of("kept"))
    n_ok, n_all = len(prep.allowed[k]), len(problem.engineers)
    if visit.required_skills:
        skills = ", ".join(sorted(visit.required_skills))
        parts.append(Note.of("qualified_share", qualified=n_ok, engineers=n_all, skills=skills))
    here = prep.visit_loc[k]
    prev = prep.start_loc[engineer] if position == 0 else prep.visit_loc[route[position - 1]]
    if position + 1 < len(route):
        nxt: int | None = prep.visit_loc[route[position + 1]]
    else:
        nxt = prep.end_loc[engineer]
    leg = int(prep.dist[prev, here])
    detour = leg + (int(prep.dist[here, nxt]) - int(prep.dist[prev, nxt]) if nxt is not None else 0)
    where = "leg_from_start" if position == 0 else "leg_from_previous"
    parts.append(Note.of(where, leg_km=f"{leg / 1000:.1f}", detour_km=f"{max(0, detour) / 1000:.1f}"))
    # Is any other allowed engineer's start closer? Then clustering, not proximity, decided.
    nearest = None
    if prep.allowed[k]:
        ok = np.asarray(prep.allowed[k], dtype=np.int64)
        starts = np.asarray(prep.start_loc, dtype=np.int64)[ok]
        nearest = int(ok[int(np.argmin(prep.dist[starts, here]))])  # first of the nearest, as min()
    if nearest == engineer:
        parts.append(Note.of("nearest"))
    if visit.windows:
        a, b = visit.windows[0] if len(visit.windows) == 1 else min(visit.windows)
        parts.append(Note.of("window", start=clock(a), end=clock(b)))
    return tuple(parts)
