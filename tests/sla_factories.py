"""Builders of the SLA tests' data: calendars and policies, through the services."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dispatch.access import SYSTEM
from dispatch.calendars import service as calendars
from dispatch.calendars.business import DAYS
from dispatch.sla import policies
from dispatch.sla.models import SlaPolicy

OFFICE = [["08:30", "12:00"], ["13:00", "18:00"]]
HOUR = 3600


def always_calendar(session: Session, name: str = "Always") -> int:
    """A calendar that works around the clock in UTC (business seconds are wall seconds)."""
    week = {d: [["00:00", "24:00"]] for d in DAYS}
    return calendars.create(session, actor=SYSTEM, name=name, time_zone="UTC", week=week).id


def office_calendar(
    session: Session, name: str = "Manchester office", time_zone: str = "Europe/London"
) -> int:
    """Monday to Friday, 08:30-12:00 and 13:00-18:00."""
    week = dict.fromkeys(DAYS[:5], OFFICE)
    return calendars.create(session, actor=SYSTEM, name=name, time_zone=time_zone, week=week).id


def policy(session: Session, calendar_id: int, name: str = "Standard", **values: Any) -> SlaPolicy:
    """A policy; by default a catch-all with 1 h first response, 2 h next response, 8 h resolution."""
    values.setdefault("condition", {"all": []})
    values.setdefault("first_response_s", HOUR)
    values.setdefault("next_response_s", 2 * HOUR)
    values.setdefault("resolution_s", 8 * HOUR)
    return policies.create(session, actor=SYSTEM, name=name, calendar_id=calendar_id, **values)


def build_sla_world(session: Session, world: Any) -> None:
    """Calendars and policies beside the desk world, with ids in ``world.ids``.

    ``cal`` (office hours, Christmas closed) is the calendar of ``pol`` (the catch-all, last);
    ``spare_cal`` and ``spare_pol`` (inactive) are used by nothing; the open tickets get ``pol``.
    """
    from datetime import date

    from dispatch.calendars import service as calendars

    cal = office_calendar(session)
    calendars.set_day(
        session, actor=SYSTEM, calendar_id=cal, expected_version=None, day=date(2026, 12, 25), intervals=[]
    )
    world.ids["cal"] = cal
    world.ids.update(xmas="2026-12-25", boxing="2026-12-26")  # dates in paths, not ids
    world.ids["spare_cal"] = always_calendar(session, "Spare")
    world.ids["spare_pol"] = policy(
        session, cal, "Spare", condition={"field": "kind", "in": ["complaint"]}, active=False, position=5
    ).id
    world.ids["pol"] = policy(session, cal, "Standard", position=10).id
    policies.apply_to_open(session)
