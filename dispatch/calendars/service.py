"""Business calendars: read, create, edit (admins), dated overrides, seeding from holiday libraries,
and the pure :class:`~dispatch.calendars.business.Calendar` a stored calendar stands for (cached)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.access import STAFF, Actor, Role, require_role
from dispatch.calendars import business, seed
from dispatch.calendars.models import BusinessCalendar, CalendarDay
from dispatch.db import utcnow
from dispatch.errors import Conflict, Invalid, NotFound, StaleVersion
from dispatch.events import service as events
from dispatch.i18n import _
from dispatch.routing import hours
from dispatch.sites.service import check_time_zone

ADMINS = frozenset({Role.ADMIN})
FIRST_YEAR, LAST_YEAR = 2000, 2099
MAX_SEED_YEARS = 20
_VIEW = events.fields("name", "time_zone", "week", "description")

ChangeListener = Callable[[Session, int], None]
_listeners: list[ChangeListener] = []


def on_change(listener: ChangeListener) -> None:
    """Call ``listener(session, calendar_id)`` after a calendar's hours or days change (the SLA clocks)."""
    if listener not in _listeners:
        _listeners.append(listener)


def _changed(session: Session, calendar: BusinessCalendar) -> None:
    session.flush()
    for listener in _listeners:
        listener(session, calendar.id)


def get(session: Session, *, actor: Actor, calendar_id: int) -> BusinessCalendar | None:
    """The calendar (staff read calendars), or None."""
    require_role(
        actor, STAFF, to=_("Your role (%(role)s) may not read business calendars (allowed: %(allowed)s).")
    )
    return session.get(BusinessCalendar, calendar_id)


def get_or_raise(session: Session, *, actor: Actor, calendar_id: int) -> BusinessCalendar:
    """The calendar, or :class:`NotFound`."""
    calendar = get(session, actor=actor, calendar_id=calendar_id)
    if calendar is None:
        raise NotFound(_("business calendar %(id)s not found", id=calendar_id))
    return calendar


def check_version(calendar: BusinessCalendar, expected: int | None) -> None:
    """Raise :class:`StaleVersion` unless the client read the current version (If-Match)."""
    if expected is not None and expected != calendar.version:
        raise StaleVersion(_("business calendar %(name)s", name=calendar.name), expected, calendar.version)


def list_calendars(session: Session, *, actor: Actor) -> list[BusinessCalendar]:
    """Every calendar, by name."""
    require_role(
        actor, STAFF, to=_("Your role (%(role)s) may not read business calendars (allowed: %(allowed)s).")
    )
    return list(session.scalars(select(BusinessCalendar).order_by(BusinessCalendar.name)))


def _week(value: Any) -> dict[str, Any]:
    if value is None:
        raise Invalid(_("give the calendar's working hours for the week"), errors={"week": ["required"]})
    checked = hours.validate(value)
    assert checked is not None
    if not business.has_working_time(checked):
        raise Invalid(
            _("a business calendar needs working hours on at least one day of the week"),
            errors={"week": ["no working interval on any day"]},
        )
    return checked


def _name_free(session: Session, name: str, calendar_id: int | None) -> str:
    text = (name or "").strip()
    if not text or len(text) > 100:
        raise Invalid(
            _("give the calendar a name (1 to 100 characters)"), errors={"name": ["1 to 100 characters"]}
        )
    clash = session.scalar(
        select(BusinessCalendar.id).where(
            BusinessCalendar.name == text, BusinessCalendar.id != (calendar_id or 0)
        )
    )
    if clash is not None:
        raise Conflict(
            _("a business calendar named %(name)s already exists", name=text),
            errors={"name": ["already used"]},
        )
    return text


def create(
    session: Session,
    *,
    actor: Actor,
    name: str,
    time_zone: str,
    week: Mapping[str, Any],
    description: str = "",
) -> BusinessCalendar:
    """Add a calendar (admins)."""
    require_role(
        actor, ADMINS, to=_("Your role (%(role)s) may not manage business calendars (allowed: %(allowed)s).")
    )
    calendar = BusinessCalendar(
        name=_name_free(session, name, None),
        time_zone=check_time_zone(time_zone),
        week=_week(week),
        description=(description or "").strip(),
    )
    session.add(calendar)
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="business_calendar",
        entity_id=calendar.id,
        action="created",
        after=_VIEW(calendar),
    )
    return calendar


def update(
    session: Session,
    *,
    actor: Actor,
    calendar_id: int,
    expected_version: int | None,
    changes: Mapping[str, Any],
) -> BusinessCalendar:
    """Change a calendar's name, time zone, weekly hours or description (admins); open clocks follow."""
    require_role(
        actor, ADMINS, to=_("Your role (%(role)s) may not manage business calendars (allowed: %(allowed)s).")
    )
    calendar = get_or_raise(session, actor=actor, calendar_id=calendar_id)
    check_version(calendar, expected_version)
    with events.recording(session, actor=actor, entity=calendar, entity_type="business_calendar", view=_VIEW):
        if "name" in changes:
            calendar.name = _name_free(session, changes["name"], calendar.id)
        if "time_zone" in changes:
            calendar.time_zone = check_time_zone(changes["time_zone"])
        if "week" in changes:
            calendar.week = _week(changes["week"])
        if "description" in changes:
            calendar.description = (changes["description"] or "").strip()
    _changed(session, calendar)
    return calendar


