"""Builders for tiny hand-checkable routing problems.

Places sit on a plane in metres and the travel provider moves at 1 m/s, so a leg of 300 m takes
300 s and every figure in a test can be worked out by hand.
"""

from __future__ import annotations

from collections.abc import Sequence

from optimizer import Break, Engineer, EuclideanTravel, Location, Problem, SolveOptions, Visit

LINE = EuclideanTravel(scale=1.0, time_factor=1.0)


def at(x: float, y: float = 0.0) -> Location:
    """A place ``x`` metres east and ``y`` metres north of the origin."""
    return Location(float(x), float(y))


def engineer(
    eid: str = "e1",
    x: float = 0,
    *,
    start: int = 0,
    end: int = 10_000,
    skills: Sequence[str] = (),
    breaks: Sequence[Break] = (),
    home: bool = True,
    **kw: object,
) -> Engineer:
    """An engineer based at ``x`` (and returning there unless ``home=False``)."""
    return Engineer(
        id=eid,
        start_location=at(x),
        end_location=at(x) if home else None,
        shift_start=start,
        shift_end=end,
        skills=frozenset(skills),
        breaks=tuple(breaks),
        **kw,  # type: ignore[arg-type]
    )


def visit(
    vid: str,
    x: float,
    *,
    service: int = 0,
    windows: Sequence[tuple[int, int]] = (),
    skills: Sequence[str] = (),
    **kw: object,
) -> Visit:
    """A visit at ``x`` with optional windows and skills."""
    return Visit(
        id=vid,
        location=at(x),
        service_duration=service,
        windows=tuple(windows),
        required_skills=frozenset(skills),
        **kw,  # type: ignore[arg-type]
    )


def problem(engineers: Sequence[Engineer], visits: Sequence[Visit], **options: int | str) -> Problem:
    """A problem on the 1 m/s plane."""
    return Problem(
        engineers=tuple(engineers),
        visits=tuple(visits),
        travel=LINE,
        options=SolveOptions(**options),  # type: ignore[arg-type]
    )
