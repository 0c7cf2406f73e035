"""Business time: pure arithmetic over a calendar's working hours (no database, no Flask).

A :class:`Calendar` is a time zone, working intervals per weekday (``08:30-12:00`` and
``13:00-18:00``) and dated overrides (a holiday has no intervals; a make-up working day that falls
on a weekend has some). Two operations:

- :func:`add` ``(calendar, start, seconds) -> due``: the instant at which ``seconds`` of business
  time starting at ``start`` have been used up;
- :func:`elapsed` ``(calendar, a, b) -> seconds``: how much business time lies between two instants.

Conventions (the property tests in ``tests/dispatch/test_business_time.py`` hold them):

- Working intervals are half-open, ``[start, end)``, in the calendar's local wall time, turned into
  real instants with :mod:`zoneinfo` date by date. On a DST day the wall clock is what counts: a
  ``00:00-24:00`` day lasts 23 or 25 real hours. A boundary at a wall time that does not exist (the
  spring gap) is taken at the moment of the change; one at a wall time that happens twice (autumn)
  at its first occurrence, so an interval from inside the repeated hour also covers its second pass.
- ``add(c, s, d)`` with ``d > 0`` is never in non-working time: it lies inside a working interval
  or exactly at its end (something due after the last business second of the day is due at closing
  time, not at the next opening). ``add(c, s, 0) == s``. A start outside working hours starts
  counting at the next opening.
- ``elapsed(c, a, b)`` counts business time in ``[a, b)`` and is floored to whole seconds (negative
  when ``b`` is before ``a``); ``elapsed(c, s, add(c, s, d)) == d`` for every whole ``d >= 0``,
  ``add(add(s, a), b) == add(s, a + b)``, and both are monotone.

Speed: each local year's working spans are computed once per calendar (a few hundred spans, with
their running totals), so both operations are a binary search plus a sum over whole years.
"""

from __future__ import annotations

import bisect
import itertools
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY = date(1970, 1, 1)
US = 1_000_000
MAX_EMPTY_YEARS = 50
"""``add`` gives up (:class:`NoWorkingTime`) after this many years without a working second."""

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")

Interval = tuple[int, int]
"""Minutes from local midnight, ``(start, end)`` with ``0 <= start < end <= 1440``."""


class NoWorkingTime(ValueError):
    """The calendar has no working time ahead of the start: nothing can ever fall due."""


def parse_intervals(pairs: Sequence[Sequence[str]]) -> tuple[Interval, ...]:
    """``[["08:30", "12:00"], ...]`` as sorted minute intervals; ValueError if malformed or overlapping."""
    found = []
    for pair in pairs:
        if len(pair) != 2 or not all(isinstance(t, str) and _CLOCK.match(t) for t in pair):
            raise ValueError(f'expected ["HH:MM", "HH:MM"], not {pair!r}')
        start, end = (int(t[:2]) * 60 + int(t[3:]) for t in pair)
        if end <= start:
            raise ValueError(f"{pair[0]}-{pair[1]} ends before it starts")
        found.append((start, end))
    found.sort()
    for (_s1, e1), (s2, _e2) in itertools.pairwise(found):
        if s2 < e1:
            raise ValueError("working intervals of one day overlap")
    return tuple(found)