def delete(session: Session, *, actor: Actor, calendar_id: int, expected_version: int | None) -> None:
    """Remove a calendar no SLA policy and no running clock counts in (admins)."""
    require_role(
        actor, ADMINS, to=_("Your role (%(role)s) may not manage business calendars (allowed: %(allowed)s).")
    )
    calendar = get_or_raise(session, actor=actor, calendar_id=calendar_id)
    check_version(calendar, expected_version)
    for check in _in_use_checks:
        reason = check(session, calendar.id)
        if reason is not None:
            raise Conflict(reason, errors={"calendar_id": ["in use"]})
    events.record(
        session,
        actor=actor,
        entity_type="business_calendar",
        entity_id=calendar.id,
        action="deleted",
        before=_VIEW(calendar),
    )
    session.delete(calendar)
    session.flush()


InUseCheck = Callable[[Session, int], Any]
_in_use_checks: list[InUseCheck] = []


def refuse_delete_when(check: InUseCheck) -> None:
    """``check(session, calendar_id)`` returns why a calendar cannot be deleted, or None."""
    if check not in _in_use_checks:
        _in_use_checks.append(check)


# --- dated overrides ---------------------------------------------------------------------------


def _check_day(day: date) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise Invalid(
            _("calendar days lie between %(first)s and %(last)s", first=FIRST_YEAR, last=LAST_YEAR),
            errors={"day": [f"a date in {FIRST_YEAR}-{LAST_YEAR}"]},
        )


def _intervals(value: Any) -> list[list[str]]:
    checked = hours.validate({"mon": value if value is not None else []})
    assert checked is not None
    return checked["mon"]


def list_days(
    session: Session,
    *,
    actor: Actor,
    calendar_id: int,
    since: date | None = None,
    until: date | None = None,
) -> list[CalendarDay]:
    """The calendar's dated overrides, by date, optionally between two dates (inclusive)."""
    calendar = get_or_raise(session, actor=actor, calendar_id=calendar_id)
    stmt = select(CalendarDay).where(CalendarDay.calendar_id == calendar.id)
    if since is not None:
        stmt = stmt.where(CalendarDay.day >= since)
    if until is not None:
        stmt = stmt.where(CalendarDay.day <= until)
    return list(session.scalars(stmt.order_by(CalendarDay.day)))


def _touch(calendar: BusinessCalendar) -> None:
    calendar.updated_at = utcnow()  # the calendar's version (its ETag) moves with its days


def set_day(
    session: Session,
    *,
    actor: Actor,
    calendar_id: int,
    expected_version: int | None,
    day: date,
    intervals: Sequence[Sequence[str]],
    name: str = "",
) -> CalendarDay:
    """Make a date a holiday (no intervals) or give it other hours, e.g. a weekend make-up day (admins)."""
    require_role(
        actor, ADMINS, to=_("Your role (%(role)s) may not manage business calendars (allowed: %(allowed)s).")
    )
    calendar = get_or_raise(session, actor=actor, calendar_id=calendar_id)
    check_version(calendar, expected_version)
    _check_day(day)
    clean = _intervals(list(intervals))
    text = (name or "").strip()
    if len(text) > 200:
        raise Invalid(
            _("a day's name has at most 200 characters"), errors={"name": ["at most 200 characters"]}
        )
    row = session.get(CalendarDay, (calendar.id, day))
    if row is None:
        row = CalendarDay(calendar_id=calendar.id, day=day)
        session.add(row)
    row.intervals, row.name, row.source = clean, text, "manual"
    _touch(calendar)
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="business_calendar",
        entity_id=calendar.id,
        action="day_set",
        payload={"day": day.isoformat(), "intervals": clean, "name": text},
    )
    _changed(session, calendar)
    return row


def delete_day(
    session: Session, *, actor: Actor, calendar_id: int, expected_version: int | None, day: date
) -> None:
    """Give a date back its weekday's hours (admins)."""
    require_role(
        actor, ADMINS, to=_("Your role (%(role)s) may not manage business calendars (allowed: %(allowed)s).")
    )
    calendar = get_or_raise(session, actor=actor, calendar_id=calendar_id)
    check_version(calendar, expected_version)
    row = session.get(CalendarDay, (calendar.id, day))
    if row is None:
        raise NotFound(_("%(day)s has no override in this calendar", day=day.isoformat()))
    session.delete(row)
    _touch(calendar)
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="business_calendar",
        entity_id=calendar.id,
        action="day_removed",
        payload={"day": day.isoformat()},
    )
    _changed(session, calendar)


@dataclass(frozen=True)
class SeedResult:
    """What a seed did: days written, seeded days replaced, days an admin set that were kept."""

    source: str
    added: int
    replaced: int
    kept_manual: int
    years_not_covered: list[int]


