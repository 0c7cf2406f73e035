"""Building the daily rows (the job's work) and reading a figure over a range (the API's)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from time import perf_counter
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from dispatch.access import PLANNERS, STAFF, Actor, Role, require_role
from dispatch.db import utcnow
from dispatch.errors import Invalid, NotFound
from dispatch.i18n import _
from dispatch.reports import figures
from dispatch.reports.figures import Audience, Day, Days, Figure, Reading
from dispatch.reports.models import DailyAggregate

MAX_DAYS = 366
"""The longest range one request may read (a year, leap day included)."""
MAX_POINTS = 5000
"""The most points one answer may hold (a year per day for 13 engineers): more is no chart, but a
shorter range or a week or a month per point."""
DAILY = cast(Table, DailyAggregate.__table__)
"""The table itself: rows are written with Core inserts (the ORM's per-row work is a third of the job)."""
INSERT_CHUNK = 2000
"""Rows written in one statement by the job."""


def local_day(day: date, time_zone: str) -> Day:
    """The local day's bounds in UTC (right on the days the clocks change)."""
    zone = ZoneInfo(time_zone)
    start = datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    return Day(day, start, end)


def build_day(session: Session, day: date, *, time_zone: str, only: Sequence[str] = ()) -> int:
    """Replace the day's rows of every figure (or of ``only``) with freshly computed ones; returns how many."""
    return build_days(session, day, day, time_zone=time_zone, only=only)


def build_days(
    session: Session,
    first: date,
    last: date,
    *,
    time_zone: str,
    only: Sequence[str] = (),
    spent: dict[str, float] | None = None,
) -> int:
    """Replace the rows of every day from ``first`` to ``last`` of every figure (or of ``only``); returns
    how many (and adds each figure's seconds to ``spent``). A figure with a days function reads all the
    days in a few statements (a month's backfill is not thirty times a day's), the others are computed
    day by day."""
    span = Days([local_day(day, time_zone) for day in days(first, last)])
    chosen = [f for f in figures.all_figures() if not only or f.name in only]
    written = 0
    now = utcnow()
    for figure in chosen:
        began = perf_counter()
        session.execute(
            delete(DailyAggregate).where(
                DailyAggregate.figure == figure.name, DailyAggregate.day >= first, DailyAggregate.day <= last
            )
        )
        if figure.compute_days is not None:
            measured = figure.compute_days(session, span)
        else:
            measured = {bounds.day: figure.compute(session, bounds) for bounds in span.days}
        rows = [
            {
                "day": day,
                "figure": figure.name,
                "dimension": m.dimension,
                "key": m.key[:100],
                "count": m.count,
                "total": m.total,
                "samples": m.samples,
                "computed_at": now,
            }
            for day in sorted(measured)
            for m in measured[day]
        ]
        for start in range(0, len(rows), INSERT_CHUNK):
            session.execute(insert(DAILY), rows[start : start + INSERT_CHUNK])
        written += len(rows)
        if spent is not None:
            spent[figure.name] = spent.get(figure.name, 0.0) + perf_counter() - began
    session.flush()
    return written


def days(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last``, both included."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# --- reading -----------------------------------------------------------------------------------


class Every(StrEnum):
    """The length of one point of a series."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class Point:
    """One number of a figure: a period (its first day) and a dimension value."""

    period: date
    key: str
    count: int
    total: int
    value: float | None
    p90: float | None = None


@dataclass(frozen=True)
class Series:
    """A figure read over a range: its points, by period then key."""

    figure: Figure
    first: date
    last: date
    group: str
    every: Every
    points: list[Point]


def can_read(actor: Actor, figure: Figure) -> bool:
    """Admins and dispatchers read every figure; agents the service desk's."""
    if actor.role in PLANNERS:
        return True
    return actor.role is Role.AGENT and figure.audience is Audience.DESK


def visible(actor: Actor) -> list[Figure]:
    """The figures the actor may read."""
    require_role(actor, STAFF, to=_("Your role (%(role)s) may not read reports (allowed: %(allowed)s)."))
    return [f for f in figures.all_figures() if can_read(actor, f)]


def get_or_raise(actor: Actor, name: str) -> Figure:
    """The figure, if the actor may read it."""
    require_role(actor, STAFF, to=_("Your role (%(role)s) may not read reports (allowed: %(allowed)s)."))
    figure = figures.get(name)
    if figure is None:
        raise NotFound(_("there is no report figure %(name)s", name=name[:60]))
    if not can_read(actor, figure):
        require_role(
            actor, PLANNERS, to=_("Your role (%(role)s) may not read field reports (allowed: %(allowed)s).")
        )
    return figure


def _period(day: date, every: Every) -> date:
    if every is Every.WEEK:
        return day - timedelta(days=day.weekday())
    if every is Every.MONTH:
        return day.replace(day=1)
    return day


def percentile(ordered: Sequence[int], share: float) -> int | None:
    """The nearest-rank percentile of sorted values (the median is ``share=0.5``); None if empty."""
    if not ordered:
        return None
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def _merge(parts: Sequence[list[int]]) -> list[int]:
    """The days' samples as one sorted list."""
    merged: list[int] = []
    for part in parts:
        merged.extend(part)
    merged.sort()  # runs already sorted: a merge of them, not a full sort
    return merged


def read(
    session: Session,
    *,
    actor: Actor,
    name: str,
    first: date,
    last: date,
    group: str = "all",
    every: Every = Every.DAY,
) -> Series:
    """The figure from ``first`` to ``last`` (both included), one point per period and value of ``group``."""
    figure = get_or_raise(actor, name)
    if last < first:
        raise Invalid(_("the range ends before it starts"), errors={"to": ["on or after from"]})
    if (last - first).days + 1 > MAX_DAYS:
        raise Invalid(
            _("a report covers at most %(n)s days", n=MAX_DAYS),
            errors={"to": [f"at most {MAX_DAYS} days after from"]},
        )
    if group not in figure.dimensions:
        raise Invalid(
            _("this figure cannot be grouped by %(group)s", group=group[:40]),
            errors={"group": [f"one of: {', '.join(figure.dimensions)}"]},
        )
    columns: list[Any] = [DailyAggregate.day, DailyAggregate.key, DailyAggregate.count, DailyAggregate.total]
    if figure.reading is Reading.DURATION:
        columns.append(DailyAggregate.samples)
    stmt = (
        select(*columns)
        .where(
            DailyAggregate.figure == figure.name,
            DailyAggregate.dimension == group,
            DailyAggregate.day >= first,
            DailyAggregate.day <= last,
        )
        .order_by(DailyAggregate.day)
    )
    reading = figure.reading
    periods: dict[date, date] = {}
    # per (period, key): count, total, the last day seen, the days' sorted samples
    slots: dict[tuple[date, str], tuple[list[int], list[list[int]]]] = {}
    seen: dict[tuple[date, str], date] = {}
    for row in session.execute(stmt):
        day, key, n, t = row[0], row[1], row[2], row[3]
        period = periods.get(day)
        if period is None:
            period = periods[day] = _period(day, every)
        slot = (period, key)
        sums = slots.get(slot)
        if sums is None:
            sums = slots[slot] = ([0, 0], [])
        elif reading is Reading.LAST and seen[slot] != day:
            sums[0][0] = 0  # a level: the period's last day counts, not the sum of its days
        seen[slot] = day
        sums[0][0] += n
        sums[0][1] += t
        if reading is Reading.DURATION and row[4]:
            sums[1].append(row[4])
    points = []
    for slot in sorted(slots):
        (n, t), parts = slots[slot]
        value: float | None
        p90: float | None = None
        if reading in (Reading.COUNT, Reading.LAST):
            value = n
        elif reading is Reading.SUM:
            value = t
        elif reading is Reading.RATE:
            value = round(t / n, 4) if n else None
        else:
            pooled = _merge(parts)
            value, p90 = percentile(pooled, 0.5), percentile(pooled, 0.9)
        points.append(Point(slot[0], slot[1], n, t, value, p90))
    if len(points) > MAX_POINTS:
        raise Invalid(
            _(
                "that is %(n)s points, more than %(max)s: choose a shorter range, or a week or a month per point",
                n=len(points),
                max=MAX_POINTS,
            ),
            errors={"every": [f"at most {MAX_POINTS} points"]},
        )
    return Series(figure, first, last, group, every, points)
