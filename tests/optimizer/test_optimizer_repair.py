"""Putting left-out visits back by moving planned ones, and the vectorised pre-check."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer import Break, Engineer, Priority, Visit, solve
from optimizer.feasibility import schedule_route
from optimizer.precheck import visit_reason
from optimizer.prepared import prepare
from optimizer.repair import repair_left_out
from optimizer.solver import NO_ROOM, build_plan
from tests.optimizer.optimizer_builders import at, engineer, problem, visit
from tests.optimizer.optimizer_validator import violations


def later() -> float:
    """A deadline the repair will not reach (taken when the test runs, not at import)."""
    return time.monotonic() + 60


def _ids(prep, routes):  # type: ignore[no-untyped-def]
    return {
        prep.problem.engineers[e].id: [prep.problem.visits[k].id for k in r] for e, r in enumerate(routes)
    }


def test_a_planned_visit_moves_over_to_make_room() -> None:
    # x needs gas and 400 s inside 500-600: only e1 can; y (500-700, 400 s) blocks it there,
    # but e2, 250 m from y, can take y.
    p = problem(
        [engineer("e1", 0, skills=["gas"]), engineer("e2", 400)],
        [
            visit("x", 100, service=400, windows=[(500, 600)], skills=["gas"]),
            visit("y", 150, service=400, windows=[(500, 700)]),
        ],
    )
    prep = prepare(p)
    routes, tried = repair_left_out(prep, [[1], []], [0, 1], later())
    assert _ids(prep, routes) == {"e1": ["x"], "e2": ["y"]}
    assert tried == set()
    assert violations(p, build_plan(prep, routes, solve(p, time_limit_s=0.1).stats)) == []


def test_a_chain_of_two_moves() -> None:
    # x only fits e1 in place of y; y (hvac) only fits e2 in place of z; z goes to e3.
    p = problem(
        [
            engineer("e1", 0, skills=["gas", "hvac"]),
            engineer("e2", 300, skills=["hvac"]),
            engineer("e3", 600),
        ],
        [
            visit("x", 100, service=400, windows=[(500, 600)], skills=["gas"]),
            visit("y", 100, service=400, windows=[(500, 700)], skills=["hvac"]),
            visit("z", 300, service=400, windows=[(500, 650)]),
        ],
    )
    prep = prepare(p)
    routes, _ = repair_left_out(prep, [[1], [2], []], [0, 1, 2], later())
    assert _ids(prep, routes) == {"e1": ["x"], "e2": ["y"], "e3": ["z"]}


def test_two_planned_visits_make_room_for_a_long_one() -> None:
    # x (400 s in 500-600) clashes with y1 (150 s in 480-520) and with y2 (560-700) on e1:
    # one out is not enough, both go to e2.
    p = problem(
        [engineer("e1", 0, skills=["gas"]), engineer("e2", 200)],
        [
            visit("x", 100, service=400, windows=[(500, 600)], skills=["gas"]),
            visit("y1", 100, service=150, windows=[(480, 520)]),
            visit("y2", 100, service=100, windows=[(560, 700)]),
        ],
    )
    prep = prepare(p)
    routes, _ = repair_left_out(prep, [[1, 2], []], [0, 1, 2], later())
    assert _ids(prep, routes) == {"e1": ["x"], "e2": ["y1", "y2"]}


def test_what_truly_has_no_room_says_so() -> None:
    # y is pinned to e1 and urgent; x needs the same engineer at the same time.
    p = problem(
        [engineer("e1", 0, skills=["gas"]), engineer("e2", 200)],
        [
            visit("x", 100, service=400, windows=[(500, 600)], skills=["gas"], priority=Priority.LOW),
            visit("y", 150, service=400, windows=[(500, 700)], pinned_engineer="e1", priority="urgent"),
        ],
    )
    plan = solve(p, time_limit_s=0.5, seed=0)
    assert [s.visit_id for s in plan.route_of("e1").stops] == ["y"]
    (left,) = plan.unassigned
    assert (left.visit_id, left.detail) == ("x", NO_ROOM)
    assert violations(p, plan) == []


@st.composite
def _engineers(draw: st.DrawFn) -> list[Engineer]:
    out = []
    for i in range(draw(st.integers(1, 5))):
        start = draw(st.integers(0, 1000))
        breaks = []
        for _ in range(draw(st.integers(0, 2))):
            e0 = draw(st.integers(start, start + 3000))
            breaks.append(Break(e0, e0 + draw(st.integers(0, 600)), draw(st.integers(0, 400))))
        out.append(
            Engineer(
                id=f"e{i}",
                start_location=at(0),
                shift_start=start,
                shift_end=start + draw(st.integers(200, 5000)),
                breaks=tuple(breaks),
                max_working_time=draw(st.sampled_from([None, None, 2000])),
                available_from=draw(st.sampled_from([None, 300, 1200])),
            )
        )
    return out


@settings(max_examples=150, deadline=None)
@given(_engineers(), st.data())
def test_vectorised_pre_check_agrees_with_the_schedule(
    engineers: list[Engineer], data: st.DataObject
) -> None:
    windows = []
    t = data.draw(st.integers(0, 3000))
    for _ in range(data.draw(st.integers(0, 3))):
        width = data.draw(st.integers(0, 1000))
        windows.append((t, t + width))
        t += width + data.draw(st.integers(1, 800))
    v = Visit(id="v", location=at(0), service_duration=data.draw(st.integers(0, 800)), windows=tuple(windows))
    to = [data.draw(st.integers(0, 1500)) for _ in engineers]
    back = [data.draw(st.integers(0, 1500)) for _ in engineers]
    allowed, _, _ = visit_reason(engineers, v, to, back)
    expected = [
        k
        for k, e in enumerate(engineers)
        if schedule_route(e, [v], [to[k], back[k]], compact=False) is not None
    ]
    assert allowed == expected
