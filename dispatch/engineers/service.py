"""Teams and engineers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from dispatch.access import PLANNERS, Actor, Role, require_role
from dispatch.catalog.models import Skill
from dispatch.catalog.service import skills_by_code
from dispatch.db import utcnow
from dispatch.engineers.models import Engineer, Team
from dispatch.errors import Conflict, Forbidden, Invalid, NotFound
from dispatch.events import service as events
from dispatch.i18n import _
from dispatch.listing import Page, Sort, paginate
from dispatch.sites.service import check_time_zone

_TEAM_AUDITED = ("code", "name", "region", "time_zone")
_ENGINEER_AUDITED = (
    "name",
    "email",
    "phone",
    "team_id",
    "home_address",
    "home_latitude",
    "home_longitude",
    "max_work_s",
    "active",
)
_TEAM_VIEW = events.fields(*_TEAM_AUDITED)
_ENGINEER_VIEW = events.fields(*_ENGINEER_AUDITED, skills=True)


def _staff_or_engineer(actor: Actor) -> None:
    if actor.role is Role.CUSTOMER:
        raise Forbidden(_("A customer may not read teams."))


def get_team_or_raise(session: Session, *, actor: Actor, team_id: int) -> Team:
    """Return the team or raise :class:`NotFound`."""
    _staff_or_engineer(actor)
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(_("team %(team_id)s not found", team_id=team_id))
    return team


TEAM_SORT = Sort({"id": Team.id, "code": Team.code, "name": Team.name}, default="name")


def list_teams(
    session: Session, *, actor: Actor, sort: str | None = None, page: int = 1, page_size: int = 50
) -> Page[Team]:
    """List teams (staff and engineers)."""
    _staff_or_engineer(actor)
    return paginate(session, TEAM_SORT.apply(select(Team), sort), page=page, page_size=page_size)


def create_team(
    session: Session, *, actor: Actor, code: str, name: str, time_zone: str, region: str = ""
) -> Team:
    """Add a team."""
    require_role(actor, PLANNERS, to=_("Your role (%(role)s) may not manage teams (allowed: %(allowed)s)."))
    if session.scalar(select(Team.id).where(Team.code == code)) is not None:
        raise Conflict(
            _("a team with code %(code)s already exists", code=repr(code)), errors={"code": ["already used"]}
        )
    team = Team(code=code, name=name, region=region, time_zone=check_time_zone(time_zone))
    session.add(team)
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="team",
        entity_id=team.id,
        action="created",
        after=events.snapshot(team, _TEAM_AUDITED),
    )
    return team


def update_team(session: Session, *, actor: Actor, team_id: int, changes: Mapping[str, Any]) -> Team:
    """Change a team's name, region or time zone."""
    require_role(actor, PLANNERS, to=_("Your role (%(role)s) may not manage teams (allowed: %(allowed)s)."))
    team = get_team_or_raise(session, actor=actor, team_id=team_id)
    with events.recording(session, actor=actor, entity=team, entity_type="team", view=_TEAM_VIEW):
        for name in ("name", "region"):
            if name in changes:
                setattr(team, name, changes[name])
        if "time_zone" in changes:
            team.time_zone = check_time_zone(changes["time_zone"])
    return team


def visible(stmt: Select[Any], actor: Actor) -> Select[Any]:
    """Staff see every engineer; an engineer sees only themself; customers none."""
    if actor.is_staff:
        return stmt
    if actor.role is Role.ENGINEER:
        return stmt.where(Engineer.id == actor.engineer_id)
    raise Forbidden(_("A customer may not read engineers."))


def get(session: Session, *, actor: Actor, engineer_id: int) -> Engineer | None:
    """Return the engineer if the actor may see them, else None."""
    found: Engineer | None = session.scalar(
        visible(select(Engineer).where(Engineer.id == engineer_id), actor)
    )
    return found


def get_or_raise(session: Session, *, actor: Actor, engineer_id: int) -> Engineer:
    """Return the engineer or raise :class:`NotFound`."""
    engineer = get(session, actor=actor, engineer_id=engineer_id)
    if engineer is None:
        raise NotFound(_("engineer %(engineer_id)s not found", engineer_id=engineer_id))
    return engineer


