"""The demo's cities: what each one sets for the company (time zone, language, phone region) and which
days its engineers work (Manchester: Monday to Friday; Shanghai: mainland China's working days, with
the statutory holidays off and the make-up working days, 调休, on, from ``chinese-calendar``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from dispatch.calendars import seed
from dispatch.demo.desk_scripts import MANCHESTER, SHANGHAI, DeskScript
from optimizer.datasets.cities import DEFAULT, generate
from optimizer.datasets.city import City

WORKDAY = [["09:00", "18:00"]]


@dataclass(frozen=True)
class DemoCity:
    """A city the demo can load, and how the company there is set up."""

    key: str
    time_zone: str
    city: str
    """What the sites' ``city`` field says."""
    country_code: str
    settings: dict[str, Any] = field(default_factory=dict)
    """Company settings the demo serves this city with (unless the environment sets them)."""
    is_working_day: Callable[[date], bool] = lambda day: day.weekday() < 5
    desk: DeskScript = MANCHESTER
    """What the service desk's demo says."""
    staff: dict[str, str] = field(default_factory=dict)
    """Full names of the demo's staff logins by role, where the city's differ from the defaults."""

    def generate(self, orders: int, *, seed: int, day: date) -> City:
        """The seeded city with ``orders`` visits on ``day``."""
        return generate(self.key, orders, seed=seed, day=day)

    def next_working_day(self, today: date) -> date:
        """The first working day after ``today``."""
        day = today + timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def working_days(self, first: date, count: int) -> list[date]:
        """``first`` and the working days after it, ``count`` in all."""
        days = [first]
        while len(days) < count:
            days.append(self.next_working_day(days[-1]))
        return days


@functools.cache
def _chinese_year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(holidays, make-up working days) of a year; only the statutory holidays in a year
    ``chinese-calendar`` does not know yet."""
    seeded = seed.from_chinese_calendar([year], WORKDAY)
    closed = frozenset(d.day for d in seeded.days if not d.intervals)
    make_up = frozenset(d.day for d in seeded.days if d.intervals)
    return closed, make_up


def chinese_working_day(day: date) -> bool:
    """Whether mainland China works on ``day``: not a statutory holiday, and a weekday or a 调休 day.

    A year the library does not cover yet keeps its statutory holidays and works Monday to Friday.
    """
    closed, make_up = _chinese_year(day.year)
    if day in closed:
        return False
    return day in make_up or day.weekday() < 5


CITIES: dict[str, DemoCity] = {
    "manchester": DemoCity(
        key="manchester",
        time_zone="Europe/London",
        city="Manchester",
        country_code="GB",
    ),
    "shanghai": DemoCity(
        key="shanghai",
        time_zone="Asia/Shanghai",
        city="上海市",
        country_code="CN",
        settings={
            "default_time_zone": "Asia/Shanghai",
            "default_locale": "zh_Hans",
            "phone_region": "CN",
            "company_name": "申城上门服务",
        },
        is_working_day=chinese_working_day,
        desk=SHANGHAI,
        staff={"admin": "王海燕", "dispatcher": "陈志明", "agent": "刘佳怡"},
    ),
}
NAMES = tuple(CITIES)


def get(name: str | None) -> DemoCity:
    """The named demo city (the default, Manchester, for None); ValueError for a city there is not."""
    try:
        return CITIES[name or DEFAULT]
    except KeyError:
        raise ValueError(f"unknown demo city {name!r}; known: {', '.join(NAMES)}") from None
