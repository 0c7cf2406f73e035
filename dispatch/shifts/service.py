"""Shifts: an engineer's hours on a day, and the window their break must fit in."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from dispatch.access import PLANNERS, Actor, Role, require_role
from dispatch.engineers import service as engineers
from dispatch.engineers.models import Engineer
from dispatch.errors import Conflict, Forbidden, Invalid, NotFound
from dispatch.events import service as events
from dispatch.i18n import _
from dispatch.listing import Page, Sort, paginate
from dispatch.shifts.models import Shift

_AUDITED = (
    "engineer_id",
    "day",
    "starts_at",
    "ends_at",
    "break_earliest",
    "break_latest",
    "break_duration_s",
)
_VIEW = events.fields(*_AUDITED)
MAX_SHIFT_S = 16 * 3600


def visible(stmt: Select[Any], actor: Actor) -> Select[Any]:
    """Staff see every shift, an engineer their own, customers none."""
    if actor.is_staff:
        return stmt
    if actor.role is Role.ENGINEER:
        return stmt.where(Shift.engineer_id == actor.engineer_id)
    raise Forbidden(_("A customer may not read shifts."))


def get_or_raise(session: Session, *, actor: Actor, shift_id: int) -> Shift:
    """Return the shift or raise :class:`NotFound`."""
    shift: Shift | None = session.scalar(visible(select(Shift).where(Shift.id == shift_id), actor))
    if shift is None:
        raise NotFound(_("shift %(shift_id)s not found", shift_id=shift_id))
    return shift


SHIFT_SORT = Sort(
    {
        "id": Shift.id,
        "day": Shift.day,
        "starts_at": Shift.starts_at,
        "engineer_id": Shift.engineer_id,
    },
    default="day,starts_at",
)


def list_shifts(
    session: Session,
    *,
    actor: Actor,
    engineer_id: int | None = None,
    team_id: int | None = None,
    day: date | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    sort: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[Shift]:
    """List shifts by engineer, team and day range."""
    stmt = visible(select(Shift), actor)
    if engineer_id is not None:
        stmt = stmt.where(Shift.engineer_id == engineer_id)
    if team_id is not None:
        stmt = stmt.where(Shift.engineer_id.in_(select(Engineer.id).where(Engineer.team_id == team_id)))
    if day is not None:
        stmt = stmt.where(Shift.day == day)
    if date_from is not None:
        stmt = stmt.where(Shift.day >= date_from)
    if date_to is not None:
        stmt = stmt.where(Shift.day <= date_to)
    return paginate(session, SHIFT_SORT.apply(stmt, sort), page=page, page_size=page_size)


def _validate(shift: Shift) -> None:
    errors: dict[str, list[str]] = {}
    if shift.ends_at <= shift.starts_at:
        errors["ends_at"] = ["must be after starts_at"]
    elif (shift.ends_at - shift.starts_at).total_seconds() > MAX_SHIFT_S:
        errors["ends_at"] = [f"a shift lasts at most {MAX_SHIFT_S // 3600} hours"]
    has_window = shift.break_earliest is not None or shift.break_latest is not None
    if shift.break_duration_s and not has_window:
        # A break with no window may be taken any time during the shift.
        shift.break_earliest, shift.break_latest = shift.starts_at, shift.ends_at
    if shift.break_earliest is not None and shift.break_latest is not None:
        if not (shift.starts_at <= shift.break_earliest < shift.break_latest <= shift.ends_at):
            errors["break_earliest"] = ["the break window must lie inside the shift"]
        elif shift.break_duration_s > (shift.break_latest - shift.break_earliest).total_seconds():
            errors["break_duration_s"] = ["the break is longer than its window"]
    elif has_window:
        errors["break_latest" if shift.break_latest is None else "break_earliest"] = [
            "give both ends of the break window"
        ]
    if errors:
        raise Invalid("the shift's times do not fit together", errors=errors)


def _local_day(session: Session, engineer: Engineer, starts_at: datetime, default_time_zone: str) -> date:
    zone = engineer.team.time_zone if engineer.team else default_time_zone
    return starts_at.astimezone(ZoneInfo(zone)).date()


def _day_free(session: Session, engineer_id: int, day: date, shift_id: int | None) -> None:
    clash = session.scalar(
        select(Shift.id).where(
            Shift.engineer_id == engineer_id, Shift.day == day, Shift.id != (shift_id or 0)
        )
    )
    if clash is not None:
        raise Conflict(
            _(
                "engineer %(engineer_id)s already has shift %(clash)s on %(day)s",
                engineer_id=engineer_id,
                clash=clash,
                day=day.isoformat(),
            ),
            errors={"day": ["one shift per engineer per day"]},
        )


def create(
    session: Session,
    *,
    actor: Actor,
    engineer_id: int,
    starts_at: datetime,
    ends_at: datetime,
    default_time_zone: str,
    day: date | None = None,
    break_earliest: datetime | None = None,
    break_latest: datetime | None = None,
    break_duration_s: int = 0,
) -> Shift:
    """Add a shift; ``day`` defaults to the local date the shift starts on."""
    require_role(actor, PLANNERS, to=_("Your role (%(role)s) may not manage shifts (allowed: %(allowed)s)."))
    engineer = engineers.get(session, actor=actor, engineer_id=engineer_id)
    if engineer is None:
        raise Invalid(
            _("engineer %(engineer_id)s does not exist", engineer_id=engineer_id),
            errors={"engineer_id": ["no such engineer"]},
        )
    shift = Shift(
        engineer_id=engineer_id,
        engineer=engineer,
        day=day or _local_day(session, engineer, starts_at, default_time_zone),
        starts_at=starts_at,
        ends_at=ends_at,
        break_earliest=break_earliest,
        break_latest=break_latest,
        break_duration_s=break_duration_s,
    )
    _validate(shift)
    _day_free(session, engineer_id, shift.day, None)
    session.add(shift)
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="shift",
        entity_id=shift.id,
        action="created",
        after=events.snapshot(shift, _AUDITED),
    )
    return shift


def update(session: Session, *, actor: Actor, shift_id: int, changes: Mapping[str, Any]) -> Shift:
    """Move a shift's hours or break."""
    require_role(actor, PLANNERS, to=_("Your role (%(role)s) may not manage shifts (allowed: %(allowed)s)."))
    shift = get_or_raise(session, actor=actor, shift_id=shift_id)
    with events.recording(session, actor=actor, entity=shift, entity_type="shift", view=_VIEW):
        for name in _AUDITED[1:]:
            if name in changes:
                setattr(shift, name, changes[name])
        _validate(shift)
        with session.no_autoflush:
            _day_free(session, shift.engineer_id, shift.day, shift.id)
    return shift


def delete(session: Session, *, actor: Actor, shift_id: int) -> None:
    """Remove a shift (the engineer is off that day)."""
    require_role(actor, PLANNERS, to=_("Your role (%(role)s) may not manage shifts (allowed: %(allowed)s)."))
    shift = get_or_raise(session, actor=actor, shift_id=shift_id)
    events.record(
        session,
        actor=actor,
        entity_type="shift",
        entity_id=shift.id,
        action="deleted",
        before=events.snapshot(shift, _AUDITED),
    )
    session.delete(shift)
    session.flush()
