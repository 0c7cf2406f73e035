"""The category tree of tickets, edited by admins (``Heating > Boiler > No hot water``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch import trees
from dispatch.access import Actor, Role, require_role
from dispatch.errors import Conflict, Invalid, NotFound
from dispatch.events import service as events
from dispatch.i18n import _
from dispatch.tickets.models import Ticket, TicketCategory

MAX_DEPTH = 5
_VIEW = events.fields("parent_id", "name", "skills", "active")


def get_or_raise(session: Session, *, actor: Actor, category_id: int) -> TicketCategory:
    """A category (anyone logged in may read the tree), or :class:`NotFound`."""
    category = session.get(TicketCategory, category_id)
    if category is None:
        raise NotFound(_("category %(id)s not found", id=category_id))
    return category


def list_categories(
    session: Session, *, actor: Actor, include_inactive: bool = False
) -> list[TicketCategory]:
    """The whole tree, parents before children, by name."""
    stmt = select(TicketCategory).order_by(TicketCategory.name, TicketCategory.id)
    if not include_inactive:
        stmt = stmt.where(TicketCategory.active.is_(True))
    rows = list(session.scalars(stmt))
    by_parent: dict[int | None, list[TicketCategory]] = {}
    for row in rows:
        by_parent.setdefault(row.parent_id, []).append(row)
    ordered: list[TicketCategory] = []

    def walk(parent: int | None) -> None:
        for child in by_parent.get(parent, []):
            ordered.append(child)
            walk(child.id)

    walk(None)
    return ordered


def path_of(session: Session, category: TicketCategory) -> list[str]:
    """The names from the root down to the category."""
    names = [category.name]
    current = category
    for _level in range(MAX_DEPTH + 1):
        if current.parent_id is None:
            break
        parent = session.get(TicketCategory, current.parent_id)
        if parent is None:
            break
        names.insert(0, parent.name)
        current = parent
    return names


def _check_parent(session: Session, category_id: int | None, parent_id: int | None) -> None:
    trees.check_parent(
        session, TicketCategory, category_id=category_id, parent_id=parent_id, max_depth=MAX_DEPTH
    )


def _name_free(session: Session, name: str, parent_id: int | None, category_id: int | None) -> str:
    text = name.strip()
    if not text:
        raise Invalid(_("give the category a name"), errors={"name": ["required"]})
    parent_clause = (
        TicketCategory.parent_id.is_(None) if parent_id is None else TicketCategory.parent_id == parent_id
    )
    clash = session.scalar(
        select(TicketCategory.id).where(
            parent_clause, TicketCategory.name == text, TicketCategory.id != (category_id or 0)
        )
    )
    if clash is not None:
        raise Conflict(
            _("there is already a category %(name)s here", name=text),
            errors={"name": [f"used by category {clash}"]},
        )
    return text


def _skills(values: Any) -> list[str]:
    clean = sorted({str(v).strip().lower() for v in values or [] if str(v).strip()})
    if len(clean) > 20 or any(len(v) > 50 for v in clean):
        raise Invalid(
            _("too many or too long skill codes"), errors={"skills": ["at most 20 codes of 50 characters"]}
        )
    return clean


def create(
    session: Session,
    *,
    actor: Actor,
    name: str,
    parent_id: int | None = None,
    skills: Any = (),
    active: bool = True,
) -> TicketCategory:
    """Add a category under ``parent_id`` (admins)."""
    require_role(
        actor,
        {Role.ADMIN},
        to=_("Your role (%(role)s) may not edit ticket categories (allowed: %(allowed)s)."),
    )
    _check_parent(session, None, parent_id)
    category = TicketCategory(
        name=_name_free(session, name, parent_id, None),
        parent_id=parent_id,
        skills=_skills(skills),
        active=active,
    )
    session.add(category)
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="ticket_category",
        entity_id=category.id,
        action="created",
        after=_VIEW(category),
    )
    return category


def update(session: Session, *, actor: Actor, category_id: int, changes: Mapping[str, Any]) -> TicketCategory:
    """Rename, move, retire or change the skills of a category (admins)."""
    require_role(
        actor,
        {Role.ADMIN},
        to=_("Your role (%(role)s) may not edit ticket categories (allowed: %(allowed)s)."),
    )
    category = get_or_raise(session, actor=actor, category_id=category_id)
    parent_id = changes.get("parent_id", category.parent_id)
    if "parent_id" in changes:
        _check_parent(session, category.id, parent_id)
    name = _name_free(session, changes.get("name", category.name), parent_id, category.id)
    with events.recording(session, actor=actor, entity=category, entity_type="ticket_category", view=_VIEW):
        category.name = name
        category.parent_id = parent_id
        if "skills" in changes:
            category.skills = _skills(changes["skills"])
        if "active" in changes:
            category.active = changes["active"]
    return category


def delete(session: Session, *, actor: Actor, category_id: int) -> None:
    """Remove a category no ticket and no sub-category uses (retire it with ``active: false`` otherwise)."""
    require_role(
        actor,
        {Role.ADMIN},
        to=_("Your role (%(role)s) may not edit ticket categories (allowed: %(allowed)s)."),
    )
    category = get_or_raise(session, actor=actor, category_id=category_id)
    if session.scalar(select(TicketCategory.id).where(TicketCategory.parent_id == category.id).limit(1)):
        raise Conflict(
            _("the category has sub-categories: move or remove them first"), errors={"id": ["has children"]}
        )
    if session.scalar(select(Ticket.id).where(Ticket.category_id == category.id).limit(1)):
        raise Conflict(
            _("tickets use this category: retire it with active false instead"), errors={"id": ["in use"]}
        )
    from dispatch.routing.conditions import categories_in
    from dispatch.routing.models import RoutingRule

    for rule in session.scalars(select(RoutingRule)):
        if rule.actions.get("category_id") == category.id or category.id in categories_in(rule.condition):
            raise Conflict(
                _("routing rule %(name)s uses this category: change the rule first", name=rule.name),
                errors={"id": [f"used by routing rule {rule.id}"]},
            )
    events.record(
        session,
        actor=actor,
        entity_type="ticket_category",
        entity_id=category.id,
        action="deleted",
        before=_VIEW(category),
    )
    session.delete(category)
    session.flush()
