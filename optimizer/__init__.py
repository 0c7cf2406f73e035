"""Field-service routing engine: problem dataclasses in, a timed plan out (OR-Tools inside)."""

from optimizer.insertion import InsertionOption, insertion_options
from optimizer.model import Break, Engineer, Location, Priority, Problem, SolveOptions, Visit
from optimizer.notes import Note
from optimizer.plan import BreakSlot, Move, Plan, Reason, Route, SolveStats, Stop, Unassigned
from optimizer.replan import reoptimize
from optimizer.solver import ProgressHook, evaluate, release_workers, solve
from optimizer.travel import (
    EuclideanTravel,
    HaversineTravel,
    OsrmTravel,
    TravelMatrix,
    TravelProvider,
)

__all__ = [
    "Break",
    "BreakSlot",
    "Engineer",
    "EuclideanTravel",
    "HaversineTravel",
    "InsertionOption",
    "Location",
    "Move",
    "Note",
    "OsrmTravel",
    "Plan",
    "Priority",
    "Problem",
    "ProgressHook",
    "Reason",
    "Route",
    "SolveOptions",
    "SolveStats",
    "Stop",
    "TravelMatrix",
    "TravelProvider",
    "Unassigned",
    "Visit",
    "evaluate",
    "insertion_options",
    "release_workers",
    "reoptimize",
    "solve",
]
