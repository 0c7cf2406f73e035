"""The root-cause tree of complaints, edited by admins (``Engineer > Late arrival``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch import trees
from dispatch.access import STAFF, Actor, Role, require_role
from dispatch.complaints.models import Complaint, RootCause
from dispatch.errors import Conflict, Invalid, NotFound
from dispatch.events import service as events
from dispatch.i18n import _

MAX_DEPTH = 4
_VIEW = events.fields("parent_id", "name", "active")


def get_or_raise(session: Session, *, actor: Actor, cause_id: int) -> RootCause:
    """A root cause (staff read the tree), or :class:`NotFound`."""
    require_role(
        actor,
        STAFF,
        to=_("Your role (%(role)s) may not read the root causes of complaints (allowed: %(allowed)s)."),
    )
    cause = session.get(RootCause, cause_id)
    if cause is None:
        raise NotFound(_("root cause %(id)s not found", id=cause_id))
    return cause


def list_causes(session: Session, *, actor: Actor, include_inactive: bool = False) -> list[RootCause]:
    """The whole tree, parents before children, by name."""
    require_role(
        actor,
        STAFF,
        to=_("Your role (%(role)s) may not read the root causes of complaints (allowed: %(allowed)s)."),
    )
    stmt = select(RootCause).order_by(RootCause.name, RootCause.id)
    if not include_inactive:
        stmt = stmt.where(RootCause.active.is_(True))
    by_parent: dict[int | None, list[RootCause]] = {}
    for row in session.scalars(stmt):
        by_parent.setdefault(row.parent_id, []).append(row)
    ordered: list[RootCause] = []

    def walk(parent: int | None) -> None:
        for child in by_parent.get(parent, []):
            ordered.append(child)
            walk(child.id)

    walk(None)
    return ordered


def _name_free(session: Session, name: str, parent_id: int | None, cause_id: int | None) -> str:
    text = name.strip()
    if not text or len(text) > 100:
        raise Invalid(_("give the root cause a name (1 to 100 characters)"), errors={"name": ["required"]})
    parent = RootCause.parent_id.is_(None) if parent_id is None else RootCause.parent_id == parent_id
    clash = session.scalar(
        select(RootCause.id).where(parent, RootCause.name == text, RootCause.id != (cause_id or 0))
    )
    if clash is not None:
        raise Conflict(
            _("there is already a root cause %(name)s here", name=text),
            errors={"name": [f"used by root cause {clash}"]},
        )
    return text


def create(
    session: Session, *, actor: Actor, name: str, parent_id: int | None = None, active: bool = True
) -> RootCause:
    """Add a root cause under ``parent_id`` (admins)."""
    require_role(
        actor,
        {Role.ADMIN},
        to=_("Your role (%(role)s) may not edit the root causes of complaints (allowed: %(allowed)s)."),
    )
    trees.check_parent(session, RootCause, category_id=None, parent_id=parent_id, max_depth=MAX_DEPTH)
    cause = RootCause(name=_name_free(session, name, parent_id, None), parent_id=parent_id, active=active)
    session.add(cause)
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="complaint_cause",
        entity_id=cause.id,
        action="created",
        after=_VIEW(cause),
    )
    return cause


def update(session: Session, *, actor: Actor, cause_id: int, changes: Mapping[str, Any]) -> RootCause:
    """Rename, move or retire a root cause (admins)."""
    require_role(
        actor,
        {Role.ADMIN},
        to=_("Your role (%(role)s) may not edit the root causes of complaints (allowed: %(allowed)s)."),
    )
    cause = get_or_raise(session, actor=actor, cause_id=cause_id)
    parent_id = changes.get("parent_id", cause.parent_id)
    if "parent_id" in changes:
        trees.check_parent(session, RootCause, category_id=cause.id, parent_id=parent_id, max_depth=MAX_DEPTH)
    name = _name_free(session, changes.get("name", cause.name), parent_id, cause.id)
    with events.recording(session, actor=actor, entity=cause, entity_type="complaint_cause", view=_VIEW):
        cause.name = name
        cause.parent_id = parent_id
        if "active" in changes:
            cause.active = bool(changes["active"])
    return cause


def delete(session: Session, *, actor: Actor, cause_id: int) -> None:
    """Remove a root cause no complaint and no sub-cause uses (retire it with ``active: false`` otherwise)."""
    require_role(
        actor,
        {Role.ADMIN},
        to=_("Your role (%(role)s) may not edit the root causes of complaints (allowed: %(allowed)s)."),
    )
    cause = get_or_raise(session, actor=actor, cause_id=cause_id)
    if session.scalar(select(RootCause.id).where(RootCause.parent_id == cause.id).limit(1)):
        raise Conflict(
            _("the root cause has sub-causes: move or remove them first"), errors={"id": ["has children"]}
        )
    if session.scalar(select(Complaint.ticket_id).where(Complaint.cause_id == cause.id).limit(1)):
        raise Conflict(
            _("complaints use this root cause: retire it with active false instead"),
            errors={"id": ["in use"]},
        )
    events.record(
        session,
        actor=actor,
        entity_type="complaint_cause",
        entity_id=cause.id,
        action="deleted",
        before=_VIEW(cause),
    )
    session.delete(cause)
    session.flush()
