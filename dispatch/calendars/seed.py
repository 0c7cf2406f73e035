"""Holidays and make-up working days from kept libraries: ``holidays`` (any country it knows, with
its subdivisions) and ``chinese-calendar`` (mainland China's holidays and its weekend working days,
调休, as the State Council announces them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

SOURCES = ("holidays", "chinese_calendar")


class UnknownRegion(ValueError):
    """The library does not know the country or subdivision asked for."""


@dataclass(frozen=True)
class SeedDay:
    """One dated override a library gives: closed (no intervals) or a make-up working day."""

    day: date
    name: str
    intervals: list[list[str]]


@dataclass
class Seeded:
    """What a library gives for a range of years, and which years it does not know yet."""

    source: str
    days: list[SeedDay] = field(default_factory=list)
    years_not_covered: list[int] = field(default_factory=list)


def from_holidays(country: str, subdiv: str | None, years: Sequence[int], workday: list[list[str]]) -> Seeded:
    """Public holidays of a country (and subdivision) from ``holidays``; weekend working days it lists too."""
    import holidays

    supported = holidays.list_supported_countries()
    code = country.upper()
    if code not in supported:
        raise UnknownRegion(f"the holidays library does not know country {country!r}")
    if subdiv is not None and subdiv.upper() not in [s.upper() for s in supported[code]]:
        raise UnknownRegion(
            f"{code} has no subdivision {subdiv!r}; known: {', '.join(supported[code]) or 'none'}"
        )
    found = holidays.country_holidays(code, subdiv=subdiv.upper() if subdiv else None, years=list(years))
    source = f"holidays:{code}" + (f"-{subdiv.upper()}" if subdiv else "")
    result = Seeded(source)
    result.days = [SeedDay(day, str(name), []) for day, name in sorted(found.items()) if day.year in years]
    for day in sorted(getattr(found, "weekend_workdays", ())):
        if day.year in years:
            result.days.append(SeedDay(day, "Working day (make-up)", workday))
    result.days.sort(key=lambda d: d.day)
    return result


def from_chinese_calendar(years: Sequence[int], workday: list[list[str]]) -> Seeded:
    """Mainland China's statutory holidays and make-up working days (调休) from ``chinese-calendar``."""
    import chinese_calendar
    from chinese_calendar.constants import Holiday

    chinese = {h.value: h.chinese for h in Holiday}
    known = {d.year for d in chinese_calendar.holidays}
    result = Seeded("chinese_calendar")
    result.years_not_covered = [y for y in years if y not in known]
    if result.years_not_covered:
        result.days.extend(_statutory_chinese_days(result.years_not_covered))
    for day, name in sorted(chinese_calendar.holidays.items()):
        if day.year in years:
            result.days.append(SeedDay(day, f"{chinese.get(name, name)} {name}", []))
    for day, name in sorted(chinese_calendar.workdays.items()):
        if day.year in years and day.weekday() >= 5:
            result.days.append(
                SeedDay(day, f"{chinese.get(name, name)}调休 {name} (make-up working day)", workday)
            )
    result.days.sort(key=lambda d: d.day)
    return result


def _statutory_chinese_days(years: Sequence[int]) -> list[SeedDay]:
    """The days the law itself closes in years ``chinese-calendar`` does not know yet.

    The State Council announces each year's schedule (which weekdays join a holiday, which weekend days
    are worked instead) late in the year before; until the library has it, the statutory days are
    still certain (New Year's Day, the Spring Festival's eve and first three days, Labour Day's two,
    National Day's three, and the traditional festivals), and ``holidays`` computes them from the
    lunar calendar. Its guesses at the extra days off ("observed") are left out: an admin adds the
    announced schedule, or a newer ``chinese-calendar`` brings it.
    """
    import holidays

    english = holidays.country_holidays("CN", years=list(years), language="en_US")
    chinese = holidays.country_holidays("CN", years=list(years), language="zh_CN")
    return [
        SeedDay(day, f"{chinese.get(day)} {name} (statutory; the year's schedule is not announced yet)", [])
        for day, name in sorted(english.items())
        if "observed" not in name and "substituted" not in name
    ]
