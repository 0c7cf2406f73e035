"""Putting left-out visits back: where they fit, else by moving one or two planned visits.

For each visit the search left out (most urgent first) the repair tries, in this order:

1. direct insertion: the cheapest position on any qualified engineer's route that keeps every
   promise (windows, breaks, shift end, capacity, working time);
2. one ejection chain: put it on a nearby route in place of a planned visit, which must itself
   go elsewhere, directly or by moving one more visit in turn (a chain of up to two moves);
3. two out, one in: take two planned visits off a nearby route to make room, and put each of
   them on another route.

Every check is the exact earliest-schedule recursion of ``feasibility.py`` (prefix states, then
forward until the new timing is no later than the old). Fixed and pinned visits never move. A
visit still left out after all this truly found no room on the routes we tried.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from optimizer.feasibility import INF, advance, end_arrival, prefix_states, schedule_route
from optimizer.prepared import Prepared, engineer_cost

NEAR_ROUTES = 10
"""Routes (nearest first) where a left-out visit may push a planned visit out."""
NEAR_MOVES = 40
"""Ejection candidates tried per visit and level, cheapest first."""


@dataclass
class _Route:
    seq: list[int]
    legs: list[int]  # travel seconds into each stop, then to the end
    states: list[list[int]]
    load: int
    prevs: npt.NDArray[np.int64]  # per insertion position: the place before
    nexts: npt.NDArray[np.int64]  # ... and the place after (-1: the open end)
    base: npt.NDArray[np.int64]  # ... and the cost of the leg between them today


class Board:
    """All routes in visit-index form, with cached timing, for exact insertion checks."""

    def __init__(self, prep: Prepared, routes: Sequence[Sequence[int]]) -> None:
        self.prep = prep
        self.seqs = [list(r) for r in routes]
        self._cache: dict[int, _Route] = {}
        opts = prep.problem.options
        self._cph = opts.cost_per_travel_hour
        self._cost = prep.dist + (prep.dur * self._cph) // 3600 if self._cph else prep.dist

    def route(self, e: int) -> _Route:
        """Cached timing of engineer e's route."""
        r = self._cache.get(e)
        if r is None:
            seq = self.seqs[e]
            legs, _ = self.prep.legs(e, seq)
            eng = self.prep.problem.engineers[e]
            visits = [self.prep.problem.visits[k] for k in seq]
            prevs = np.asarray(
                [self.prep.start_loc[e], *(self.prep.visit_loc[k] for k in seq)], dtype=np.int64
            )
            end = self.prep.end_loc[e]
            nexts = np.asarray(
                [*(self.prep.visit_loc[k] for k in seq), -1 if end is None else end], dtype=np.int64
            )
            base = np.where(nexts < 0, 0, self._cost[prevs, np.maximum(nexts, 0)])
            r = _Route(
                seq,
                legs,
                prefix_states(eng, visits, legs),
                sum(v.demand for v in visits),
                prevs,
                nexts,
                base,
            )
            self._cache[e] = r
        return r

    def set(self, e: int, seq: list[int]) -> None:
        """Replace engineer e's route."""
        self.seqs[e] = seq
        self._cache.pop(e, None)

    def place(self, e: int, p: int) -> tuple[int, int | None]:
        """(place before, place after) of insertion position p on e's route (None: open end)."""
        seq = self.seqs[e]
        prev = self.prep.start_loc[e] if p == 0 else self.prep.visit_loc[seq[p - 1]]
        nxt = self.prep.end_loc[e] if p == len(seq) else self.prep.visit_loc[seq[p]]
        return prev, nxt

    def detours(self, e: int, k: int) -> npt.NDArray[np.int64]:
        """Extra cost of visit k at each position of e's route (moves and first use included)."""
        r = self.route(e)
        loc = self.prep.visit_loc[k]
        back = np.where(r.nexts < 0, 0, self._cost[loc, np.maximum(r.nexts, 0)])
        extra = self._cost[r.prevs, loc] + back - r.base
        opts = self.prep.problem.options
        extra = extra + engineer_cost(self.prep.problem, k, self.prep.problem.engineers[e].id)
        if not r.seq:
            extra = extra + opts.vehicle_fixed_cost
        return np.asarray(extra, dtype=np.int64)

    def fits(self, e: int, k: int, p: int) -> bool:
        """Exact check: does e's route keep every promise with visit k at position p?"""
        prep = self.prep
        eng = prep.problem.engineers[e]
        visit = prep.problem.visits[k]
        r = self.route(e)
        if eng.capacity is not None and r.load + visit.demand > eng.capacity:
            return False
        prev, nxt = self.place(e, p)
        loc = prep.visit_loc[k]
        t_in = int(prep.dur[prev, loc])
        t_out = 0 if nxt is None else int(prep.dur[loc, nxt])
        if eng.max_working_time is not None:
            seq = [*r.seq[:p], k, *r.seq[p:]]
            legs = [*r.legs[:p], t_in, t_out, *r.legs[p + 1 :]]
            visits = [prep.problem.visits[q] for q in seq]
            return schedule_route(eng, visits, legs, compact=False) is not None
        dep = r.states[p]
        if all(d >= INF for d in dep):
            return False
        step = advance(eng, dep, visit, t_in)
        if step is None:
            return False
        dep = step
        n = len(r.seq)
        for q in range(p, n):
            step = advance(eng, dep, prep.problem.visits[r.seq[q]], t_out if q == p else r.legs[q])
            if step is None:
                return False
            dep = step
            if all(a <= b for a, b in zip(dep, r.states[q + 1], strict=True)):
                return True  # no later than before from here on: the rest still fits
        home = t_out if p == n else r.legs[n]
        return end_arrival(eng, dep, home) <= eng.shift_end

    def best_insertion(self, k: int, engineers: Iterable[int]) -> tuple[int, int, int] | None:
        """(extra cost, engineer, position) of the cheapest insertion that fits, or None."""
        moves = [(int(c), e, p) for e in engineers for p, c in enumerate(self.detours(e, k))]
        moves.sort()
        for cost, e, p in moves:
            if self.fits(e, k, p):
                return cost, e, p
        return None

    def insert(self, e: int, k: int, p: int) -> None:
        """Put visit k at position p of e's route."""
        seq = self.seqs[e]
        self.set(e, [*seq[:p], k, *seq[p:]])


