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
from optimizer.datasets.cities import NAMES as CITY_NAMES
from optimizer.model import Problem, SolveOptions
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
    peer_distance: float | None = None
    peer_feasible: bool = False
    peer_seconds: float = 0.0
    peer_vehicles: int = 0

    @property
    def gap(self) -> float:
        """Percent above the best known distance."""
        return 100.0 * (self.distance - self.bks) / self.bks

    @property
    def peer_gap(self) -> float | None:
        """The peer's percent above the best known distance (None without a peer)."""
        if self.peer_distance is None:
            return None
        return 100.0 * (self.peer_distance - self.bks) / self.bks


def run_instance(
    path: Path, bks: float, time_limit: float, seed: int, workers: int, peer: bool = True
) -> SolomonRow:
    """Solve one instance (and with the peer, PyVRP on the same matrix); check both independently."""
    inst = solomon.read_instance(path)
    return solve_instance(inst, bks, time_limit, seed, workers, peer)


def solve_instance(
    inst: solomon.Instance, bks: float, time_limit: float, seed: int, workers: int, peer: bool = True
) -> SolomonRow:
    """Solve an instance in Solomon's format with ours and the peer; check both independently."""
    problem = solomon.to_problem(inst, SolveOptions(workers=workers, vehicle_fixed_cost=0))
    t0 = time.monotonic()
    plan = solve(problem, time_limit_s=time_limit, seed=seed)
    seconds = time.monotonic() - t0
    routes = [[int(s.visit_id) for s in r.stops] for r in plan.routes]
    feasible, tenths, note = solomon.check_routes(inst, routes)
    if not feasible:
        tenths = sum(r.travel_distance for r in plan.routes)
    peer_distance, peer_ok, peer_s, peer_vehicles = None, False, 0.0, 0
    if peer:
        t1 = time.monotonic()
        peer_routes = peer_solve(problem, time_limit, seed, required=True)
        peer_s = time.monotonic() - t1
        ids = [[int(problem.visits[k].id) for k in r] for r in peer_routes]
        peer_ok, peer_tenths, _ = solomon.check_routes(inst, ids)
        peer_distance = peer_tenths / solomon.SCALE if peer_ok else None
        peer_vehicles = sum(1 for r in ids if r)
    return SolomonRow(
        name=inst.name,
        vehicles=sum(1 for r in routes if r),
        distance=tenths / solomon.SCALE,
        bks=bks,
        seconds=seconds,
        feasible=feasible,
        note=note or f"{len(plan.unassigned)} unassigned" if plan.unassigned else note,
        peer_distance=peer_distance,
        peer_feasible=peer_ok,
        peer_seconds=peer_s,
        peer_vehicles=peer_vehicles,
    )


def peer_solve(problem: Problem, time_limit: float, seed: int, *, required: bool) -> list[list[int]]:
    """The reference peer (PyVRP's own solve, 1 core) on the problem's own integer matrix."""
    from optimizer import _pyvrp
    from optimizer.prepared import prepare, routing_input

    prep = prepare(problem)
    modelled = [k for k in range(len(problem.visits)) if k not in prep.rejected]
    inp = routing_input(prep, modelled)
    routes = _pyvrp.reference(inp, time_limit, seed=seed, required=required)
    return [[modelled[i] for i in r] for r in routes]


