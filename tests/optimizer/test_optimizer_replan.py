"""Re-optimization during the day and the booking insertion query."""

from __future__ import annotations

from dataclasses import replace

from optimizer import Break, Plan, Route, Stop, insertion_options, reoptimize, solve
from tests.optimizer.optimizer_builders import at, engineer, problem, visit
from tests.optimizer.optimizer_validator import violations

FAST = {"time_limit_s": 0.5, "seed": 1}


def _published(eid_by_visit: dict[str, str], starts: dict[str, int]) -> Plan:
    routes: dict[str, list[Stop]] = {}
    for vid, eid in eid_by_visit.items():
        s = starts[vid]
        routes.setdefault(eid, []).append(Stop(vid, s, 0, s, s, 0, 0))
    return Plan(routes=tuple(Route(e, 0, tuple(st)) for e, st in routes.items()))


def test_done_work_stays_and_the_engineer_restarts_from_it() -> None:
    p = problem(
        [engineer("e1", 0)],
        [visit("a", 100, service=100), visit("b", 300, service=100)],
    )
    first = solve(p, **FAST)
    a_start = next(s.start for s in first.routes[0].stops if s.visit_id == "a")
    started = replace(p.visits[0], fixed_engineer="e1", fixed_start=a_start)
    live = replace(p, visits=(started, p.visits[1]))
    plan = reoptimize(live, first, now=a_start + 50, **FAST)
    stops = plan.routes[0].stops
    assert stops[0].visit_id == "a"
    assert stops[0].start == a_start
    assert stops[0].fixed
    assert stops[1].visit_id == "b"
    assert stops[1].start >= a_start + 100 + 200  # finish a, then drive 200 m
    assert plan.moved == ()


def test_live_position_is_the_new_start() -> None:
    p = problem([engineer("e1", 0)], [visit("b", 1000)])
    first = solve(p, **FAST)
    plan = reoptimize(p, first, now=500, positions={"e1": at(900)}, **FAST)
    (stop,) = plan.routes[0].stops
    assert stop.start == 600  # now + 100 m from the live position
    assert stop.travel_distance == 100


def test_move_penalty_keeps_a_published_stop_for_a_small_gain() -> None:
    # b sits at 520: e2 (at 1000) has it published; e1 (at 0) is already going to 500.
    p = problem(
        [engineer("e1", 0), engineer("e2", 1000)],
        [visit("a", 500, pinned_engineer="e1"), visit("b", 520)],
        move_penalty=10_000,
    )
    published = _published({"a": "e1", "b": "e2"}, {"a": 500, "b": 480})
    sticky = reoptimize(p, published, now=0, **FAST)
    assert [s.visit_id for s in sticky.route_of("e2").stops] == ["b"]
    assert sticky.moved == ()
    loose = reoptimize(replace(p, options=replace(p.options, move_penalty=0)), published, now=0, **FAST)
    assert sorted(s.visit_id for s in loose.route_of("e1").stops) == ["a", "b"]
    (move,) = loose.moved
    assert (move.visit_id, move.from_engineer, move.to_engineer) == ("b", "e2", "e1")


def test_pinned_visit_stays_with_its_engineer_on_replan() -> None:
    p = problem(
        [engineer("e1", 0), engineer("e2", 1000)],
        [visit("a", 990, pinned_engineer="e1")],
    )
    plan = reoptimize(p, solve(p, **FAST), now=10, **FAST)
    assert [s.visit_id for s in plan.route_of("e1").stops] == ["a"]
    assert violations(p, plan) == []


def _booking_plan():  # type: ignore[no-untyped-def]
    p = problem(
        [engineer("e1", 0, skills=["gas"])],
        [visit("p", 100, windows=[(0, 200)]), visit("q", 300, windows=[(400, 600)])],
    )
    return p, solve(p, **FAST)


def test_insertion_reports_each_window_with_its_extra_travel() -> None:
    p, plan = _booking_plan()
    new = replace(visit("new", 200, skills=["gas"]), location=at(200, 100))
    between, late, too_soon = insertion_options(p, plan, new, windows=[(150, 250), (1000, 1100), (0, 10)])
    # Between p and q: 141 + 141 - 200; after q (the cheapest place): 141 + 223 - 300.
    assert (between.feasible, between.position, between.extra_distance) == (True, 1, 82)
    assert (late.feasible, late.position, late.extra_distance) == (True, 2, 64)
    assert late.start is not None
    assert late.start >= 1000
    assert not too_soon.feasible


def test_insertion_respects_skills_and_existing_promises() -> None:
    p, plan = _booking_plan()
    (no_skill,) = insertion_options(p, plan, visit("x", 150, skills=["hvac"], windows=[(0, 9000)]))
    assert not no_skill.feasible
    # A long job right after p would make q miss its window (closes at 600).
    (blocking,) = insertion_options(p, plan, visit("y", 150, service=500, windows=[(150, 160)]))
    assert not blocking.feasible


def test_replan_keeps_breaks_taken_and_still_due() -> None:
    lunch = Break(2000, 3000, 300)
    p = problem(
        [engineer("e1", 0, breaks=[lunch])],
        [
            visit("a", 100, service=100, windows=[(0, 500)]),
            visit("b", 300, service=100, windows=[(5000, 6000)]),
        ],
    )
    first = solve(p, **FAST)
    assert [s.visit_id for s in first.routes[0].stops] == ["a", "b"]
    a_start = first.routes[0].stops[0].start
    live = replace(p, visits=(replace(p.visits[0], fixed_engineer="e1", fixed_start=a_start), p.visits[1]))
    # After lunch: the break already taken stays on the record.
    after = reoptimize(live, first, now=4000, **FAST)
    assert [(b.start, b.end) for b in after.routes[0].breaks] == [(2000, 2300)]
    assert violations(live, after) == []
    # Before lunch, with nothing left but going home: the break is still placed on the way.
    done = replace(live, visits=live.visits[:1])
    home = reoptimize(done, first, now=1000, **FAST)
    route = home.routes[0]
    assert [s.visit_id for s in route.stops] == ["a"]
    assert [(b.start, b.end) for b in route.breaks] == [(2000, 2300)]
    assert route.end_arrival == 2300  # home at 700, the day ends after the lunch break
    assert violations(done, home) == []
