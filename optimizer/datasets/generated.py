"""Seeded time-window instances in the style of Solomon and Gehring & Homberger, at any size.

Three kinds of geography, as in those sets: ``C`` clustered customers, ``R`` uniformly random
ones, ``RC`` half of each; two kinds of schedule: ``1`` a short day with tight windows and small
vehicles (few customers per route), ``2`` a long day with wide windows and large vehicles. The
instances come out in Solomon's format (``solomon.Instance``), so the Solomon reader's Problem
adapter and its independent checker work on them unchanged. Everything is a pure function of
``(customers, kind, seed)``: no file is downloaded or shipped.
"""

from __future__ import annotations

import math
import random

from optimizer.datasets.solomon import Customer, Instance

KINDS = ("C1", "C2", "R1", "R2", "RC1", "RC2")


def generate(customers: int, kind: str, seed: int = 1) -> Instance:
    """One instance of ``customers`` customers of ``kind`` (one of ``KINDS``)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    rng = random.Random(f"{customers}-{kind}-{seed}")
    side = round(10 * math.sqrt(customers))  # 100 for 100 customers, as in Solomon's square
    depot_xy = (side // 2, side // 2)
    wide = kind.endswith("2")
    if kind.startswith("C"):
        horizon = round((34.0 if wide else 12.4) * side)  # C1 1236 and C2 3390 at 100 customers
    else:
        horizon = round((10.0 if wide else 2.3) * side)  # R1 230 and R2 1000 at 100 customers
    service = 90 if kind.startswith("C") else 10
    capacity = 1000 if wide else 200
    points = _places(customers, kind, side, rng)
    rows: list[Customer] = []
    for i, (x, y) in enumerate(points, start=1):
        there = math.hypot(x - depot_xy[0], y - depot_xy[1])
        earliest = math.ceil(there)
        latest = math.floor(horizon - there - service)
        if latest < earliest:  # too far for this day: bring it halfway to the depot
            x, y = (x + depot_xy[0]) // 2, (y + depot_xy[1]) // 2
            there = math.hypot(x - depot_xy[0], y - depot_xy[1])
            earliest, latest = math.ceil(there), math.floor(horizon - there - service)
        if rng.random() < 0.25:  # a quarter of the customers take any time of the day
            ready, due = 0, max(earliest, latest)
        else:
            half = rng.uniform(*((0.03, 0.15) if wide else (0.02, 0.08))) * horizon
            centre = rng.uniform(earliest, max(earliest, latest))
            ready = max(0, math.floor(centre - half))
            due = max(earliest, min(latest, math.ceil(centre + half)))
            ready = min(ready, due)
        rows.append(Customer(i, float(x), float(y), rng.randint(1, 50), ready, due, service))
    depot = Customer(0, float(depot_xy[0]), float(depot_xy[1]), 0, 0, horizon, 0)
    name = f"G{customers}-{kind}-{seed}"
    return Instance(name, max(10, customers // 4), capacity, depot, tuple(rows))


def _places(customers: int, kind: str, side: int, rng: random.Random) -> list[tuple[int, int]]:
    clustered = customers if kind.startswith("C") else (customers // 2 if kind.startswith("RC") else 0)
    spread = customers - clustered
    out = [(rng.randint(0, side), rng.randint(0, side)) for _ in range(spread)]
    if clustered:
        centres = [
            (rng.uniform(0.1, 0.9) * side, rng.uniform(0.1, 0.9) * side)
            for _ in range(max(1, customers // 10))
        ]
        sigma = side / 40
        for _ in range(clustered):
            cx, cy = rng.choice(centres)
            x = min(side, max(0, round(rng.gauss(cx, sigma))))
            y = min(side, max(0, round(rng.gauss(cy, sigma))))
            out.append((x, y))
    rng.shuffle(out)
    return out
