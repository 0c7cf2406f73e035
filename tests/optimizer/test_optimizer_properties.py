"""Property: whatever the problem, the plan keeps every hard constraint (checked independently)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer import Break, Engineer, Plan, Priority, Problem, Visit, insertion_options, solve
from optimizer.solver import build_plan, prepare
from tests.optimizer.optimizer_builders import LINE, at
from tests.optimizer.optimizer_validator import violations

SKILLS = ("gas", "hvac")


@st.composite
def engineers(draw: st.DrawFn, eid: str) -> Engineer:
    start = draw(st.integers(0, 1000))
    length = draw(st.integers(800, 5000))
    brk = draw(st.booleans())
    breaks = ()
    if brk:
        e0 = draw(st.integers(start, start + length // 2))
        breaks = (Break(e0, e0 + draw(st.integers(0, 600)), draw(st.integers(0, 300))),)
    return Engineer(
        id=eid,
        start_location=at(draw(st.integers(-500, 500)), draw(st.integers(-500, 500))),
        end_location=draw(st.sampled_from([None, at(0, 0)])),
        shift_start=start,
        shift_end=start + length,
        skills=frozenset(draw(st.sets(st.sampled_from(SKILLS)))),
        breaks=breaks,
        max_working_time=draw(st.sampled_from([None, 1500, 3000])),
        capacity=draw(st.sampled_from([None, 3, 5])),
    )


@st.composite
def visits(draw: st.DrawFn, vid: str, engineer_ids: list[str]) -> Visit:
    n_windows = draw(st.integers(0, 2))
    windows = []
    t = draw(st.integers(0, 2000))
    for _ in range(n_windows):
        width = draw(st.integers(0, 1500))
        windows.append((t, t + width))
        t += width + draw(st.integers(1, 1000))
    return Visit(
        id=vid,
        location=at(draw(st.integers(-800, 800)), draw(st.integers(-800, 800))),
        service_duration=draw(st.integers(0, 400)),
        windows=tuple(windows),
        required_skills=frozenset(draw(st.sets(st.sampled_from(SKILLS), max_size=1))),
        priority=draw(st.sampled_from(list(Priority))),
        demand=draw(st.integers(0, 3)),
        pinned_engineer=draw(st.sampled_from([None, None, None, *engineer_ids])),
    )


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    m = draw(st.integers(1, 3))
    engs = [draw(engineers(f"e{i}")) for i in range(m)]
    ids = [e.id for e in engs]
    n = draw(st.integers(3, 6))
    vs = [draw(visits(f"v{i}", ids)) for i in range(n)]
    return Problem(engineers=tuple(engs), visits=tuple(vs), travel=LINE)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.integers(0, 3))
def test_every_plan_keeps_every_hard_constraint(p: Problem, seed: int) -> None:
    plan = solve(p, time_limit_s=0.2, seed=seed)
    assert violations(p, plan) == []
    assert all(u.reason and u.detail for u in plan.unassigned)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.integers(0, 3000), st.integers(200, 2000))
def test_feasible_insertions_really_fit(p: Problem, t: int, width: int) -> None:
    *rest, new = p.visits
    base = replace(p, visits=tuple(rest))
    plan = solve(base, time_limit_s=0.2, seed=0)
    (option,) = insertion_options(base, plan, replace(new, windows=()), windows=[(t, t + width)])
    if not option.feasible:
        return
    probe = replace(new, windows=((t, t + width),))
    full = replace(p, visits=(*rest, probe))
    prep = prepare(full)
    index = {v.id: k for k, v in enumerate(full.visits)}
    routes = []
    for e in full.engineers:
        route = plan.route_of(e.id)
        seq = [index[s.visit_id] for s in route.stops] if route else []
        if e.id == option.engineer_id:
            assert option.position is not None
            seq.insert(option.position, index[probe.id])
        routes.append(seq)
    rebuilt: Plan = build_plan(prep, routes, plan.stats)
    assert probe.id not in {u.visit_id for u in rebuilt.unassigned}
    assert violations(full, rebuilt) == []
