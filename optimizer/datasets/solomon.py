"""Solomon VRPTW instances: reader, best-known solutions, Problem adapter and independent check.

Convention (DIMACS / CVRPLIB / PyVRP): arc length ``floor(10 * euclid) / 10``, travel time equal
to length, capacity as given, objective total distance. Internally everything is in integer tenths
so the rounding is exact: distances, times and service durations are multiplied by 10.
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from pathlib import Path

from optimizer.model import Engineer, Location, Problem, SolveOptions, Visit
from optimizer.travel import EuclideanTravel

SCALE = 10
ENV_DIR = "DISPATCH_SOLOMON_DIR"


@dataclass(frozen=True, slots=True)
class Customer:
    """One row of the customer table (row 0 is the depot)."""

    number: int
    x: float
    y: float
    demand: int
    ready: int
    due: int
    service: int


@dataclass(frozen=True)
class Instance:
    """A Solomon instance: fleet size, vehicle capacity, depot and customers."""

    name: str
    vehicles: int
    capacity: int
    depot: Customer
    customers: tuple[Customer, ...]


def default_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Where the instances are: ``override``, else ``$DISPATCH_SOLOMON_DIR``, else ../shared/..."""
    if override:
        return Path(override)
    env = os.environ.get(ENV_DIR)
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2].parent / "shared" / "data" / "solomon"


def read_instance(path: Path) -> Instance:
    """Parse one instance file in Solomon's text format."""
    lines = [ln.split() for ln in path.read_text().splitlines()]
    name = lines[0][0] if lines and lines[0] else path.stem
    numbers = [row for row in lines if row and all(_is_number(t) for t in row)]
    vehicles, capacity = int(numbers[0][0]), int(numbers[0][1])
    rows = [
        Customer(int(r[0]), float(r[1]), float(r[2]), int(r[3]), int(r[4]), int(r[5]), int(r[6]))
        for r in numbers[1:]
        if len(r) == 7
    ]
    return Instance(name, vehicles, capacity, rows[0], tuple(rows[1:]))


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def read_bks(directory: Path) -> dict[str, tuple[int, float]]:
    """Best-known (vehicles, distance) per instance name from ``bks.csv``."""
    with (directory / "bks.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {r["instance"]: (int(r["vehicles"]), float(r["distance"])) for r in rows}


def list_instances(directory: Path, pattern: str = "*") -> list[Path]:
    """Instance files matching a glob on the name (``R1*``), in natural order."""
    return sorted(p for p in directory.glob(f"{pattern}.txt") if p.is_file())


def to_problem(inst: Instance, options: SolveOptions | None = None) -> Problem:
    """The instance as a Problem in tenths: one engineer per vehicle, one visit per customer."""
    depot = Location(inst.depot.x, inst.depot.y)
    engineers = tuple(
        Engineer(
            id=f"v{k + 1}",
            start_location=depot,
            end_location=depot,
            shift_start=inst.depot.ready * SCALE,
            shift_end=inst.depot.due * SCALE,
            capacity=inst.capacity,
        )
        for k in range(inst.vehicles)
    )
    visits = tuple(
        Visit(
            id=str(c.number),
            location=Location(c.x, c.y),
            service_duration=c.service * SCALE,
            windows=((c.ready * SCALE, c.due * SCALE),),
            demand=c.demand,
        )
        for c in inst.customers
    )
    return Problem(
        engineers=engineers,
        visits=visits,
        travel=EuclideanTravel(scale=SCALE),
        options=options or SolveOptions(vehicle_fixed_cost=0),
    )


def arc(a: Customer, b: Customer) -> int:
    """Arc length in tenths, truncated: ``floor(10 * euclid)``."""
    return math.floor(SCALE * math.hypot(a.x - b.x, a.y - b.y) + 1e-9)


def check_routes(inst: Instance, routes: list[list[int]]) -> tuple[bool, int, str]:
    """Independently check routes of customer numbers; return (feasible, tenths, problem found)."""
    by_number = {c.number: c for c in inst.customers}
    seen: list[int] = [n for r in routes for n in r]
    if sorted(seen) != sorted(by_number):
        missing = set(by_number) - set(seen)
        return False, 0, f"customers missing or repeated (missing {len(missing)})"
    if sum(1 for r in routes if r) > inst.vehicles:
        return False, 0, "more routes than vehicles"
    total = 0
    for r in routes:
        if not r:
            continue
        if sum(by_number[n].demand for n in r) > inst.capacity:
            return False, 0, f"capacity exceeded on route starting {r[0]}"
        t, here = inst.depot.ready * SCALE, inst.depot
        for n in r:
            c = by_number[n]
            d = arc(here, c)
            total += d
            t = max(t + d, c.ready * SCALE)
            if t > c.due * SCALE:
                return False, 0, f"customer {n} served at {t / SCALE} after due {c.due}"
            t += c.service * SCALE
            here = c
        d = arc(here, inst.depot)
        total += d
        if t + d > inst.depot.due * SCALE:
            return False, 0, "route returns to the depot too late"
    return True, total, ""
