"""Tiny instances with known best answers, one per constraint."""

from __future__ import annotations

import pytest

from optimizer import Break, Priority, Reason, solve
from tests.optimizer.optimizer_builders import engineer, problem, visit
from tests.optimizer.optimizer_validator import violations

FAST = {"time_limit_s": 0.5, "seed": 1}


def order(plan, eid="e1"):  # type: ignore[no-untyped-def]
    route = plan.route_of(eid)
    return [s.visit_id for s in route.stops] if route else []


def test_open_road_visits_in_line_order() -> None:
    p = problem([engineer()], [visit("c", 300), visit("a", 100), visit("b", 200)])
    plan = solve(p, **FAST)
    assert sorted(order(plan)) == ["a", "b", "c"]
    assert plan.travel_distance == 600  # out to 300 and back, whatever the order
    assert violations(p, plan) == []


def test_windows_force_a_longer_order() -> None:
    # c closes at 400 so it is first; a (500-700) must come before b (opens 1000):
    # 0-300-100-200-0 = 300 + 200 + 100 + 200, although 0-100-200-300-0 would be 600.
    p = problem(
        [engineer()],
        [
            visit("a", 100, windows=[(500, 700)]),
            visit("b", 200, windows=[(1000, 2000)]),
            visit("c", 300, windows=[(0, 400)]),
        ],
    )
    plan = solve(p, **FAST)
    assert order(plan) == ["c", "a", "b"]
    assert plan.travel_distance == 800
    assert violations(p, plan) == []


def test_wait_for_the_window_to_open() -> None:
    p = problem([engineer()], [visit("a", 100, service=50, windows=[(1000, 1100)])])
    plan = solve(p, **FAST)
    (stop,) = plan.routes[0].stops
    assert stop.start == 1000
    assert stop.departure == 1050
    assert stop.wait == stop.start - stop.arrival
    assert violations(p, plan) == []


def test_second_window_taken_when_first_is_unreachable() -> None:
    p = problem([engineer()], [visit("a", 500, windows=[(0, 100), (2000, 2100)])])
    plan = solve(p, **FAST)
    assert plan.routes[0].stops[0].start == 2000


def test_skill_sends_visit_to_the_farther_qualified_engineer() -> None:
    p = problem(
        [engineer("near", 0), engineer("far", 1000, skills=["gas"])],
        [visit("boiler", 100, skills=["gas"])],
    )
    plan = solve(p, **FAST)
    assert order(plan, "far") == ["boiler"]
    assert "gas" in plan.route_of("far").stops[0].why
    assert violations(p, plan) == []


def test_break_is_taken_inside_its_window_and_pushes_the_next_visit() -> None:
    # Visits at 100 (0-1000 service 400) then 200; break must start in [450, 500], 300 long.
    lunch = Break(earliest_start=450, latest_start=500, duration=300)
    p = problem(
        [engineer(breaks=[lunch])],
        [visit("a", 100, service=400, windows=[(0, 100)]), visit("b", 200, service=10)],
    )
    plan = solve(p, **FAST)
    route = plan.routes[0]
    assert [s.visit_id for s in route.stops] == ["a", "b"]
    (slot,) = route.breaks
    assert slot.start == 500  # a ends at 500: the break starts then
    assert route.stops[1].start == 500 + 300 + 100
    assert violations(p, plan) == []


def test_shift_end_leaves_out_what_cannot_be_done_in_time() -> None:
    p = problem(
        [engineer(end=1000)],
        [visit("near", 100), visit("far", 450, service=200)],  # 450 + 200 + 450 > 1000
    )
    plan = solve(p, **FAST)
    assert order(plan) == ["near"]
    (u,) = plan.unassigned
    assert (u.visit_id, u.reason) == ("far", Reason.SHIFT_TOO_SHORT)