def _workday(calendar: BusinessCalendar) -> list[list[str]]:
    """The hours a make-up working day gets: the most common hours of Monday to Friday."""
    counts: dict[str, tuple[int, list[list[str]]]] = {}
    for name in hours.DAYS[:5]:
        intervals = calendar.week.get(name) or []
        if intervals:
            key = repr(intervals)
            counts[key] = (counts.get(key, (0, intervals))[0] + 1, intervals)
    if not counts:
        return [list(i) for i in next(v for v in calendar.week.values() if v)]
    return max(counts.values(), key=lambda c: c[0])[1]


def seed_days(
    session: Session,
    *,
    actor: Actor,
    calendar_id: int,
    expected_version: int | None,
    source: str,
    from_year: int,
    to_year: int,
    country: str | None = None,
    subdiv: str | None = None,
) -> SeedResult:
    """Fill the calendar's holidays (and make-up working days) for a range of years from a library.

    Seeding again replaces what the same source seeded in those years; days an admin set by hand
    are kept. Make-up working days get the calendar's usual weekday hours.
    """
    require_role(
        actor, ADMINS, to=_("Your role (%(role)s) may not manage business calendars (allowed: %(allowed)s).")
    )
    calendar = get_or_raise(session, actor=actor, calendar_id=calendar_id)
    check_version(calendar, expected_version)
    if not (FIRST_YEAR <= from_year <= to_year <= LAST_YEAR) or to_year - from_year >= MAX_SEED_YEARS:
        raise Invalid(
            _(
                "seed from %(first)s to %(last)s, at most %(most)s years at a time",
                first=FIRST_YEAR,
                last=LAST_YEAR,
                most=MAX_SEED_YEARS,
            ),
            errors={"to_year": [f"from_year <= to_year, both in {FIRST_YEAR}-{LAST_YEAR}"]},
        )
    years = list(range(from_year, to_year + 1))
    workday = _workday(calendar)
    try:
        if source == "holidays":
            if not country:
                raise Invalid(
                    _("say which country's holidays to use, e.g. GB"), errors={"country": ["required"]}
                )
            seeded = seed.from_holidays(country, subdiv, years, workday)
        elif source == "chinese_calendar":
            seeded = seed.from_chinese_calendar(years, workday)
        else:
            raise Invalid(
                _("unknown holiday source %(source)s", source=source),
                errors={"source": [f"one of {', '.join(seed.SOURCES)}"]},
            )
    except seed.UnknownRegion as exc:
        raise Invalid(
            _("the holiday library does not know that place: %(problem)s", problem=str(exc)),
            errors={"subdiv" if "subdivision" in str(exc) else "country": [str(exc)]},
        ) from exc
    existing = {
        row.day: row
        for row in session.scalars(
            select(CalendarDay).where(
                CalendarDay.calendar_id == calendar.id,
                CalendarDay.day >= date(from_year, 1, 1),
                CalendarDay.day <= date(to_year, 12, 31),
            )
        )
    }
    wanted = {d.day: d for d in seeded.days}
    added = replaced = kept = 0
    for day, old in existing.items():
        if old.source == seeded.source and day not in wanted:
            session.delete(old)  # the library no longer lists it
    for day, found in wanted.items():
        row = existing.get(day)
        if row is not None and row.source == "manual":
            kept += 1
            continue
        if row is None:
            session.add(
                CalendarDay(
                    calendar_id=calendar.id,
                    day=day,
                    name=found.name[:200],
                    intervals=found.intervals,
                    source=seeded.source,
                )
            )
            added += 1
        else:
            row.name, row.intervals, row.source = found.name[:200], found.intervals, seeded.source
            replaced += 1
    _touch(calendar)
    session.flush()
    result = SeedResult(seeded.source, added, replaced, kept, seeded.years_not_covered)
    events.record(
        session,
        actor=actor,
        entity_type="business_calendar",
        entity_id=calendar.id,
        action="seeded",
        payload={"source": seeded.source, "from_year": from_year, "to_year": to_year, **result.__dict__},
    )
    _changed(session, calendar)
    return result


# --- the arithmetic a stored calendar stands for -------------------------------------------------

_CACHE: OrderedDict[tuple[Any, ...], business.Calendar] = OrderedDict()
_CACHE_SIZE = 64
_cache_lock = threading.Lock()


def business_calendar(session: Session, calendar_id: int) -> business.Calendar:
    """The pure calendar (hours, zone, overrides) of a stored one; built once per version and cached."""
    calendar = session.get(BusinessCalendar, calendar_id)
    if calendar is None:
        raise NotFound(_("business calendar %(id)s not found", id=calendar_id))
    key = (calendar.id, calendar.version, calendar.created_at, calendar.updated_at)
    with _cache_lock:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found
    days = session.execute(
        select(CalendarDay.day, CalendarDay.intervals).where(CalendarDay.calendar_id == calendar.id)
    ).all()
    built = business.Calendar(calendar.time_zone, calendar.week, {day: list(iv) for day, iv in days})
    with _cache_lock:
        _CACHE[key] = built
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return built