def _us(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("business time needs aware datetimes (with a time zone)")
    return (moment - EPOCH) // timedelta(microseconds=1)


def _moment(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


@dataclass(frozen=True)
class _Year:
    starts: list[int]
    ends: list[int]
    before: list[int]
    """Business microseconds of the year before each span starts."""
    upto: list[int]
    """Business microseconds of the year up to each span's end."""
    total: int


class Calendar:
    """Working hours per weekday in a time zone, with dated overrides (immutable once built)."""

    def __init__(
        self,
        time_zone: str,
        week: Mapping[str, Sequence[Sequence[str]]],
        overrides: Mapping[date, Sequence[Sequence[str]]] | None = None,
    ) -> None:
        self.time_zone = time_zone
        self.zone = ZoneInfo(time_zone)
        unknown = set(week) - set(DAYS)
        if unknown:
            raise ValueError(f"unknown weekday {sorted(unknown)[0]!r}")
        self.week: tuple[tuple[Interval, ...], ...] = tuple(parse_intervals(week.get(d, [])) for d in DAYS)
        self.overrides: dict[date, tuple[Interval, ...]] = {
            day: parse_intervals(pairs) for day, pairs in (overrides or {}).items()
        }
        self._years: dict[int, _Year] = {}
        self._lock = threading.Lock()

    def intervals(self, day: date) -> tuple[Interval, ...]:
        """The working intervals of a local date: its override if it has one, else its weekday's."""
        found = self.overrides.get(day)
        return found if found is not None else self.week[day.weekday()]

    def _instant(self, day: date, minute: int) -> int:
        naive = datetime(day.year, day.month, day.day) + timedelta(minutes=minute)
        first = naive.replace(tzinfo=self.zone)
        us = _us(first)
        if _moment(us).astimezone(self.zone).replace(tzinfo=None) == naive:
            return us  # the wall time exists (fold 0: its first occurrence if it happens twice)
        # In the spring gap: take the moment the clocks changed, between the two readings.
        lo = _us(naive.replace(tzinfo=self.zone, fold=1))
        hi = us
        offset_after = _moment(hi).astimezone(self.zone).utcoffset()
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _moment(mid).astimezone(self.zone).utcoffset() == offset_after:
                hi = mid
            else:
                lo = mid
        return hi

    def _day_spans(self, day: date, floor: int) -> list[tuple[int, int]]:
        intervals = self.intervals(day)
        if not intervals:
            return []
        midnight = datetime(day.year, day.month, day.day)
        offset = self.zone.utcoffset(midnight)
        steady = offset == self.zone.utcoffset(midnight + timedelta(days=1))
        base = (day - _EPOCH_DAY).days * 86400 * US - (offset // timedelta(microseconds=1) if offset else 0)
        spans = []
        for start_min, end_min in intervals:
            if steady:  # no clock change that day: wall time is a fixed offset from UTC
                start, end = base + start_min * 60 * US, base + end_min * 60 * US
            else:
                start, end = self._instant(day, start_min), self._instant(day, end_min)
            start = max(start, floor)
            if end > start:
                spans.append((start, end))
                floor = end
        return spans

    def _year(self, year: int) -> _Year:
        found = self._years.get(year)
        if found is not None:
            return found
        with self._lock:
            found = self._years.get(year)
            if found is None:
                found = self._build_year(year)
                self._years[year] = found
        return found

    def _build_year(self, year: int) -> _Year:
        floor = -(2**62)
        if year > 1:  # the first span of the year never starts before the last one of New Year's Eve ends
            eve = self._day_spans(date(year - 1, 12, 31), floor)
            floor = eve[-1][1] if eve else floor
        starts: list[int] = []
        ends: list[int] = []
        before: list[int] = []
        upto: list[int] = []
        total = 0
        day = date(year, 1, 1)
        while day.year == year:
            for start, end in self._day_spans(day, floor):
                starts.append(start)
                ends.append(end)
                before.append(total)
                total += end - start
                upto.append(total)
                floor = end
            day += timedelta(days=1)
        return _Year(starts, ends, before, upto, total)

    def _local_year(self, us: int) -> int:
        return _moment(us).astimezone(self.zone).year

    def _position(self, year: _Year, us: int) -> int:
        """Business microseconds of ``year`` before the instant ``us`` (which lies in or after it)."""
        i = bisect.bisect_right(year.starts, us) - 1
        if i < 0:
            return 0
        return year.before[i] + min(us, year.ends[i]) - year.starts[i]

    def spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working spans of a local date as UTC instants (for display and tests)."""
        year = self._year(day.year)
        start_of_day = self._instant(day, 0)
        end_of_day = self._instant(day + timedelta(days=1), 0)
        return [
            (_moment(s), _moment(e))
            for s, e in zip(year.starts, year.ends, strict=True)
            if start_of_day <= s < end_of_day or (s < start_of_day < e)
        ]

    def is_working(self, moment: datetime) -> bool:
        """Whether ``moment`` lies inside a working interval (``[start, end)``)."""
        us = _us(moment)
        year = self._year(self._local_year(us))
        i = bisect.bisect_right(year.starts, us) - 1
        return i >= 0 and us < year.ends[i]

    def business_us(self, a: datetime, b: datetime) -> int:
        """Business microseconds in ``[a, b)`` (negative when ``b`` is before ``a``)."""
        ua, ub = _us(a), _us(b)
        if ub < ua:
            return -self.business_us(b, a)
        ya, yb = self._local_year(ua), self._local_year(ub)
        first = self._year(ya)
        if ya == yb:
            return self._position(first, ub) - self._position(first, ua)
        total = first.total - self._position(first, ua)
        for y in range(ya + 1, yb):
            total += self._year(y).total
        return total + self._position(self._year(yb), ub)

    def add_us(self, start: datetime, amount: int) -> datetime:
        """The instant ``amount`` business microseconds after ``start`` (see :func:`add`)."""
        if amount < 0:
            raise ValueError("business time is added forwards only")
        if amount == 0:
            return start
        us = _us(start)
        y = self._local_year(us)
        year = self._year(y)
        target = self._position(year, us) + amount
        empty = 0
        while target > year.total:
            target -= year.total
            empty = empty + 1 if year.total == 0 else 0
            if empty > MAX_EMPTY_YEARS:
                raise NoWorkingTime(f"no working time in {self.time_zone} for {MAX_EMPTY_YEARS} years")
            y += 1
            year = self._year(y)
        i = bisect.bisect_left(year.upto, target)
        return _moment(year.starts[i] + target - year.before[i]).astimezone(UTC)


def add(calendar: Calendar, start: datetime, seconds: int) -> datetime:
    """When ``seconds`` of business time from ``start`` are used up (in UTC; ``start`` if 0)."""
    return calendar.add_us(start, int(seconds) * US)


def elapsed(calendar: Calendar, a: datetime, b: datetime) -> int:
    """Business seconds in ``[a, b)``, floored (negative when ``b`` is before ``a``)."""
    return calendar.business_us(a, b) // US


def has_working_time(week: Mapping[str, Sequence[Sequence[str]]]) -> bool:
    """Whether a weekly timetable has any working interval at all."""
    return any(parse_intervals(week.get(d, [])) for d in DAYS)
