"""The registry of report figures: what each measures, how its daily rows are read, who may see it.

A figure is computed for one local day by a function that returns :class:`Measure` rows (see
:mod:`dispatch.reports.measures`); the nightly job stores them and the API reads them back with the
figure's ``reading``. A part with figures of its own (CSAT from ``dispatch/surveys``, complaint
attribution from ``dispatch/complaints``) writes its day functions and calls :func:`register` in that
package's ``reports.py``, listed in :data:`EXTENSIONS` below: the job, the API, the CSV export and the
pages pick it up with no other change.
"""

from __future__ import annotations

import importlib
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from dispatch.i18n import LazyText


class Reading(StrEnum):
    """How the daily rows of a figure make one number over a period."""

    COUNT = "count"
    """The sum of ``count`` (tickets created, tickets open at the day's end)."""
    RATE = "rate"
    """``sum(total) / sum(count)``, 0 to 1 (clocks met of clocks stopped, fixed of completed)."""
    SUM = "sum"
    """The sum of ``total`` (seconds or metres travelled)."""
    DURATION = "duration"
    """Median and p90 of the pooled ``samples`` (business seconds)."""
    LAST = "last"
    """The ``count`` of the period's last day (a level such as the backlog, not a flow)."""


class Audience(StrEnum):
    """Who may read a figure besides admins and dispatchers."""

    DESK = "desk"
    """Service desk figures: agents read them too."""
    FIELD = "field"
    """Field figures (visits, plans): admins and dispatchers only."""


@dataclass(frozen=True)
class Measure:
    """One row a figure's day function returns (the job adds the figure and the day)."""

    dimension: str
    key: str
    count: int
    total: int = 0
    samples: list[int] | None = None


@dataclass(frozen=True)
class Day:
    """A local day and its bounds in UTC (``start`` inclusive, ``end`` exclusive)."""

    day: date
    start: datetime
    end: datetime


DayFunction = Callable[[Session, Day], Iterable[Measure]]
"""``(session, day)`` -> the day's rows."""


class Days:
    """Consecutive local days read together (a backfill reads a month in one statement, not one a day)."""

    def __init__(self, days: Sequence[Day]) -> None:
        if not days:
            raise ValueError("no days")
        self.days = list(days)
        self._starts = [d.start for d in self.days]
        self.memo: dict[str, Any] = {}
        """What figures of one build share (the span lives for one build, so nothing here outlives it)."""

    @property
    def start(self) -> datetime:
        """The first day's start (UTC)."""
        return self.days[0].start

    @property
    def end(self) -> datetime:
        """The last day's end (UTC, exclusive)."""
        return self.days[-1].end

    def of(self, moment: datetime) -> date | None:
        """The local day a moment falls in, or None outside the days."""
        n = bisect_right(self._starts, moment) - 1
        if n < 0 or moment >= self.days[n].end:
            return None
        return self.days[n].day


DaysFunction = Callable[[Session, Days], Mapping[date, Iterable[Measure]]]
"""``(session, days)`` -> each day's rows (a day left out has none): what a day function gives for
each day, read in a few statements for all of them."""


def one_day(function: DaysFunction) -> DayFunction:
    """The day function of a days function."""

    def compute(session: Session, day: Day) -> list[Measure]:
        return list(function(session, Days([day])).get(day.day, ()))

    compute.__doc__ = function.__doc__
    return compute


@dataclass(frozen=True)
class Figure:
    """A report figure: its name, title, unit, how it reads, its dimensions and its day function."""

    name: str
    title: LazyText
    unit: str
    """``tickets``, ``share``, ``seconds``, ``metres``."""
    reading: Reading
    dimensions: tuple[str, ...]
    audience: Audience
    compute: DayFunction = field(repr=False)
    description: LazyText | None = None
    compute_days: DaysFunction | None = field(default=None, repr=False)
    """The same rows for many days at once (the job uses it when there is one; ``compute`` is then
    :func:`one_day` of it, so both give the same rows by construction)."""


_FIGURES: dict[str, Figure] = {}
EXTENSIONS: list[str] = ["dispatch.surveys.reports", "dispatch.complaints.reports"]
"""Modules that register more figures when imported."""


def register(figure: Figure) -> Figure:
    """Add a figure to the registry (a second one of the same name replaces the first)."""
    _FIGURES[figure.name] = figure
    return figure


def load_extensions() -> None:
    """Import the modules listed in :data:`EXTENSIONS` so their figures register themselves."""
    for module in EXTENSIONS:
        importlib.import_module(module)


def all_figures() -> list[Figure]:
    """Every registered figure, in the order they were registered."""
    from dispatch.reports import measures  # noqa: F401 - registers the built-in figures

    load_extensions()
    return list(_FIGURES.values())


def get(name: str) -> Figure | None:
    """The figure of that name, or None."""
    return {figure.name: figure for figure in all_figures()}.get(name)
