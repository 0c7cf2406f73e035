"""Problem dataclasses: engineers, visits, and the day to plan.

All times are integer seconds from the problem origin (for example local midnight of the day);
all distances are metres. The caller converts its datetimes and ids; every engineer and visit
carries the caller's string ``id`` so results map straight back.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from optimizer.travel import TravelProvider


@dataclass(frozen=True, slots=True)
class Location:
    """A point: WGS84 latitude/longitude, or plane x/y for the Euclidean provider."""

    lat: float
    lon: float


class Priority(enum.IntEnum):
    """How much leaving a visit unassigned hurts; each level outranks any number of lower ones."""

    LOW = 0
    NORMAL = 1
    HIGH = 2
    URGENT = 3

    @classmethod
    def parse(cls, value: str | int | Priority) -> Priority:
        """Read a priority from its name ("urgent") or number."""
        if isinstance(value, Priority):
            return value
        if isinstance(value, int):
            return cls(value)
        return cls[value.strip().upper()]


@dataclass(frozen=True, slots=True)
class Break:
    """A break of ``duration`` seconds that must START within [earliest_start, latest_start]."""

    earliest_start: int
    latest_start: int
    duration: int

    def __post_init__(self) -> None:
        if self.duration < 0 or self.latest_start < self.earliest_start:
            raise ValueError(f"invalid break {self}")


@dataclass(frozen=True, slots=True)
class Engineer:
    """A person (or vehicle) with a shift.

    ``available_from`` (default: ``shift_start``) is when the engineer can leave
    ``start_location``: for live re-planning it is "now, at this position".
    ``end_location=None`` means the route ends at the last visit (no trip home is counted).
    ``max_working_time`` bounds the time from leaving the start to reaching the end.
    ``capacity`` bounds the sum of the visits' ``demand`` (None: unbounded).
    """

    id: str
    start_location: Location
    shift_start: int
    shift_end: int
    end_location: Location | None = None
    skills: frozenset[str] = frozenset()
    breaks: tuple[Break, ...] = ()
    max_working_time: int | None = None
    capacity: int | None = None
    available_from: int | None = None

    def __post_init__(self) -> None:
        if self.shift_end < self.shift_start:
            raise ValueError(f"engineer {self.id}: shift ends before it starts")
        object.__setattr__(self, "skills", frozenset(self.skills))
        object.__setattr__(self, "breaks", tuple(sorted(self.breaks, key=lambda b: b.earliest_start)))

    @property
    def ready_at(self) -> int:
        """When the engineer can leave the start location."""
        if self.available_from is None:
            return self.shift_start
        return max(self.shift_start, self.available_from)


@dataclass(frozen=True, slots=True)
class Visit:
    """A job at a place: service must START inside one of ``windows`` (start, end) pairs.

    ``fixed_engineer`` + ``fixed_start``: work already started or done; kept exactly.
    ``pinned_engineer``: must stay with that engineer; the time may move.
    ``previous_engineer`` / ``previous_start``: where a published plan put it; moving it to
    another engineer costs ``SolveOptions.move_penalty``.
    ``avoid_engineers``: engineers the customer would rather not see again (they rated them 1-2);
    giving the visit to one costs ``SolveOptions.avoid_penalty``: a preference, never a rule.
    """

    id: str
    location: Location
    service_duration: int
    windows: tuple[tuple[int, int], ...] = ()
    required_skills: frozenset[str] = frozenset()
    priority: Priority = Priority.NORMAL
    demand: int = 0
    pinned_engineer: str | None = None
    fixed_engineer: str | None = None
    fixed_start: int | None = None
    previous_engineer: str | None = None
    previous_start: int | None = None
    avoid_engineers: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        merged: list[tuple[int, int]] = []
        for a, b in sorted((int(a), int(b)) for a, b in self.windows):
            if b < a:
                raise ValueError(f"visit {self.id}: window ({a}, {b}) ends before it starts")
            if merged and a <= merged[-1][1] + 1:  # overlapping or touching: one window
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        object.__setattr__(self, "windows", tuple(merged))
        object.__setattr__(self, "required_skills", frozenset(self.required_skills))
        object.__setattr__(self, "avoid_engineers", frozenset(self.avoid_engineers))
        object.__setattr__(self, "priority", Priority.parse(self.priority))
        if (self.fixed_engineer is None) != (self.fixed_start is None):
            raise ValueError(f"visit {self.id}: fixed_engineer and fixed_start go together")
        if self.service_duration < 0:
            raise ValueError(f"visit {self.id}: negative service duration")

    @property
    def is_fixed(self) -> bool:
        """True for work already started or done (kept exactly as recorded)."""
        return self.fixed_engineer is not None


@dataclass(frozen=True, slots=True)
class SolveOptions:
    """Knobs of the objective (all integers, in metres of travel-equivalent cost)."""

    move_penalty: int = 5_000
    """Cost of moving a published visit (``previous_engineer``) to another engineer."""
    avoid_penalty: int = 30_000
    """Cost of giving a visit to one of its ``avoid_engineers`` (30 km of driving: another engineer
    goes unless that is a long way round; below the drop penalty, so the visit is still planned
    when nobody else can go)."""
    vehicle_fixed_cost: int = 2_000
    """Cost of using an engineer at all, in metres of driving: two half-empty routes become one
    unless that adds more driving than this (0: only travel counts, as in the Solomon rules)."""
    cost_per_travel_hour: int = 0
    """Extra cost per hour of driving, on top of the metres driven."""
    drop_penalty: int | None = None
    """Penalty of leaving a LOW visit unassigned (None: derived from the problem's size)."""
    workers: int = 1
    """Searches run in parallel (different strategies, best kept); 2 uses both cores."""
    decompose_from: int = 300
    """Days with this many visits or more are planned by parts (``decompose.py``)."""
    engine: str = "auto"
    """Search engine: "auto" (PyVRP where it models the day, OR-Tools for breaks and re-plans),
    "pyvrp" (the same), or "ortools" (OR-Tools alone, as before PyVRP was added)."""
    part_size: int | None = None
    """About how many visits one part of a decomposed day holds (None: two parts up to 400
    visits with two workers, else parts of about 120)."""


@dataclass(frozen=True)
class Problem:
    """One day to plan: engineers, visits, and how to travel between places."""

    engineers: tuple[Engineer, ...]
    visits: tuple[Visit, ...]
    travel: TravelProvider
    options: SolveOptions = field(default_factory=SolveOptions)
    origin: datetime | None = None
    """What time 0 means (display only)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "engineers", tuple(self.engineers))
        object.__setattr__(self, "visits", tuple(self.visits))
        _check_unique("engineer", [e.id for e in self.engineers])
        _check_unique("visit", [v.id for v in self.visits])
        ids = {e.id for e in self.engineers}
        for v in self.visits:
            for ref in (v.pinned_engineer, v.fixed_engineer):
                if ref is not None and ref not in ids:
                    raise ValueError(f"visit {v.id} names unknown engineer {ref}")

    def engineer_index(self) -> Mapping[str, int]:
        """Map engineer id to its position in ``engineers``."""
        return {e.id: k for k, e in enumerate(self.engineers)}

    def visit_index(self) -> Mapping[str, int]:
        """Map visit id to its position in ``visits``."""
        return {v.id: k for k, v in enumerate(self.visits)}


def _check_unique(kind: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"duplicate {kind} id {i!r}")
        seen.add(i)
