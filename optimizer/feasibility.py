"""Route schedules and pre-checks: when each stop happens, and whether a visit can be done at all.

The schedule is the earliest one for a given order of stops: service starts as soon as the
engineer is there and the window is open; breaks start as early as their window allows, never
during service, and may interrupt travel or use waiting time. The solver and the insertion query
both rely on this module, so a plan is only ever reported with times computed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from optimizer.model import Break, Engineer, Visit

INF = 1 << 62
OPEN = ((-INF, INF),)


def windows_of(visit: Visit) -> tuple[tuple[int, int], ...]:
    """Start windows of a visit (its fixed start if it is fixed; always open if none)."""
    if visit.fixed_start is not None:
        return ((visit.fixed_start, visit.fixed_start),)
    return visit.windows or OPEN


def start_in(ready: int, windows: tuple[tuple[int, int], ...]) -> int:
    """Earliest service start at or after ``ready`` inside a window, or INF."""
    for a, b in windows:
        if ready <= b:
            return ready if ready > a else a
    return INF


def gap_ready(t: int, travel: int, breaks: Sequence[Break], j: int, k: int) -> int:
    """Ready time at the next place, leaving at ``t`` and taking breaks ``j..k-1`` on the way."""
    c, r = t, travel
    for b in breaks[j:k]:
        s = c if c > b.earliest_start else b.earliest_start
        if s > b.latest_start:
            return INF
        moved = s - c
        r -= moved if moved < r else r
        c = s + b.duration
    return c + r


@dataclass(frozen=True, slots=True)
class StopTimes:
    """Arrival (ready to work), service start and departure of one stop."""

    arrival: int
    start: int
    departure: int


@dataclass(frozen=True, slots=True)
class Schedule:
    """A feasible timetable for one route."""

    departure: int
    stops: tuple[StopTimes, ...]
    breaks: tuple[tuple[int, int], ...]
    end_arrival: int


def _forward(
    engineer: Engineer, visits: Sequence[Visit], legs: Sequence[int], depart: int
) -> tuple[list[list[int]], list[list[int]], int, int] | None:
    """Earliest service starts per (stop, breaks taken); None if infeasible."""
    breaks = engineer.breaks
    nb = len(breaks)
    dep = [INF] * (nb + 1)
    dep[0] = depart
    starts: list[list[int]] = []
    choices: list[list[int]] = []
    for idx, visit in enumerate(visits):
        travel = legs[idx]
        wins = windows_of(visit)
        row = [INF] * (nb + 1)
        pick = [-1] * (nb + 1)
        for k in range(nb + 1):
            for j in range(k + 1):
                if dep[j] >= INF:
                    continue
                ready = dep[j] + travel if j == k else gap_ready(dep[j], travel, breaks, j, k)
                if ready >= INF:
                    continue
                st = start_in(ready, wins)
                if st < row[k]:
                    row[k], pick[k] = st, j
        if all(s >= INF for s in row):
            return None
        starts.append(row)
        choices.append(pick)
        dur = visit.service_duration
        dep = [s + dur if s < INF else INF for s in row]
    travel = legs[len(visits)]
    best, best_j = INF, -1
    for j in range(nb + 1):
        if dep[j] < INF:
            ready = dep[j] + travel if j == nb else gap_ready(dep[j], travel, breaks, j, nb)
            if ready < best:
                best, best_j = ready, j
    if best > engineer.shift_end:
        return None
    return starts, choices, best, best_j


def earliest_end(
    engineer: Engineer, visits: Sequence[Visit], legs: Sequence[int], depart: int | None = None
) -> int | None:
    """Arrival at the end when leaving at ``depart`` (default: ready time); None if infeasible."""
    t0 = engineer.ready_at if depart is None else depart
    result = _forward(engineer, visits, legs, t0)
    return None if result is None else result[2]


def _latest_departure(
    engineer: Engineer, visits: Sequence[Visit], legs: Sequence[int], same_end_as: int | None
) -> int:
    """Latest departure still feasible (and, if given, still reaching the end at that time)."""
    lo, hi = engineer.ready_at, engineer.shift_end
    while lo < hi:
        mid = (lo + hi + 1) // 2
        end = earliest_end(engineer, visits, legs, mid)
        ok = end is not None and (same_end_as is None or end <= same_end_as)
        if ok:
            lo = mid
        else:
            hi = mid - 1
    return lo


def schedule_route(
    engineer: Engineer,
    visits: Sequence[Visit],
    legs: Sequence[int],
    *,
    compact: bool = True,
) -> Schedule | None:
    """Time a route (``legs``: travel seconds start->v0, ..., v_last->end); None if infeasible.

    Checks windows, breaks, shift end, capacity and maximum working time. With ``compact``
    the engineer leaves as late as possible without reaching the end any later.
    """
    if len(legs) != len(visits) + 1:
        raise ValueError("legs must have one more entry than visits")
    if engineer.capacity is not None and sum(v.demand for v in visits) > engineer.capacity:
        return None
    depart = engineer.ready_at
    if not visits:  # an idle engineer needs no timing, breaks included
        return Schedule(depart, (), (), depart)
    first = earliest_end(engineer, visits, legs, depart)
    if first is None:
        return None
    if compact:
        depart = _latest_departure(engineer, visits, legs, first)
    if engineer.max_working_time is not None:
        end = earliest_end(engineer, visits, legs, depart)
        if end is None or end - depart > engineer.max_working_time:
            depart = _latest_departure(engineer, visits, legs, None)
            end = earliest_end(engineer, visits, legs, depart)
            if end is None or end - depart > engineer.max_working_time:
                return None
    return _materialise(engineer, visits, legs, depart)


def closing(engineer: Engineer, travel_home: int) -> Schedule | None:
    """The trip to the end with the breaks still due, leaving when ready (no visits left)."""
    return _materialise(engineer, [], [travel_home], engineer.ready_at)


def _materialise(
    engineer: Engineer, visits: Sequence[Visit], legs: Sequence[int], depart: int
) -> Schedule | None:
    result = _forward(engineer, visits, legs, depart)
    if result is None:
        return None
    starts, choices, end_arrival, end_j = result
    breaks = engineer.breaks
    n, nb = len(visits), len(breaks)
    # Walk back to learn, per stop, how many breaks were taken before it.
    state_after = [0] * n
    taken_before_end = end_j
    k = end_j
    for idx in range(n - 1, -1, -1):
        state_after[idx] = k
        k = choices[idx][k]
    # Replay forward with the chosen states to get break times.
    stops: list[StopTimes] = []
    slots: list[tuple[int, int]] = []
    t, state = depart, 0
    for idx, visit in enumerate(visits):
        target = state_after[idx]
        c, r = t, legs[idx]
        for b in breaks[state:target]:
            s = max(c, b.earliest_start)
            moved = s - c
            r -= min(moved, r)
            c = s + b.duration
            slots.append((s, c))
        arrival = c + r
        start = starts[idx][target]
        stops.append(
            StopTimes(arrival=min(arrival, start), start=start, departure=start + visit.service_duration)
        )
        t, state = start + visit.service_duration, target
    c, r = t, legs[n]
    for b in breaks[taken_before_end:nb]:
        s = max(c, b.earliest_start)
        r -= min(s - c, r)
        c = s + b.duration
        slots.append((s, c))
    return Schedule(depart, tuple(stops), tuple(slots), end_arrival)


class RouteCursor:
    """A route built by appending stops, keeping the earliest departure per breaks taken."""

    __slots__ = ("dep", "engineer", "load")

    def __init__(self, engineer: Engineer) -> None:
        self.engineer = engineer
        self.dep = [INF] * (len(engineer.breaks) + 1)
        self.dep[0] = engineer.ready_at
        self.load = 0

    def after(self, visit: Visit, travel: int) -> list[int] | None:
        """Departure states after appending ``visit`` reached in ``travel`` seconds, or None."""
        e = self.engineer
        if e.capacity is not None and self.load + visit.demand > e.capacity:
            return None
        return advance(e, self.dep, visit, travel)

    def end_time(self, dep: list[int], travel_home: int) -> int:
        """Arrival at the end from departure states ``dep`` (INF if the breaks cannot fit)."""
        return end_arrival(self.engineer, dep, travel_home)

    def fits(self, dep: list[int], travel_home: int) -> bool:
        """True if the route can still end in time (and within max working time) from ``dep``."""
        end = self.end_time(dep, travel_home)
        e = self.engineer
        if end > e.shift_end:
            return False
        return e.max_working_time is None or end - e.ready_at <= e.max_working_time

    def push(self, visit: Visit, dep: list[int]) -> None:
        """Commit an append computed by ``after``."""
        self.dep = dep
        self.load += visit.demand


def advance(engineer: Engineer, dep: Sequence[int], visit: Visit, travel: int) -> list[int] | None:
    """Departure states (per breaks taken) after going on to ``visit``; None if impossible."""
    breaks, nb = engineer.breaks, len(engineer.breaks)
    wins = windows_of(visit)
    row = [INF] * (nb + 1)
    for k in range(nb + 1):
        for j in range(k + 1):
            if dep[j] >= INF:
                continue
            ready = dep[j] + travel if j == k else gap_ready(dep[j], travel, breaks, j, k)
            st = start_in(ready, wins) if ready < INF else INF
            if st < row[k]:
                row[k] = st
    if all(s >= INF for s in row):
        return None
    return [s + visit.service_duration if s < INF else INF for s in row]


def end_arrival(engineer: Engineer, dep: Sequence[int], travel_home: int) -> int:
    """Arrival at the end from departure states ``dep``, all breaks taken (INF if impossible)."""
    breaks, nb = engineer.breaks, len(engineer.breaks)
    best = INF
    for j in range(nb + 1):
        if dep[j] < INF:
            t = dep[j] + travel_home if j == nb else gap_ready(dep[j], travel_home, breaks, j, nb)
            best = min(best, t)
    return best


def prefix_states(engineer: Engineer, visits: Sequence[Visit], legs: Sequence[int]) -> list[list[int]]:
    """Earliest departure states at the start and after each stop (INF rows once infeasible)."""
    dep = [INF] * (len(engineer.breaks) + 1)
    dep[0] = engineer.ready_at
    out = [dep]
    for visit, travel in zip(visits, legs, strict=False):
        nxt = advance(engineer, dep, visit, travel)
        dep = nxt if nxt is not None else [INF] * len(dep)
        out.append(dep)
    return out
