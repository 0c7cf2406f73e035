"""The booking policy's windows, the ranking, and the timed-plan cache (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from dispatch.booking import slots as slots_module
from dispatch.booking.slots import PlanCache, Policy, Slot, candidate_windows, check_day, rank
from dispatch.errors import Invalid

LONDON = "Europe/London"


def test_windows_are_local_hours_also_on_the_day_the_clocks_go_forward():
    now = datetime(2026, 3, 1, tzinfo=UTC)
    summer = candidate_windows(date(2026, 3, 29), time_zone=LONDON, policy=Policy(), now=now)
    assert [(a.hour, b.hour) for a, b in summer] == [(7, 9), (9, 11), (11, 13), (13, 15), (15, 17)]  # UTC
    winter = candidate_windows(date(2026, 3, 28), time_zone=LONDON, policy=Policy(), now=now)
    assert winter[0][0] == datetime(2026, 3, 28, 8, tzinfo=UTC)


def test_windows_too_soon_are_not_offered():
    now = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)  # 09:30 in London; two hours' lead -> from 11:30
    today = candidate_windows(date(2026, 1, 5), time_zone=LONDON, policy=Policy(), now=now)
    assert [a.hour for a, _ in today] == [12, 14, 16]
    three_hour = Policy(window_hours=3, day_start_hour=9, day_end_hour=17)
    assert [
        a.hour for a, _ in candidate_windows(date(2026, 1, 6), time_zone=LONDON, policy=three_hour, now=now)
    ] == [
        9,
        12,
    ]


def test_the_horizon_and_the_past_are_refused():
    now = datetime(2026, 1, 5, 9, tzinfo=UTC)
    check_day(date(2026, 1, 5) + timedelta(days=28), time_zone=LONDON, policy=Policy(), now=now)
    with pytest.raises(Invalid, match="28 days ahead"):
        check_day(date(2026, 2, 3), time_zone=LONDON, policy=Policy(), now=now)
    with pytest.raises(Invalid, match="in the past"):
        check_day(date(2026, 1, 4), time_zone=LONDON, policy=Policy(), now=now)


def _slot(hour: int, extra_m: int) -> Slot:
    start = datetime(2026, 1, 6, hour, tzinfo=UTC)
    return Slot(start, start + timedelta(hours=2), LONDON, 1, 0, start, extra_m, extra_m // 10)


def test_least_extra_driving_first_then_the_earliest():
    ranked = rank([_slot(8, 900), _slot(14, 100), _slot(10, 100), _slot(12, 5000)])
    assert [(s.starts_at.hour, s.rank) for s in ranked] == [(10, 1), (14, 2), (8, 3), (12, 4)]


def test_the_cache_answers_only_for_the_same_fingerprint_and_not_for_long(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(slots_module, "monotonic", lambda: clock[0])
    cache = PlanCache(size=2, max_age_s=60)
    day: Any = object()
    plan: Any = object()
    cache.put(("a",), (1, 2), day, plan)
    assert cache.get(("a",), (1, 2)) == (day, plan)
    assert cache.get(("a",), (1, 3)) is None
    clock[0] += 61
    assert cache.get(("a",), (1, 2)) is None
    for key in ("b", "c", "d"):
        cache.put((key,), (), day, plan)
    assert cache.get(("b",), ()) is None  # the least recently used went
    assert cache.get(("d",), ()) == (day, plan)
