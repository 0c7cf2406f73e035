"""Large days by parts: clusters, who goes where, and decomposed plans that keep every rule."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer import Problem, SolveOptions, reoptimize, solve
from optimizer.cluster import allocate_engineers, cluster_points, medoids, visit_distances
from optimizer.decompose import Part, first_cut, recut, sub_prepared
from optimizer.prepared import prepare
from tests.optimizer.optimizer_builders import at, engineer, problem, visit
from tests.optimizer.optimizer_validator import violations
from tests.optimizer.test_optimizer_properties import problems

# Every day of 4+ visits is cut into parts of about 3 visits.
BY_PARTS = {"decompose_from": 4, "part_size": 3, "engine": "ortools"}


def _two_towns() -> Problem:
    """Three visits around x=0 and three around x=10 km; gas work in the west, hvac in the east."""
    west = [visit(f"w{i}", 100 * i, skills=["gas"], service=600) for i in range(3)]
    east = [visit(f"e{i}", 10_000 + 100 * i, skills=["hvac"], service=600) for i in range(3)]
    crew = [
        engineer("gas1", 9_000, skills=["gas"], end=40_000),  # lives in the east, does gas
        engineer("hvac1", 500, skills=["hvac"], end=40_000),  # lives in the west, does hvac
        engineer("any1", 200, skills=["gas", "hvac"], end=40_000),
    ]
    return problem(crew, [*west, *east], **BY_PARTS)


def test_medoids_find_the_two_towns_whatever_the_seed() -> None:
    prep = prepare(_two_towns())
    d = visit_distances(prep, list(range(6)))
    for seed in range(5):
        labels, centers = medoids(d, 2, np.random.default_rng(seed))
        assert len(set(labels[:3])) == 1
        assert len(set(labels[3:])) == 1
        assert labels[0] != labels[3]
        assert len(centers) == 2


def test_clusters_stay_near_the_target_size() -> None:
    p = problem([engineer()], [visit(f"v{i}", 37 * i, windows=[(0, 99_999)]) for i in range(40)])
    prep = prepare(p)
    clusters = cluster_points(visit_distances(prep, list(range(40))), 6, np.random.default_rng(1))
    assert sorted(k for c in clusters for k in c) == list(range(40))
    assert max(len(c) for c in clusters) <= 1.4 * 6


def test_each_town_gets_engineers_who_can_do_its_work() -> None:
    # Skills before distance: the gas engineer living in the east still goes west.
    prep = prepare(_two_towns())
    crews = allocate_engineers(prep, [[0, 1, 2], [3, 4, 5]])
    names = [{prep.problem.engineers[e].id for e in crew} for crew in crews]
    assert "gas1" in names[0]
    assert "hvac1" in names[1]
    assert sorted(e for crew in crews for e in crew) == [0, 1, 2]


def test_cuts_are_the_same_for_the_same_seed() -> None:
    prep = prepare(_two_towns())
    modelled = list(range(6))
    first = first_cut(prep, modelled, 3, np.random.default_rng(4))
    again = first_cut(prep, modelled, 3, np.random.default_rng(4))
    assert first == again
    routes = [[0, 1, 2], [3, 4, 5], []]
    assert recut(prep, modelled, routes, 3, np.random.default_rng(2)) == recut(
        prep, modelled, routes, 3, np.random.default_rng(2)
    )


def test_recut_keeps_whole_routes_and_places_left_out_work() -> None:
    prep = prepare(_two_towns())
    routes = [[0, 1], [3, 4, 5], []]  # w2 (index 2) is left out
    parts = recut(prep, list(range(6)), routes, 3, np.random.default_rng(0))
    for part in parts:
        for e in part.engineers:
            assert set(routes[e]) <= set(part.visits)
    assert sorted(e for p in parts for e in p.engineers) == [0, 1, 2]
    (home,) = [p for p in parts if 2 in p.visits]
    assert any(e in home.engineers for e in prep.allowed[2])


def test_a_part_is_a_problem_of_its_own() -> None:
    prep = prepare(_two_towns())
    sub = sub_prepared(prep, Part(engineers=[1, 2], visits=[3, 4]))
    assert [e.id for e in sub.problem.engineers] == ["hvac1", "any1"]
    assert [v.id for v in sub.problem.visits] == ["e0", "e1"]
    assert sub.allowed == [[0, 1], [0, 1]]


def test_two_towns_are_planned_by_parts_within_every_rule() -> None:
    p = _two_towns()
    plan = solve(p, time_limit_s=3, seed=0)
    assert plan.stats.solver.startswith("ortools:parts")
    assert violations(p, plan) == []
    assert plan.assigned == 6
    by_engineer = {r.engineer_id: {s.visit_id for s in r.stops} for r in plan.routes}
    assert not by_engineer["gas1"] & {"e0", "e1", "e2"}
    assert not by_engineer["hvac1"] & {"w0", "w1", "w2"}


def test_pinned_and_fixed_visits_follow_their_engineer_into_a_part() -> None:
    p = _two_towns()
    pinned = replace(p.visits[3], pinned_engineer="any1")  # e0, in the east, pinned to any1
    fixed = replace(p.visits[0], fixed_engineer="gas1", fixed_start=20_000)
    p = replace(p, visits=(fixed, *p.visits[1:3], pinned, *p.visits[4:]))
    plan = solve(p, time_limit_s=3, seed=1)
    assert violations(p, plan) == []
    route = {r.engineer_id: r for r in plan.routes}
    assert "e0" in [s.visit_id for s in route["any1"].stops]
    (stop,) = [s for s in route["gas1"].stops if s.visit_id == "w0"]
    assert stop.start == 20_000


def test_reoptimize_a_day_planned_by_parts() -> None:
    p = _two_towns()
    first = solve(p, time_limit_s=2, seed=0)
    # The first stop of the route doing gas work has started.
    route = next(r for r in first.routes if r.stops and r.stops[0].visit_id.startswith("w"))
    vid, w0 = route.stops[0].visit_id, (route.engineer_id, route.stops[0].start)
    k = next(i for i, v in enumerate(p.visits) if v.id == vid)
    started = replace(p.visits[k], fixed_engineer=w0[0], fixed_start=w0[1])
    live = replace(p, visits=(*p.visits[:k], started, *p.visits[k + 1 :]))
    now = w0[1] + 60
    plan = reoptimize(live, first, now=now, positions={"hvac1": at(9_900)}, time_limit_s=2, seed=0)
    # The validator starts each route at the engineer's start: hvac1's is now the live position.
    moved = tuple(replace(e, start_location=at(9_900)) if e.id == "hvac1" else e for e in live.engineers)
    assert violations(replace(live, engineers=moved), plan) == []
    assert plan.assigned == 6
    stop = next(s for r in plan.routes for s in r.stops if s.visit_id == vid)
    assert (stop.start, stop.fixed) == (w0[1], True)
    for r in plan.routes:
        assert all(s.start >= now for s in r.stops if not s.fixed)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.integers(0, 3), st.sampled_from([1, 2]))
def test_every_plan_by_parts_keeps_every_hard_constraint(p: Problem, seed: int, size: int) -> None:
    p = replace(p, options=SolveOptions(decompose_from=3, part_size=size, engine="ortools"))
    plan = solve(p, time_limit_s=0.6, seed=seed)
    assert violations(p, plan) == []
    assert all(u.reason and u.detail for u in plan.unassigned)


def test_engineers_never_cross_into_a_part_without_them() -> None:
    # Every engineer sits in exactly one part of every cut.
    p = problem(
        [engineer(f"e{i}", 1000 * i, end=50_000) for i in range(5)],
        [visit(f"v{i}", 250 * i, service=300) for i in range(20)],
        **BY_PARTS,
    )
    prep = prepare(p)
    parts = first_cut(prep, list(range(20)), 3, np.random.default_rng(0))
    assert sorted(e for part in parts for e in part.engineers) == list(range(5))
    assert sorted(k for part in parts for k in part.visits) == list(range(20))