def _movable(prep: Prepared, k: int) -> bool:
    v = prep.problem.visits[k]
    return not v.is_fixed and v.pinned_engineer is None


def _near_routes(board: Board, k: int, engineers: Iterable[int], banned: set[int]) -> list[int]:
    """Qualified engineers whose route passes nearest to visit k (non-empty routes first)."""
    prep = board.prep
    loc = prep.visit_loc[k]
    scored = []
    for e in engineers:
        if e in banned or not board.seqs[e]:
            continue
        places = [prep.start_loc[e], *(prep.visit_loc[q] for q in board.seqs[e])]
        scored.append((int(np.min(prep.dist[places, loc])), e))
    return [e for _, e in sorted(scored)[:NEAR_ROUTES]]


def _near_idle(board: Board, k: int, engineers: Iterable[int], count: int = 3) -> list[int]:
    """The qualified idle engineers whose start is nearest to visit k."""
    prep = board.prep
    loc = prep.visit_loc[k]
    idle = sorted((int(prep.dist[prep.start_loc[e], loc]), e) for e in engineers if not board.seqs[e])
    return [e for _, e in idle[:count]]


class Repair:
    """One repair pass over a board; every change is journaled so a failed attempt is undone."""

    def __init__(self, board: Board, deadline: float) -> None:
        self.board = board
        self.deadline = deadline
        self.journal: list[tuple[int, list[int]]] = []

    def _set(self, e: int, seq: list[int]) -> None:
        self.journal.append((e, self.board.seqs[e]))
        self.board.set(e, seq)

    def _undo(self, mark: int) -> None:
        while len(self.journal) > mark:
            e, seq = self.journal.pop()
            self.board.set(e, seq)

    def direct(self, k: int, banned: set[int], *, wide: bool = False) -> bool:
        """Insert k where it is cheapest and fits, on a route not in ``banned``.

        ``wide``: any qualified engineer; else the routes passing nearest and the nearest idle.
        """
        board = self.board
        allowed = [e for e in board.prep.allowed[k] if e not in banned]
        if not wide:
            allowed = _near_routes(board, k, allowed, banned) + _near_idle(board, k, allowed)
        best = board.best_insertion(k, allowed)
        if best is None:
            return False
        _, e, p = best
        seq = self.board.seqs[e]
        self._set(e, [*seq[:p], k, *seq[p:]])
        return True

    def chain(self, k: int, depth: int, banned: set[int], *, wide: bool = False) -> bool:
        """Insert k, pushing out at most ``depth`` planned visits one after another."""
        if self.direct(k, banned, wide=wide):
            return True
        if depth == 0 or time.monotonic() > self.deadline:
            return False
        board = self.board
        options: list[tuple[int, int, int, list[int]]] = []
        for e in _near_routes(board, k, board.prep.allowed[k], banned):
            seq = board.seqs[e]
            for i, u in enumerate(seq):
                if not _movable(board.prep, u):
                    continue
                with_k = self._swap_in(e, [*seq[:i], *seq[i + 1 :]], k)
                if with_k is not None:
                    options.append((with_k[0], u, e, with_k[1]))
        options.sort(key=lambda o: (o[0], o[1], o[2]))
        for _, u, e, new_seq in options[:NEAR_MOVES]:
            if time.monotonic() > self.deadline:
                return False
            mark = len(self.journal)
            self._set(e, new_seq)
            if self.chain(u, depth - 1, banned | {e}):
                return True
            self._undo(mark)
        return False

    def _swap_in(self, e: int, without: list[int], k: int) -> tuple[int, list[int]] | None:
        """(cost, route) of e's route without some visits and with k where it fits best."""
        mark = len(self.journal)
        self._set(e, without)
        best = self.board.best_insertion(k, [e])
        self._undo(mark)
        if best is None:
            return None
        cost, _, p = best
        return cost, [*without[:p], k, *without[p:]]

    def two_out(self, k: int) -> bool:
        """Take two planned visits off one nearby route for k; each must fit on another route."""
        board = self.board
        for e in _near_routes(board, k, board.prep.allowed[k], set()):
            seq = board.seqs[e]
            movable = [i for i, u in enumerate(seq) if _movable(board.prep, u)]
            for a in range(len(movable)):
                for b in range(a + 1, len(movable)):
                    if time.monotonic() > self.deadline:
                        return False
                    i, j = movable[a], movable[b]
                    without = [u for t, u in enumerate(seq) if t not in (i, j)]
                    with_k = self._swap_in(e, without, k)
                    if with_k is None:
                        continue
                    mark = len(self.journal)
                    self._set(e, with_k[1])
                    if self.direct(seq[i], {e}) and self.direct(seq[j], {e}):
                        return True
                    self._undo(mark)
        return False


def repair_left_out(
    prep: Prepared, routes: Sequence[Sequence[int]], modelled: Sequence[int], deadline: float
) -> tuple[list[list[int]], set[int]]:
    """Put back what fits; return the routes and the left-out visits that were fully tried.

    ``routes`` must already fit the exact timing (``prepared.fit_route``).
    """
    board = Board(prep, routes)
    served = {k for r in routes for k in r}
    visits = prep.problem.visits
    todo = sorted((k for k in modelled if k not in served), key=lambda k: (-visits[k].priority, k))
    tried: set[int] = set()
    for k in todo:
        if time.monotonic() > deadline:
            break
        rep = Repair(board, deadline)
        if rep.chain(k, 2, set(), wide=True) or rep.two_out(k):
            rep.journal.clear()
            continue
        rep._undo(0)
        if time.monotonic() <= deadline:
            tried.add(k)
    return board.seqs, tried
