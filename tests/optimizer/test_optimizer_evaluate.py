"""evaluate(): a published day timed as it stands; on_progress: the best distance while solving."""

from __future__ import annotations

from optimizer import Reason, evaluate, solve
from optimizer.bench_city import city_problem
from optimizer.datasets.city import generate_city
from tests.optimizer.optimizer_builders import engineer, problem, visit


def test_routes_are_timed_in_the_given_order_with_no_search():
    p = problem(
        [engineer("e1", 0)],
        [visit("a", 100, service=50), visit("b", 300, service=50), visit("c", 200, service=50)],
    )
    plan = evaluate(p, {"e1": ["a", "b", "c"]})  # not the best order: kept as given
    stops = plan.route_of("e1").stops
    assert [s.visit_id for s in stops] == ["a", "b", "c"]
    assert [s.start for s in stops] == [100, 350, 500]
    assert plan.travel_distance == 100 + 200 + 100 + 200
    assert plan.unassigned == ()


def test_a_promise_the_route_can_no_longer_keep_is_listed_with_a_reason():
    p = problem(
        [engineer("e1", 0)],
        [visit("a", 100, service=500), visit("b", 200, windows=[(0, 300)]), visit("c", 400)],
    )
    plan = evaluate(p, {"e1": ["a", "b"]})  # b's window closes before a is finished
    assert [s.visit_id for s in plan.route_of("e1").stops] == ["a"]
    reasons = {u.visit_id: u.reason for u in plan.unassigned}
    assert reasons["b"] in (Reason.DROPPED, Reason.WINDOW_UNREACHABLE)
    assert "c" in reasons  # on no route


def test_progress_reports_the_best_distance_known_ending_with_the_plan():
    p = city_problem(generate_city(60, seed=3))
    seen: list[tuple[float, int, int]] = []
    plan = solve(p, time_limit_s=2, on_progress=lambda *figures: seen.append(figures))
    assert len(seen) >= 3  # the greedy start, the search's first plan, the result
    assert seen[-1][1:] == (plan.travel_distance, plan.assigned)
    assert all(metres > 0 and placed > 0 for _, metres, placed in seen)
    assert [e for e, *_ in seen] == sorted(e for e, *_ in seen)
