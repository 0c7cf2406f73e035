"""The routing model as plain integer arrays, shared by the engine adapters (OR-Tools, PyVRP)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntMatrix = npt.NDArray[np.int64]


@dataclass(frozen=True)
class RoutingInput:
    """Everything the routing model needs, in integers; index ``k < n`` is visit k."""

    cost: IntMatrix  # (n + d)^2 arc costs: visits, then d depot nodes (starts and ends)
    transit: IntMatrix  # (n + d)^2 service time of the origin + travel time
    starts: list[int]  # per engineer: its start node (>= n); engineers may share one
    ends: list[int]  # per engineer: its end node (>= n)
    windows: list[tuple[tuple[int, int], ...]]  # per visit, already clipped to [0, horizon]
    allowed: list[list[int] | None]  # per visit: engineers allowed (None: any)
    penalty: list[int | None]  # per visit: cost of leaving it out (None: mandatory)
    demand: list[int]
    capacity: list[int | None]  # per engineer
    ready: list[int]
    shift_end: list[int]
    max_span: list[int | None]
    breaks: list[list[tuple[int, int, int]]]  # per engineer: (earliest, latest start, duration)
    service: list[int]  # per visit
    move_cost: list[list[int]] | None = None  # per engineer, per visit: cost if it serves it
    fixed_cost: int = 0
    horizon: int = 0
    qualified: list[list[int] | None] | None = None
    """Per visit: engineers with the skills, the pin and the capacity for it (None: any), without
    the reachability of ``allowed``; an engine that restricts visits by profiles uses this."""
