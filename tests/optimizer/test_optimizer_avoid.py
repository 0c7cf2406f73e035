"""A customer who rated an engineer 1-2 gets another engineer while one can go (a cost, not a rule)."""

from __future__ import annotations

import pytest

from optimizer import solve
from tests.optimizer.optimizer_builders import engineer, problem, visit

FAST = {"time_limit_s": 0.5, "seed": 1}


def _stop(plan, visit_id):
    return next((r.engineer_id, s) for r in plan.routes for s in r.stops if s.visit_id == visit_id)


@pytest.mark.parametrize("engine", ["auto", "ortools"])
def test_the_disliked_engineer_is_avoided_while_another_can_go(engine: str) -> None:
    # e1 is next door (100 m), e2 2 km away: without the rating e1 would go.
    near = visit("v1", 100, service=600, windows=[(0, 9_000)], avoid_engineers=frozenset({"e1"}))
    other = visit("v2", -150, service=600, windows=[(0, 9_000)])
    engineers = [engineer("e1", 0), engineer("e2", 2_000)]
    plan = solve(problem(engineers, [near, other], engine=engine, vehicle_fixed_cost=0), **FAST)
    who, stop = _stop(plan, "v1")
    assert who == "e2"
    assert "rated 1-2" in stop.why
    assert _stop(plan, "v2")[0] == "e1"  # only the customer who asked is kept away from e1
    assert not plan.unassigned


@pytest.mark.parametrize("engine", ["auto", "ortools"])
def test_the_visit_is_still_planned_when_only_that_engineer_can_go(engine: str) -> None:
    gas = visit("v1", 100, service=600, skills=["gas"], avoid_engineers=frozenset({"e1"}))
    plan = solve(
        problem([engineer("e1", 0, skills=["gas"]), engineer("e2", 2_000)], [gas], engine=engine), **FAST
    )
    assert not plan.unassigned
    who, stop = _stop(plan, "v1")
    assert who == "e1"
    assert "no other engineer fitted" in stop.why
