"""Plan dataclasses: what the engine returns (routes, stops, unassigned visits, moves)."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any

from optimizer.notes import Note


class Reason(enum.StrEnum):
    """Why a visit is not in the plan."""

    NO_SKILLED_ENGINEER = "no_skilled_engineer"
    WINDOW_UNREACHABLE = "window_unreachable"
    SHIFT_TOO_SHORT = "shift_too_short"
    OVER_CAPACITY = "over_capacity"
    DROPPED = "dropped_too_costly"


@dataclass(frozen=True, slots=True)
class Stop:
    """One visit on a route. ``travel_*`` is the leg from the previous stop (or the start)."""

    visit_id: str
    arrival: int
    wait: int
    start: int
    departure: int
    travel_time: int
    travel_distance: int
    why: str = ""
    fixed: bool = False
    notes: tuple[Note, ...] = ()
    """``why`` as data (codes and values), for wording in the reader's language."""


@dataclass(frozen=True, slots=True)
class BreakSlot:
    """A break taken on the route, ``[start, end)``."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Route:
    """One engineer's day: leave the start, do the stops in order, reach the end."""

    engineer_id: str
    departure: int
    stops: tuple[Stop, ...]
    breaks: tuple[BreakSlot, ...] = ()
    end_arrival: int = 0
    end_travel_time: int = 0
    end_travel_distance: int = 0

    @property
    def travel_distance(self) -> int:
        """Metres driven, including the trip to the end location."""
        return sum(s.travel_distance for s in self.stops) + self.end_travel_distance

    @property
    def travel_time(self) -> int:
        """Seconds driven, including the trip to the end location."""
        return sum(s.travel_time for s in self.stops) + self.end_travel_time

    @property
    def working_time(self) -> int:
        """Seconds from leaving the start to reaching the end (0 for an empty route)."""
        return self.end_arrival - self.departure if self.stops else 0


@dataclass(frozen=True, slots=True)
class Unassigned:
    """A visit left out, and why."""

    visit_id: str
    reason: Reason
    detail: str = ""
    note: Note | None = None
    """``detail`` as data (a code and values), for wording in the reader's language."""


@dataclass(frozen=True, slots=True)
class Move:
    """A published visit that changed engineer or start time (``to_engineer=None``: dropped)."""

    visit_id: str
    from_engineer: str | None
    to_engineer: str | None
    from_start: int | None
    to_start: int | None


@dataclass(frozen=True, slots=True)
class SolveStats:
    """How the plan was found."""

    solver: str = ""
    seconds: float = 0.0
    first_solution_s: float | None = None
    objective: int | None = None
    workers: int = 1


@dataclass(frozen=True)
class Plan:
    """The engine's answer: always a plan, with unassigned visits explained."""

    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...] = ()
    moved: tuple[Move, ...] = ()
    stats: SolveStats = field(default_factory=SolveStats)

    @property
    def travel_distance(self) -> int:
        """Metres driven over all routes."""
        return sum(r.travel_distance for r in self.routes)

    @property
    def travel_time(self) -> int:
        """Seconds driven over all routes."""
        return sum(r.travel_time for r in self.routes)

    @property
    def assigned(self) -> int:
        """Number of visits on a route."""
        return sum(len(r.stops) for r in self.routes)

    @property
    def engineers_used(self) -> int:
        """Number of routes with at least one stop."""
        return sum(1 for r in self.routes if r.stops)

    def route_of(self, engineer_id: str) -> Route | None:
        """Return the route of one engineer, if any."""
        return next((r for r in self.routes if r.engineer_id == engineer_id), None)

    def summary(self) -> str:
        """Human-readable few lines: totals, then one line per used route."""
        lines = [
            f"{self.assigned} visits on {self.engineers_used} routes, "
            f"{self.travel_distance / 1000:.1f} km, {self.travel_time / 3600:.2f} h driving, "
            f"{len(self.unassigned)} unassigned, {len(self.moved)} moved"
        ]
        for r in self.routes:
            if r.stops:
                ids = " ".join(s.visit_id for s in r.stops)
                lines.append(f"  {r.engineer_id}: {ids} ({r.travel_distance / 1000:.1f} km)")
        lines.extend(f"  unassigned {u.visit_id}: {u.reason.value} {u.detail}" for u in self.unassigned)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of the whole plan, with totals."""
        out = asdict(self)
        out["totals"] = {
            "travel_distance": self.travel_distance,
            "travel_time": self.travel_time,
            "assigned": self.assigned,
            "unassigned": len(self.unassigned),
            "engineers_used": self.engineers_used,
        }
        for u in out["unassigned"]:
            u["reason"] = str(u["reason"])
        return out
