"""Business-time arithmetic: properties over random calendars, across DST and around holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dispatch.calendars.business import DAYS, Calendar, NoWorkingTime, add, elapsed

LONDON = ZoneInfo("Europe/London")
SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = [["08:30", "12:00"], ["13:00", "18:00"]]
WEEKDAYS = dict.fromkeys(DAYS[:5], OFFICE)
DST_DAYS = [date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31)]
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _clock(minute: int) -> str:
    return "24:00" if minute == 1440 else f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def day_hours(draw, avoid_dst_hour: bool = False):
    """0 to 3 non-overlapping intervals of a day, on 15-minute boundaries (sometimes the whole day)."""
    if draw(st.booleans()) and draw(st.booleans()):
        return [["00:00", "24:00"]]
    cuts = sorted(draw(st.sets(st.integers(0, 96), min_size=0, max_size=6)))
    if len(cuts) % 2:
        cuts = cuts[:-1]
    minutes = [c * 15 for c in cuts]
    if avoid_dst_hour:
        assume(not any(60 < m < 120 for m in minutes))
    return [[_clock(a), _clock(b)] for a, b in zip(minutes[::2], minutes[1::2], strict=True) if b > a]


@st.composite
def calendars(draw, avoid_dst_hour: bool = False):
    """A calendar in London or Shanghai with some working time, holidays and make-up days in 2026-2027."""
    zone = draw(st.sampled_from(["Europe/London", "Asia/Shanghai"]))
    week = {d: draw(day_hours(avoid_dst_hour)) for d in DAYS}
    if not any(week.values()):
        week["mon"] = OFFICE
    days = st.dates(date(2026, 1, 1), date(2027, 12, 31))
    overrides = draw(st.dictionaries(days, st.one_of(st.just([]), day_hours(avoid_dst_hour)), max_size=12))
    for day in DST_DAYS:  # DST days worked in full, often: the conversions that go wrong
        if draw(st.booleans()):
            overrides[day] = [["00:00", "24:00"]]
    return Calendar(zone, week, overrides)


def _near_dst() -> st.SearchStrategy[datetime]:
    return st.builds(
        lambda day, offset: datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=offset),
        st.sampled_from(DST_DAYS),
        st.integers(-2 * 86400, 2 * 86400),
    )


starts = st.one_of(
    st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC)), _near_dst()
)
durations = st.integers(0, 40 * 3600)


@PROPERTY
@given(calendars(), starts, durations)
def test_measuring_what_was_added_gives_the_duration_back(calendar, start, seconds):
    assert elapsed(calendar, start, add(calendar, start, seconds)) == seconds


@PROPERTY
@given(calendars(), starts, st.integers(1, 40 * 3600))
def test_a_due_instant_is_inside_working_time_or_at_closing_time(calendar, start, seconds):
    due = add(calendar, start, seconds)
    assert due > start
    assert calendar.is_working(due - timedelta(microseconds=1))
    # One second earlier the last second was still to be worked: nothing of non-working time counts.
    assert elapsed(calendar, start, due - timedelta(seconds=1)) < seconds


@PROPERTY
@given(calendars(), starts, durations, durations)
def test_add_is_monotone_in_the_duration_and_additive(calendar, start, a, b):
    low, high = sorted((a, b))
    assert add(calendar, start, low) <= add(calendar, start, high)
    if a > 0 and b > 0:
        assert add(calendar, add(calendar, start, a), b) == add(calendar, start, a + b)


@PROPERTY
@given(calendars(), starts, starts, durations)
def test_add_and_elapsed_are_monotone_in_their_instants(calendar, s1, s2, seconds):
    early, late = sorted((s1, s2))
    assert add(calendar, early, seconds) <= add(calendar, late, seconds)
    anchor = early - timedelta(days=3)
    assert elapsed(calendar, anchor, early) <= elapsed(calendar, anchor, late)
    assert elapsed(calendar, early, late) >= 0


def _walked(calendar: Calendar, a: datetime, b: datetime) -> int:
    """The business seconds between two whole minutes, minute by minute on the wall clock (the oracle)."""
    zone = ZoneInfo(calendar.time_zone)
    total = 0
    moment = a
    while moment < b:
        local = moment.astimezone(zone)
        minute = local.hour * 60 + local.minute
        if any(s <= minute < e for s, e in calendar.intervals(local.date())):
            total += 60
        moment += timedelta(minutes=1)
    return total


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    calendars(avoid_dst_hour=True),
    st.sampled_from(DST_DAYS),
    st.integers(-36 * 60, 24 * 60),
    st.integers(0, 48 * 60),
)
def test_elapsed_agrees_with_the_wall_clock_minute_by_minute_across_dst(calendar, day, offset, length):
    a = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=offset)
    b = a + timedelta(minutes=length)
    assert elapsed(calendar, a, b) == _walked(calendar, a, b)


def test_a_dst_day_has_23_or_25_hours_of_wall_time_in_london_and_24_in_shanghai():
    always = {d: [["00:00", "24:00"]] for d in DAYS}
    london, shanghai = Calendar("Europe/London", always), Calendar("Asia/Shanghai", always)
    for day, hours in ((date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 6, 1), 24)):
        start = datetime(day.year, day.month, day.day, tzinfo=LONDON)
        assert elapsed(london, start, start.replace(day=day.day + 1)) == hours * 3600
        start = datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)
        assert elapsed(shanghai, start, start.replace(day=day.day + 1)) == 24 * 3600


def test_an_office_day_across_the_clock_change_is_still_eight_and_a_half_hours():
    calendar = Calendar("Europe/London", dict.fromkeys(DAYS, OFFICE))
    for day in (date(2026, 3, 29), date(2026, 10, 25)):
        start = datetime(day.year, day.month, day.day, tzinfo=LONDON)
        assert elapsed(calendar, start, start + timedelta(hours=30)) == int(8.5 * 3600)
        # Due at 10:30 local on both days, whatever the offset.
        due = add(calendar, start, 2 * 3600)
        assert due.astimezone(LONDON).time().isoformat() == "10:30:00"


def test_holidays_are_skipped_and_a_weekend_make_up_day_is_worked():
    # Shanghai, Spring Festival 2026: Sat 14 Feb is a make-up working day, 16-20 Feb are closed.
    overrides = {date(2026, 2, 14): OFFICE, **{date(2026, 2, d): [] for d in range(16, 21)}}
    calendar = Calendar("Asia/Shanghai", WEEKDAYS, overrides)
    friday_evening = datetime(2026, 2, 13, 17, 0, tzinfo=SHANGHAI)
    assert add(calendar, friday_evening, 3600) == datetime(2026, 2, 13, 18, 0, tzinfo=SHANGHAI)
    assert add(calendar, friday_evening, 2 * 3600) == datetime(2026, 2, 14, 9, 30, tzinfo=SHANGHAI)
    saturday_closing = datetime(2026, 2, 14, 18, 0, tzinfo=SHANGHAI)
    # Nothing is worked from Saturday's closing to Monday 23 February's opening.
    assert add(calendar, saturday_closing, 60) == datetime(2026, 2, 23, 8, 31, tzinfo=SHANGHAI)
    assert elapsed(calendar, saturday_closing, datetime(2026, 2, 23, 8, 30, tzinfo=SHANGHAI)) == 0


def test_a_start_outside_working_hours_counts_from_the_next_opening_and_due_at_closing_time():
    calendar = Calendar("Europe/London", WEEKDAYS)
    saturday = datetime(2026, 6, 6, 23, 0, tzinfo=LONDON)
    assert add(calendar, saturday, 60) == datetime(2026, 6, 8, 8, 31, tzinfo=LONDON)
    lunch = datetime(2026, 6, 8, 12, 30, tzinfo=LONDON)
    assert add(calendar, lunch, 5 * 3600) == datetime(2026, 6, 8, 18, 0, tzinfo=LONDON)
    assert add(calendar, lunch, 0) == lunch


def test_a_calendar_without_working_time_refuses_instead_of_looping():
    calendar = Calendar("Europe/London", {})
    with pytest.raises(NoWorkingTime):
        add(calendar, datetime(2026, 1, 1, tzinfo=UTC), 60)
    assert elapsed(calendar, datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)) == 0


def test_naive_datetimes_and_bad_hours_are_refused():
    with pytest.raises(ValueError, match="aware"):
        add(Calendar("Europe/London", WEEKDAYS), datetime(2026, 1, 1), 60)
    with pytest.raises(ValueError, match="overlap"):
        Calendar("Europe/London", {"mon": [["08:00", "12:00"], ["11:00", "13:00"]]})
