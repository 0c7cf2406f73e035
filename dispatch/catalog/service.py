"""Skills and service types: readable by everyone, managed by admins and dispatchers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from dispatch.access import PLANNERS, Actor, require_role
from dispatch.catalog.models import ServiceType, Skill
from dispatch.errors import Conflict, Invalid, NotFound
from dispatch.events import service as events
from dispatch.i18n import LazyText, _
from dispatch.listing import Page, Sort, paginate

_TYPE_AUDITED = (
    "code",
    "name",
    "description",
    "default_duration_s",
    "photos_required",
    "signature_required",
    "min_photos",
    "active",
)

_TYPE_VIEW = events.fields(*_TYPE_AUDITED, skills=True)
_SKILL_VIEW = events.fields("code", "name")


def get_skill_or_raise(session: Session, *, skill_id: int) -> Skill:
    """Return the skill or raise :class:`NotFound`."""
    skill = session.get(Skill, skill_id)
    if skill is None:
        raise NotFound(_("skill %(skill_id)s not found", skill_id=skill_id))
    return skill


def skills_by_code(session: Session, codes: Iterable[str], *, field: str = "skills") -> list[Skill]:
    """Resolve skill codes, raising :class:`Invalid` that names every unknown code."""
    wanted = list(dict.fromkeys(codes))
    if not wanted:
        return []
    found = {s.code: s for s in session.scalars(select(Skill).where(Skill.code.in_(wanted)))}
    unknown = [c for c in wanted if c not in found]
    if unknown:
        raise Invalid(
            _("unknown skill: %(skills)s", skills=", ".join(unknown)),
            errors={field: [f"unknown skill code {c!r}" for c in unknown]},
        )
    return sorted(found.values(), key=lambda s: s.code)


SKILL_SORT = Sort({"id": Skill.id, "code": Skill.code, "name": Skill.name}, default="code")


def list_skills(
    session: Session, *, sort: str | None = None, page: int = 1, page_size: int = 50
) -> Page[Skill]:
    """List skills."""
    return paginate(session, SKILL_SORT.apply(select(Skill), sort), page=page, page_size=page_size)


def _code_free(session: Session, stmt: Select[Any], taken: LazyText) -> None:
    """Refuse with ``taken`` (a whole sentence) when ``stmt`` finds a row with the code."""
    if session.scalar(stmt) is not None:
        raise Conflict(taken, errors={"code": ["already used"]})


def create_skill(session: Session, *, actor: Actor, code: str, name: str) -> Skill:
    """Add a skill."""
    require_role(actor, PLANNERS, to=_("Your role (%(role)s) may not manage skills (allowed: %(allowed)s)."))
    taken = _("a skill with code %(code)s already exists", code=repr(code))
    _code_free(session, select(Skill.id).where(Skill.code == code), taken)
    skill = Skill(code=code, name=name)
    session.add(skill)
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="skill",
        entity_id=skill.id,
        action="created",
        after={"code": code, "name": name},
    )
    return skill


def update_skill(session: Session, *, actor: Actor, skill_id: int, changes: Mapping[str, Any]) -> Skill:
    """Rename a skill (its code is its identity and stays)."""
    require_role(actor, PLANNERS, to=_("Your role (%(role)s) may not manage skills (allowed: %(allowed)s)."))
    skill = get_skill_or_raise(session, skill_id=skill_id)
    with events.recording(session, actor=actor, entity=skill, entity_type="skill", view=_SKILL_VIEW):
        if "name" in changes:
            skill.name = changes["name"]
    return skill


def get_type_or_raise(session: Session, *, service_type_id: int) -> ServiceType:
    """Return the service type or raise :class:`NotFound`."""
    stype = session.get(ServiceType, service_type_id)
    if stype is None:
        raise NotFound(_("service type %(service_type_id)s not found", service_type_id=service_type_id))
    return stype


TYPE_SORT = Sort(
    {
        "id": ServiceType.id,
        "code": ServiceType.code,
        "name": ServiceType.name,
        "default_duration_s": ServiceType.default_duration_s,
    },
    default="name",
)


def list_types(
    session: Session,
    *,
    active: bool | None = None,
    skill: str | None = None,
    sort: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[ServiceType]:
    """List service types, optionally only active ones or those needing a skill."""
    stmt = select(ServiceType)
    if active is not None:
        stmt = stmt.where(ServiceType.active == active)
    if skill:
        stmt = stmt.where(ServiceType.skills.any(Skill.code == skill))
    return paginate(session, TYPE_SORT.apply(stmt, sort), page=page, page_size=page_size)


def create_type(
    session: Session,
    *,
    actor: Actor,
    code: str,
    name: str,
    default_duration_s: int,
    skills: Iterable[str] = (),
    description: str = "",
    photos_required: bool = False,
    signature_required: bool = False,
    min_photos: int = 0,
    active: bool = True,
) -> ServiceType:
    """Add a service type customers can book."""
    require_role(
        actor, PLANNERS, to=_("Your role (%(role)s) may not manage service types (allowed: %(allowed)s).")
    )
    taken = _("a service type with code %(code)s already exists", code=repr(code))
    _code_free(session, select(ServiceType.id).where(ServiceType.code == code), taken)
    stype = ServiceType(
        code=code,
        name=name,
        description=description,
        default_duration_s=default_duration_s,
        photos_required=photos_required,
        signature_required=signature_required,
        min_photos=min_photos,
        active=active,
        skills=skills_by_code(session, skills),
    )
    session.add(stype)
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="service_type",
        entity_id=stype.id,
        action="created",
        after=events.snapshot(stype, _TYPE_AUDITED) | {"skills": [s.code for s in stype.skills]},
    )
    return stype


def update_type(
    session: Session, *, actor: Actor, service_type_id: int, changes: Mapping[str, Any]
) -> ServiceType:
    """Change a service type; orders already booked keep their own duration and skills."""
    require_role(
        actor, PLANNERS, to=_("Your role (%(role)s) may not manage service types (allowed: %(allowed)s).")
    )
    stype = get_type_or_raise(session, service_type_id=service_type_id)
    with events.recording(session, actor=actor, entity=stype, entity_type="service_type", view=_TYPE_VIEW):
        for name in _TYPE_AUDITED[1:]:
            if name in changes:
                setattr(stype, name, changes[name])
        if "skills" in changes:
            stype.skills = skills_by_code(session, changes["skills"])
    return stype
