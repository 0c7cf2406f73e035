"""The seeded demo cities by name: Greater Manchester (the default) and Shanghai."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from optimizer.datasets.city import City, generate_city
from optimizer.datasets.shanghai import generate_shanghai

GENERATORS: dict[str, Callable[..., City]] = {"manchester": generate_city, "shanghai": generate_shanghai}
NAMES = tuple(GENERATORS)
DEFAULT = "manchester"


def generate(name: str, orders: int = 200, *, seed: int = 7, day: date | None = None) -> City:
    """Generate the named city with ``orders`` visits (on ``day``, or the city's default day)."""
    try:
        generator = GENERATORS[name]
    except KeyError:
        raise ValueError(f"unknown city {name!r}; known: {', '.join(NAMES)}") from None
    return generator(orders, seed=seed) if day is None else generator(orders, seed=seed, day=day)
