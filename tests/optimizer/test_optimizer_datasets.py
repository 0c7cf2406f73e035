"""Solomon reader, its independent checker, the bench command, and the validator itself."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from optimizer import Plan, Route, Stop, solve
from optimizer.bench import main as bench_main
from optimizer.datasets import solomon
from tests.optimizer.optimizer_builders import engineer, problem, visit
from tests.optimizer.optimizer_validator import violations

# Two instances and their best-known solutions ship with the tests; the benchmark reads all 56.
DATA = Path(__file__).parent / "data" / "solomon"


def test_reader_and_bks() -> None:
    inst = solomon.read_instance(DATA / "R101.txt")
    assert (inst.name, inst.vehicles, inst.capacity, len(inst.customers)) == ("R101", 25, 200, 100)
    assert (inst.depot.x, inst.depot.y, inst.depot.due) == (35, 35, 230)
    assert inst.customers[0].ready == 161
    assert solomon.read_bks(DATA)["C101"] == (10, 827.3)


def test_checker_catches_late_and_missing_customers() -> None:
    inst = solomon.read_instance(DATA / "R101.txt")
    one_each = [[c.number] for c in inst.customers]
    assert solomon.check_routes(inst, one_each)[0] is False  # 100 routes > 25 vehicles
    late = [[c.number for c in inst.customers]]
    ok, _, why = solomon.check_routes(inst, late)
    assert not ok
    assert "due" in why or "capacity" in why


def test_small_solomon_slice_is_solved_feasibly() -> None:
    inst = solomon.read_instance(DATA / "C101.txt")
    inst = replace(inst, customers=inst.customers[:25])
    plan = solve(solomon.to_problem(inst), time_limit_s=1, seed=0)
    routes = [[int(s.visit_id) for s in r.stops] for r in plan.routes]
    ok, tenths, why = solomon.check_routes(inst, routes)
    assert ok, why
    assert tenths == plan.travel_distance


def test_bench_command_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    code = bench_main(
        ["solomon", "--data", str(DATA), "--instances", "C101", "--time-limit", "1", "--workers", "1"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "`python -m optimizer.bench solomon --data " in out
    assert "--instances C101 --time-limit 1 --workers 1`" in out
    row = next(line for line in out.splitlines() if line.startswith("| C101 |"))
    assert "| yes |" in row  # ours, checked independently
    assert "| 827.3 |" in row  # the best known, in the BKS column
    peer_gap = row.split("|")[8].strip()
    assert peer_gap != "infeasible"  # PyVRP, solved in the same run
    assert float(peer_gap) < 5
    assert "1 instances, 1 feasible" in out
    assert "PyVRP (peer, same run, same matrix, 1 core): 1 of 1 feasible" in out
    assert "load average" in out


def test_data_dir_can_be_configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(solomon.ENV_DIR, str(tmp_path))
    assert solomon.default_dir() == tmp_path
    assert solomon.default_dir("/elsewhere") == Path("/elsewhere")


def test_validator_rejects_a_broken_plan() -> None:
    p = problem([engineer(skills=[])], [visit("a", 100, windows=[(0, 50)], skills=["gas"])])
    bad = Plan(routes=(Route("e1", 0, (Stop("a", 60, 0, 60, 60, 100, 100),), (), 160, 100, 100),))
    found = violations(p, bad)
    assert any("skills" in v for v in found)
    assert any("outside" in v for v in found)  # 60 is past the window's end at 50


def test_city_day_is_planned_within_every_rule() -> None:
    from optimizer.bench_city import city_problem, greedy_plan_figures
    from optimizer.datasets.city import generate_city

    p = city_problem(generate_city(orders=30, seed=3))
    plan = solve(p, time_limit_s=1.5, seed=0)
    assert violations(p, plan) == []
    _, assigned, feasible, _ = greedy_plan_figures(p)
    assert assigned <= feasible <= len(p.visits)
    assert plan.assigned >= assigned
    assert all(s.why for r in plan.routes for s in r.stops)


@pytest.mark.slow
def test_large_day_path_keeps_every_rule() -> None:
    # From 300 visits on, the day is planned by parts (each models its breaks), then repaired.
    from optimizer.bench_city import city_problem, greedy_plan_figures
    from optimizer.datasets.city import generate_city
    from optimizer.solver import build_plan, greedy_start, plan_cost, prepare

    p = city_problem(generate_city(orders=320, seed=5))
    plan = solve(p, time_limit_s=4, seed=0)
    assert violations(p, plan) == []
    assert plan.stats.solver.startswith(("ortools:parts", "greedy"))
    # Never a worse day than the greedy dispatcher's: fewer priority-weighted visits left out,
    # or as many for less driving. (How many more it places depends on how loaded the machine is.)
    prep = prepare(p)
    modelled = [k for k in range(len(p.visits)) if k not in prep.rejected]
    greedy = build_plan(prep, greedy_start(prep, modelled, as_visits=True), plan.stats)
    assert plan_cost(prep, plan, modelled) <= plan_cost(prep, greedy, modelled)
    _, assigned, _, _ = greedy_plan_figures(p)
    assert greedy.assigned == assigned
    assert plan.assigned >= 0.9 * assigned