def load_note() -> str:
    """The machine's load averages (1, 5, 15 min), printed beside the figures."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} cores"


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
    peer = not args.no_peer
    _header(args, f"jobs={jobs} workers/instance={workers}, peer PyVRP {'on' if peer else 'off'}")
    print("| instance | vehicles | distance | BKS | gap % | seconds | feasible | PyVRP gap % | PyVRP s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
    rows: list[SolomonRow] = []

    def show(row: SolomonRow) -> None:
        ok = "yes" if row.feasible else f"NO ({row.note})"
        pg = row.peer_gap
        peer_cell = "-" if not peer else ("infeasible" if pg is None else f"{pg:.2f}")
        print(
            f"| {row.name} | {row.vehicles} | {row.distance:.1f} | {row.bks:.1f} | "
            f"{row.gap:.2f} | {row.seconds:.1f} | {ok} | {peer_cell} | {row.peer_seconds:.1f} |",
            flush=True,
        )
        rows.append(row)

    if jobs == 1:
        for p in paths:
            show(run_instance(p, bks[p.stem][1], args.time_limit, args.seed, workers, peer))
    else:
        ctx = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
            futures = [
                pool.submit(run_instance, p, bks[p.stem][1], args.time_limit, args.seed, workers, peer)
                for p in paths
            ]
            for f in futures:
                show(f.result())
    _summary(rows)
    return 0 if all(r.feasible for r in rows) else 1


def generated_bench(args: argparse.Namespace) -> int:
    """Seeded Gehring & Homberger-style instances: ours against the peer, same run, same matrix."""
    from optimizer.datasets import generated

    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    _header(args, f"workers={args.workers}, peer PyVRP (1 core) after ours on each instance")
    print(
        "| instance | ours vehicles | ours distance | PyVRP vehicles | PyVRP distance | ours vs PyVRP | both checked |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    by_size: dict[int, list[float]] = {}
    ok = True
    for size in [int(s) for s in args.sizes.split(",")]:
        for kind in kinds:
            inst = generated.generate(size, kind, seed=args.instance_seed)
            row = solve_instance(inst, 1.0, args.time_limit, args.seed, args.workers, True)
            peer_ok = row.peer_distance is not None
            delta = None
            if row.peer_distance is not None:
                delta = 100.0 * (row.distance - row.peer_distance) / row.peer_distance
            if delta is not None and row.feasible:
                by_size.setdefault(size, []).append(delta)
            ok &= row.feasible
            checked = (
                "yes" if row.feasible and peer_ok else f"ours {row.feasible}, PyVRP {peer_ok} {row.note}"
            )
            print(
                f"| {inst.name} | {row.vehicles} | {row.distance:.1f} | {row.peer_vehicles} | "
                f"{'-' if not peer_ok else f'{row.peer_distance:.1f}'} | "
                f"{'-' if delta is None else f'{delta:+.2f} %'} | {checked} |",
                flush=True,
            )
    print()
    for size, deltas in by_size.items():
        print(
            f"{size} customers: ours vs PyVRP mean {statistics.mean(deltas):+.2f} % over {len(deltas)} instances"
        )
    print(load_note())
    return 0 if ok else 1


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
    peers = [r.peer_gap for r in rows if r.peer_gap is not None]
    if any(r.peer_seconds for r in rows):
        print(
            f"PyVRP (peer, same run, same matrix, 1 core): {len(peers)} of {len(rows)} feasible; "
            f"gap to BKS: mean {statistics.mean(peers) if peers else float('nan'):.2f} %, "
            f"median {statistics.median(peers) if peers else float('nan'):.2f} %"
        )
    print(load_note())


def _header(args: argparse.Namespace, extra: str) -> None:
    argv = " ".join(args.argv)
    print(
        f"`python -m optimizer.bench {argv}` on {platform.machine()} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {extra}; {load_note()}"
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
    sol.add_argument("--no-peer", action="store_true", help="skip the PyVRP reference peer")
    gen = sub.add_parser("generated", help="seeded Gehring & Homberger-style instances against PyVRP")
    gen.add_argument("--sizes", default="200,400,1000,2000")
    gen.add_argument("--kinds", default="C1,C2,R1,R2,RC1,RC2")
    gen.add_argument("--time-limit", type=float, default=60.0, help="seconds per solver per instance")
    gen.add_argument("--workers", type=int, default=2)
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--instance-seed", type=int, default=1)
    fld = sub.add_parser("field", help="demo-city days with every field constraint, against PyVRP")
    fld.add_argument("--sizes", default="200,1000")
    fld.add_argument("--time-limit", type=float, default=60.0)
    fld.add_argument("--workers", type=int, default=2)
    fld.add_argument("--seed", type=int, default=7)
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
    for city_bench in (fld, city, ins, trv):
        city_bench.add_argument("--city", choices=CITY_NAMES, default="manchester", help="demo city")
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if args.bench == "solomon":
        return solomon_bench(args)
    if args.bench == "generated":
        return generated_bench(args)
    from optimizer import bench_city

    if args.bench == "travel":
        _header(args, "haversine x 1.3 at 30 km/h")
        return bench_city.travel_bench(args)
    _header(args, f"time limit {args.time_limit:g} s")
    if args.bench == "city":
        return bench_city.city_bench(args)
    if args.bench == "field":
        return bench_city.field_bench(args)
    return bench_city.insertion_bench(args)


if __name__ == "__main__":
    sys.exit(main())
