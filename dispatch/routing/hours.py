"""Agents' working hours: weekly intervals in a time zone, in one place.

Stored as JSON on the agent, e.g. ``{"mon": [["08:30", "12:00"], ["13:00", "17:30"]], "sat": []}``:
a weekday missing or empty is a day off, ``"24:00"`` ends an interval at midnight, intervals of a
day do not overlap. No hours at all (None) means the agent is on shift at any time. Holidays and
business calendars are the SLA package's (``dispatch/calendars``); this only says who may take a
ticket now.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dispatch.errors import Invalid
from dispatch.i18n import _

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def validate(hours: Any) -> dict[str, list[list[str]]] | None:
    """Return the hours if well formed (None stays None), else :class:`Invalid` naming each day."""
    if hours is None:
        return None
    errors: dict[str, list[str]] = {}
    if not isinstance(hours, Mapping):
        raise Invalid(
            _('working hours are a weekly timetable such as {"mon": [["08:30", "12:00"]]}'),
            errors={"working_hours": ["expected an object keyed by weekday"]},
        )
    clean: dict[str, list[list[str]]] = {}
    for day, intervals in hours.items():
        where = f"working_hours.{day}"
        if day not in DAYS:
            errors.setdefault(where, []).append(f"unknown day {day!r}; use {', '.join(DAYS)}")
            continue
        if not isinstance(intervals, list) or len(intervals) > 6:
            errors.setdefault(where, []).append("expected a list of at most 6 [start, end] pairs")
            continue
        spans = []
        for pair in intervals:
            if (
                not isinstance(pair, list)
                or len(pair) != 2
                or not all(isinstance(t, str) and _CLOCK.match(t) for t in pair)
            ):
                errors.setdefault(where, []).append(f'expected ["HH:MM", "HH:MM"], not {pair!r}')
                continue
            start, end = _minutes(pair[0]), _minutes(pair[1])
            if end <= start:
                errors.setdefault(where, []).append(f"{pair[0]}-{pair[1]} ends before it starts")
                continue
            spans.append((start, end, pair))
        spans.sort()
        for (_s1, e1, p1), (s2, _e2, p2) in itertools.pairwise(spans):
            if s2 < e1:
                errors.setdefault(where, []).append(f"{p1[0]}-{p1[1]} overlaps {p2[0]}-{p2[1]}")
        clean[day] = [list(p) for _s, _e, p in spans]
    if errors:
        raise Invalid(_("the working hours are not usable (see errors)"), errors=errors)
    return clean


def on_shift(hours: Mapping[str, Any] | None, time_zone: str, moment: datetime) -> bool:
    """Whether ``moment`` falls inside the weekly hours, read in ``time_zone``."""
    if hours is None:
        return True
    local = moment.astimezone(ZoneInfo(time_zone))
    minute = local.hour * 60 + local.minute
    for start, end in hours.get(DAYS[local.weekday()], []):
        if _minutes(start) <= minute < _minutes(end):
            return True
    return False
