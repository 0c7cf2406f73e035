"""Take position pings from engineers on shift; hand the planner each engineer's latest point."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dispatch.access import PLANNERS, Actor, Role, require_role
from dispatch.db import utcnow
from dispatch.errors import Forbidden, Invalid
from dispatch.i18n import _
from dispatch.positions.models import EngineerPosition
from dispatch.shifts.models import Shift

CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future a device's clock may be before its ping is refused."""


@dataclass(frozen=True)
class PingResult:
    """What happened to a ping: stored, or not and why."""

    stored: bool
    reason: str
    position: EngineerPosition | None


def on_shift(session: Session, *, engineer_id: int, moment: datetime) -> Shift | None:
    """The engineer's shift that contains ``moment``, if any."""
    found: Shift | None = session.scalar(
        select(Shift).where(
            Shift.engineer_id == engineer_id, Shift.starts_at <= moment, Shift.ends_at >= moment
        )
    )
    return found


def record_ping(
    session: Session,
    *,
    actor: Actor,
    latitude: float,
    longitude: float,
    recorded_at: datetime,
    accuracy_m: float | None = None,
    now: datetime | None = None,
) -> PingResult:
    """Keep the engineer's point if it was taken on shift and is newer than the one kept."""
    if actor.role is not Role.ENGINEER or actor.engineer_id is None:
        raise Forbidden(_("Only an engineer's own app sends position pings."))
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise Invalid(
            "the position is not on Earth", errors={"latitude": ["-90..90"], "longitude": ["-180..180"]}
        )
    now = now or utcnow()
    if recorded_at > now + CLOCK_SKEW:
        raise Invalid(
            "the ping is dated in the future: check the phone's clock",
            errors={"recorded_at": ["in the future"]},
        )
    engineer_id = actor.engineer_id
    kept = session.get(EngineerPosition, engineer_id)
    if on_shift(session, engineer_id=engineer_id, moment=recorded_at) is None:
        if kept is not None and on_shift(session, engineer_id=engineer_id, moment=now) is None:
            session.delete(kept)  # the shift is over: forget where they were
            session.flush()
        return PingResult(False, "not stored: outside your shift (no position is kept off shift)", None)
    if kept is not None and kept.recorded_at >= recorded_at:
        return PingResult(False, "not stored: a newer position is already kept", kept)
    if kept is None:
        kept = EngineerPosition(engineer_id=engineer_id)
        session.add(kept)
    kept.latitude, kept.longitude, kept.accuracy_m = latitude, longitude, accuracy_m
    kept.recorded_at, kept.received_at = recorded_at, now
    session.flush()
    return PingResult(True, "stored", kept)


def latest(session: Session, *, engineer_ids: Collection[int]) -> dict[int, EngineerPosition]:
    """The latest kept position of each of these engineers that has one."""
    if not engineer_ids:
        return {}
    stmt = select(EngineerPosition).where(EngineerPosition.engineer_id.in_(list(engineer_ids)))
    return {p.engineer_id: p for p in session.scalars(stmt)}


def list_latest(
    session: Session, *, actor: Actor, engineer_ids: Collection[int] = ()
) -> list[EngineerPosition]:
    """Latest positions for planners (all engineers, or these)."""
    require_role(
        actor, PLANNERS, to=_("Your role (%(role)s) may not see engineers' positions (allowed: %(allowed)s).")
    )
    stmt = select(EngineerPosition).order_by(EngineerPosition.engineer_id)
    if engineer_ids:
        stmt = stmt.where(EngineerPosition.engineer_id.in_(list(engineer_ids)))
    return list(session.scalars(stmt))


def purge_off_shift(session: Session, *, now: datetime | None = None) -> int:
    """Delete the positions of engineers who are not on shift now; returns how many."""
    now = now or utcnow()
    working = select(Shift.engineer_id).where(Shift.starts_at <= now, Shift.ends_at >= now)
    result = session.execute(delete(EngineerPosition).where(EngineerPosition.engineer_id.not_in(working)))
    return int(getattr(result, "rowcount", 0) or 0)