def test_reasons_for_skills_and_windows() -> None:
    p = problem(
        [engineer(start=100)],
        [visit("nobody", 10, skills=["crane"]), visit("too-early", 500, windows=[(0, 300)])],
    )
    plan = solve(p, **FAST)
    reasons = {u.visit_id: u.reason for u in plan.unassigned}
    assert reasons == {
        "nobody": Reason.NO_SKILLED_ENGINEER,
        "too-early": Reason.WINDOW_UNREACHABLE,
    }
    assert plan.routes[0].stops == ()


def test_pin_keeps_a_visit_with_its_engineer() -> None:
    p = problem(
        [engineer("near", 0), engineer("far", 1000)],
        [visit("a", 100, pinned_engineer="far")],
    )
    plan = solve(p, **FAST)
    assert order(plan, "far") == ["a"]
    assert "pinned" in plan.route_of("far").stops[0].why


def test_fixed_visit_stays_exactly() -> None:
    p = problem(
        [engineer("e1", 0), engineer("e2", 50)],
        [visit("done", 400, service=100, fixed_engineer="e1", fixed_start=700), visit("b", 60)],
    )
    plan = solve(p, **FAST)
    stop = next(s for s in plan.route_of("e1").stops if s.visit_id == "done")
    assert stop.start == 700
    assert stop.fixed
    assert violations(p, plan) == []


def test_conflicting_windows_drop_one_with_a_reason() -> None:
    # Each is reachable alone (500 s away), but not both at 500-510, 1 km apart: one must go.
    p = problem(
        [engineer(x=500)],
        [visit("a", 0, windows=[(500, 510)]), visit("b", 1000, windows=[(500, 510)])],
    )
    plan = solve(p, **FAST)
    assert plan.assigned == 1
    (u,) = plan.unassigned
    assert u.reason == Reason.DROPPED


def test_urgent_visit_wins_over_normal_ones() -> None:
    # The urgent visit is far and collides with two normal ones: both normals are dropped.
    p = problem(
        [engineer()],
        [
            visit("n1", 10, windows=[(0, 20)]),
            visit("n2", 20, windows=[(0, 30)]),
            visit("u", 2000, windows=[(2000, 2010)], priority=Priority.URGENT),
            visit("n3", 30, windows=[(2000, 2010)]),
        ],
    )
    plan = solve(p, **FAST)
    assert "u" in order(plan)
    assert {u.visit_id for u in plan.unassigned} == {"n3"}


def test_capacity_splits_the_work() -> None:
    p = problem(
        [engineer("e1", capacity=10), engineer("e2", capacity=10)],
        [visit("a", 100, demand=6), visit("b", 110, demand=6)],
    )
    plan = solve(p, **FAST)
    assert plan.engineers_used == 2
    assert violations(p, plan) == []


def test_no_engineers_still_gives_a_plan() -> None:
    p = problem([], [visit("a", 100)])
    plan = solve(p, **FAST)
    assert plan.routes == ()
    assert [u.visit_id for u in plan.unassigned] == ["a"]


def test_solver_failure_falls_back_to_greedy(monkeypatch: pytest.MonkeyPatch) -> None:
    from optimizer import _ortools, _pyvrp

    monkeypatch.setattr(_ortools, "solve_routing", lambda *a, **k: None)
    monkeypatch.setattr(_pyvrp, "solve", lambda *a, **k: None)
    p = problem([engineer()], [visit("a", 100), visit("b", 200, windows=[(0, 50)])])
    plan = solve(p, **FAST)
    assert plan.stats.solver == "greedy-fallback"
    assert order(plan) == ["a"]
    assert violations(p, plan) == []


def test_plan_summary_and_dict() -> None:
    p = problem([engineer()], [visit("a", 100)])
    plan = solve(p, **FAST)
    assert "1 visits on 1 routes" in plan.summary()
    d = plan.to_dict()
    assert d["totals"]["travel_distance"] == 200
    assert d["routes"][0]["stops"][0]["visit_id"] == "a"