ENGINEER_SORT = Sort({"id": Engineer.id, "name": Engineer.name, "team_id": Engineer.team_id}, default="name")


def list_engineers(
    session: Session,
    *,
    actor: Actor,
    team_id: int | None = None,
    skill: str | None = None,
    active: bool | None = None,
    q: str | None = None,
    sort: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[Engineer]:
    """List the engineers the actor may see, by team, skill, activity or name."""
    stmt = visible(select(Engineer), actor)
    if team_id is not None:
        stmt = stmt.where(Engineer.team_id == team_id)
    if skill:
        stmt = stmt.where(Engineer.skills.any(Skill.code == skill))
    if active is not None:
        stmt = stmt.where(Engineer.active == active)
    if q:
        stmt = stmt.where(Engineer.name.ilike(f"%{q.strip()}%"))
    return paginate(session, ENGINEER_SORT.apply(stmt, sort), page=page, page_size=page_size)


def _team_exists(session: Session, team_id: int | None) -> None:
    if team_id is not None and session.get(Team, team_id) is None:
        raise Invalid(
            _("team %(team_id)s does not exist", team_id=team_id), errors={"team_id": ["no such team"]}
        )


def _email_free(session: Session, email: str | None, engineer_id: int | None) -> None:
    if email is None:
        return
    clash = session.scalar(
        select(Engineer.id).where(Engineer.email == email, Engineer.id != (engineer_id or 0))
    )
    if clash is not None:
        raise Conflict(
            _("engineer %(clash)s already uses %(email)s", clash=clash, email=email),
            errors={"email": ["already used"]},
        )


def create(
    session: Session,
    *,
    actor: Actor,
    name: str,
    home_latitude: float,
    home_longitude: float,
    skills: Iterable[str] = (),
    email: str | None = None,
    phone: str | None = None,
    team_id: int | None = None,
    home_address: str = "",
    max_work_s: int | None = None,
    active: bool = True,
) -> Engineer:
    """Add an engineer with skills and a home base."""
    require_role(
        actor, PLANNERS, to=_("Your role (%(role)s) may not manage engineers (allowed: %(allowed)s).")
    )
    email = email.strip().lower() if email else None
    _email_free(session, email, None)
    _team_exists(session, team_id)
    engineer = Engineer(
        name=name.strip(),
        email=email,
        phone=phone,
        team_id=team_id,
        home_address=home_address,
        home_latitude=home_latitude,
        home_longitude=home_longitude,
        max_work_s=max_work_s,
        active=active,
        skills=skills_by_code(session, skills),
    )
    session.add(engineer)
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="engineer",
        entity_id=engineer.id,
        action="created",
        after=events.snapshot(engineer, _ENGINEER_AUDITED) | {"skills": [s.code for s in engineer.skills]},
    )
    return engineer


def update(session: Session, *, actor: Actor, engineer_id: int, changes: Mapping[str, Any]) -> Engineer:
    """Change an engineer's details, skills, team or home base."""
    require_role(
        actor, PLANNERS, to=_("Your role (%(role)s) may not manage engineers (allowed: %(allowed)s).")
    )
    engineer = get_or_raise(session, actor=actor, engineer_id=engineer_id)
    email = engineer.email
    if "email" in changes:
        email = changes["email"].strip().lower() if changes["email"] else None
        _email_free(session, email, engineer.id)
    if "team_id" in changes:
        _team_exists(session, changes["team_id"])
    with events.recording(session, actor=actor, entity=engineer, entity_type="engineer", view=_ENGINEER_VIEW):
        engineer.email = email
        if "team_id" in changes:
            engineer.team = session.get(Team, changes["team_id"]) if changes["team_id"] is not None else None
        for name in (
            "name",
            "phone",
            "home_address",
            "home_latitude",
            "home_longitude",
            "max_work_s",
            "active",
        ):
            if name in changes:
                setattr(engineer, name, changes[name])
        if "skills" in changes:
            engineer.skills = skills_by_code(session, changes["skills"])
            # Skills live in another table: touch the row so that whatever reads ``updated_at``
            # (the slot query's plan cache) sees the change.
            engineer.updated_at = utcnow()
    return engineer
