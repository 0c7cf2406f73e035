"""Benchmarks: ``python -m optimizer.bench solomon|city|insertion|travel [options]``.

``solomon`` solves the 56 Solomon instances under the DIMACS convention (total distance, each arc
truncated to one decimal, travel time equal to distance) and checks each answer independently of
the solver; ``city`` plans the seeded demo city at several sizes against the greedy dispatcher;
``insertion`` times booking queries against a planned day; ``travel`` times the travel matrix.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import fnmatch
import multiprocessing
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from optimizer.datasets import solomon
from optimizer.model import SolveOptions
from optimizer.solver import solve


@dataclass(frozen=True)
class SolomonRow:
    """One instance's result."""

    name: str
    vehicles: int
    distance: float
    bks: float
    seconds: float
    feasible: bool
    note: str

    @property
    def gap(self) -> float:
        """Percent above the best known distance."""
        return 100.0 * (self.distance - self.bks) / self.bks


def run_instance(path: Path, bks: float, time_limit: float, seed: int, workers: int) -> SolomonRow:
    """Solve one instance and check the answer with the independent Solomon checker."""
    inst = solomon.read_instance(path)
    problem = solomon.to_problem(inst, SolveOptions(workers=workers))
    t0 = time.monotonic()
    plan = solve(problem, time_limit_s=time_limit, seed=seed)
    seconds = time.monotonic() - t0
    routes = [[int(s.visit_id) for s in r.stops] for r in plan.routes]
    feasible, tenths, note = solomon.check_routes(inst, routes)
    if not feasible:
        tenths = sum(r.travel_distance for r in plan.routes)
    return SolomonRow(
        name=inst.name,
        vehicles=sum(1 for r in routes if r),
        distance=tenths / solomon.SCALE,
        bks=bks,
        seconds=seconds,
        feasible=feasible,
        note=note or f"{len(plan.unassigned)} unassigned" if plan.unassigned else note,
    )


def _class_of(name: str) -> str:
    match = re.match(r"([A-Z]+)(\d)", name)
    return f"{match.group(1)}{match.group(2)}" if match else name


def solomon_bench(args: argparse.Namespace) -> int:
    """Run the Solomon benchmark and print a Markdown table plus the gap summary."""
    directory = solomon.default_dir(args.data)
    bks = solomon.read_bks(directory)
    paths = [p for p in solomon.list_instances(directory) if fnmatch.fnmatch(p.stem, args.instances)]
    paths.sort(key=lambda p: (_class_of(p.stem), p.stem))
    if not paths:
        print(f"no instance matches {args.instances!r} in {directory}", file=sys.stderr)
        return 2
    jobs = max(1, args.jobs)
    workers = args.workers if args.workers else (2 if jobs == 1 else 1)
    _header(args, f"jobs={jobs} workers/instance={workers}")
    print("| instance | vehicles | distance | BKS | gap % | seconds | feasible |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    rows: list[SolomonRow] = []

    def show(row: SolomonRow) -> None:
        ok = "yes" if row.feasible else f"NO ({row.note})"
        print(
            f"| {row.name} | {row.vehicles} | {row.distance:.1f} | {row.bks:.1f} | "
            f"{row.gap:.2f} | {row.seconds:.1f} | {ok} |",
            flush=True,
        )
        rows.append(row)

    if jobs == 1:
        for p in paths:
            show(run_instance(p, bks[p.stem][1], args.time_limit, args.seed, workers))
    else:
        ctx = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
            futures = [
                pool.submit(run_instance, p, bks[p.stem][1], args.time_limit, args.seed, workers)
                for p in paths
            ]
            for f in futures:
                show(f.result())
    _summary(rows)
    return 0 if all(r.feasible for r in rows) else 1


def _summary(rows: Sequence[SolomonRow]) -> None:
    gaps = [r.gap for r in rows]
    worst = max(rows, key=lambda r: r.gap)
    print()
    print(
        f"{len(rows)} instances, {sum(r.feasible for r in rows)} feasible with every customer "
        f"served; gap to BKS: mean {statistics.mean(gaps):.2f} %, "
        f"median {statistics.median(gaps):.2f} %, worst {worst.gap:.2f} % ({worst.name}); "
        f"mean time {statistics.mean(r.seconds for r in rows):.1f} s"
    )
    by_class: dict[str, list[float]] = {}
    for r in rows:
        by_class.setdefault(_class_of(r.name), []).append(r.gap)
    print("by class: " + ", ".join(f"{c} {statistics.mean(g):.2f} %" for c, g in sorted(by_class.items())))


def _header(args: argparse.Namespace, extra: str) -> None:
    argv = " ".join(args.argv)
    print(
        f"`python -m optimizer.bench {argv}` on {platform.machine()} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {extra}"
    )
    print()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run one benchmark."""
    parser = argparse.ArgumentParser(prog="python -m optimizer.bench", description=__doc__)
    sub = parser.add_subparsers(dest="bench", required=True)
    sol = sub.add_parser("solomon", help="Solomon VRPTW instances against best-known solutions")
    sol.add_argument("--data", help="instance folder (default $DISPATCH_SOLOMON_DIR or ../shared)")
    sol.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance")
    sol.add_argument("--instances", default="*", help="glob on names, e.g. 'R1*'")
    sol.add_argument("--jobs", type=int, default=1, help="instances solved at once")
    sol.add_argument("--workers", type=int, default=0, help="searches per instance (0: auto)")
    sol.add_argument("--seed", type=int, default=0)
    city = sub.add_parser("city", help="seeded demo city against the greedy dispatcher")
    city.add_argument("--sizes", default="100,200,400,1000,2000")
    city.add_argument("--time-limit", type=float, default=30.0, help="seconds per size")
    city.add_argument("--seed", type=int, default=7)
    city.add_argument("--workers", type=int, default=2)
    ins = sub.add_parser("insertion", help="booking query latency against a planned day")
    ins.add_argument("--visits", type=int, default=500)
    ins.add_argument("--queries", type=int, default=100)
    ins.add_argument("--time-limit", type=float, default=20.0)
    ins.add_argument("--seed", type=int, default=7)
    trv = sub.add_parser("travel", help="haversine matrix time against geopy pair by pair")
    trv.add_argument("--places", type=int, default=1000)
    trv.add_argument("--baseline-places", type=int, default=200, help="geopy is timed on a sample")
    trv.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if args.bench == "solomon":
        return solomon_bench(args)
    from optimizer import bench_city

    if args.bench == "travel":
        _header(args, "haversine x 1.3 at 30 km/h")
        return bench_city.travel_bench(args)
    _header(args, f"time limit {args.time_limit:g} s")
    if args.bench == "city":
        return bench_city.city_bench(args)
    return bench_city.insertion_bench(args)


if __name__ == "__main__":
    sys.exit(main())
