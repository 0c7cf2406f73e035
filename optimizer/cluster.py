"""Cutting a large day into parts: visits by place (k-medoids), engineers by work and skills.

Everything here works on the travel matrix, not on coordinates, so it means the same with the
haversine, Euclidean or OSRM providers. All choices are seeded and tie-broken by index, so the
same problem and seed always give the same parts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from optimizer.prepared import Prepared

IntArray = npt.NDArray[np.int64]


def medoids(d: IntArray, k: int, rng: np.random.Generator, iters: int = 25) -> tuple[IntArray, list[int]]:
    """k-medoids on a symmetric distance matrix: (cluster of each point, medoid of each cluster).

    Seeded k-means++ start, then alternate "nearest medoid" and "member closest to all others".
    """
    n = d.shape[0]
    k = max(1, min(k, n))
    centers = [int(rng.integers(n))]
    closest = d[centers[0]].astype(np.float64)
    while len(centers) < k:
        weights = closest**2
        total = float(weights.sum())
        if total <= 0:  # every point sits on a medoid already
            rest = [i for i in range(n) if i not in set(centers)]
            centers.append(rest[0])
        else:
            centers.append(int(rng.choice(n, p=weights / total)))
        closest = np.minimum(closest, d[centers[-1]])
    labels = np.argmin(d[:, centers], axis=1)
    for _ in range(iters):
        new = []
        for j, c in enumerate(centers):
            members = np.flatnonzero(labels == j)
            if members.size == 0:
                new.append(c)
                continue
            new.append(int(members[np.argmin(d[np.ix_(members, members)].sum(axis=1))]))
        if new == centers:
            break
        centers = new
        labels = np.argmin(d[:, centers], axis=1)
    return labels.astype(np.int64), centers


def cluster_points(d: IntArray, target: int, rng: np.random.Generator) -> list[list[int]]:
    """Split points into geographic clusters of about ``target`` (none above 1.4 x ``target``)."""
    n = d.shape[0]
    if n == 0:
        return []
    labels, _ = medoids(d, math.ceil(n / target), rng)
    todo = [np.flatnonzero(labels == j) for j in range(int(labels.max()) + 1)]
    out: list[list[int]] = []
    while todo:
        members = todo.pop(0)
        if members.size == 0:
            continue
        if members.size <= 1.4 * target:
            out.append([int(x) for x in members])
            continue
        sub, _ = medoids(d[np.ix_(members, members)], math.ceil(members.size / target), rng)
        if int(sub.max()) == 0:  # cannot split (all in one place): cut by index
            half = members.size // 2
            todo.extend([members[:half], members[half:]])
        else:
            todo.extend(members[sub == j] for j in range(int(sub.max()) + 1))
    return out


def visit_distances(prep: Prepared, visits: Sequence[int]) -> IntArray:
    """Symmetric distances (there and back) between the places of ``visits``."""
    loc = np.asarray([prep.visit_loc[k] for k in visits], dtype=np.int64)
    d = prep.dist[np.ix_(loc, loc)]
    return np.asarray(d + d.T, dtype=np.int64)


def medoid_of(prep: Prepared, visits: Sequence[int]) -> int:
    """The place (location index) closest overall to the other visits."""
    d = visit_distances(prep, visits)
    return prep.visit_loc[visits[int(np.argmin(d.sum(axis=1)))]]


MAX_KINDS = 64
"""Above this many kinds of visit, kinds are told apart by skills alone (keeps the hand-out fast)."""


def _profile(prep: Prepared, e: int, fine: bool) -> tuple[object, ...]:
    """What makes engineers interchangeable for the hand-out: skills, and hours to the half hour."""
    eng = prep.problem.engineers[e]
    if not fine:
        return (eng.skills,)
    return (eng.skills, eng.ready_at // 1800, eng.shift_end // 1800)


def _kinds(
    prep: Prepared, clusters: Sequence[Sequence[int]], fine: bool
) -> tuple[list[tuple[object, ...]], dict[int, frozenset[tuple[object, ...]]]]:
    profiles = [_profile(prep, e, fine) for e in range(len(prep.problem.engineers))]
    kind_of = {k: frozenset(profiles[e] for e in prep.allowed[k]) for c in clusters for k in c}
    return profiles, kind_of


def visit_work(prep: Prepared, clusters: Sequence[Sequence[int]]) -> dict[int, int]:
    """Seconds each visit takes: its service plus a typical leg to its nearer neighbours."""
    work: dict[int, int] = {}
    for members in clusters:
        loc = np.asarray([prep.visit_loc[k] for k in members], dtype=np.int64)
        dur = prep.dur[np.ix_(loc, loc)].astype(np.float64)
        np.fill_diagonal(dur, np.inf)
        near = np.sort(dur, axis=1)[:, : min(3, max(1, len(members) - 1))]
        legs = np.where(np.isfinite(near), near, 0).mean(axis=1) if len(members) > 1 else np.zeros(1)
        for k, leg in zip(members, legs, strict=True):
            work[k] = prep.problem.visits[k].service_duration + int(leg)
    return work


def allocate_engineers(prep: Prepared, clusters: Sequence[Sequence[int]]) -> list[list[int]]:
    """Give each cluster engineers in proportion to its work, kind by kind, nearest first.

    Engineers with the same skills and hours (to the half hour) are one "profile". A visit's kind
    is the set of profiles that could do it (from the pre-check: skills, and shifts that reach its
    windows); with more than ``MAX_KINDS`` kinds, profiles are skills alone. Kinds few engineers can serve are handed out first; within a kind, the cluster with
    most such work chooses first and takes the engineers whose home is nearest to it. Engineers
    left over go where the remaining need is largest.
    """
    engineers = prep.problem.engineers
    m, g = len(engineers), len(clusters)
    if g == 0:
        return []
    profiles, kind_of = _kinds(prep, clusters, fine=True)
    if len(set(kind_of.values())) > MAX_KINDS:
        profiles, kind_of = _kinds(prep, clusters, fine=False)
    centre = [medoid_of(prep, c) for c in clusters]
    commute = np.zeros((m, g), dtype=np.int64)
    for e in range(m):
        end = prep.end_loc[e]
        for c in range(g):
            back = 0 if end is None else int(prep.dur[centre[c], end])
            commute[e, c] = int(prep.dur[prep.start_loc[e], centre[c]]) + back
    cap = np.asarray(
        [
            max(0, eng.shift_end - eng.ready_at - sum(b.duration for b in eng.breaks))
            if eng.max_working_time is None
            else max(0, min(eng.max_working_time, eng.shift_end - eng.ready_at))
            for eng in engineers
        ],
        dtype=np.float64,
    )
    work = visit_work(prep, clusters)
    kinds: dict[frozenset[tuple[object, ...]], int] = {}
    need: dict[tuple[int, int], float] = {}
    for c, members in enumerate(clusters):
        for k in members:
            kind = kind_of[k]
            kinds.setdefault(kind, len(kinds))
            key = (c, kinds[kind])
            need[key] = need.get(key, 0.0) + work[k]
    total_work = sum(need.values())
    scale = float(cap.sum()) / max(1.0, total_work)
    need = {key: w * scale for key, w in need.items()}
    serves = [[kinds[kind] for kind in kinds if profiles[e] in kind] for e in range(m)]
    free = set(range(m))
    out: list[list[int]] = [[] for _ in range(g)]

    def give(e: int, c: int, first: int | None) -> None:
        free.discard(e)
        out[c].append(e)
        left = max(0.0, cap[e] - commute[e, c])
        order = ([first] if first is not None else []) + [q for q in serves[e] if q != first]
        for q in order:
            have = need.get((c, q), 0.0)
            take = min(have, left)
            if take > 0:
                need[(c, q)] = have - take
                left -= take

    supply = {q: sum(cap[e] for e in range(m) if q in serves[e]) for q in range(len(kinds))}
    demand = {q: sum(w for (c, qq), w in need.items() if qq == q) for q in range(len(kinds))}
    for q in sorted(range(len(kinds)), key=lambda q: (supply[q] / max(1.0, demand[q]), q)):
        for c in sorted(range(g), key=lambda c: (-need.get((c, q), 0.0), c)):
            while need.get((c, q), 0.0) > 0:
                cands = [e for e in free if q in serves[e]]
                if not cands:
                    break
                give(min(cands, key=lambda e: (int(commute[e, c]), e)), c, q)
    for e in sorted(free):
        remaining = [sum(w for (cc, _), w in need.items() if cc == c) for c in range(g)]
        give(e, max(range(g), key=lambda c: (remaining[c], -int(commute[e, c]), -c)), None)
    return [sorted(x) for x in out]


def settle_visits(
    prep: Prepared, clusters: list[list[int]], crews: Sequence[Sequence[int]]
) -> list[list[int]]:
    """Move each visit no engineer of its cluster may do to the nearest cluster where one may."""
    g = len(clusters)
    centre = [medoid_of(prep, c) if c else -1 for c in clusters]
    crew_sets = [set(c) for c in crews]
    out: list[list[int]] = [[] for _ in range(g)]
    for c, members in enumerate(clusters):
        for k in members:
            if crew_sets[c] & set(prep.allowed[k]):
                out[c].append(k)
                continue
            options = [j for j in range(g) if crew_sets[j] & set(prep.allowed[k])]
            if not options:
                continue
            loc = prep.visit_loc[k]
            best = min(
                options,
                key=lambda j: (int(prep.dist[loc, centre[j]]) if centre[j] >= 0 else 1 << 60, j),
            )
            out[best].append(k)
    return [sorted(x) for x in out]
